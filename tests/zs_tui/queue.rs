//! While a run is active: plain input is queued and replayed in order,
//! /queue manages the queue, and Ctrl-C cancels the run for real (the
//! tool's process is gone, the queue is cleared, the session stays valid).

use crate::harness::{
    Screen, Tui, alive, assert_session_valid, bash, call_ids, children, tool_messages, user_texts,
    wait_for_cond,
};
use crate::mock::script::Reply;

/// Whether a tool row for `prefix` shows the running icon.
fn running_row(s: &Screen, prefix: &str) -> bool {
    s.row_indented(&format!("… {prefix}")).is_some()
}

#[test]
fn prompts_typed_during_a_run_are_queued_and_run_in_order() {
    let mut t = Tui::new(vec![
        bash("c1", "sleep 6; echo slept"),
        Reply::text("First done."),
        Reply::text("Second done."),
        Reply::text("Third done."),
    ]);
    t.start(&[]);
    t.submit("first");
    t.wait_until("the running bash row", |s| running_row(s, "bash sleep 6"));
    t.submit("second");
    t.submit("third");
    let s = t.wait_until("two queued prompts", |s| {
        s.row_starting("queued: third").is_some() && s.status().contains("queue 2")
    });
    let (second, third) = (
        s.find("queued: second").expect("queued: second"),
        s.find("queued: third").unwrap(),
    );
    assert!(second < third, "in the order typed\n{s}");
    assert!(s.status().contains("running"), "{s}");
    assert!(running_row(&s, "bash sleep 6"), "still running\n{s}");
    assert_eq!(t.requests().len(), 1, "nothing sent while queued");

    t.wait_for("Third done.");
    let s = t.wait_idle();
    let rows = |p: &str| s.rows.iter().position(|r| r.starts_with(p));
    let (a, b, c) = (
        rows("› first").expect("› first"),
        rows("› second").unwrap_or_else(|| panic!("› second\n{s}")),
        rows("› third").unwrap_or_else(|| panic!("› third\n{s}")),
    );
    assert!(a < b && b < c, "user rows in order\n{s}");
    assert!(
        s.find("Second done.").unwrap() < c,
        "the third ran after the second's answer\n{s}"
    );
    assert_eq!(s.count_starting("queued: "), 0, "nothing left queued\n{s}");
    assert!(!s.status().contains("queue"), "{s}");

    assert_eq!(t.requests().len(), 4);
    assert_eq!(user_texts(&t.messages(2)), ["first", "second"]);
    assert_eq!(user_texts(&t.messages(3)), ["first", "second", "third"]);
    let id = t.last_session();
    assert_eq!(t.stored_user_texts(&id), ["first", "second", "third"]);
    assert_session_valid(&t, &id);
}

#[test]
fn queue_pop_and_clear_change_what_runs_next() {
    let mut t = Tui::new(vec![
        bash("c1", "sleep 8; echo slept"),
        Reply::text("Done first."),
        Reply::text("Done after."),
    ]);
    t.start(&[]);
    t.submit("first");
    t.wait_until("the running bash row", |s| running_row(s, "bash sleep 8"));
    for p in ["alpha", "beta", "gamma"] {
        t.submit(p);
    }
    t.wait_until("three queued", |s| s.status().contains("queue 3"));

    // Slash commands are not queued: they act at once.
    t.submit("/queue ls");
    t.submit("/queue pop");
    let s = t.wait_until("one popped", |s| s.status().contains("queue 2"));
    assert!(s.status().contains("running"), "the run goes on\n{s}");
    assert!(
        !s.rows.iter().any(|r| r.starts_with("queued: /queue")),
        "{s}"
    );
    t.submit("/queue clear");
    let s = t.wait_until("the queue cleared", |s| !s.status().contains("queue"));
    assert!(s.status().contains("running"), "the run goes on\n{s}");

    t.wait_for("Done first.");
    t.wait_idle();
    t.submit("after");
    t.wait_for("Done after.");
    assert_eq!(t.requests().len(), 3, "the cleared prompts never ran");
    assert_eq!(user_texts(&t.messages(2)), ["first", "after"]);
}

