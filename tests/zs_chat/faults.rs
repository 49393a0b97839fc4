//! zs-chat when things go wrong: HTTP errors and retries, a dead port,
//! streams that break, stall or carry the provider's error, a server that
//! never answers, a refused key, and SIGINT in the middle of a reply. Every
//! failure is an `error` event plus an exit code, a partial reply is kept,
//! and the API key is never printed.

use crate::harness::{Chat, KEY, Run, faulty, status, status_body, wait_bounded};
use crate::mock::script::{Fault, Reply};
use std::time::{Duration, Instant};

#[test]
fn a_429_with_retry_after_is_waited_out_then_retried() {
    let t = Chat::new(
        "openai-compatible",
        vec![status(429, Some("1")), Reply::text("made it")],
    );
    let run = t.run(&[], "hi\n");
    run.assert_code(0);
    let retries = run.of_type("retry");
    assert_eq!(retries.len(), 1, "{}", run.dump());
    let r = retries[0];
    assert_eq!(r["source"], "zs-chat");
    assert_eq!(r["attempt"], 2);
    assert_eq!(r["max_attempts"], 3);
    assert!(r["delay_ms"].as_u64().unwrap() >= 1000, "{r}");
    assert!(r["reason"].as_str().unwrap().contains("429"), "{r}");
    assert!(run.elapsed >= Duration::from_millis(1000));
    assert_eq!(run.text(), "made it");
    // The retry event comes before anything of the reply.
    assert_eq!(run.events[0]["type"], "retry");
    assert_eq!(t.requests().len(), 2);
    assert_eq!(
        t.requests()[0].body,
        t.requests()[1].body,
        "the same request again"
    );
    run.assert_no_key();
}

#[test]
fn a_500_is_retried_with_backoff() {
    let t = Chat::new("openrouter", vec![status(500, None), Reply::text("ok")]);
    let run = t.run(&[], "hi\n");
    run.assert_code(0);
    let r = run.of_type("retry");
    assert_eq!(r.len(), 1);
    // The harness's backoff is 10 ms initial, 50 ms cap.
    assert!(r[0]["delay_ms"].as_u64().unwrap() <= 50, "{}", r[0]);
    assert_eq!(run.text(), "ok");
}

#[test]
fn retries_exhausted_is_an_upstream_error() {
    let t = Chat::new(
        "openrouter",
        vec![status(503, None), status(502, None), status(529, None)],
    );
    let run = t.run(&[], "hi\n");
    run.assert_code(4);
    assert_eq!(run.of_type("retry").len(), 2);
    assert!(run.maybe_assistant().is_none());
    let f = run.fatal();
    assert_eq!(f["code"], "upstream");
    assert_eq!(f["source"], "zs-chat");
    let m = run.fatal_message();
    assert!(m.contains("HTTP 529") && m.contains("3 attempts"), "{m}");
    assert!(run.stderr.starts_with("zs-chat: error: "), "{}", run.stderr);
    assert_eq!(t.requests().len(), 3);
    run.assert_no_key();
}

#[test]
fn a_retry_after_past_the_cap_gives_up_at_once() {
    let t = Chat::new(
        "openrouter",
        vec![status(429, Some("3600")), Reply::text("never")],
    );
    let run = t.run(&[], "hi\n");
    run.assert_code(4);
    assert!(run.of_type("retry").is_empty());
    let m = run.fatal_message();
    assert!(m.contains("3600 s") && m.contains("longer than"), "{m}");
    assert_eq!(t.requests().len(), 1);
}

#[test]
fn a_400_is_not_retried_and_names_status_and_message() {
    let t = Chat::new(
        "openrouter",
        vec![status_body(
            400,
            r#"{"error":{"message":"model 'x' does not exist","type":"invalid_request_error","code":null}}"#,
        )],
    );
    let run = t.run(&[], "hi\n");
    run.assert_code(4);
    let m = run.fatal_message();
    assert!(
        m.contains("HTTP 400") && m.contains("model 'x' does not exist"),
        "{m}"
    );
    assert_eq!(t.requests().len(), 1);
}

