//! The input editor: new lines, bracketed paste, emacs keys, the persisted
//! history, the command and file pickers, `!cmd`, $EDITOR, and the keys
//! that quit.

use crate::harness::{Screen, Tui, user_texts};
use crate::mock::script::Reply;

fn input_is(s: &Screen, want: &str) -> bool {
    s.input_text().as_deref() == Some(want)
}

fn wait_input(t: &Tui, want: &str) -> Screen {
    t.wait_until(&format!("the editor to hold {want:?}"), |s| {
        input_is(s, want)
    })
}

#[test]
fn alt_enter_shift_enter_and_ctrl_j_insert_new_lines_and_enter_sends_the_whole_text() {
    let mut t = Tui::new(vec![Reply::text("Got all three.")]);
    t.start(&[]);
    t.send_text("line one");
    t.send_keys(&["M-Enter"]);
    t.send_text("line two");
    t.send_keys(&["C-j"]);
    t.send_text("line three");
    // Shift+Enter as a terminal with the kitty keyboard protocol sends it
    // (tmux 3.3 has no key name for it).
    t.send_bytes(b"\x1b[13;2u");
    t.send_text("line four");
    let s = wait_input(&t, "line one\nline two\nline three\nline four");
    assert!(s.rows.iter().any(|r| r == "  line two"), "{s}");
    assert!(t.requests().is_empty(), "nothing sent before Enter");
    t.send_keys(&["Enter"]);
    let s = t.wait_for("Got all three.");
    let user = s.find("› line one").unwrap_or_else(|| panic!("{s}"));
    assert_eq!(s.rows[user + 1], "  line two", "{s}");
    assert_eq!(
        user_texts(&t.messages(0)),
        ["line one\nline two\nline three\nline four"]
    );
    assert!(input_is(&t.screen(), ""), "the editor is cleared");
}

#[test]
fn a_bracketed_paste_keeps_its_new_lines_without_sending() {
    let mut t = Tui::new(vec![Reply::text("Pasted text received.")]);
    t.start(&[]);
    t.paste("pasted one\npasted two");
    wait_input(&t, "pasted one\npasted two");
    assert!(t.requests().is_empty(), "a pasted new line does not send");
    t.send_keys(&["Enter"]);
    t.wait_for("Pasted text received.");
    assert_eq!(user_texts(&t.messages(0)), ["pasted one\npasted two"]);
}

#[test]
fn emacs_keys_move_kill_and_yank() {
    let mut t = Tui::new(vec![]);
    t.start(&[]);
    t.send_text("hello world");
    wait_input(&t, "hello world");
    t.send_keys(&["C-a"]);
    t.send_text("X");
    wait_input(&t, "Xhello world");
    t.send_keys(&["C-e"]);
    t.send_text("!");
    wait_input(&t, "Xhello world!");
    t.send_keys(&["C-w"]);
    wait_input(&t, "Xhello");
    t.send_keys(&["C-a", "C-f", "C-k"]);
    wait_input(&t, "X");
    t.send_keys(&["C-y"]);
    wait_input(&t, "Xhello");
    // The yank put back "hello " with its space: two left is before "o".
    t.send_keys(&["C-b", "C-b", "C-d"]);
    wait_input(&t, "Xhell");
    t.send_keys(&["M-b"]);
    t.send_text("_");
    wait_input(&t, "_Xhell");
    t.send_keys(&["C-e", "C-u"]);
    wait_input(&t, "");
    // Ctrl-C clears a non-empty editor, and does not count towards quitting.
    t.send_text("draft");
    wait_input(&t, "draft");
    t.send_keys(&["C-c"]);
    let s = wait_input(&t, "");
    assert!(!s.contains("press Ctrl-C again to quit"), "{s}");
    assert!(t.exit_status().is_none());
}

