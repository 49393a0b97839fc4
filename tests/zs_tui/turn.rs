//! One prompt end to end: streamed Markdown, a tool call and its row, the
//! output behind Ctrl-O, reasoning behind Ctrl-T, errors in place, the
//! status bar; and what reached the model and the session.

use crate::harness::{
    KEY, MODEL, Tui, assert_session_valid, bash, call, tool_messages, user_texts,
};
use crate::mock::script::{Fault, Reply, Usage};
use serde_json::json;

/// The Markdown the model streams before its tool call.
const MARKDOWN: &str = "# Plan of attack\n\n\
Some **bold words** and *a slanted one* here.\n\n\
- first item\n\
- second item\n\n\
> a quoted line\n\n\
See [the docs](https://example.com/docs).\n\n\
```rust\n\
fn main() {}\n\
```\n\n\
Let me run it.";

/// Whether `row` ends with a duration: `12ms`, `1.2s`, `3s`.
fn ends_with_duration(row: &str) -> bool {
    let last = row.split_whitespace().last().unwrap_or_default();
    let num = last
        .strip_suffix("ms")
        .or_else(|| last.strip_suffix('s'))
        .unwrap_or_default();
    !num.is_empty() && num.chars().all(|c| c.is_ascii_digit() || c == '.')
}

#[test]
fn a_prompt_streams_markdown_runs_a_tool_and_answers() {
    let mut first = bash("c1", "echo hi");
    first.text = MARKDOWN.into();
    // Small pieces with a pause between them: the reply takes a couple of
    // seconds to arrive, so the screen can be caught in the middle of it.
    first.chunk = 6;
    first.delay_ms = 40;
    first.usage = Usage {
        input: 9000,
        output: 40,
        ..Usage::default()
    };
    let last = Reply {
        text: "All **done**: the command printed hi.".into(),
        usage: Usage {
            input: 12000,
            output: 50,
            ..Usage::default()
        },
        ..Reply::default()
    };
    let mut t = Tui::new(vec![first, last]);
    t.start(&[]);
    t.submit("show me the plan");

    // Streamed: part of the reply is on screen before the rest arrived.
    let partial = t.wait_until("the first part of the reply alone", |s| {
        s.contains("Plan of attack") && !s.contains("Let me run it.")
    });
    assert!(
        partial.status().contains("running"),
        "running in the status bar during the run\n{partial}"
    );

    let s = t.wait_for("All done: the command printed hi.");
    let s = if s.status().contains("running") {
        t.wait_idle()
    } else {
        s
    };
    assert!(
        s.row_starting("› show me the plan").is_some(),
        "user row\n{s}"
    );
    assert!(!s.text().contains("**"), "no raw Markdown markers\n{s}");
    assert!(s.contains("bold words"), "{s}");
    assert!(s.contains("a slanted one"), "{s}");
    assert!(s.contains("first item") && s.contains("second item"), "{s}");
    let quote = s.row_with("a quoted line").expect("the block quote");
    assert!(
        !quote.starts_with("> "),
        "a quote is not drawn like the input prompt\n{s}"
    );
    assert!(s.contains("the docs"), "{s}");

    // The code block: its language on a row of its own, then the code.
    let lang = s
        .rows
        .iter()
        .position(|r| r.trim_start().starts_with("── rust"))
        .unwrap_or_else(|| panic!("a `── rust` row\n{s}"));
    let code = s.find("fn main() {}").expect("the code row");
    assert!(lang < code, "the language row comes before the code\n{s}");
    assert!(!s.rows[lang].contains("fn main"), "{s}");

    // The tool call: one row with the icon, tool, argument and duration,
    // after the text that came before it and before the final answer.
    let row = s
        .row_indented("✓ bash echo hi")
        .unwrap_or_else(|| panic!("a done bash row\n{s}"));
    assert!(
        ends_with_duration(row),
        "a duration at the end: {row:?}\n{s}"
    );
    let tool = s.find("✓ bash echo hi").unwrap();
    assert!(s.find("Let me run it.").unwrap() < tool, "{s}");
    assert!(tool < s.find("All done").unwrap(), "{s}");
    // Collapsed: the output is not shown.
    assert!(!s.rows.iter().any(|r| r == "    hi"), "collapsed\n{s}");

    // The status bar: model, provider, context used, cost, idle.
    let status = s.status();
    // The cost is the session's: 9000 + 12000 tokens in at $1/M, 40 + 50
    // out at $2/M.
    for want in [MODEL, "openai-compatible", "ctx 12k", "12%", "$0.02"] {
        assert!(status.contains(want), "{want:?} in the status bar\n{s}");
    }
    assert!(!status.contains("running"), "{s}");
    assert!(!s.text().contains(KEY), "the API key never shows\n{s}");

    // Ctrl-O shows the output indented by four, and hides it again.
    t.send_keys(&["C-o"]);
    t.wait_until("the tool output, indented by 4", |s| {
        s.rows.iter().any(|r| r == "    hi")
    });
    t.send_keys(&["C-o"]);
    t.wait_until("the tool output folded again", |s| {
        !s.rows.iter().any(|r| r == "    hi") && s.contains("✓ bash echo hi")
    });

    // The model got the tool's result; the session holds the turn.
    let reqs = t.requests();
    assert_eq!(reqs.len(), 2, "two model calls");
    let results = tool_messages(&t.messages(1));
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0].0, "c1");
    assert!(results[0].1.contains("hi"), "{results:?}");
    assert_eq!(user_texts(&t.messages(0)), ["show me the plan"]);
    let id = t.last_session();
    assert_eq!(t.stored_user_texts(&id), ["show me the plan"]);
    assert_session_valid(&t, &id);
}

