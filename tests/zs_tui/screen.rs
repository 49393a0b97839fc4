//! The screen itself: re-wrapping on resize, scrollback by keys and wheel,
//! mouse selection copied with OSC 52, the monochrome UI, inline mode and
//! the alternate screen.

use crate::common::bin;
use crate::harness::{
    HEIGHT, MODEL, Screen, Tui, WIDTH, alive, assert_session_valid, descendants_named, kill,
    wait_for_cond,
};
use crate::mock::script::Reply;
use crate::turn::sgr_params;

/// `w01 w02 ... w40`: one paragraph of 159 columns.
fn words() -> Vec<String> {
    (1..=40).map(|i| format!("w{i:02}")).collect()
}

fn all_words_shown(s: &Screen) -> bool {
    let text = s.text();
    words().iter().all(|w| text.contains(w.as_str()))
}

#[test]
fn resize_rewraps_the_transcript_and_keeps_the_status_bar_last() {
    let mut t = Tui::new(vec![Reply::text(&words().join(" "))]);
    t.start(&[]);
    t.submit("a long line please");
    let s = t.wait_for("w40");
    assert!(all_words_shown(&s), "{s}");
    let first = s.row_with("w01").unwrap();
    assert!(!first.contains("w26"), "100 columns hold 25 words\n{s}");
    assert!(s.status().contains(MODEL), "{s}");

    // Narrower: unless the text is wrapped again, words past column 60
    // are cut off.
    t.resize(60, 20);
    assert_eq!(t.pane_size(), (60, 20));
    let s = t.wait_until("the transcript re-wrapped to 60 columns", |s| {
        s.rows.len() == 20 && all_words_shown(s) && s.status().contains(MODEL)
    });
    assert!(s.input_index().is_some(), "the input stays\n{s}");
    assert!(
        s.input_index().unwrap() < s.rows.len() - 1,
        "the input is above the status bar\n{s}"
    );

    // Wider: the first row takes more words than it did at 100.
    t.resize(120, 30);
    let s = t.wait_until("the transcript re-wrapped to 120 columns", |s| {
        s.rows.len() == 30
            && all_words_shown(s)
            && s.row_with("w01").is_some_and(|r| r.contains("w26"))
    });
    assert!(
        s.status().contains(MODEL),
        "the status bar is the last row\n{s}"
    );
    assert!(s.row_starting("› a long line please").is_some(), "{s}");
}

