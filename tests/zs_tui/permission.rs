//! The permission dialog: zs-tui serves the ask socket, shows the call,
//! the reason and the choices, and its answer decides whether the tool
//! runs (a file the command would create) and what the model is told.

use crate::harness::{Screen, Tui, assert_session_valid, bash, tool_messages};
use crate::mock::script::Reply;

/// A command standard mode asks about (curl is not known-safe), with a
/// side effect that shows whether it ran.
fn asking(marker: &str) -> String {
    format!("curl -s http://127.0.0.1:1/{marker}; touch {marker}")
}

const CHOICES: &str = "[y] allow once  [a] allow always  [n] deny  [d] deny with a note";

fn dialog_open(s: &Screen) -> bool {
    s.row_indented("── permission").is_some()
}

/// Whether a row offers the four choices, in order. The exact row is
/// checked once, in `the_choices_row_is_the_contract_s`.
/// Whether the `note: ` field is open (an empty one ends in a space the
/// capture trims).
fn note_open(s: &Screen) -> bool {
    s.rows.iter().any(|r| {
        let r = r.trim_start();
        r == "note:" || r.starts_with("note: ")
    })
}

fn choices_shown(s: &Screen) -> bool {
    s.rows.iter().any(|r| {
        let mut rest = r.as_str();
        [
            "[y] allow once",
            "[a] allow always",
            "[n] deny",
            "[d] deny with a note",
        ]
        .iter()
        .all(|c| match rest.find(c) {
            Some(i) => {
                rest = &rest[i + c.len()..];
                true
            }
            None => false,
        })
    })
}

/// Waits for the dialog about `command` and checks its rows.
fn wait_dialog(t: &Tui, command: &str) -> Screen {
    let s = t.wait_until("the permission dialog", dialog_open);
    let head = s
        .rows
        .iter()
        .position(|r| r.trim_start().starts_with("── permission"))
        .unwrap();
    let rest = &s.rows[head + 1..];
    assert!(
        rest.iter()
            .any(|r| r.trim_start() == format!("Allow bash: {command}")),
        "the call, on its own row\n{s}"
    );
    let curl = command.split(';').next().unwrap();
    assert!(
        rest.iter().any(|r| r
            .trim_start()
            .starts_with(&format!("standard mode asks for `{curl}`"))),
        "the reason\n{s}"
    );
    assert!(choices_shown(&s), "the choices, `always` offered\n{s}");
    assert!(
        s.input_index().is_none(),
        "the dialog replaces the input\n{s}"
    );
    s
}

#[test]
fn allow_once_runs_the_call() {
    let cmd = asking("marker");
    let mut t = Tui::new(vec![bash("c1", &cmd), Reply::text("Fetched it.")]);
    t.start(&[]);
    t.submit("fetch it");
    wait_dialog(&t, &cmd);
    assert!(!t.file("marker").exists(), "the call waits for the answer");

    // Keys other than the choices do nothing while the dialog is open.
    t.send_text("x");
    t.send_keys(&["Enter"]);
    let s = t.screen();
    assert!(dialog_open(&s) && choices_shown(&s), "still asking\n{s}");

    t.send_text("y");
    let s = t.wait_for("Fetched it.");
    assert!(t.file("marker").exists(), "the command ran");
    assert!(!dialog_open(&s), "the dialog closed\n{s}");
    assert!(
        s.row_indented(&format!("✓ bash {cmd}")).is_some(),
        "the call's row\n{s}"
    );
    let s = t.wait_idle();
    assert_eq!(
        s.input_row(),
        Some(""),
        "the keys pressed during the dialog did not reach the editor\n{s}"
    );
    let results = tool_messages(&t.messages(1));
    assert_eq!(results.len(), 1);
    assert!(!results[0].1.contains("permission denied"), "{results:?}");
    assert_session_valid(&t, &t.last_session());
}