#[test]
fn a_failed_tool_call_is_marked_with_a_cross() {
    // A read of a missing file is an error result (a command that exits
    // non-zero is not: it ran, and its status is in its output).
    let mut t = Tui::new(vec![
        call("c1", "read", json!({"path": "no-such-file.txt"})),
        Reply::text("It is not there."),
    ]);
    t.start(&[]);
    t.submit("look for it");
    let s = t.wait_for("It is not there.");
    let row = s
        .row_indented("✗ read no-such-file.txt")
        .unwrap_or_else(|| panic!("an error row for the call\n{s}"));
    assert!(ends_with_duration(row), "{row:?}");
    let results = tool_messages(&t.messages(1));
    assert_eq!(results[0].0, "c1");
}

#[test]
fn reasoning_is_dimmed_and_ctrl_t_folds_it() {
    let reply = Reply {
        reasoning: "Weighing the options.\n\nPicking the short one.".into(),
        text: "The short answer.".into(),
        ..Reply::default()
    };
    let mut t = Tui::new(vec![reply]);
    t.start(&[]);
    t.submit("think first");
    let s = t.wait_for("The short answer.");
    assert!(s.contains("Weighing the options."), "reasoning shown\n{s}");
    assert!(s.contains("Picking the short one."), "{s}");
    let styled = t.styled();
    let row = styled
        .lines()
        .find(|l| l.contains("Weighing the options."))
        .expect("the reasoning row, styled");
    let before = &row[..row.find("Weighing").unwrap()];
    assert!(
        sgr_params(before).iter().any(|p| p.contains(&2)),
        "the reasoning row is dim (SGR 2): {row:?}"
    );
    let answer = styled
        .lines()
        .find(|l| l.contains("The short answer."))
        .expect("the answer row");
    let before = &answer[..answer.find("The short").unwrap()];
    assert!(
        !sgr_params(before).iter().any(|p| p.contains(&2)),
        "the answer is not dim: {answer:?}"
    );

    t.send_keys(&["C-t"]);
    let s = t.wait_until("the reasoning folded", |s| {
        !s.contains("Weighing the options.")
    });
    assert!(
        s.rows
            .iter()
            .any(|r| r.contains("thinking (") && r.contains("Ctrl-T to show")),
        "one row says the reasoning is folded\n{s}"
    );
    assert!(s.contains("The short answer."), "{s}");
    t.send_keys(&["C-t"]);
    t.wait_for("Weighing the options.");
}

#[test]
fn a_model_error_is_shown_in_place_and_the_next_prompt_works() {
    let failing = Reply {
        fault: Some(Fault::Status {
            status: 400,
            retry_after: None,
            body: None,
        }),
        ..Reply::default()
    };
    let mut t = Tui::new(vec![failing, Reply::text("Recovered fine.")]);
    t.start(&[]);
    t.submit("first try");
    let s = t.wait_until("an `error: ` row", |s| s.row_starting("error: ").is_some());
    assert!(
        s.find("› first try").unwrap() < s.find("error: ").unwrap(),
        "the error is in place, after the prompt\n{s}"
    );
    assert!(!s.text().contains(KEY), "{s}");
    t.wait_idle();
    t.submit("second try");
    let s = t.wait_for("Recovered fine.");
    assert!(s.row_starting("error: ").is_some(), "the error stays\n{s}");
    assert_eq!(t.requests().len(), 2);
}

