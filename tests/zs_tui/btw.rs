//! /btw: a side question on a fork of the context, answered inline while
//! the run goes on, and never recorded in the session.

use crate::harness::{
    Tui, alive, assert_session_valid, bash, children, descendants_named, user_texts, wait_for_cond,
};
use crate::mock::script::{Fault, Reply};

/// zs-tui once the prompt `main task` runs its tool, `sleep SECS`: the
/// model answers the side question with `side` (the second request, asked
/// while the tool sleeps), then the main task with `Main task finished.`.
fn while_a_tool_sleeps(secs: u32, side: Reply) -> Tui {
    let mut t = Tui::new(vec![
        bash("c1", &format!("sleep {secs}; echo slept")),
        side,
        Reply::text("Main task finished."),
    ]);
    t.start(&[]);
    t.submit("main task");
    let row = format!("… bash sleep {secs}");
    t.wait_until("the running bash row", |s| s.row_indented(&row).is_some());
    t
}

#[test]
fn btw_answers_inline_during_a_run_and_is_never_recorded() {
    let t = while_a_tool_sleeps(8, Reply::text("The answer is **forty-two**."));
    t.submit("/btw what is the answer?");
    let s = t.wait_for("The answer is forty-two.");
    assert!(
        s.row_starting("btw › what is the answer?").is_some(),
        "the question's row\n{s}"
    );
    let answer = s.row_with("The answer is forty-two.").unwrap();
    assert!(
        answer.starts_with("  The answer"),
        "the answer is indented by 2: {answer:?}\n{s}"
    );
    assert!(!s.text().contains("**"), "rendered as Markdown\n{s}");
    assert!(
        s.status().contains("running"),
        "the main run goes on meanwhile\n{s}"
    );
    assert!(
        s.row_starting("queued: ").is_none(),
        "/btw is not queued\n{s}"
    );

    t.wait_for("Main task finished.");
    t.wait_idle();
    let reqs = t.requests();
    assert_eq!(reqs.len(), 3);
    // The side question saw the conversation so far, and asked its question.
    let side = user_texts(&t.messages(1));
    assert!(side.iter().any(|u| u.contains("main task")), "{side:?}");
    assert!(
        side.last().unwrap().contains("what is the answer?"),
        "{side:?}"
    );
    // The main run never saw it, and the session does not hold it.
    let main = serde_json::to_string(&reqs[2].body).unwrap();
    assert!(!main.contains("what is the answer"), "{main}");
    assert!(!main.contains("forty-two"), "{main}");
    let id = t.last_session();
    let stored = t.session(&["show", &id]);
    assert!(!stored.contains("what is the answer"), "{stored}");
    assert!(!stored.contains("forty-two"), "{stored}");
    assert_eq!(t.stored_user_texts(&id), ["main task"]);
    assert_session_valid(&t, &id);
}

#[test]
fn btw_on_an_idle_prompt_answers_without_a_turn() {
    let mut t = Tui::new(vec![
        Reply::text("Hello there."),
        Reply::text("Side answer here."),
    ]);
    t.start(&[]);
    t.submit("hello");
    t.wait_for("Hello there.");
    t.wait_idle();
    t.submit("/btw quick one");
    let s = t.wait_for("Side answer here.");
    assert!(s.row_starting("btw › quick one").is_some(), "{s}");
    t.wait_idle();
    let id = t.last_session();
    assert_eq!(t.stored_user_texts(&id), ["hello"]);
    assert!(!t.session(&["show", &id]).contains("Side answer"));
}

#[test]
fn esc_cancels_a_side_question_and_the_run_goes_on() {
    // The side question's model never answers.
    let hang = Reply {
        fault: Some(Fault::Hang),
        ..Reply::default()
    };
    let t = while_a_tool_sleeps(6, hang);
    t.submit("/btw a question nobody answers");
    t.wait_for("btw › a question nobody answers");
    let tui = t.pane_pid();
    t.wait_requests(2);
    wait_for_cond("the side question's zs-chat", || !side_chat(tui).is_empty());
    t.send_keys(&["Escape"]);
    wait_for_cond("the side question's zs-chat to end", || {
        side_chat(tui).is_empty()
    });
    let s = t.screen();
    assert!(s.status().contains("running"), "the run goes on\n{s}");
    assert!(
        s.row_indented("… bash sleep 6").is_some(),
        "the tool still runs\n{s}"
    );
    t.wait_for("Main task finished.");
    assert_eq!(t.requests().len(), 3);
}

/// The side question's zs-chat, which zs-tui starts itself. The main run's
/// zs-chat is the wrapper's child and stays up for the whole task, so only
/// the parent tells the two apart.
fn side_chat(pane: u32) -> Vec<u32> {
    descendants_named(pane, "zs-tui")
        .into_iter()
        .flat_map(children)
        .filter(|p| {
            alive(*p)
                && std::fs::read_to_string(format!("/proc/{p}/comm"))
                    .is_ok_and(|c| c.trim_end() == "zs-chat")
        })
        .collect()
}
