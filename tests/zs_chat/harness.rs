//! The zs-chat test harness: a mock model server, a hermetic home whose
//! config points a provider at it, and a way to run the real binary and read
//! its NDJSON output.
//!
//! ```ignore
//! let t = Chat::new("anthropic", vec![Reply::text("Hello")]);
//! let run = t.run(&[], "hi\n");
//! run.assert_code(0);
//! assert_eq!(run.assistant()["content"][0]["text"], "Hello");
//! assert_eq!(t.request().path, "/v1/messages");
//! ```
//!
//! Every run is bounded ([`RUN_TIMEOUT`]), the API key is [`KEY`] (distinct
//! enough to search for: `run.assert_no_key()`), and the default timeouts
//! and retry delays are small so fault tests finish quickly.
#![allow(dead_code)]

use crate::common::{Home, ndjson};
use crate::mock::script::{Fault, Reply, Script};
use crate::mock::server::{MockServer, Recorded};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::process::{Child, Command};
use std::time::Duration;

/// The API key every test runs with. A failure message must never hold it.
pub const KEY: &str = "sk-zs-test-7f3a9c1e5b";

/// The longest any one run of zs-chat may take before the test fails.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(30);

/// Timeouts written into the test config unless a test sets its own (ms).
pub const CONNECT_MS: u64 = 2_000;
pub const FIRST_BYTE_MS: u64 = 5_000;
pub const IDLE_MS: u64 = 3_000;

/// The variable that holds the key of a built-in provider.
pub fn key_env(provider: &str) -> Option<&'static str> {
    Some(match provider {
        "openrouter" => "OPENROUTER_API_KEY",
        "openai" => "OPENAI_API_KEY",
        "anthropic" => "ANTHROPIC_API_KEY",
        "gemini" => "GEMINI_API_KEY",
        "openai-compatible" => "OPENAI_COMPATIBLE_API_KEY",
        _ => return None,
    })
}

/// The path prefix a provider's base URL carries at the real service, so
/// requests reach the mock at the real path (`/v1/chat/completions`,
/// `/v1/messages`, `/v1beta/models/...`, `/api/chat`).
pub fn base_path(provider: &str) -> &'static str {
    match provider {
        "openrouter" | "openai" | "openai-compatible" => "/v1",
        "gemini" => "/v1beta",
        _ => "",
    }
}

/// One scenario: a mock server, a home and a config that sends `provider`
/// to the mock.
pub struct Chat {
    pub home: Home,
    pub mock: MockServer,
    pub provider: String,
    /// The config written before each run; tests may change it.
    pub config: Value,
    /// Extra environment for each run; tests may change it.
    pub env: Vec<(String, String)>,
}

impl Chat {
    /// A scenario for a built-in provider with `replies`.
    pub fn new(provider: &str, replies: Vec<Reply>) -> Chat {
        Chat::with_script(
            provider,
            Script {
                replies,
                repeat_last: false,
            },
        )
    }

    /// A scenario whose mock keeps connections open between requests, as a
    /// real provider does (by default each response closes its
    /// connection).
    pub fn keep_alive(provider: &str, replies: Vec<Reply>) -> Chat {
        Chat::with_server(
            provider,
            MockServer::start_keep_alive(Script {
                replies,
                repeat_last: false,
            }),
        )
    }

    pub fn with_script(provider: &str, script: Script) -> Chat {
        Chat::with_server(provider, MockServer::start(script))
    }

    /// A scenario for `provider` against `mock`.
    pub fn with_server(provider: &str, mock: MockServer) -> Chat {
        let base = format!("{}{}", mock.url(), base_path(provider));
        let mut config = json!({
            "provider": provider,
            "providers": {
                provider: {
                    "base_url": base,
                    "timeouts": {
                        "connect_ms": CONNECT_MS,
                        "first_byte_ms": FIRST_BYTE_MS,
                        "idle_ms": IDLE_MS,
                    },
                },
            },
            "retry": {"max_attempts": 3, "initial_delay_ms": 10, "max_delay_ms": 50},
        });
        // A provider without a default model gets one, so a bare run works.
        if provider == "openai-compatible" {
            config["model"] = json!("mock-model");
        }
        let mut env = Vec::new();
        if let Some(var) = key_env(provider) {
            env.push((var.to_string(), KEY.to_string()));
        }
        Chat {
            home: Home::new(),
            mock,
            provider: provider.to_string(),
            config,
            env,
        }
    }