#[test]
fn the_history_walks_with_up_and_down_and_outlives_a_restart() {
    let mut t = Tui::new(vec![Reply::text("One."), Reply::text("Two.")]);
    t.start(&[]);
    t.submit("first entry");
    t.wait_for("One.");
    t.wait_idle();
    t.submit("second entry");
    t.wait_for("Two.");
    t.wait_idle();
    t.send_keys(&["Up"]);
    wait_input(&t, "second entry");
    t.send_keys(&["Up"]);
    wait_input(&t, "first entry");
    t.send_keys(&["Down"]);
    wait_input(&t, "second entry");
    t.send_keys(&["C-a", "C-k"]);
    wait_input(&t, "");
    t.send_keys(&["C-d"]);
    assert_eq!(t.wait_exit(), 0);

    let file = t.home.path().join("state/zerostack/history.jsonl");
    let text = std::fs::read_to_string(&file).expect("the history file");
    assert!(text.contains("second entry"), "{text}");
    t.stop();
    t.start(&[]);
    t.send_keys(&["Up"]);
    wait_input(&t, "second entry");
    t.send_keys(&["Up"]);
    wait_input(&t, "first entry");
}

/// Whether the picker (the rows above the input) offers the command
/// `name`: a row that starts with it, with or without its `/`.
fn offers(s: &Screen, name: &str) -> bool {
    let Some(input) = s.input_index() else {
        return false;
    };
    s.rows[..input].iter().any(|r| {
        let r = r.trim_start();
        let r = r.strip_prefix('/').unwrap_or(r);
        r.strip_prefix(name)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
    })
}

#[test]
fn slash_opens_a_command_picker_that_filters_as_you_type() {
    let mut t = Tui::new(vec![]);
    t.start(&[]);
    t.send_text("/");
    t.wait_until("the command picker", |s| {
        offers(s, "model") && offers(s, "queue") && offers(s, "session")
    });
    t.send_text("que");
    let s = t.wait_until("only queue left", |s| {
        offers(s, "queue") && !offers(s, "model")
    });
    assert!(!offers(&s, "session"), "{s}");
    t.send_keys(&["Escape"]);
    t.wait_until("the picker closed", |s| !offers(s, "queue"));
    t.send_keys(&["C-u"]);
    wait_input(&t, "");

    // Tab completes the best match.
    t.send_text("/he");
    t.wait_until("help offered", |s| offers(s, "help"));
    t.send_keys(&["Tab"]);
    t.wait_until("/help completed", |s| {
        s.input_row().is_some_and(|r| r.trim_end() == "/help")
    });
    t.send_keys(&["Enter"]);
    t.wait_until("the help", |s| s.contains("/quit"));
    // The help may be taller than the screen: its top holds the commands.
    t.send_keys(&["Home"]);
    let s = t.wait_until("the commands in the help", |s| {
        ["/btw", "/compact", "/export", "/thinking", "/provider"]
            .iter()
            .all(|c| s.contains(c))
    });
    assert!(t.requests().is_empty(), "/help is not a prompt\n{s}");

    t.submit("/quit");
    assert_eq!(t.wait_exit(), 0);
}

#[test]
fn at_opens_a_file_picker_that_leaves_out_ignored_files() {
    let mut t = Tui::new(vec![]);
    t.write_file(".gitignore", "build/\n");
    t.write_file("src/alpha.rs", "fn a() {}\n");
    t.write_file("src/beta.rs", "fn b() {}\n");
    t.write_file("build/gamma.rs", "fn g() {}\n");
    t.start(&[]);
    t.send_text("look at @");
    let s = t.wait_until("the file picker", |s| {
        s.contains("src/alpha.rs") && s.contains("src/beta.rs")
    });
    assert!(
        !s.contains("gamma.rs"),
        "an ignored file is not offered\n{s}"
    );
    t.send_text("alp");
    t.wait_until("the picker filtered", |s| {
        s.contains("src/alpha.rs") && !s.contains("src/beta.rs")
    });
    t.send_keys(&["Enter"]);
    let s = t.wait_until("the path inserted", |s| {
        s.input_row()
            .is_some_and(|r| r.trim_end() == "look at @src/alpha.rs")
    });
    assert!(!s.contains("src/beta.rs"), "the picker closed\n{s}");
    assert!(t.requests().is_empty());
}

