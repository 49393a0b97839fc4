//! The wrapper's command line: usage errors, dispatch to zs-NAME, help and
//! version, and the man page kept in step with --help.

use crate::harness::*;
use crate::mock::script::Reply;

#[test]
fn usage_errors_exit_2_with_one_line_naming_the_problem() {
    let t = Agent::new(vec![]);
    for (args, stdin, says) in [
        (&["--frobnicate"][..], "", "unknown option '--frobnicate'"),
        (
            &["-p", "--max-turns", "x"][..],
            "",
            "--max-turns takes a number",
        ),
        (&["-p", "--model"][..], "", "option '--model' needs a value"),
        (
            &["-p", "--json=yes", "hi"][..],
            "",
            "'--json' takes no value",
        ),
        (
            &["-p", "--read-only", "--yolo", "hi"][..],
            "",
            "choose one permission mode",
        ),
        (
            &["-p", "--mode", "fast", "hi"][..],
            "",
            "unknown mode 'fast'",
        ),
        (
            &["-p", "--non-interactive", "maybe"][..],
            "",
            "takes deny, allow or fail",
        ),
        (&["-c", "-r", "-p"][..], "", "choose one of -c and -r"),
        (
            &["--no-session", "-c", "-p", "hi"][..],
            "",
            "--no-session cannot continue",
        ),
        (&["-p"][..], "", "no task"),
        (&["-p", "   "][..], "\n\n", "no task"),
        (&["-c", "-p", "hi"][..], "", "no session to continue"),
        (&["-r", "-p", "hi"][..], "", "-r needs a terminal"),
        (&["--session", "nope", "-p", "hi"][..], "", "nope"),
        (&["frobnicate"][..], "", "no zs-frobnicate installed"),
    ] {
        let run = t.run(args, stdin);
        assert_eq!(run.code, Some(2), "{args:?}:\n{}", run.dump());
        assert!(
            run.stderr.contains(says),
            "{args:?}: {says:?} in\n{}",
            run.dump()
        );
        assert_eq!(run.stdout, "", "{args:?}");
    }
    assert!(t.requests().is_empty());
}

#[test]
fn a_session_that_was_answered_needs_a_new_message() {
    let t = Agent::new(vec![Reply::text("Done.")]);
    t.run(&["-p", "hi"], "").assert_code(0);
    let run = t.run(&["-c", "-p"], "");
    run.assert_code(2);
    assert!(run.stderr.contains("waits for a message"), "{}", run.dump());
}

#[test]
fn a_bare_word_runs_the_binary_of_that_name() {
    let t = Agent::new(vec![]);
    let run = t.run(&["session", "prompt", "--list"], "");
    run.assert_code(0);
    assert!(run.stdout.contains("code\t"), "{}", run.dump());
    let run = t.run(&["tool", "schema", "--mode", "readonly"], "");
    run.assert_code(0);
    assert!(run.stdout.starts_with("{\"type\":\"tools\""));
}

#[test]
fn version_lists_every_installed_binary() {
    let t = Agent::new(vec![]);
    let run = t.run(&["--version"], "");
    run.assert_code(0);
    assert!(run.stdout.starts_with("zerostack 0.1.0\n"));
    for b in ["zs-chat", "zs-tool", "zs-perm", "zs-session"] {
        assert!(
            run.stdout.contains(&format!("  {b} ")),
            "{b}: {}",
            run.stdout
        );
    }
}

#[test]
fn without_p_and_without_piped_input_it_asks_for_the_front_end() {
    // stdin a terminal is what selects zs-tui; a test has none, so this
    // checks the other side: empty piped input is not a task.
    let t = Agent::new(vec![]);
    let run = t.run(&[], "");
    run.assert_code(2);
    assert!(run.stderr.contains("no task"), "{}", run.dump());
}

#[test]
fn help_documents_every_option_and_exit_code_and_the_man_page_follows() {
    let t = Agent::new(vec![]);
    let run = t.run(&["--help"], "");
    run.assert_code(0);
    let help = run.stdout;
    for code in [
        "0 done",
        "2 usage",
        "4 the model call failed",
        "5 no API key",
        "6 turn limit",
        "130 interrupted",
    ] {
        assert!(help.contains(code), "{code:?} in --help");
    }
    let man = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man/zerostack.1"),
    )
    .unwrap()
    .replace("\\-", "-");
    let mut longs: Vec<&str> = help
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric()))
        .collect();
    longs.sort();
    longs.dedup();
    assert!(longs.len() > 20, "{longs:?}");
    for l in longs {
        assert!(
            man.contains(l),
            "{l} is in --help but not in man/zerostack.1"
        );
    }
    for code in ["130", "6", "5", "4"] {
        assert!(
            man.contains(&format!(".B {code}\n")),
            "exit {code} in the man page"
        );
    }
}

#[test]
fn resume_lists_the_sessions_on_the_terminal_and_continues_the_one_picked() {
    let t = Agent::new(vec![
        Reply::text("A."),
        Reply::text("B."),
        Reply::text("Back in the first."),
    ]);
    t.run(&["-p", "first"], "").assert_code(0);
    t.run(&["-p", "second"], "").assert_code(0);
    let mut c = t.command_on_tty(&["-r", "-p", "next"]);
    // Newest first: 1 is "second", 2 is "first".
    let run = run_bounded(&mut c, "2\n");
    run.assert_code(0);
    assert!(run.stdout.contains("  2  "), "{}", run.dump());
    assert!(run.stdout.contains("Back in the first."), "{}", run.dump());
    assert_eq!(user_texts(&t.messages(2)), ["first", "next"]);
}

#[test]
fn a_terminal_without_p_is_for_the_front_end() {
    // zs-tui gets the options: with -c and no session yet, it says so
    // itself (zs-tui's own tests drive the screen in tmux).
    let t = Agent::new(vec![]);
    let mut c = t.command_on_tty(&["-c"]);
    let run = run_bounded(&mut c, "");
    run.assert_code(2);
    assert!(
        run.stdout.contains("zs-tui: error: no session to continue"),
        "{}",
        run.dump()
    );
    // Its own options are refused in the headless mode.
    let mut c = t.command_on_tty(&["--inline", "-p", "hi"]);
    let run = run_bounded(&mut c, "");
    run.assert_code(2);
    assert!(
        run.stdout
            .contains("zerostack: error: --inline is for the interactive front end"),
        "{}",
        run.dump()
    );
}
