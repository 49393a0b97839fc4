//! zs-chat on bad input and bad options: what is refused before any
//! request (exit 2 or 3 with nothing sent), what is reported and still sent
//! (bad lines, exit 3 at the end), and the messages that say why.

use crate::common::Home;
use crate::harness::{Chat, KEY, lines, run_bounded, tool_result, user};
use crate::mock::script::Reply;
use serde_json::json;
use std::time::Duration;

const CALL: &str = r#"{"type":"assistant","content":[{"type":"tool_call","id":"c1","name":"read","arguments":{"path":"a"}}],"stop":"tool_calls"}"#;

#[test]
fn bad_lines_are_reported_by_number_and_the_call_is_still_made() {
    let t = Chat::new("openai-compatible", vec![Reply::text("answered")]);
    let input = "{broken json\nhello there\n{\"type\":\"user\"}\n";
    let run = t.run(&[], input);
    run.assert_code(3);
    let errors = run.errors();
    let bad: Vec<_> = errors.iter().filter(|e| e["fatal"] == false).collect();
    assert_eq!(bad.len(), 2, "{}", run.dump());
    assert_eq!(bad[0]["line"], 1);
    assert_eq!(bad[0]["code"], "input");
    assert_eq!(bad[1]["line"], 3);
    assert!(bad[1]["message"].as_str().unwrap().contains("line 3"));
    // The call went out with the good line and its answer was written.
    let req = t.request();
    assert_eq!(
        req.body["messages"],
        json!([{"role": "user", "content": "hello there"}])
    );
    assert_eq!(run.text(), "answered");
    let f = run.fatal();
    assert_eq!(f["code"], "input");
    assert!(
        f["message"].as_str().unwrap().contains("2 input lines"),
        "{f}"
    );
    // The summary error is the last line.
    assert_eq!(run.events.last().unwrap()["fatal"], true);
}

#[test]
fn an_unknown_provider_is_a_usage_error_naming_the_known_ones() {
    let t = Chat::new("openrouter", vec![Reply::text("never")]);
    let run = t.run(&["--provider", "nosuch"], "hi\n");
    run.assert_code(2);
    let m = run.fatal_message();
    assert!(m.contains("'nosuch'"), "{m}");
    for known in [
        "openrouter",
        "anthropic",
        "gemini",
        "ollama",
        "openai-compatible",
    ] {
        assert!(m.contains(known), "{m} lacks {known}");
    }
    assert_eq!(t.requests().len(), 0);
}

#[test]
fn a_missing_key_is_an_auth_error_naming_the_variable() {
    let mut t = Chat::new("openrouter", vec![Reply::text("never")]);
    t.set_env("OPENROUTER_API_KEY", None);
    let run = t.run(&[], "hi\n");
    run.assert_code(5);
    let f = run.fatal();
    assert_eq!(f["code"], "auth");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("OPENROUTER_API_KEY"),
        "{f}"
    );
    assert_eq!(t.requests().len(), 0);
}

#[test]
fn an_unanswered_tool_call_is_refused_before_any_request() {
    let t = Chat::new("openrouter", vec![Reply::text("never")]);
    let input = format!("{}{CALL}\n", lines(&[user("read a")]));
    let run = t.run(&[], &input);
    run.assert_code(3);
    let m = run.fatal_message();
    assert!(m.contains("c1") && m.contains("no tool_result"), "{m}");
    assert!(run.maybe_assistant().is_none());
    assert_eq!(t.requests().len(), 0);
}

#[test]
fn a_result_for_no_call_is_refused_before_any_request() {
    let t = Chat::new("openrouter", vec![Reply::text("never")]);
    let input = lines(&[user("x"), tool_result("zz", "read", "?")]);
    let run = t.run(&[], &input);
    run.assert_code(3);
    assert!(run.fatal_message().contains("'zz'"));
    assert_eq!(t.requests().len(), 0);
}

#[test]
fn empty_input_is_refused_before_any_request() {
    let t = Chat::new("openrouter", vec![Reply::text("never")]);
    for input in ["", "\n\n  \n"] {
        let run = t.run(&[], input);
        run.assert_code(3);
        assert!(
            run.fatal_message().contains("no user message"),
            "{}",
            run.dump()
        );
        assert!(run.stderr.contains("zs-chat: error: no user message"));
    }
    assert_eq!(t.requests().len(), 0);
}

