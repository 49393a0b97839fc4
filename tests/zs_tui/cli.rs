//! The command line: what zs-tui does without a terminal, bad flags,
//! --help against the man page, an initial prompt, flags that reach the
//! turn, and the wrapper starting zs-tui on a terminal.

use crate::common::Home;
use crate::harness::{MODEL, Tui, bash, path_var, wrapper};
use crate::mock::script::Reply;
use std::path::Path;

/// Every option of the UI contract (the wrapper's, where they overlap).
const OPTIONS: &[&str] = &[
    "-c",
    "--continue",
    "-r",
    "--resume",
    "--session",
    "--no-session",
    "--provider",
    "--model",
    "--base-url",
    "--thinking",
    "--prompt",
    "-R",
    "--restrictive",
    "--read-only",
    "--guarded",
    "--yolo",
    "--mode",
    "--dangerously-skip-permissions",
    "-n",
    "--no-context-files",
    "--max-turns",
    "--no-color",
    "--inline",
    "-V",
    "--version",
    "-h",
    "--help",
];

/// Every slash command of the issue.
const COMMANDS: &[&str] = &[
    "/model",
    "/provider",
    "/thinking",
    "/prompt",
    "/mode",
    "/clear",
    "/session",
    "/compact",
    "/queue",
    "/btw",
    "/export",
    "/help",
    "/quit",
];

fn man_page() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("man/zs-tui.1"))
        .expect("man/zs-tui.1")
        .replace("\\-", "-")
}

#[test]
fn without_a_terminal_it_says_so_in_one_line_and_exits_2() {
    let home = Home::new();
    let out = home
        .cmd("zs-tui")
        .env("PATH", path_var())
        .write_stdin("hello\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(err.starts_with("zs-tui: error: "), "{err:?}");
    assert!(err.contains("needs a terminal"), "{err:?}");
    assert!(err.contains("zerostack -p"), "{err:?}");
}

#[test]
fn a_terminal_on_stdin_but_not_on_stdout_is_refused_too() {
    let mut t = Tui::new(vec![]);
    // In a shell that stays: tmux can lose the status of a process that
    // ends at once.
    t.launch_in_shell(
        Path::new("/bin/sh"),
        &["-c", "zs-tui >out.txt 2>err.txt"],
        "",
        80,
        24,
    );
    let s = t.wait_for("[exited ");
    assert!(s.contains("[exited 2]"), "{s}");
    let err = std::fs::read_to_string(t.file("err.txt")).unwrap();
    assert_eq!(err.lines().count(), 1, "{err:?}");
    assert!(err.starts_with("zs-tui: error: "), "{err:?}");
    assert!(err.contains("needs a terminal"), "{err:?}");
}

#[test]
fn a_bad_flag_exits_2_with_one_line() {
    let home = Home::new();
    let out = home.cmd("zs-tui").arg("--bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(err.starts_with("zs-tui: error: "), "{err:?}");
    assert!(err.contains("--bogus"), "{err:?}");
    assert!(!err.contains("panicked"), "{err:?}");

    let out = home
        .cmd("zs-tui")
        .args(["--max-turns", "many"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(err.contains("many"), "{err:?}");
}

#[test]
fn help_lists_every_option_and_the_man_page_documents_them() {
    let home = Home::new();
    let out = home.cmd("zs-tui").arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    let words: Vec<&str> = help
        .split(|c: char| c.is_whitespace() || c == ',' || c == '[' || c == ']')
        .map(|w| w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric()))
        .collect();
    for o in OPTIONS {
        assert!(words.contains(o), "{o} in --help:\n{help}");
    }
    let man = man_page();
    let longs: Vec<&&str> = words
        .iter()
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .collect();
    for l in longs {
        assert!(man.contains(*l), "{l} is in --help but not in man/zs-tui.1");
    }
    for o in OPTIONS {
        assert!(man.contains(o), "{o} in man/zs-tui.1");
    }
    // The one limit of inline mode: what is in the terminal's scrollback
    // stays as printed.
    assert!(
        help.contains("with --inline, rows already in the scrollback stay as printed"),
        "{help}"
    );
    assert!(
        man.contains("Ctrl-T and Ctrl-O change\nonly the entries still being drawn"),
        "the man page says what Ctrl-T and Ctrl-O do in --inline"
    );
}

#[test]
fn the_man_page_has_its_sections_every_command_and_the_exit_codes() {
    let man = man_page();
    for section in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH DESCRIPTION",
        ".SH OPTIONS",
        ".SH KEYS",
        ".SH COMMANDS",
        ".SH ENVIRONMENT",
        ".SH FILES",
        ".SH EXIT STATUS",
        ".SH SEE ALSO",
    ] {
        assert!(man.contains(section), "{section} in man/zs-tui.1");
    }
    for c in COMMANDS {
        assert!(man.contains(c), "{c} in man/zs-tui.1");
    }
    for code in ["0", "2", "130"] {
        assert!(man.contains(&format!(".B {code}\n")), "exit {code}");
    }
    for var in ["ZS_ASK_SOCKET", "NO_COLOR", "EDITOR", "XDG_STATE_HOME"] {
        assert!(man.contains(var), "{var} in man/zs-tui.1");
    }
}

#[test]
fn version_prints_the_version() {
    let home = Home::new();
    let out = home.cmd("zs-tui").arg("-V").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(&format!("zs-tui {}", env!("CARGO_PKG_VERSION"))),
        "{text:?}"
    );
}

#[test]
fn words_on_the_command_line_are_a_prompt_run_at_once() {
    let mut t = Tui::new(vec![Reply::text("Answered at once.")]);
    t.start(&["hello", "there"]);
    let s = t.wait_for("Answered at once.");
    assert!(s.row_starting("› hello there").is_some(), "{s}");
    assert_eq!(t.requests().len(), 1);
}

#[test]
fn permission_flags_reach_the_turn() {
    let cmd = "curl -s http://127.0.0.1:1/x; touch marker";
    let mut t = Tui::new(vec![bash("c1", cmd), Reply::text("Ran without asking.")]);
    let s = t.start(&["--yolo"]);
    assert!(
        s.status().contains("yolo"),
        "the mode in the status bar\n{s}"
    );
    t.submit("fetch");
    let s = t.wait_for("Ran without asking.");
    assert!(!s.contains("── permission"), "{s}");
    assert!(t.file("marker").exists(), "the call ran");
}

#[test]
fn the_wrapper_without_p_on_a_terminal_starts_zs_tui() {
    let mut t = Tui::new(vec![Reply::text("Through the wrapper.")]);
    t.launch(&wrapper(), &["--model", "other-model"], "", 100, 30);
    let s = t.wait_ready();
    assert!(
        s.status().contains("other-model"),
        "the flag reached zs-tui\n{s}"
    );
    assert!(!s.status().contains(MODEL), "{s}");
    let exe = std::fs::read_link(format!("/proc/{}/exe", t.app_pid())).unwrap();
    assert_eq!(exe.file_name().unwrap(), "zs-tui", "{exe:?}");
    t.submit("hi");
    t.wait_for("Through the wrapper.");
    assert_eq!(t.requests()[0].body["model"], "other-model");
}
