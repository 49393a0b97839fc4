//! Rounds: one zs-tool process fed round after round, as the wrapper does
//! when the stages stay up across the rounds of a prompt. Each round ends
//! with a `round_end` line; the round's results (also for a call that never
//! got a decision) come before it, the process goes on reading, and a call
//! of a later round runs while stdin is still open. After an interrupt,
//! round_end lines still pass, after the round's "interrupted" results.
//! Every wait is bounded.

use crate::common::{Home, Live};
use crate::{assert_refused_after_the_interrupt, live, started, tool_cmd, until};
use serde_json::{Value, json};

const ROUND_END: &str = r#"{"type":"round_end"}"#;

/// zs-tool as the wrapper runs it, in a home that holds `a.txt`, with
/// stdin kept open.
fn start() -> (Home, Live) {
    let home = Home::new();
    std::fs::write(home.path().join("a.txt"), "hello\n").unwrap();
    let live = live(&mut tool_cmd(&home));
    (home, live)
}

fn assistant(calls: &[(&str, &str, Value)]) -> Value {
    let content: Vec<Value> = calls
        .iter()
        .map(|(id, name, args)| json!({"type": "tool_call", "id": id, "name": name, "arguments": args}))
        .collect();
    json!({"type": "assistant", "stop": "tool_calls", "content": content})
}

fn allow(id: &str) -> Value {
    json!({"type": "permission", "call_id": id, "decision": "allow", "by": "mode"})
}

/// Writes one round: its lines, then round_end; stdin stays open.
fn send_round(live: &mut Live, round: &[Value]) {
    live.send_lines(round);
    live.send_lines(&[ROUND_END]);
}

/// Every line up to and including the next round_end.
fn read_round(live: &mut Live) -> Vec<Value> {
    until(live, |v| v["type"] == "round_end")
}

/// The lines of a round as `type` or `type call_id`, output deltas left
/// out (a command may stream its output in any number of pieces).
fn shape(round: &[Value]) -> Vec<String> {
    round
        .iter()
        .filter(|v| v["type"] != "tool_output")
        .map(|v| match v["call_id"].as_str() {
            Some(id) => format!("{} {id}", v["type"].as_str().unwrap_or("?")),
            None => v["type"].as_str().unwrap_or("?").to_string(),
        })
        .collect()
}

fn result<'a>(round: &'a [Value], id: &str) -> &'a Value {
    round
        .iter()
        .find(|v| v["type"] == "tool_result" && v["call_id"] == id)
        .unwrap_or_else(|| panic!("no result for {id} in {round:#?}"))
}

#[test]
fn each_rounds_results_come_before_its_round_end_and_later_rounds_run_with_stdin_open() {
    let (home, mut live) = start();

    // Round 1: call_1 is allowed; call_2 never gets a decision, and the
    // round's end settles it as the end of input would.
    let a1 = assistant(&[
        ("call_1", "read", json!({"path": "a.txt"})),
        ("call_2", "bash", json!({"command": "touch never"})),
    ]);
    send_round(&mut live, &[a1.clone(), allow("call_1")]);
    let r1 = read_round(&mut live);
    assert_eq!(
        shape(&r1),
        [
            "assistant",
            "permission call_1",
            "tool_result call_1",
            "tool_result call_2",
            "round_end"
        ],
        "{r1:#?}"
    );
    assert_eq!(r1[0], a1, "the assistant line passes unchanged");
    let read = result(&r1, "call_1");
    assert_eq!(read["is_error"], false, "{read}");
    assert!(
        read["content"].as_str().unwrap().contains("hello"),
        "{read}"
    );
    let unapproved = result(&r1, "call_2");
    assert_eq!(unapproved["is_error"], true, "{unapproved}");
    let why = unapproved["content"].as_str().unwrap();
    assert!(
        why.contains("never approved") && why.contains("before the end of its round"),
        "{unapproved}"
    );
    assert!(
        !home.path().join("never").exists(),
        "an unapproved call ran"
    );

    // Round 2 in the same process, with an id the last round used (zs-chat
    // numbers its own ids per call): the command runs and its result and
    // the round's end arrive while stdin is still open.
    let a2 = assistant(&[(
        "call_1",
        "bash",
        json!({"command": "echo two > r2.txt; cat r2.txt"}),
    )]);
    send_round(&mut live, &[a2, allow("call_1")]);
    let r2 = read_round(&mut live);
    assert_eq!(
        shape(&r2),
        [
            "assistant",
            "permission call_1",
            "tool_result call_1",
            "round_end"
        ],
        "{r2:#?}"
    );
    let ran = result(&r2, "call_1");
    assert_eq!(
        (ran["is_error"].as_bool(), ran["content"].as_str()),
        (Some(false), Some("two\n")),
        "{ran}"
    );
    assert_eq!(
        std::fs::read_to_string(home.path().join("r2.txt")).unwrap(),
        "two\n"
    );
    assert!(live.running(), "zs-tool exited before its input ended");

    assert_eq!(live.finish().status.code(), Some(0));
}

#[test]
fn after_an_interrupt_round_end_still_passes_after_the_rounds_interrupted_results() {
    let (home, mut live) = start();

    let a1 = assistant(&[
        ("c1", "bash", json!({"command": "echo started; sleep 300"})),
        ("c2", "read", json!({"path": "a.txt"})),
    ]);
    send_round(&mut live, &[a1, allow("c1"), allow("c2")]);
    let mut r1 = until(&mut live, started);
    let st = std::process::Command::new("kill")
        .args(["-INT", &live.pid().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    r1.extend(read_round(&mut live));
    assert_eq!(
        shape(&r1),
        [
            "assistant",
            "permission c1",
            "permission c2",
            "tool_result c1",
            "tool_result c2",
            "round_end"
        ],
        "{r1:#?}"
    );
    assert_eq!(result(&r1, "c1")["interrupted"], true, "{r1:#?}");
    let skipped = result(&r1, "c2");
    assert_eq!(skipped["is_error"], true, "{skipped}");
    assert!(
        skipped["content"].as_str().unwrap().contains("interrupted"),
        "{skipped}"
    );

    // A later round still passes through, and its allowed call does not
    // run: once interrupted, a call's result follows its message at once,
    // without waiting for the decision.
    send_round(
        &mut live,
        &[
            assistant(&[("c3", "bash", json!({"command": "touch ran"}))]),
            allow("c3"),
        ],
    );
    let r2 = read_round(&mut live);
    assert_eq!(
        shape(&r2),
        ["assistant", "tool_result c3", "permission c3", "round_end"],
        "{r2:#?}"
    );
    let refused = result(&r2, "c3");
    assert_refused_after_the_interrupt(live, &home, refused);
}