#[test]
fn a_refused_key_is_an_auth_error_naming_the_variable_never_the_key() {
    let t = Chat::new(
        "openrouter",
        // Some providers quote the key they refused.
        vec![status_body(
            401,
            format!(r#"{{"error":{{"message":"Incorrect API key provided: {KEY}","code":401}}}}"#),
        )],
    );
    let run = t.run(&[], "hi\n");
    run.assert_code(5);
    let f = run.fatal();
    assert_eq!(f["code"], "auth");
    let m = run.fatal_message();
    assert!(m.contains("OPENROUTER_API_KEY"), "{m}");
    assert!(m.contains("HTTP 401") && m.contains("rejected"), "{m}");
    run.assert_no_key();
    assert_eq!(t.requests().len(), 1, "a refused key is not retried");
}

#[test]
fn a_403_is_an_auth_error_too() {
    let t = Chat::new("openai-compatible", vec![status(403, None)]);
    let run = t.run(&[], "hi\n");
    run.assert_code(5);
    assert!(run.fatal_message().contains("OPENAI_COMPATIBLE_API_KEY"));
    run.assert_no_key();
}

#[test]
fn a_port_with_nothing_listening_is_retried_then_fails() {
    let mut t = Chat::new("openai-compatible", vec![]);
    // A port that was free a moment ago.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    t.provider_config()["base_url"] = serde_json::json!(format!("http://127.0.0.1:{port}/v1"));
    let run = t.run(&[], "hi\n");
    run.assert_code(4);
    assert_eq!(run.of_type("retry").len(), 2, "{}", run.dump());
    let m = run.fatal_message();
    assert!(
        m.contains("connection refused") && m.contains(&port.to_string()),
        "{m}"
    );
    assert!(run.maybe_assistant().is_none());
    run.assert_no_key();
}

/// A stream that breaks after some text ([`Run::assert_broken`]), and no
/// retry.
fn assert_broken(run: &Run, partial: &str, needle: &str) {
    run.assert_broken(partial, needle);
    assert!(
        run.of_type("retry").is_empty(),
        "nothing is retried once the body began"
    );
}

// The rendered events of `Reply::text("abcdefghi")`: the processing comment
// (0), the role chunk (1), then "abc" (2), "def" (3), "ghi" (4), the finish
// chunk (5), usage (6), [DONE] (7).

#[test]
fn a_disconnect_mid_stream_keeps_the_partial_reply() {
    let t = Chat::new(
        "openrouter",
        vec![faulty("abcdefghi", Fault::Disconnect { after: 4 })],
    );
    let run = t.run(&[], "hi\n");
    assert_broken(&run, "abcdef", "broke off");
    assert_eq!(t.requests().len(), 1);
}

#[test]
fn a_disconnect_after_the_finish_reason_loses_nothing() {
    let t = Chat::new(
        "openrouter",
        vec![faulty("abcdefghi", Fault::Disconnect { after: 7 })],
    );
    let run = t.run(&[], "hi\n");
    run.assert_code(0);
    assert_eq!(run.text(), "abcdefghi");
    assert_eq!(run.assistant()["stop"], "end");
}

#[test]
fn a_malformed_event_breaks_the_stream() {
    let t = Chat::new(
        "openrouter",
        vec![faulty("abcdefghi", Fault::Malformed { after: 3 })],
    );
    let run = t.run(&[], "hi\n");
    assert_broken(&run, "abc", "malformed");
}

#[test]
fn the_providers_error_event_breaks_the_stream_with_its_message() {
    let t = Chat::new(
        "openrouter",
        vec![faulty(
            "abcdefghi",
            Fault::StreamError {
                after: 4,
                message: "upstream overloaded".into(),
            },
        )],
    );
    let run = t.run(&[], "hi\n");
    assert_broken(&run, "abcdef", "upstream overloaded");
}

#[test]
fn an_idle_gap_past_idle_ms_breaks_the_stream_and_says_so() {
    let mut t = Chat::new(
        "openai-compatible",
        vec![faulty(
            "abcdefghi",
            Fault::Drip {
                after: 4,
                pause_ms: 5_000,
            },
        )],
    );
    t.timeouts(2_000, 3_000, 300);
    let run = t.run(&[], "hi\n");
    assert_broken(&run, "abcdef", "idle_ms");
    assert!(run.fatal_message().contains("300 ms"));
    assert!(
        run.elapsed < Duration::from_millis(3_000),
        "{:?}",
        run.elapsed
    );
}

#[test]
fn a_slow_stream_within_idle_ms_is_fine() {
    let mut t = Chat::new(
        "openai-compatible",
        vec![Reply {
            delay_ms: 100,
            ..Reply::text("abcdefghi")
        }],
    );
    t.timeouts(2_000, 3_000, 400);
    let run = t.run(&[], "hi\n");
    run.assert_code(0);
    assert_eq!(run.text(), "abcdefghi");
}

#[test]
fn a_server_that_never_answers_is_retried_after_first_byte_ms() {
    let mut t = Chat::new(
        "openai-compatible",
        vec![faulty("", Fault::Hang), Reply::text("second try")],
    );
    t.timeouts(2_000, 300, 300);
    let run = t.run(&[], "hi\n");
    run.assert_code(0);
    let r = run.of_type("retry");
    assert_eq!(r.len(), 1);
    assert!(
        r[0]["reason"].as_str().unwrap().contains("first_byte_ms"),
        "{}",
        r[0]
    );
    assert_eq!(run.text(), "second try");
}

#[test]
fn a_server_that_never_answers_at_all_fails_naming_first_byte_ms() {
    let mut t = Chat::new(
        "openai-compatible",
        vec![faulty("", Fault::Hang), faulty("", Fault::Hang)],
    );
    t.timeouts(2_000, 300, 300).retry(2, 10, 20);
    let run = t.run(&[], "hi\n");
    run.assert_code(4);
    let m = run.fatal_message();
    assert!(
        m.contains("no response within 300 ms (first_byte_ms)"),
        "{m}"
    );
    assert_eq!(t.requests().len(), 2);
    assert!(run.elapsed < Duration::from_secs(5), "{:?}", run.elapsed);
}

#[test]
fn sigint_during_a_slow_stream_writes_the_partial_reply_and_exits_130() {
    let t = Chat::new(
        "openrouter",
        vec![Reply {
            delay_ms: 150,
            chunk: 2,
            ..Reply::text("a slow reply that takes several seconds to stream out in full")
        }],
    );
    let mut child = t.spawn(&[], "hi\n");
    // Wait until the request arrived and a few events went out.
    assert_eq!(t.mock.wait_requests(1, Duration::from_secs(10)).len(), 1);
    std::thread::sleep(Duration::from_millis(700));
    let sent = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let (code, stdout, stderr) = wait_bounded(&mut child, Duration::from_secs(10));
    let took = sent.elapsed();
    assert_eq!(code, Some(130), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(took < Duration::from_secs(2), "took {took:?} to stop");
    let events = crate::common::ndjson(stdout.as_bytes());
    let a: Vec<_> = events.iter().filter(|e| e["type"] == "assistant").collect();
    assert_eq!(a.len(), 1, "{stdout}");
    assert_eq!(a[0]["stop"], "interrupted");
    let text = a[0]["content"][0]["text"].as_str().unwrap();
    assert!(!text.is_empty() && text.len() < 40, "{text:?}");
    // Interrupted is not a fault to report on stdout, only on stderr.
    assert!(events.iter().all(|e| e["type"] != "error"), "{stdout}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(!stdout.contains(KEY) && !stderr.contains(KEY));
}

#[test]
fn sigterm_while_waiting_out_a_retry_stops_at_once() {
    let t = Chat::new(
        "openrouter",
        vec![status(429, Some("30")), Reply::text("never")],
    );
    let mut child = t.spawn(&[], "hi\n");
    assert_eq!(t.mock.wait_requests(1, Duration::from_secs(10)).len(), 1);
    std::thread::sleep(Duration::from_millis(300));
    let sent = Instant::now();
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let (code, stdout, _) = wait_bounded(&mut child, Duration::from_secs(10));
    assert_eq!(code, Some(130));
    assert!(sent.elapsed() < Duration::from_secs(2));
    assert!(
        !stdout.contains("\"assistant\""),
        "nothing was produced: {stdout}"
    );
    assert_eq!(t.requests().len(), 1);
}

#[test]
fn sigint_while_waiting_for_the_first_byte_stops_at_once() {
    let mut t = Chat::new("openrouter", vec![faulty("", Fault::Hang)]);
    t.timeouts(2_000, 20_000, 20_000);
    let mut child = t.spawn(&[], "hi\n");
    assert_eq!(t.mock.wait_requests(1, Duration::from_secs(10)).len(), 1);
    std::thread::sleep(Duration::from_millis(200));
    let sent = Instant::now();
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let (code, stdout, stderr) = wait_bounded(&mut child, Duration::from_secs(10));
    assert_eq!(code, Some(130), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        sent.elapsed() < Duration::from_secs(2),
        "{:?}",
        sent.elapsed()
    );
    assert!(!stdout.contains("\"assistant\""), "{stdout}");
}

#[test]
fn a_json_body_where_a_stream_was_asked_for_is_an_error_with_its_message() {
    let t = Chat::new(
        "openai-compatible",
        vec![status_body(
            200,
            r#"{"error":{"message":"quota exceeded for this key"}}"#,
        )],
    );
    let run = t.run(&[], "hi\n");
    run.assert_code(4);
    let m = run.fatal_message();
    assert!(
        m.contains("instead of a stream") && m.contains("quota exceeded"),
        "{m}"
    );
    assert!(run.maybe_assistant().is_none());
}