#[test]
fn ctrl_c_kills_a_long_tool_call_and_the_session_stays_valid() {
    let mut t = Tui::new(vec![
        // Not the last command, so the shell waits for sleep instead of
        // becoming it.
        bash("c1", "echo $$ > pid; sleep 60; echo never"),
        Reply::text("Continued after the cancel."),
    ]);
    t.start(&[]);
    t.submit("run long");
    let pid_file = t.file("pid");
    let mut shell = 0;
    wait_for_cond("the tool's shell to write its pid", || {
        shell = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        shell != 0
    });
    let mut sleeper = Vec::new();
    wait_for_cond("the shell's sleep", || {
        sleeper = children(shell);
        !sleeper.is_empty()
    });
    t.wait_until("the running bash row", |s| {
        running_row(s, "bash echo $$ > pid")
    });
    t.submit("queued one");
    t.wait_until("one queued", |s| s.status().contains("queue 1"));

    t.send_keys(&["C-c"]);
    t.wait_for("interrupted");
    wait_for_cond("the tool's processes to be gone", || {
        !alive(shell) && sleeper.iter().all(|p| !alive(*p))
    });
    let s = t.wait_idle();
    assert!(
        !s.status().contains("queue"),
        "Ctrl-C clears the queue\n{s}"
    );
    assert!(s.input_row().is_some(), "{s}");
    assert!(t.exit_status().is_none(), "one Ctrl-C does not quit");

    let id = t.last_session();
    assert_session_valid(&t, &id);

    // The session goes on: the next prompt continues it, with the call and
    // its (interrupted) result in the context.
    t.submit("go on");
    t.wait_for("Continued after the cancel.");
    assert_eq!(t.requests().len(), 2, "the queued prompt never ran");
    let msgs = t.messages(1);
    assert_eq!(user_texts(&msgs), ["run long", "go on"]);
    assert_eq!(call_ids(&msgs), ["c1"]);
    assert_eq!(tool_messages(&msgs)[0].0, "c1");
    assert_eq!(t.last_session(), id, "the same session");
    assert_session_valid(&t, &id);
}

#[test]
fn compact_typed_during_a_run_waits_in_the_queue_and_runs_in_order() {
    let mut t = Tui::new(vec![
        bash("c1", "sleep 6; echo slept"),
        Reply::text("Answer one."),
        Reply::text("Summary: one long question."),
        Reply::text("Answer two."),
    ]);
    // Keep almost nothing verbatim, so one turn has an older part.
    t.config["session"] = serde_json::json!({"keep_recent_tokens": 1});
    t.start(&[]);
    // The first run of a new session: the session exists once it starts.
    t.submit("question one");
    t.wait_until("the running bash row", |s| running_row(s, "bash sleep 6"));
    t.submit("/compact");
    t.submit("question two");
    let s = t.wait_until("the compaction and a prompt queued", |s| {
        s.status().contains("queue 2")
    });
    let (compact, prompt) = (
        s.find("queued: /compact")
            .unwrap_or_else(|| panic!("queued: /compact\n{s}")),
        s.find("queued: question two").unwrap(),
    );
    assert!(compact < prompt, "in the order typed\n{s}");
    assert!(!s.contains("error:"), "not refused\n{s}");
    assert_eq!(t.requests().len(), 1);

    t.wait_for("Answer two.");
    let s = t.wait_idle();
    let (answer, compacted, second) = (
        s.find("Answer one.").unwrap(),
        s.rows
            .iter()
            .position(|r| r.trim() == "compacted")
            .unwrap_or_else(|| panic!("the compacted notice\n{s}")),
        s.find("› question two").unwrap(),
    );
    assert!(answer < compacted && compacted < second, "{s}");
    // The summary call came after the run and before the next prompt,
    // which starts from the summary.
    assert_eq!(t.requests().len(), 4);
    let body = serde_json::to_string(&t.requests()[3].body).unwrap();
    assert!(body.contains("Summary: one long question."), "{body}");
    let id = t.last_session();
    assert!(t.stored(&id).iter().any(|e| e["type"] == "compaction"));
    assert_session_valid(&t, &id);
}