#[test]
fn bang_runs_a_shell_command_and_its_output_joins_the_next_turn() {
    let mut t = Tui::new(vec![Reply::text("I saw the output.")]);
    t.start(&[]);
    t.submit("!printf 'out%s\\n' 42");
    let s = t.wait_until("the command's output and its end", |s| {
        s.rows.iter().any(|r| r == "  out42") && !s.contains("… running")
    });
    let cmd = s
        .rows
        .iter()
        .position(|r| r == "! printf 'out%s\\n' 42")
        .unwrap_or_else(|| panic!("the command's row\n{s}"));
    assert_eq!(s.rows[cmd + 1], "  out42", "{s}");
    t.submit("!sh -c 'exit 3'");
    let s = t.wait_until("a failed command's status", |s| {
        s.rows.iter().any(|r| r.trim() == "exit 3")
    });
    assert!(s.rows.iter().any(|r| r == "! sh -c 'exit 3'"), "{s}");
    assert!(t.requests().is_empty(), "a shell command is not a turn");

    t.submit("what did it print?");
    t.wait_for("I saw the output.");
    let body = serde_json::to_string(&t.requests()[0].body).unwrap();
    assert!(
        body.contains("out42"),
        "the output is in the context: {body}"
    );
    let users = user_texts(&t.messages(0));
    assert!(
        users.last().unwrap().contains("what did it print?"),
        "{users:?}"
    );
}

/// The peak resident memory of `pid` in KB (VmHWM).
fn peak_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM in {status}"))
}

#[test]
fn a_flood_of_output_keeps_its_start_and_end_in_bounded_memory() {
    let mut t = Tui::new(vec![Reply::text("Seen it.")]);
    t.start(&[]);
    let pid = t.app_pid();
    // 400,000 lines, about 20 MB; the exit status shows when it ended.
    t.submit("!seq -f 'line %.0f of the flood, padded to be long enough' 1 400000; exit 3");
    t.wait_until("the end of the output and its status", |s| {
        s.contains("line 400000 of the flood") && s.rows.iter().any(|r| r == "exit 3")
    });
    let peak = peak_kb(pid);
    assert!(
        peak < 64 * 1024,
        "zs-tui grew to {peak} kB for 20 MB of output"
    );
    t.submit("and?");
    t.wait_for("Seen it.");
    let body = serde_json::to_string(&t.requests()[0].body).unwrap();
    assert!(
        body.contains("line 1 of the flood"),
        "the start reaches the model"
    );
    assert!(body.contains("line 400000 of the flood"), "the end too");
    assert!(body.contains(" bytes cut ...]"), "and a note of the cut");
}

#[test]
fn ctrl_g_edits_the_prompt_in_the_editor() {
    let mut t = Tui::new(vec![]);
    let editor = t.home.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\n{ tr -d '\\n' < \"$1\"; printf ' plus more\\n'; } > \"$1.new\" && mv \"$1.new\" \"$1\"\n",
    )
    .unwrap();
    let mut perm = std::fs::metadata(&editor).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&editor, perm).unwrap();
    t.set_env("EDITOR", &editor.display().to_string());
    t.start(&[]);
    t.send_text("draft");
    wait_input(&t, "draft");
    t.send_keys(&["C-g"]);
    let s = wait_input(&t, "draft plus more");
    assert!(s.status().contains("mock-model"), "the screen is back\n{s}");
}

#[test]
fn ctrl_d_on_an_empty_prompt_quits() {
    let mut t = Tui::new(vec![]);
    t.start(&[]);
    t.send_text("ab");
    t.send_keys(&["C-a", "C-d"]);
    wait_input(&t, "b");
    assert!(
        t.exit_status().is_none(),
        "Ctrl-D deletes when there is text"
    );
    t.send_keys(&["C-k"]);
    wait_input(&t, "");
    t.send_keys(&["C-d"]);
    assert_eq!(t.wait_exit(), 0);
}

#[test]
fn ctrl_c_twice_on_an_idle_prompt_quits() {
    let mut t = Tui::new(vec![]);
    t.start(&[]);
    t.send_keys(&["C-c"]);
    t.wait_for("press Ctrl-C again to quit");
    assert!(t.exit_status().is_none(), "one Ctrl-C does not quit");
    t.send_keys(&["C-c"]);
    assert_eq!(t.wait_exit(), 0);
}
