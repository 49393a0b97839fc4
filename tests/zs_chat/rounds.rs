//! zs-chat across rounds: a `round_end` line closes a round, the call is
//! made with that round's conversation, and the line is written through
//! after the reply, while stdin stays open for the next round (the stages
//! of a prompt stay up across its rounds).

use crate::common::signal;
use crate::harness::{
    Chat, Live, Run, lines, reply_with_calls, status, system, tool_result, tools, user,
};
use crate::mock::script::Reply;
use serde_json::{Value, json};
use zerostack::protocol::ROUND_END_LINE as END;

/// The types of `events`, in order, with the deltas left out.
fn kinds(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or("?"))
        .filter(|t| !t.ends_with("_delta"))
        .collect()
}

/// A chat whose two calls are answered with the texts `first` and
/// `second`.
fn answering(first: &str, second: &str) -> Chat {
    Chat::new(
        "openai-compatible",
        vec![Reply::text(first), Reply::text(second)],
    )
}

#[test]
fn each_round_is_answered_before_the_next_is_read_and_closed_by_its_round_end() {
    let t = Chat::new(
        "openai-compatible",
        vec![
            reply_with_calls("", &[("c1", "read", json!({"path": "a"}))]),
            Reply::text("done"),
        ],
    );
    let mut live = t.live(&[]);
    // Round 1, as `zs-session context --follow` writes it.
    let head = [system("Be brief."), tools(&["read"]), user("read a")];
    live.send(&format!("{}{END}\n", lines(&head)));
    // Answered with stdin still open: the reply does not wait for the end
    // of input.
    live.wait_for_type("round_end", 1);
    let reqs = t.requests();
    assert_eq!(reqs.len(), 1);
    let msgs = reqs[0].body["messages"].as_array().unwrap().clone();
    assert_eq!(
        msgs,
        vec![
            json!({"role": "system", "content": "Be brief."}),
            json!({"role": "user", "content": "read a"}),
        ]
    );
    let printed = live.lines();
    let call: Value = printed
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["type"] == "assistant")
        .expect("round 1's assistant");

    // Round 2: the whole context again (the recorder stored round 1), with
    // the tool's result; its round_end carries a field of its own, which
    // must survive.
    let end2 = r#"{"type":"round_end","seq":2}"#;
    let mut again = head.to_vec();
    again.extend([call, tool_result("c1", "read", "contents of a")]);
    live.send(&format!("{}{end2}\n", lines(&again)));
    live.wait_for_type("round_end", 2);
    let run = live.finish();
    run.assert_code(0);
    assert_eq!(run.stderr, "");
    assert_eq!(
        kinds(&run.events),
        ["assistant", "round_end", "assistant", "round_end"],
        "{}",
        run.dump()
    );
    // Written through unchanged, each right after its round's assistant.
    let raw: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.contains("round_end"))
        .collect();
    assert_eq!(raw, [END, end2]);
    let a = run.of_type("assistant");
    assert_eq!(a[0]["stop"], "tool_calls");
    assert_eq!(a[1]["content"][0]["text"], "done");
    let reqs = t.requests();
    assert_eq!(reqs.len(), 2);
    let roles: Vec<&str> = reqs[1].body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["system", "user", "assistant", "tool"]);
    assert_eq!(reqs[1].body["messages"][3]["content"], "contents of a");
    assert_eq!(reqs[1].body["tools"][0]["function"]["name"], "read");
}

#[test]
fn a_round_holds_only_its_own_lines() {
    let t = answering("first", "second");
    let input = format!(
        "{}{END}\n{}{END}\n",
        lines(&[system("S1"), tools(&["read"]), user("one")]),
        lines(&[user("two")]),
    );
    let run = t.run(&[], &input);
    run.assert_code(0);
    let reqs = t.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].body["messages"].as_array().unwrap().len(), 2);
    assert!(reqs[0].body.get("tools").is_some());
    // Nothing of round 1 (its system prompt, tools, message or reply).
    assert_eq!(
        reqs[1].body["messages"],
        json!([{"role": "user", "content": "two"}])
    );
    assert!(reqs[1].body.get("tools").is_none(), "{}", reqs[1].body);
    assert_eq!(
        kinds(&run.events),
        ["assistant", "round_end", "assistant", "round_end"]
    );
}

#[test]
fn input_that_ends_right_after_a_round_end_makes_no_further_call() {
    let t = answering("only", "never");
    // Blank lines after the round_end are no input either.
    let run = t.run(&[], &format!("hi\n{END}\n\n\n"));
    run.assert_code(0);
    assert_eq!(t.requests().len(), 1);
    assert_eq!(kinds(&run.events), ["assistant", "round_end"]);
    assert_eq!(run.stdout.lines().last(), Some(END));
}