#[test]
fn bad_flags_are_usage_errors() {
    let t = Chat::new("openrouter", vec![]);
    for args in [
        &["--thinking", "extreme"][..],
        &["--max-tokens", "lots"][..],
        &["--max-tokens", "0"][..],
        &["--no-such-flag"][..],
    ] {
        let run = t.run(args, "hi\n");
        run.assert_code(2);
        assert!(
            run.stderr.contains("see --help"),
            "{args:?}: {}",
            run.dump()
        );
        assert_eq!(run.fatal()["code"], "usage");
    }
    assert_eq!(t.requests().len(), 0);
}

#[test]
fn version_and_help_print_and_exit_zero() {
    let home = Home::new();
    let mut cmd = home.std_cmd("zs-chat");
    cmd.arg("--version");
    let out = cmd.output().unwrap();
    assert!(out.status.success());
    let version = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        version.trim(),
        concat!("zs-chat ", env!("CARGO_PKG_VERSION"))
    );
    let mut cmd = home.std_cmd("zs-chat");
    cmd.arg("--help");
    let out = cmd.output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--provider",
        "--model",
        "--base-url",
        "--thinking",
        "--max-tokens",
        "--system",
    ] {
        assert!(help.contains(flag), "{help}");
    }
}

#[test]
fn a_provider_without_a_base_url_or_a_model_or_with_a_bad_url_is_a_usage_error() {
    let home = Home::new();
    let mut cmd = home.std_cmd("zs-chat");
    cmd.args(["--provider", "openai-compatible", "--model", "m"]);
    let run = run_bounded(&mut cmd, "hi\n", Duration::from_secs(10));
    assert_eq!(run.code, Some(2), "{}", run.dump());
    assert!(run.stderr.contains("base URL"), "{}", run.stderr);

    let mut cmd = home.std_cmd("zs-chat");
    cmd.args([
        "--provider",
        "openai-compatible",
        "--base-url",
        "http://127.0.0.1:9/v1",
    ]);
    let run = run_bounded(&mut cmd, "hi\n", Duration::from_secs(10));
    assert_eq!(run.code, Some(2), "{}", run.dump());
    assert!(run.stderr.contains("no model"), "{}", run.stderr);

    let mut cmd = home.std_cmd("zs-chat");
    cmd.args(["--provider", "openai-compatible", "--model", "m"])
        .args(["--base-url", "localhost:8000/v1"]);
    let run = run_bounded(&mut cmd, "hi\n", Duration::from_secs(10));
    assert_eq!(run.code, Some(2), "{}", run.dump());
    assert!(
        run.stderr.contains("not an http:// or https:// URL"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_config_that_does_not_parse_is_a_usage_error() {
    let home = Home::new();
    home.write_config("{\"provider\": ");
    let mut cmd = home.std_cmd("zs-chat");
    cmd.env("OPENROUTER_API_KEY", KEY);
    let run = run_bounded(&mut cmd, "hi\n", Duration::from_secs(10));
    assert_eq!(run.code, Some(2), "{}", run.dump());
    assert!(run.stderr.contains("bad config"), "{}", run.stderr);
}

#[test]
fn provider_and_model_come_from_the_environment_when_no_flag_is_given() {
    let mut t = Chat::new("openai-compatible", vec![Reply::text("a")]);
    // The config names another default provider; ZS_PROVIDER wins.
    t.config["provider"] = json!("anthropic");
    t.set_env("ZS_PROVIDER", Some("openai-compatible"));
    t.set_env("ZS_MODEL", Some("env-model"));
    let run = t.run(&[], "hi\n");
    run.assert_code(0);
    assert_eq!(t.request().body["model"], "env-model");
    assert_eq!(run.assistant()["provider"], "openai-compatible");
}

#[test]
fn stdout_closed_early_is_a_clean_exit() {
    let t = Chat::new(
        "openrouter",
        vec![Reply::text("a long enough reply to need several writes")],
    );
    let mut cmd = t.command(&[]);
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    drop(child.stdout.take());
    {
        use std::io::Write;
        let mut i = child.stdin.take().unwrap();
        let _ = i.write_all(b"hi\n");
    }
    let mut err = String::new();
    use std::io::Read;
    let _ = child.stderr.take().unwrap().read_to_string(&mut err);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    assert_eq!(err, "");
}