#[test]
fn a_click_on_a_tool_row_toggles_that_call_alone() {
    let two = crate::mock::script::Reply {
        tool_calls: vec![
            crate::mock::script::Call {
                id: "c1".into(),
                name: "bash".into(),
                arguments: json!({"command": "echo first-output"}),
            },
            crate::mock::script::Call {
                id: "c2".into(),
                name: "bash".into(),
                arguments: json!({"command": "echo second-output"}),
            },
        ],
        ..Reply::default()
    };
    let mut t = Tui::new(vec![two, Reply::text("Both ran.")]);
    t.start(&[]);
    t.submit("run both");
    let s = t.wait_for("Both ran.");
    let row = s
        .rows
        .iter()
        .position(|r| r.trim_start().starts_with("✓ bash echo first-output"))
        .unwrap_or_else(|| panic!("the first call's row\n{s}"));
    t.mouse(0, 4, row as u16, false);
    t.mouse(0, 4, row as u16, true);
    let s = t.wait_until("the first call's output", |s| {
        s.rows.iter().any(|r| r == "    first-output")
    });
    assert!(
        !s.rows.iter().any(|r| r == "    second-output"),
        "the other call stays folded\n{s}"
    );
}

#[test]
fn wide_characters_wrap_without_losing_a_cell() {
    // 64 cells of CJK (two each) and emoji, in a 40-column pane: a width
    // counted wrong makes the terminal wrap or overwrite on its own, and
    // characters go missing or come twice.
    let text = "日本語の文章を折り返す試験です。".repeat(2) + "😀😀😀 THE-END";
    let mut t = Tui::new(vec![Reply::text(&text)]);
    t.launch(&crate::common::bin("zs-tui"), &[], "", 40, 20);
    t.wait_ready();
    t.submit("wide");
    let s = t.wait_for("THE-END");
    let first = s.find("日本語").unwrap_or_else(|| panic!("{s}"));
    let last = s.find("THE-END").unwrap();
    assert!(last > first, "wrapped over several rows\n{s}");
    let joined: String = s.rows[first..=last]
        .iter()
        .map(|r| r.replace(' ', ""))
        .collect();
    assert_eq!(
        joined,
        text.replace(' ', ""),
        "every character once, in order\n{s}"
    );
}

/// The parameter lists of the SGR sequences (`ESC [ ... m`) in `s`.
pub fn sgr_params(s: &str) -> Vec<Vec<u32>> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find("\x1b[") {
        rest = &rest[i + 2..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == ';' || c == ':'))
            .unwrap_or(rest.len());
        if rest[end..].starts_with('m') {
            let params = rest[..end]
                .split([';', ':'])
                .map(|p| p.parse().unwrap_or(0))
                .collect();
            out.push(params);
        }
        rest = &rest[end..];
    }
    out
}

#[test]
fn sgr_params_reads_every_sequence() {
    let s = "\x1b[7mrev\x1b[0m\x1b[39m x \x1b[38;5;12mblue\x1b[1;2m";
    assert_eq!(
        sgr_params(s),
        vec![vec![7], vec![0], vec![39], vec![38, 5, 12], vec![1, 2]]
    );
    assert_eq!(sgr_params("\x1b[m"), vec![vec![0]]);
    assert!(sgr_params("plain").is_empty());
}

#[test]
fn ends_with_duration_reads_the_forms_of_a_duration() {
    assert!(ends_with_duration("✓ bash echo hi  12ms"));
    assert!(ends_with_duration("✓ bash echo hi  1.2s"));
    assert!(!ends_with_duration("✓ bash echo hi"));
    assert!(!ends_with_duration("✓ bash echo this"));
}

#[test]
fn escape_sequences_from_the_model_and_tools_are_shown_never_obeyed() {
    let evil = "\x1b]0;PWNED\x07\x1b]52;c;ZXZpbA==\x07\x1b[2J";
    let mut first = bash(
        "c1",
        "printf 'tool \\033]2;TOOLTITLE\\007 \\033[31mred\\n'; echo done",
    );
    first.text = format!("Reply {evil}end of reply.");
    let mut t = Tui::new(vec![first, Reply::text(&format!("Final {evil}answer."))]);
    t.start(&[]);
    t.submit("go");
    let s = t.wait_for("answer.");
    assert!(
        s.contains("Reply ␛]0;PWNED␇␛]52;c;ZXZpbA==␇␛[2Jend of reply."),
        "{s}"
    );
    t.wait_idle();
    t.send_keys(&["C-o"]);
    t.wait_for("    tool ␛]2;TOOLTITLE␇ ␛[31mred");
    t.submit("!printf 'shell \\033]2;SHELLTITLE\\007\\n'");
    t.wait_for("  shell ␛]2;SHELLTITLE␇");
    let title = t.tmux(&["display-message", "-p", "-t", "t", "#{pane_title}"]);
    for bad in ["PWNED", "TOOLTITLE", "SHELLTITLE"] {
        assert!(!title.contains(bad), "the title was set: {title}");
    }
    assert_eq!(t.clipboard(), None, "nothing reached the clipboard");
    let styled = t.styled();
    assert!(
        !sgr_params(&styled).iter().any(|p| p.contains(&31)),
        "no red from the tool\n{styled}"
    );
}