    /// The config entry of the scenario's provider, to add fields to.
    pub fn provider_config(&mut self) -> &mut Value {
        &mut self.config["providers"][self.provider.as_str()]
    }

    /// Sets the provider's timeouts (ms).
    pub fn timeouts(&mut self, connect_ms: u64, first_byte_ms: u64, idle_ms: u64) -> &mut Chat {
        self.provider_config()["timeouts"] = json!({
            "connect_ms": connect_ms, "first_byte_ms": first_byte_ms, "idle_ms": idle_ms,
        });
        self
    }

    /// Sets the retry policy.
    pub fn retry(
        &mut self,
        max_attempts: u32,
        initial_delay_ms: u64,
        max_delay_ms: u64,
    ) -> &mut Chat {
        self.config["retry"] = json!({
            "max_attempts": max_attempts,
            "initial_delay_ms": initial_delay_ms,
            "max_delay_ms": max_delay_ms,
        });
        self
    }

    /// Sets (or with None removes) an environment variable for the runs.
    pub fn set_env(&mut self, var: &str, value: Option<&str>) -> &mut Chat {
        self.env.retain(|(k, _)| k != var);
        if let Some(v) = value {
            self.env.push((var.to_string(), v.to_string()));
        }
        self
    }

    /// A zs-chat command with the config written and the environment set;
    /// stdin, stdout and stderr are left to the caller.
    pub fn command(&self, args: &[&str]) -> Command {
        self.home.write_config(&self.config.to_string());
        let mut c = self.home.std_cmd("zs-chat");
        c.args(args);
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    /// Runs zs-chat with `args` and `stdin`, bounded by [`RUN_TIMEOUT`].
    pub fn run(&self, args: &[&str], stdin: &str) -> Run {
        let mut c = self.command(args);
        run_bounded(&mut c, stdin, RUN_TIMEOUT)
    }

    /// Starts zs-chat with `stdin` written and closed; stdout and stderr are
    /// piped. For tests that signal the process while it streams.
    pub fn spawn(&self, args: &[&str], stdin: &str) -> Child {
        crate::common::spawn_fed(&mut self.command(args), stdin, "zs-chat").0
    }

    /// Starts zs-chat with stdin held open, for tests that feed it round
    /// by round and watch its output as it comes ([`Live`]).
    pub fn live(&self, args: &[&str]) -> Live {
        Live(crate::common::Live::start(
            &mut self.command(args),
            "zs-chat",
            RUN_TIMEOUT,
        ))
    }

    /// Every request the mock received.
    pub fn requests(&self) -> Vec<Recorded> {
        self.mock.requests()
    }

    /// The connection each request came on, in order.
    pub fn connections(&self) -> Vec<u64> {
        self.mock.requests().iter().map(|r| r.connection).collect()
    }

    /// The one request the mock received; fails the test if there were
    /// none or several.
    pub fn request(&self) -> Recorded {
        let reqs = self.mock.requests();
        assert_eq!(
            reqs.len(),
            1,
            "expected exactly one request, got {}",
            reqs.len()
        );
        reqs.into_iter().next().expect("one request")
    }
}

/// The outcome of one run.
#[derive(Debug)]
pub struct Run {
    /// The exit code; None when killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// stdout parsed line by line.
    pub events: Vec<Value>,
    pub elapsed: Duration,
}

impl Run {
    pub fn of_type(&self, t: &str) -> Vec<&Value> {
        self.events.iter().filter(|e| e["type"] == t).collect()
    }

    /// The one `assistant` event; fails the test unless there is exactly one.
    pub fn assistant(&self) -> &Value {
        let a = self.of_type("assistant");
        assert_eq!(a.len(), 1, "expected one assistant event:\n{}", self.dump());
        a[0]
    }

    /// The `assistant` event if there is one.
    pub fn maybe_assistant(&self) -> Option<&Value> {
        self.of_type("assistant").into_iter().next()
    }

    /// The `error` events.
    pub fn errors(&self) -> Vec<&Value> {
        self.of_type("error")
    }