#[test]
fn deny_and_deny_with_a_note_reach_the_model() {
    let (a, b) = (asking("marker-a"), asking("marker-b"));
    let mut t = Tui::new(vec![
        bash("c1", &a),
        Reply::text("Not fetched a."),
        bash("c2", &b),
        Reply::text("Not fetched b."),
    ]);
    t.start(&[]);

    // n: a plain denial.
    t.submit("fetch a");
    wait_dialog(&t, &a);
    t.send_text("n");
    let s = t.wait_for("Not fetched a.");
    assert!(!dialog_open(&s), "{s}");
    let prefix = format!("⊘ bash {a}");
    let row = s
        .row_indented(&prefix)
        .unwrap_or_else(|| panic!("a denied row\n{s}"));
    assert!(
        row.trim_start().len() > prefix.len() + 1,
        "the denied row also shows the reason: {row:?}"
    );
    assert!(!t.file("marker-a").exists(), "a denied call does not run");
    let results = tool_messages(&t.messages(1));
    assert_eq!(results[0].0, "c1");
    assert!(results[0].1.contains("permission denied"), "{results:?}");
    t.wait_idle();

    // d: the note field; Esc goes back to the choices; then a note.
    t.submit("fetch b");
    wait_dialog(&t, &b);
    t.send_text("d");
    let s = t.wait_until("the note field", note_open);
    assert!(dialog_open(&s), "{s}");
    t.send_keys(&["Escape"]);
    t.wait_until("the choices again", |s| choices_shown(s) && !note_open(s));
    t.send_text("d");
    t.wait_until("the note field", note_open);
    t.send_text("use the cached copy");
    t.wait_for("note: use the cached copy");
    t.send_keys(&["Enter"]);
    let s = t.wait_for("Not fetched b.");
    assert!(s.row_indented(&format!("⊘ bash {b}")).is_some(), "{s}");
    assert!(!t.file("marker-b").exists());
    let results = tool_messages(&t.messages(3));
    let (id, text) = results.last().unwrap();
    assert_eq!(id, "c2");
    assert!(text.contains("permission denied"), "{results:?}");
    assert!(
        text.contains("use the cached copy"),
        "the note: {results:?}"
    );
    assert_session_valid(&t, &t.last_session());
}

#[test]
fn ctrl_c_in_the_dialog_denies_and_cancels_the_run() {
    let cmd = asking("marker");
    let mut t = Tui::new(vec![bash("c1", &cmd), Reply::text("Never sent.")]);
    t.start(&[]);
    t.submit("fetch it");
    wait_dialog(&t, &cmd);
    t.send_keys(&["C-c"]);
    let s = t.wait_for("interrupted");
    assert!(!dialog_open(&s), "{s}");
    let s = t.wait_idle();
    assert!(s.input_row().is_some(), "the input is back\n{s}");
    assert!(!t.file("marker").exists(), "the call never ran");
    assert!(!s.contains("Never sent."), "{s}");
    assert_eq!(t.requests().len(), 1, "no round after the cancel");
    assert_session_valid(&t, &t.last_session());
}

#[test]
fn the_choices_row_is_the_contract_s() {
    let cmd = asking("marker");
    let mut t = Tui::new(vec![bash("c1", &cmd), Reply::text("Denied.")]);
    t.start(&[]);
    t.submit("fetch it");
    let s = wait_dialog(&t, &cmd);
    assert!(
        s.rows.iter().any(|r| r.trim() == CHOICES),
        "the choices row is exactly {CHOICES:?}\n{s}"
    );
    t.send_text("n");
    t.wait_for("Denied.");
}

#[test]
fn allow_always_is_not_offered_for_a_destructive_command() {
    // Destructive commands ask even in yolo mode, and never offer "always".
    let cmd = "find build -delete";
    let mut t = Tui::new(vec![bash("c1", cmd), Reply::text("Left it.")]);
    t.write_file("build/x.o", "x");
    t.start(&["--yolo"]);
    t.submit("clean up");
    let s = t.wait_until("the permission dialog", dialog_open);
    assert!(s.contains(&format!("Allow bash: {cmd}")), "{s}");
    let choices = s
        .rows
        .iter()
        .find(|r| r.contains("[y] allow once"))
        .unwrap_or_else(|| panic!("the choices\n{s}"));
    assert!(!choices.contains("[a]"), "no `always`: {choices:?}");
    assert!(choices.contains("[n] deny") && choices.contains("[d] deny with a note"));
    t.send_text("a");
    let s = t.screen();
    assert!(dialog_open(&s), "`a` does nothing when not offered\n{s}");
    t.send_text("n");
    t.wait_for("Left it.");
    assert!(t.file("build/x.o").exists(), "nothing was removed");
}