/// A reply of `n` list items, `line 01` ...
fn long_list(n: usize) -> String {
    (1..=n)
        .map(|i| format!("- line {i:02}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn scrollback_with_page_keys_home_end_and_the_wheel() {
    let mut t = Tui::new(vec![Reply::text(&long_list(80))]);
    t.start(&[]);
    t.submit("count to eighty");
    let s = t.wait_for("line 80");
    let s = if s.status().contains("running") {
        t.wait_idle()
    } else {
        s
    };
    assert!(
        !s.contains("› count to eighty"),
        "the transcript follows the end\n{s}"
    );

    t.send_keys(&["PageUp"]);
    let up = t.wait_gone("line 80");
    assert!(up.status().contains(MODEL), "the status bar stays\n{up}");
    assert!(up.input_index().is_some(), "the input stays\n{up}");
    t.send_keys(&["PageDown"]);
    t.wait_for("line 80");

    t.send_keys(&["Home"]);
    let top = t.wait_for("› count to eighty");
    assert!(top.contains("line 01"), "{top}");
    t.send_keys(&["End"]);
    t.wait_for("line 80");

    // The wheel: up scrolls back, down forward.
    for _ in 0..10 {
        t.mouse(64, 10, 5, false);
    }
    t.wait_gone("line 80");
    for _ in 0..40 {
        t.mouse(65, 10, 5, false);
    }
    t.wait_for("line 80");
    assert_eq!(t.requests().len(), 1);
}

#[test]
fn a_mouse_drag_selects_text_and_copies_it_with_osc52() {
    let mut t = Tui::new(vec![Reply::text("Copy this phrase please.")]);
    t.start(&[]);
    t.submit("say it");
    let s = t.wait_for("Copy this phrase please.");
    let row = s.find("Copy this phrase").unwrap();
    let col = s.rows[row].find("this phrase").unwrap() as u16;
    let end = col + "this phrase".len() as u16 - 1;
    t.mouse(0, col, row as u16, false);
    t.mouse(32, col + 4, row as u16, false);
    t.mouse(32, end, row as u16, false);
    t.mouse(0, end, row as u16, true);
    let s = t.wait_for("copied ");
    let copied = t.clipboard().expect("an OSC 52 copy reached tmux");
    assert!(
        copied.starts_with("this phras") && "this phrase please.".starts_with(&copied),
        "the selection: {copied:?}"
    );
    let n = copied.chars().count();
    assert!(
        s.contains(&format!("copied {n} characters")),
        "the notice counts what was copied ({n})\n{s}"
    );
}

/// Whether any SGR sequence in `styled` sets a colour (foreground or
/// background; 39 and 49, the defaults, are not colours).
fn has_colour(styled: &str) -> bool {
    sgr_params(styled).iter().any(|p| {
        p.iter()
            .any(|&n| matches!(n, 30..=38 | 40..=48 | 90..=97 | 100..=107))
    })
}

/// A reply with every coloured thing: a heading, code, a link, a tool call.
fn colourful() -> Vec<Reply> {
    vec![Reply::text(
        "# Heading\n\nSee [a link](https://example.com) and `code`.\n\n```rust\nfn x() {}\n```",
    )]
}

#[test]
fn no_color_draws_without_any_colour() {
    // The same reply in colour first, so the check below can fail.
    let mut t = Tui::new(colourful());
    t.start(&[]);
    t.submit("show colours");
    t.wait_for("fn x() {}");
    assert!(
        has_colour(&t.styled()),
        "the default UI uses colour:\n{}",
        t.styled()
    );
    drop(t);

    let mut t = Tui::new(colourful());
    t.start(&["--no-color"]);
    t.submit("show colours");
    t.wait_for("fn x() {}");
    let styled = t.styled();
    assert!(!has_colour(&styled), "no colour with --no-color:\n{styled}");
    let status = styled.lines().last().unwrap_or_default();
    assert!(
        sgr_params(status).iter().any(|p| p.contains(&7)),
        "the status bar is still in reverse video: {status:?}"
    );
}

#[test]
fn no_color_in_the_environment_is_the_same_as_the_flag() {
    let mut t = Tui::new(colourful());
    t.set_env("NO_COLOR", "1");
    t.start(&[]);
    t.submit("show colours");
    t.wait_for("fn x() {}");
    let styled = t.styled();
    assert!(!has_colour(&styled), "no colour with NO_COLOR:\n{styled}");
}

#[test]
fn the_alternate_screen_is_left_on_exit_and_inline_mode_stays() {
    // Full screen: the shell's output is hidden while zs-tui runs and back
    // after it quits.
    let mut t = Tui::new(vec![Reply::text("Full screen reply.")]);
    let before = "printf 'shell line before\\n'";
    t.launch_in_shell(&bin("zs-tui"), &[], before, WIDTH, HEIGHT);
    let s = t.wait_ready();
    assert!(!s.contains("shell line before"), "alternate screen\n{s}");
    t.submit("hi");
    t.wait_for("Full screen reply.");
    t.wait_idle();
    t.send_keys(&["C-d"]);
    let s = t.wait_for("[exited ");
    assert!(s.contains("[exited 0]"), "{s}");
    assert!(s.contains("shell line before"), "{s}");
    assert!(!s.contains("Full screen reply."), "{s}");
    drop(t);

    // Inline: drawn below the shell's output, which stays, and so does
    // the transcript after zs-tui quits.
    let mut t = Tui::new(vec![Reply::text("Inline reply.")]);
    t.launch_in_shell(&bin("zs-tui"), &["--inline"], before, WIDTH, HEIGHT);
    let s = t.wait_ready();
    assert_eq!(s.rows[0], "shell line before", "{s}");
    t.submit("hi");
    let s = t.wait_for("Inline reply.");
    assert!(s.find("shell line before").unwrap() < s.find("Inline reply.").unwrap());
    assert!(s.contains(MODEL), "the status bar is drawn\n{s}");
    // The live area need not reach the last row here: look anywhere.
    t.wait_until("the run to end", |s| !s.contains("· running"));
    t.send_keys(&["C-d"]);
    let s = t.wait_for("[exited ");
    assert!(s.contains("[exited 0]"), "{s}");
    assert!(s.contains("shell line before"), "{s}");
    assert!(s.contains("Inline reply."), "the transcript stays\n{s}");
}

#[test]
fn has_colour_tells_colours_from_attributes() {
    assert!(has_colour("\x1b[31mred"));
    assert!(has_colour("\x1b[38;5;12mx"));
    assert!(has_colour("\x1b[1;48;2;1;2;3mx"));
    assert!(!has_colour("\x1b[7mrev\x1b[0m\x1b[39m\x1b[49m\x1b[1;2;4m"));
}

/// A reply with every kind of block, wide characters and a long word.
const EVERYTHING: &str = "# 見出し heading\n\n\
Some **bold** and `code` and a verylongwordthatdoesnotfitanywhereatall.\n\n\
1. first 日本語テキスト\n   - nested item\n\n\
> quoted 😀 text\n\n\
| a | b |\n|---|---|\n| 1 | 二 |\n\n\
```rust\nfn main() { println!(\"hi\"); }\n```\n\nDone.";

#[test]
fn tiny_and_huge_panes_are_drawn_and_the_session_goes_on() {
    let mut first = crate::harness::bash("c1", "printf 'out\\tput\\n日本\\n'");
    first.text = EVERYTHING.into();
    let mut t = Tui::new(vec![
        first,
        Reply::text("All good."),
        Reply::text("Still here."),
    ]);
    t.start(&[]);
    t.submit("show everything");
    t.wait_for("All good.");
    t.wait_idle();
    // Tool output expanded, and the command picker open: every part of
    // the screen has something to fit.
    t.send_keys(&["C-o"]);
    t.send_text("/");
    t.wait_for("── commands");
    // Each size is waited for by what only a frame drawn at it shows.
    let sized = |s: &Screen, w: usize, h: usize| {
        s.rows.len() == h && s.rows.iter().all(|r| crate::harness::cells(r) <= w)
    };
    t.resize(1, 1);
    t.wait_until("a frame of one cell", |s| s.rows == ["…"]);
    t.resize(10, 3);
    t.wait_until("a 10x3 frame", |s| {
        sized(s, 10, 3) && s.status() == " mock-mod…" && s.rows[1].starts_with("> /")
    });
    t.resize(2, 2);
    t.wait_until("a 2x2 frame", |s| sized(s, 2, 2) && s.status() == " …");
    t.resize(300, 100);
    let s = t.wait_until("a 300x100 frame", |s| {
        sized(s, 300, 100) && s.status().contains("openai-compatible · code · standard")
    });
    for text in [
        "見出し heading",
        "a │ b",
        "── rust",
        "    日本",
        "All good.",
    ] {
        assert!(s.contains(text), "{text:?} at 300x100\n{s}");
    }
    t.resize(100, 30);
    t.send_keys(&["Escape"]);
    t.wait_gone("── commands");
    t.send_keys(&["C-u"]);
    t.submit("still there?");
    t.wait_for("Still here.");
    assert!(t.exit_status().is_none());
}

#[test]
fn a_signal_from_outside_cancels_the_run_and_restores_the_terminal() {
    for sig in ["TERM", "HUP", "QUIT", "INT"] {
        let mut t = Tui::new(vec![
            crate::harness::bash("c1", "sleep 60; echo never"),
            Reply::text("Never asked."),
        ]);
        // The terminal's modes as the shell finds them after zs-tui.
        let line = "zs-tui; s=$?; stty -a > stty.txt; exit $s";
        t.launch_in_shell(std::path::Path::new("/bin/sh"), &["-c", line], "", 80, 24);
        t.wait_ready();
        t.submit("run long");
        t.wait_until("the running bash row", |s| {
            s.row_indented("… bash sleep 60").is_some()
        });
        let pane = t.pane_pid();
        let app = descendants_named(pane, "zs-tui");
        assert_eq!(app.len(), 1, "{app:?}");
        // The row shows once the call is allowed; its command starts a
        // moment later.
        let mut sleeps = Vec::new();
        wait_for_cond("the tool's sleep", || {
            sleeps = descendants_named(pane, "sleep");
            !sleeps.is_empty()
        });
        kill(app[0], sig);
        let s = t.wait_for("[exited ");
        assert!(s.contains("[exited 130]"), "SIG{sig}\n{s}");
        wait_for_cond("the tool's sleep to be gone", || !alive(sleeps[0]));
        let stty = std::fs::read_to_string(t.file("stty.txt")).unwrap();
        let words: Vec<&str> = stty.split_whitespace().collect();
        for mode in ["icanon", "echo", "isig"] {
            assert!(words.contains(&mode), "SIG{sig}: {mode} is back\n{stty}");
        }
        let flags = t.tmux(&[
            "display-message",
            "-p",
            "-t",
            "t",
            "#{alternate_on} #{mouse_any_flag} #{mouse_sgr_flag}",
        ]);
        assert_eq!(flags.trim(), "0 0 0", "SIG{sig}: screen and mouse modes");
        let left: Vec<_> = std::fs::read_dir(t.home.path())
            .unwrap()
            .flatten()
            .filter(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.starts_with("zs-tui.") || name.starts_with("zerostack.")
            })
            .collect();
        assert!(
            left.is_empty(),
            "SIG{sig}: zs-tui's and the run's private folders are removed: {left:?}"
        );
        let id = t.last_session();
        assert_session_valid(&t, &id);
    }
}

/// The state letter of /proc/PID/stat (`T` when stopped).
fn proc_state(pid: u32) -> char {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rfind(')')
        .and_then(|i| stat[i + 1..].trim_start().chars().next())
        .unwrap_or('?')
}

#[test]
fn a_stop_from_outside_or_ctrl_z_restores_the_terminal_and_cont_brings_it_back() {
    let mut t = Tui::new(vec![
        Reply::text("Before the stop."),
        Reply::text("After it."),
    ]);
    let before = "printf 'shell line before\\n'";
    t.launch_in_shell(&bin("zs-tui"), &[], before, WIDTH, HEIGHT);
    t.wait_ready();
    t.submit("one");
    t.wait_for("Before the stop.");
    t.wait_idle();
    let app = t.app_pid();
    for how in ["kill -TSTP", "Ctrl-Z"] {
        if how == "Ctrl-Z" {
            t.send_keys(&["C-z"]);
        } else {
            kill(app, "TSTP");
        }
        wait_for_cond("zs-tui to stop", || proc_state(app) == 'T');
        // The alternate screen was left before the stop: the shell's
        // screen is back.
        let s = t.wait_until(how, |s| s.contains("shell line before"));
        assert!(!s.contains("Before the stop."), "{how}: {s}");
        kill(app, "CONT");
        let s = t.wait_until(how, |s| s.contains("Before the stop."));
        assert!(s.status().contains(MODEL), "{how}: redrawn\n{s}");
        assert_ne!(proc_state(app), 'T');
    }
    // Keys work again.
    t.submit("two");
    t.wait_for("After it.");
}

#[test]
fn inline_mode_comes_back_after_a_stop_from_outside() {
    let mut t = Tui::new(vec![
        Reply::text("Inline before."),
        Reply::text("Inline after."),
    ]);
    let before = "printf 'shell line before\\n'";
    t.launch_in_shell(&bin("zs-tui"), &["--inline"], before, WIDTH, HEIGHT);
    t.wait_ready();
    t.submit("one");
    t.wait_for("Inline before.");
    t.wait_until("the run to end", |s| !s.contains("· running"));
    let app = t.app_pid();
    kill(app, "TSTP");
    wait_for_cond("zs-tui to stop", || proc_state(app) == 'T');
    // The live area (prompt and status bar) is cleared; the transcript
    // stays in the scrollback.
    t.wait_until("the live area to go", |s| !s.contains(MODEL));
    kill(app, "CONT");
    t.wait_until("the status bar back", |s| s.contains(MODEL));
    // No cursor query on the way back (the reader thread was not paused):
    // the live area starts on the last row, below whatever the shell wrote.
    t.submit("two");
    let s = t.wait_for("Inline after.");
    assert!(s.rows[HEIGHT as usize - 1].contains(MODEL), "{s}");
}
