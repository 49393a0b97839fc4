//! Sessions from the front end: /session load and rename, the picker of
//! -r, -c and --session at start, /clear, /model, /export.

use crate::harness::{MODEL, Tui, user_texts};
use crate::mock::script::Reply;

/// A scenario with two sessions made by the wrapper, headless: "older
/// question" then "newer question". The replies after them are `more`.
fn two_sessions(more: Vec<Reply>) -> (Tui, String, String) {
    let mut replies = vec![Reply::text("Older answer."), Reply::text("Newer answer.")];
    replies.extend(more);
    let t = Tui::new(replies);
    t.headless(&["-p", "older question"]);
    t.headless(&["-p", "newer question"]);
    let ids = t.sessions();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let (newer, older) = (ids[0].clone(), ids[1].clone());
    assert_eq!(t.stored_user_texts(&older), ["older question"]);
    (t, older, newer)
}

#[test]
fn session_load_shows_the_older_session_and_continues_it() {
    let (mut t, older, newer) = two_sessions(vec![Reply::text("Continued the older one.")]);
    t.start(&[]);
    t.submit(&format!("/session load {older}"));
    let s = t.wait_for("Older answer.");
    assert!(s.row_starting("› older question").is_some(), "{s}");
    assert!(!s.contains("newer question"), "{s}");
    t.submit("and more");
    t.wait_for("Continued the older one.");
    assert_eq!(user_texts(&t.messages(2)), ["older question", "and more"]);
    assert_eq!(t.stored_user_texts(&older), ["older question", "and more"]);
    assert_eq!(t.stored_user_texts(&newer), ["newer question"]);
}

#[test]
fn resume_opens_the_session_picker() {
    let (mut t, older, _) = two_sessions(vec![Reply::text("Picked and continued.")]);
    t.start(&["-r"]);
    let s = t.wait_until("both sessions offered", |s| {
        s.contains("older question") && s.contains("newer question")
    });
    assert!(
        s.find("newer question").unwrap() < s.find("older question").unwrap(),
        "newest first\n{s}"
    );
    t.send_keys(&["Down"]);
    t.send_keys(&["Enter"]);
    let s = t.wait_for("Older answer.");
    assert!(s.row_starting("› older question").is_some(), "{s}");
    t.submit("continue");
    t.wait_for("Picked and continued.");
    assert_eq!(t.stored_user_texts(&older), ["older question", "continue"]);
}

#[test]
fn continue_opens_the_newest_session() {
    let (mut t, _, newer) = two_sessions(vec![Reply::text("Newest continued.")]);
    let s = t.start(&["-c"]);
    let s = if s.contains("Newer answer.") {
        s
    } else {
        t.wait_for("Newer answer.")
    };
    assert!(s.row_starting("› newer question").is_some(), "{s}");
    assert!(!s.contains("older question"), "{s}");
    t.submit("more");
    t.wait_for("Newest continued.");
    assert_eq!(user_texts(&t.messages(2)), ["newer question", "more"]);
    assert_eq!(t.stored_user_texts(&newer), ["newer question", "more"]);
}

#[test]
fn session_by_name_at_start_and_rename_in_the_status_bar() {
    let (mut t, older, _) = two_sessions(vec![]);
    t.session(&["rename", &older, "oldie"]);
    t.start(&["--session", "oldie"]);
    let s = t.wait_for("Older answer.");
    assert!(s.status().contains("oldie"), "the session's name\n{s}");
    t.submit("/session rename renamed-one");
    t.wait_until("the new name", |s| s.status().contains("renamed-one"));
    assert_eq!(t.session(&["get", &older, "name"]).trim(), "renamed-one");
}

#[test]
fn clear_starts_a_new_session() {
    let mut t = Tui::new(vec![
        Reply::text("First answer."),
        Reply::text("Fresh answer."),
    ]);
    t.start(&[]);
    t.submit("one");
    t.wait_for("First answer.");
    t.wait_idle();
    t.submit("/clear");
    t.wait_gone("First answer.");
    t.submit("two");
    t.wait_for("Fresh answer.");
    assert_eq!(user_texts(&t.messages(1)), ["two"], "a new context");
    assert_eq!(t.sessions().len(), 2);
    assert_eq!(t.stored_user_texts(&t.last_session()), ["two"]);
}

#[test]
fn model_switches_the_model_of_the_next_turn() {
    let mut t = Tui::new(vec![Reply::text("From the other model.")]);
    let s = t.start(&[]);
    assert!(s.status().contains(MODEL), "{s}");
    t.submit("/model other-model");
    t.wait_until("the model in the status bar", |s| {
        s.status().contains("other-model")
    });
    t.submit("hi");
    t.wait_for("From the other model.");
    assert_eq!(t.requests()[0].body["model"], "other-model");
}

#[test]
fn export_writes_the_session_as_markdown() {
    let mut t = Tui::new(vec![Reply::text("Exported answer.")]);
    t.start(&[]);
    t.submit("export me");
    t.wait_for("Exported answer.");
    t.wait_idle();
    t.submit("/export out.md");
    let path = t.file("out.md");
    crate::harness::wait_for_cond("the export file with the turn", || {
        std::fs::read_to_string(&path)
            .is_ok_and(|text| text.contains("export me") && text.contains("Exported answer."))
    });
}