    /// The fatal `error` event; fails the test unless there is exactly one.
    pub fn fatal(&self) -> &Value {
        let f: Vec<_> = self
            .errors()
            .into_iter()
            .filter(|e| e["fatal"] == true)
            .collect();
        assert_eq!(f.len(), 1, "expected one fatal error:\n{}", self.dump());
        f[0]
    }

    /// The fatal error's message ("" when it has none).
    pub fn fatal_message(&self) -> String {
        self.fatal()["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// All `text_delta` texts joined.
    pub fn text_deltas(&self) -> String {
        self.joined("text_delta")
    }

    /// All `reasoning_delta` texts joined.
    pub fn reasoning_deltas(&self) -> String {
        self.joined("reasoning_delta")
    }

    fn joined(&self, t: &str) -> String {
        self.of_type(t)
            .iter()
            .map(|e| e["text"].as_str().unwrap_or_default())
            .collect()
    }

    /// The assistant's text blocks joined.
    pub fn text(&self) -> String {
        self.assistant()["content"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|b| b["type"] == "text")
            .map(|b| b["text"].as_str().unwrap_or_default())
            .collect()
    }

    /// The assistant's tool_call blocks.
    pub fn tool_calls(&self) -> Vec<&Value> {
        self.assistant()["content"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|b| b["type"] == "tool_call")
            .collect()
    }

    /// The assistant's tool calls, which must be `calls` (id, name,
    /// arguments), in order.
    pub fn assert_tool_calls(&self, calls: &[(&str, &str, Value)]) -> Vec<&Value> {
        let got = self.tool_calls();
        assert_eq!(got.len(), calls.len());
        for (g, (id, name, args)) in got.iter().zip(calls) {
            assert_eq!(g["id"], *id);
            assert_eq!(g["name"], *name);
            assert_eq!(g["arguments"], *args);
        }
        got
    }

    pub fn assert_code(&self, code: i32) {
        assert_eq!(self.code, Some(code), "exit code:\n{}", self.dump());
    }

    /// The test key appears nowhere in stdout or stderr.
    pub fn assert_no_key(&self) {
        assert!(
            !self.stdout.contains(KEY) && !self.stderr.contains(KEY),
            "the API key leaked:\n{}",
            self.dump()
        );
    }

    /// A stream that broke after `partial`: the partial reply with stop
    /// `error`, then the fatal error naming `needle`, exit 4, and the key
    /// nowhere.
    pub fn assert_broken(&self, partial: &str, needle: &str) {
        self.assert_code(4);
        let a = self.assistant();
        assert_eq!(a["stop"], "error", "{}", self.dump());
        assert_eq!(self.text(), partial);
        assert_eq!(self.text_deltas(), partial);
        let m = self.fatal_message();
        assert!(m.contains(needle), "{m:?} should mention {needle:?}");
        // The assistant comes before the error.
        let pos = |t: &str| self.events.iter().position(|e| e["type"] == t).unwrap();
        assert!(pos("assistant") < pos("error"));
        self.assert_no_key();
    }

    /// A reply the provider ended with `provider_stop` (a refusal, a
    /// filter): written with stop `error`, then a fatal error naming that
    /// reason, exit 4.
    pub fn assert_refused(&self, provider_stop: &str) {
        self.assert_code(4);
        let a = self.assistant();
        assert_eq!(a["stop"], "error");
        assert_eq!(a["provider_stop"], provider_stop);
        assert!(
            self.fatal_message().contains(provider_stop),
            "{}",
            self.dump()
        );
    }

    /// stdout and stderr, for assertion messages.
    pub fn dump(&self) -> String {
        format!(
            "code: {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// A zs-chat process whose stdin stays open ([`crate::common::Live`],
/// every wait bounded by [`RUN_TIMEOUT`]); its end is read as a [`Run`].
pub struct Live(crate::common::Live);

impl std::ops::Deref for Live {
    type Target = crate::common::Live;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Live {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Live {
    /// Closes stdin and waits for the exit ([`Live::wait`]).
    pub fn finish(self) -> Run {
        run_of(self.0.finish())
    }

    /// Waits for the exit with stdin left as it is, bounded by
    /// [`RUN_TIMEOUT`] (past it the process is killed and the test fails).
    pub fn wait(self) -> Run {
        run_of(self.0.wait())
    }
}

/// The [`Run`] of a zs-chat that has ended: its stdout is every line it
/// wrote.
fn run_of(end: crate::common::Ended) -> Run {
    let mut stdout = end.lines.join("\n");
    if !stdout.is_empty() {
        stdout.push('\n');
    }
    Run {
        code: end.status.code(),
        events: ndjson(stdout.as_bytes()),
        stdout,
        stderr: end.stderr,
        elapsed: end.elapsed,
    }
}

/// `Reply::text("Hello, world!")` from `provider` for the input `hi`, with
/// the checks every format shares: exit 0, a quiet stderr, the text in
/// several deltas that concatenate to it, then one assistant message with
/// stop `end` as the last line, a POST, and the key nowhere. The chat and
/// the run are left for the format's own checks.
pub fn hello_world(provider: &str) -> (Chat, Run) {
    let t = Chat::new(provider, vec![Reply::text("Hello, world!")]);
    let run = t.run(&[], "hi\n");
    run.assert_code(0);
    assert_eq!(run.stderr, "");
    assert!(
        run.of_type("text_delta").len() > 1,
        "the reply comes in pieces:\n{}",
        run.dump()
    );
    // Each delta carries only new text: they concatenate to the reply.
    assert_eq!(run.text_deltas(), "Hello, world!");
    assert_eq!(run.text(), "Hello, world!");
    assert_eq!(run.assistant()["stop"], "end");
    // The assistant is the last line; nothing follows it.
    assert_eq!(run.events.last().unwrap()["type"], "assistant");
    run.assert_no_key();
    assert_eq!(t.request().method, "POST");
    (t, run)
}

/// An HTTP 400 from `provider`'s mock with the format's error body: no
/// assistant, exit 4, a fatal error naming the status and the body's
/// message, and the key nowhere.
pub fn assert_a_400_reports_the_mock_message(provider: &str) {
    let t = Chat::new(provider, vec![status(400, None)]);
    let run = t.run(&[], "hi\n");
    run.assert_code(4);
    assert!(run.maybe_assistant().is_none());
    let msg = run.fatal_message();
    assert!(
        msg.contains("HTTP 400") && msg.contains("mock: HTTP 400"),
        "{msg}"
    );
    run.assert_no_key();
}

/// Runs `cmd` with `stdin`, killing it and failing the test after `limit`.
pub fn run_bounded(cmd: &mut Command, stdin: &str, limit: Duration) -> Run {
    let (code, stdout, stderr, elapsed) = crate::common::run_fed(cmd, stdin, limit, "zs-chat");
    let events = ndjson(stdout.as_bytes());
    Run {
        code,
        stdout,
        stderr,
        events,
        elapsed,
    }
}

/// Waits for a zs-chat `child` at most `limit` (tests/common).
pub fn wait_bounded(child: &mut Child, limit: Duration) -> (Option<i32>, String, String) {
    crate::common::wait_bounded(child, limit, "zs-chat")
}

/// Conversation lines, for stdin.
pub fn lines(events: &[Value]) -> String {
    let mut s = String::new();
    for e in events {
        s.push_str(&e.to_string());
        s.push('\n');
    }
    s
}

/// A `user` line.
pub fn user(text: &str) -> Value {
    json!({"type": "user", "text": text})
}

/// A `system` line.
pub fn system(text: &str) -> Value {
    json!({"type": "system", "text": text})
}

/// A `tools` line with one tool per name (an object schema with a `path`).
pub fn tools(names: &[&str]) -> Value {
    let tools: Vec<Value> = names
        .iter()
        .map(|n| {
            json!({
                "name": n,
                "description": format!("the {n} tool"),
                "parameters": {"type": "object", "properties": {"path": {"type": "string"}}},
            })
        })
        .collect();
    json!({"type": "tools", "tools": tools})
}

/// A `tool_result` line.
pub fn tool_result(call_id: &str, name: &str, content: &str) -> Value {
    json!({"type": "tool_result", "call_id": call_id, "name": name, "content": content})
}

/// A reply that is an HTTP error `code` with the format's error body, and a
/// Retry-After header when given.
pub fn status(code: u16, retry_after: Option<&str>) -> Reply {
    Reply {
        fault: Some(Fault::Status {
            status: code,
            retry_after: retry_after.map(str::to_string),
            body: None,
        }),
        ..Reply::default()
    }
}

/// A reply that is an HTTP response `code` with `body`.
pub fn status_body(code: u16, body: impl Into<String>) -> Reply {
    Reply {
        fault: Some(Fault::Status {
            status: code,
            retry_after: None,
            body: Some(body.into()),
        }),
        ..Reply::default()
    }
}

/// A text reply that acts out `fault` on the way.
pub fn faulty(text: &str, fault: Fault) -> Reply {
    Reply {
        fault: Some(fault),
        ..Reply::text(text)
    }
}

/// A reply with `text` and one or more tool calls `(id, name, arguments)`.
pub fn reply_with_calls(text: &str, calls: &[(&str, &str, Value)]) -> Reply {
    Reply {
        text: text.into(),
        tool_calls: calls
            .iter()
            .map(|(id, name, args)| crate::mock::script::Call {
                id: id.to_string(),
                name: name.to_string(),
                arguments: args.clone(),
            })
            .collect(),
        ..Reply::default()
    }
}

/// One POST of `request` to `path` of a fresh mock holding `reply`, for
/// tests of the mock's rendering: the status, the lower-cased headers and
/// the body.
pub fn mock_answer(
    path: &str,
    request: &str,
    reply: Reply,
) -> (u16, Vec<(String, String)>, String) {
    let m = MockServer::start(Script {
        replies: vec![reply],
        repeat_last: false,
    });
    raw_post(&m.url(), path, request, &[])
}

/// [`mock_answer`] for a reply that streams: the status must be 200.
pub fn mock_stream(path: &str, request: &str, reply: Reply) -> (Vec<(String, String)>, String) {
    let (status, headers, body) = mock_answer(path, request, reply);
    assert_eq!(status, 200, "{body}");
    (headers, body)
}

/// Splits an SSE body into (event name, data) pairs; every event must
/// carry JSON data.
pub fn sse_events(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            let mut name = String::new();
            let mut data = String::new();
            for l in e.lines() {
                if let Some(n) = l.strip_prefix("event: ") {
                    name = n.to_string();
                } else if let Some(d) = l.strip_prefix("data: ") {
                    data.push_str(d);
                }
            }
            let v = serde_json::from_str(&data).unwrap_or_else(|e| panic!("{data}: {e}"));
            (name, v)
        })
        .collect()
}

/// A minimal HTTP/1.1 POST to the mock, for tests of the mock itself:
/// returns the status, the lower-cased headers and the de-chunked body.
pub fn raw_post(
    url: &str,
    path: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> (u16, Vec<(String, String)>, String) {
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).expect("connect to the mock");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).expect("write");
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let hdrs: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let chunked = hdrs
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    (status, hdrs, body)
}

/// Joins the chunks of a chunked body (stops at a truncated one).
fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    //! The mock server itself, spoken to over raw HTTP.
    use super::*;

    fn script(replies: Vec<Reply>) -> Script {
        Script {
            replies,
            repeat_last: false,
        }
    }

    #[test]
    fn mock_streams_a_chat_completion_and_records_the_request() {
        let m = MockServer::start(script(vec![Reply::text("Hello there")]));
        let (status, headers, body) = raw_post(
            &m.url(),
            "/v1/chat/completions",
            r#"{"model":"m1","stream":true}"#,
            &[("Authorization", "Bearer x")],
        );
        assert_eq!(status, 200);
        assert!(
            headers
                .iter()
                .any(|(k, v)| k == "content-type" && v == "text/event-stream")
        );
        assert!(body.starts_with(": OPENROUTER PROCESSING\n\n"), "{body}");
        assert!(body.contains(r#""content":"Hel""#), "{body}");
        assert!(body.contains(r#""finish_reason":"stop""#), "{body}");
        assert!(body.ends_with("data: [DONE]\n\n"), "{body}");
        let reqs = m.requests();
        assert_eq!(reqs.len(), 1);
        assert_eq!(reqs[0].method, "POST");
        assert_eq!(reqs[0].path, "/v1/chat/completions");
        assert_eq!(reqs[0].header("Authorization"), Some("Bearer x"));
        assert_eq!(reqs[0].body["model"], "m1");
    }

    #[test]
    fn mock_acts_out_a_status_fault_then_runs_out() {
        let m = MockServer::start(script(vec![status(429, Some("1"))]));
        let (status, headers, body) = raw_post(&m.url(), "/v1/chat/completions", "{}", &[]);
        assert_eq!(status, 429);
        assert!(headers.iter().any(|(k, v)| k == "retry-after" && v == "1"));
        assert!(body.contains("\"error\""), "{body}");
        let (status, _, body) = raw_post(&m.url(), "/v1/chat/completions", "{}", &[]);
        assert_eq!((status, body.as_str()), (500, "mock: script exhausted"));
        let (status, _, _) = raw_post(&m.url(), "/nowhere", "{}", &[]);
        assert_eq!(status, 404);
        assert_eq!(m.requests().len(), 3);
    }

    #[test]
    fn mock_cuts_a_stream_and_repeats_the_last_reply_when_asked() {
        let m = MockServer::start(Script {
            replies: vec![faulty("abcdefghi", Fault::Disconnect { after: 3 })],
            repeat_last: true,
        });
        for _ in 0..2 {
            let (status, _, body) = raw_post(&m.url(), "/v1/chat/completions", "{}", &[]);
            assert_eq!(status, 200);
            assert!(body.contains("abc") && !body.contains("[DONE]"), "{body}");
        }
    }

    #[test]
    fn mock_reads_a_chunked_request_body() {
        let m = MockServer::start(script(vec![Reply::text("ok")]));
        let addr = m.url().trim_start_matches("http://").to_string();
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.write_all(b"POST /v1/chat/completions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n").unwrap();
        let mut raw = String::new();
        let _ = s.read_to_string(&mut raw);
        assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
        assert_eq!(m.requests()[0].body, json!({"a": 1}));
    }

    /// A status, lower-cased headers and a body.
    type Response = (u16, Vec<(String, String)>, String);

    /// A client connection to the mock that reads responses one by one
    /// (by Content-Length or chunks), so it can send the next request on
    /// the same connection.
    struct Client(std::io::BufReader<std::net::TcpStream>);

    impl Client {
        fn connect(m: &MockServer) -> Client {
            let s = std::net::TcpStream::connect(m.url().trim_start_matches("http://"))
                .expect("connect to the mock");
            s.set_read_timeout(Some(Duration::from_secs(10)))
                .expect("timeout");
            Client(std::io::BufReader::new(s))
        }

        fn send(&mut self, path: &str, body: &str) {
            let req = format!(
                "POST {path} HTTP/1.1\r\nHost: mock\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            self.0.get_mut().write_all(req.as_bytes()).expect("write");
        }

        fn line(&mut self) -> String {
            use std::io::BufRead;
            let mut l = String::new();
            self.0.read_line(&mut l).expect("read a line");
            l.trim_end_matches(['\r', '\n']).to_string()
        }

        /// The next response: status, lower-cased headers, body; None when
        /// the server closed the connection instead.
        fn response(&mut self) -> Option<Response> {
            let status_line = self.line();
            if status_line.is_empty() {
                return None;
            }
            let status = status_line.split_whitespace().nth(1)?.parse().ok()?;
            let mut headers = Vec::new();
            loop {
                let l = self.line();
                if l.is_empty() {
                    break;
                }
                let (k, v) = l.split_once(':').expect("a header");
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
            let get = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
            let mut body = Vec::new();
            if let Some(n) = get("content-length") {
                body.resize(n.parse().expect("a length"), 0);
                self.0.read_exact(&mut body).expect("the body");
            } else {
                loop {
                    let size = usize::from_str_radix(&self.line(), 16).expect("a chunk size");
                    if size == 0 {
                        assert_eq!(self.line(), "", "no trailers");
                        break;
                    }
                    let start = body.len();
                    body.resize(start + size, 0);
                    self.0.read_exact(&mut body[start..]).expect("a chunk");
                    assert_eq!(self.line(), "");
                }
            }
            Some((status, headers, String::from_utf8(body).expect("utf-8")))
        }

        /// True when the server has closed the connection (a read sees its
        /// end at once; the mock never sends unasked).
        fn closed(&mut self) -> bool {
            let mut b = [0u8; 1];
            matches!(self.0.read(&mut b), Ok(0) | Err(_))
        }
    }

    fn connection_header(headers: &[(String, String)]) -> &str {
        headers
            .iter()
            .find(|(k, _)| k == "connection")
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }

    #[test]
    fn mock_with_keep_alive_answers_request_after_request_on_one_connection() {
        let m = MockServer::start_keep_alive(script(vec![
            Reply::text("one"),
            status(500, None),
            Reply::text("two"),
        ]));
        let mut c = Client::connect(&m);
        for (want_status, want_text) in [(200, "one"), (500, "mock: HTTP 500"), (200, "two")] {
            c.send("/v1/chat/completions", r#"{"model":"m"}"#);
            let (status, headers, body) = c.response().expect("a response");
            assert_eq!(status, want_status);
            assert_eq!(connection_header(&headers), "keep-alive");
            assert!(body.contains(want_text), "{body}");
        }
        // Another connection is numbered apart.
        let mut c = Client::connect(&m);
        c.send("/v1/chat/completions", "{}");
        let (status, _, body) = c.response().expect("a response");
        assert_eq!((status, body.as_str()), (500, "mock: script exhausted"));
        let conns: Vec<u64> = m.requests().iter().map(|r| r.connection).collect();
        assert_eq!(conns, [1, 1, 1, 2]);
    }

    #[test]
    fn mock_closes_each_connection_after_its_response_by_default() {
        let m = MockServer::start(script(vec![Reply::text("one"), Reply::text("two")]));
        let mut c = Client::connect(&m);
        c.send("/v1/chat/completions", "{}");
        let (status, headers, _) = c.response().expect("a response");
        assert_eq!(status, 200);
        assert_eq!(connection_header(&headers), "close");
        assert!(c.closed());
        let (status, headers, _) = raw_post(&m.url(), "/v1/chat/completions", "{}", &[]);
        assert_eq!(status, 200);
        assert!(
            headers
                .iter()
                .any(|(k, v)| k == "connection" && v == "close")
        );
        let conns: Vec<u64> = m.requests().iter().map(|r| r.connection).collect();
        assert_eq!(conns, [1, 2]);
    }

    #[test]
    fn mock_close_faults_end_a_kept_connection_before_or_after_the_reply() {
        let m = MockServer::start_keep_alive(script(vec![
            Reply {
                fault: Some(Fault::Close),
                ..Reply::default()
            },
            faulty("bye", Fault::CloseAfterReply),
        ]));
        // Close: the request is read and recorded, and nothing comes back.
        let mut c = Client::connect(&m);
        c.send("/v1/chat/completions", r#"{"n":1}"#);
        assert!(c.response().is_none());
        assert_eq!(m.requests()[0].body, json!({"n": 1}));
        // CloseAfterReply: a whole reply, said to keep the connection, which
        // is then closed all the same.
        let mut c = Client::connect(&m);
        c.send("/v1/chat/completions", "{}");
        let (status, headers, body) = c.response().expect("a response");
        assert_eq!(status, 200);
        assert_eq!(connection_header(&headers), "keep-alive");
        assert!(body.ends_with("data: [DONE]\n\n"), "{body}");
        assert!(c.closed());
    }

    #[test]
    fn mock_hold_open_sends_the_last_event_but_never_the_end_of_the_body() {
        let m = MockServer::start_keep_alive(script(vec![faulty("hi", Fault::HoldOpen)]));
        let mut c = Client::connect(&m);
        c.send("/v1/chat/completions", "{}");
        assert!(c.line().starts_with("HTTP/1.1 200"));
        while !c.line().is_empty() {}
        // Chunks up to the one that holds [DONE]; the terminator never
        // comes: the next read waits until the client gives up.
        let mut seen = Vec::new();
        while !String::from_utf8_lossy(&seen).contains("[DONE]") {
            let size = usize::from_str_radix(&c.line(), 16).expect("a chunk size");
            assert_ne!(size, 0, "the terminator");
            let start = seen.len();
            seen.resize(start + size, 0);
            c.0.read_exact(&mut seen[start..]).expect("a chunk");
            assert_eq!(c.line(), "");
        }
        c.0.get_ref()
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut b = [0u8; 64];
        let r = c.0.read(&mut b);
        assert!(
            matches!(&r, Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)),
            "{r:?}: {:?}",
            r.as_ref()
                .map(|n| String::from_utf8_lossy(&b[..*n]).into_owned())
        );
    }
}