#[test]
fn lines_after_the_last_round_end_make_a_final_call_without_a_round_end() {
    let t = answering("first", "last");
    let run = t.run(&[], &format!("one\n{END}\ntwo\n"));
    run.assert_code(0);
    let reqs = t.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        reqs[1].body["messages"],
        json!([{"role": "user", "content": "two"}])
    );
    assert_eq!(kinds(&run.events), ["assistant", "round_end", "assistant"]);
    assert_eq!(run.of_type("assistant")[1]["content"][0]["text"], "last");
}

#[test]
fn a_failed_call_writes_no_round_end_and_exits_with_its_class() {
    for (code, exit, class) in [(401, 5, "auth"), (400, 4, "upstream")] {
        let t = Chat::new(
            "openai-compatible",
            vec![status(code, None), Reply::text("never")],
        );
        let run = t.run(&[], &format!("one\n{END}\ntwo\n{END}\n"));
        run.assert_code(exit);
        assert_eq!(kinds(&run.events), ["error"], "{}", run.dump());
        assert_eq!(run.fatal()["code"], class);
        assert!(
            run.fatal_message().contains(&format!("HTTP {code}")),
            "{}",
            run.dump()
        );
        // Round 2 was never sent.
        assert_eq!(t.requests().len(), 1);
        run.assert_no_key();
    }
}

#[test]
fn bad_lines_are_numbered_over_the_whole_input_and_counted_at_the_end() {
    let t = answering("first", "second");
    let run = t.run(&[], &format!("one\n{END}\n{{broken\ntwo\n{END}\n"));
    run.assert_code(3);
    // Both calls were made; the bad line of round 2 is reported as it is
    // read, with its number in the input, and the count comes last.
    assert_eq!(t.requests().len(), 2);
    assert_eq!(
        kinds(&run.events),
        [
            "assistant",
            "round_end",
            "error",
            "assistant",
            "round_end",
            "error"
        ],
        "{}",
        run.dump()
    );
    let errors = run.errors();
    assert_eq!(errors[0]["line"], 3);
    assert_eq!(errors[0]["fatal"], false);
    assert_eq!(errors[1]["fatal"], true);
    assert!(
        errors[1]["message"]
            .as_str()
            .unwrap()
            .contains("1 input line could not be used"),
        "{}",
        run.dump()
    );
}

#[test]
fn an_empty_round_is_refused_like_an_empty_input() {
    for (input, calls, ends) in [
        (format!("{END}\n"), 0, 0),
        (format!("one\n{END}\n{END}\n"), 1, 1),
    ] {
        let t = answering("first", "never");
        let run = t.run(&[], &input);
        run.assert_code(3);
        assert!(
            run.fatal_message().contains("no user message"),
            "{}",
            run.dump()
        );
        assert_eq!(t.requests().len(), calls);
        assert_eq!(run.of_type("round_end").len(), ends);
    }
}

/// A zs-chat that has answered round 1 (`first`) and now waits for round 2
/// with stdin open; a second call would be answered `never`.
fn waiting_for_round_two() -> (Chat, Live) {
    let t = answering("first", "never");
    let mut live = t.live(&[]);
    live.send(&format!("one\n{END}\n"));
    live.wait_for_type("round_end", 1);
    (t, live)
}

/// The run was interrupted after round 1: exit 130, no second call, and
/// its output (deltas aside) is round 1's assistant and round_end.
fn assert_interrupted_after_round_one(t: &Chat, run: &Run) {
    assert_eq!(run.code, Some(130), "{}", run.dump());
    assert_eq!(t.requests().len(), 1);
    assert_eq!(kinds(&run.events), ["assistant", "round_end"]);
}

#[test]
fn sigint_while_waiting_for_the_next_round_exits_130_at_its_round_end_without_a_call() {
    let (t, mut live) = waiting_for_round_two();
    signal(live.pid(), "INT");
    live.send(&format!("two\n{END}\n"));
    // It stops at that round_end by itself: stdin is still open.
    let run = live.wait();
    assert_interrupted_after_round_one(&t, &run);
    // Interrupted is said on stderr only.
    assert!(run.stderr.contains("interrupted"), "{}", run.dump());
}

#[test]
fn sigterm_while_waiting_for_the_next_round_exits_130_at_the_end_of_input() {
    let (t, mut live) = waiting_for_round_two();
    signal(live.pid(), "TERM");
    // Lines of a round that never closes, then the end of input: still no
    // call.
    live.send("two\n");
    let run = live.finish();
    assert_interrupted_after_round_one(&t, &run);
}

#[test]
fn sigint_while_waiting_and_then_the_end_of_input_still_exits_130() {
    let (t, live) = waiting_for_round_two();
    signal(live.pid(), "INT");
    // Nothing came after the round_end: no call would be made anyway, but
    // the run was interrupted, and the exit status says so.
    let run = live.finish();
    assert_interrupted_after_round_one(&t, &run);
}