#[test]
fn compact_summarizes_the_older_part_and_the_next_turn_starts_from_it() {
    let mut t = Tui::new(vec![
        Reply::text("Answer one."),
        Reply::text("Answer two."),
        Reply::text("Summary: the user asked twice."),
        Reply::text("Answer three."),
    ]);
    // Keep almost nothing verbatim, so two short turns have an older part.
    t.config["session"] = serde_json::json!({"keep_recent_tokens": 1});
    t.start(&[]);
    t.submit("question one");
    t.wait_for("Answer one.");
    t.wait_idle();
    t.submit("question two");
    t.wait_for("Answer two.");
    t.wait_idle();
    t.submit("/compact");
    t.wait_until("the compacted notice", |s| {
        s.rows.iter().any(|r| r.trim() == "compacted")
    });
    assert_eq!(t.requests().len(), 3, "one call for the summary");
    let id = t.last_session();
    let stored = t.stored(&id);
    assert!(
        stored.iter().any(|e| e["type"] == "compaction"),
        "a compaction entry: {stored:?}"
    );
    t.submit("question three");
    t.wait_for("Answer three.");
    let body = serde_json::to_string(&t.requests()[3].body).unwrap();
    assert!(body.contains("Summary: the user asked twice."), "{body}");
}

#[test]
fn session_fork_continues_in_a_copy() {
    let mut t = Tui::new(vec![
        Reply::text("Before the fork."),
        Reply::text("In the fork."),
    ]);
    t.start(&[]);
    t.submit("original");
    t.wait_for("Before the fork.");
    t.wait_idle();
    let first = t.last_session();
    t.submit("/session fork");
    t.wait_until("a second session", |_| t.sessions().len() == 2);
    t.submit("after the fork");
    t.wait_for("In the fork.");
    let ids = t.sessions();
    let fork = ids.iter().find(|i| **i != first).unwrap().clone();
    assert_eq!(
        t.stored_user_texts(&first),
        ["original"],
        "the original stays"
    );
    assert_eq!(t.stored_user_texts(&fork), ["original", "after the fork"]);
    let s = t.screen();
    assert!(
        s.status().contains(&fork[fork.len().saturating_sub(4)..]),
        "the status bar names the fork\n{s}"
    );
}

/// Every file below `dir` (none when it does not exist).
fn files_below(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// zs-tui's scratch folders in the home (TMPDIR points there).
fn scratch_folders(t: &Tui) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(t.home.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("zs-tui."))
        })
        .collect()
}

#[test]
fn no_session_keeps_nothing_and_the_next_prompt_continues_the_throwaway_one() {
    let mut t = Tui::new(vec![
        Reply::text("First reply."),
        Reply::text("Second reply."),
        Reply::text("Side reply."),
        Reply::text("Summary: two prompts."),
    ]);
    t.config["session"] = serde_json::json!({"keep_recent_tokens": 1});
    t.start(&["--no-session"]);
    t.submit("first prompt");
    t.wait_for("First reply.");
    t.wait_idle();
    t.submit("second prompt");
    t.wait_for("Second reply.");
    t.wait_idle();
    assert_eq!(
        user_texts(&t.messages(1)),
        ["first prompt", "second prompt"],
        "the second prompt continues the same session"
    );
    // The session lives in the throwaway store in zs-tui's scratch folder.
    let scratch = scratch_folders(&t);
    assert_eq!(scratch.len(), 1, "{scratch:?}");
    let stored = files_below(&scratch[0].join("data"));
    assert!(
        stored
            .iter()
            .any(|p| std::fs::read_to_string(p).is_ok_and(|text| text.contains("second prompt"))),
        "the throwaway store holds the session: {stored:?}"
    );
    // /btw reads the throwaway session's context.
    t.submit("/btw side question");
    t.wait_for("Side reply.");
    let side = user_texts(&t.messages(2));
    assert_eq!(side.first().map(String::as_str), Some("first prompt"));
    // /compact finds it there too.
    t.submit("/compact");
    t.wait_until("the compacted notice", |s| {
        s.rows.iter().any(|r| r.trim() == "compacted")
    });
    assert_eq!(t.requests().len(), 4);

    t.send_keys(&["C-d"]);
    assert_eq!(t.wait_exit(), 0);
    assert!(t.sessions().is_empty(), "no session in the real store");
    let data = files_below(&t.home.path().join("data"));
    assert!(data.is_empty(), "nothing in the real data folder: {data:?}");
    assert!(
        scratch_folders(&t).is_empty(),
        "the scratch folder with the throwaway store is gone"
    );
    let history = t.home.path().join("state/zerostack/history.jsonl");
    let text = std::fs::read_to_string(&history).unwrap_or_default();
    assert!(
        !text.contains("first prompt"),
        "typed prompts are not kept either: {text}"
    );
}
