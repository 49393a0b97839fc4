//! zs-chat against Ollama's native chat API (the `ollama` provider), through
//! the mock model: what comes out on stdout, and the exact request that went
//! in. The first tests check the mock's rendering of the format itself.

use crate::harness::*;
use crate::mock::script::{Call, Fault, Reply, Script, Usage};
use crate::mock::server::MockServer;
use serde_json::{Value, json};

fn mock_post(reply: Reply) -> (Vec<(String, String)>, String) {
    let m = MockServer::start(Script {
        replies: vec![reply],
        repeat_last: false,
    });
    let (status, headers, body) = raw_post(&m.url(), "/api/chat", r#"{"model":"qwen3"}"#, &[]);
    assert_eq!(status, 200, "{body}");
    (headers, body)
}

fn ndjson_lines(body: &str) -> Vec<Value> {
    body.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

#[test]
fn mock_renders_ndjson_pieces_whole_calls_and_a_last_line() {
    let (headers, body) = mock_post(Reply {
        reasoning: "Hmm".into(),
        text: "Two calls".into(),
        tool_calls: vec![
            Call {
                id: "call_A".into(),
                name: "read".into(),
                arguments: json!({"path": "a"}),
            },
            Call {
                id: "call_B".into(),
                name: "list".into(),
                arguments: Value::Null,
            },
        ],
        usage: Usage {
            input: 42,
            output: 17,
            ..Usage::default()
        },
        ..Reply::default()
    });
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-type" && v == "application/x-ndjson")
    );
    let lines = ndjson_lines(&body);
    // 1 reasoning piece, 3 text pieces, 1 line of calls, 1 last line.
    assert_eq!(lines.len(), 6, "{body}");
    assert_eq!(lines[0]["message"]["thinking"], "Hmm");
    assert_eq!(lines[1]["message"]["content"], "Two");
    assert_eq!(
        lines[4]["message"]["tool_calls"],
        json!([
            {"id":"call_A","function":{"index":0,"name":"read","arguments":{"path":"a"}}},
            {"id":"call_B","function":{"index":1,"name":"list","arguments":{}}},
        ])
    );
    let last = &lines[5];
    assert_eq!(last["done"], true);
    assert_eq!(last["done_reason"], "stop", "stop even with tool calls");
    assert_eq!(
        (&last["prompt_eval_count"], &last["eval_count"]),
        (&json!(42), &json!(17))
    );
    assert!(
        lines[..5]
            .iter()
            .all(|l| l["done"] == false && l["model"] == "qwen3")
    );
}

#[test]
fn mock_renders_length_and_an_error_line() {
    let (_, body) = mock_post(Reply {
        text: "cut".into(),
        stop: Some("length".into()),
        ..Reply::default()
    });
    let lines = ndjson_lines(&body);
    assert_eq!(lines.last().unwrap()["done_reason"], "length");
    let (_, body) = mock_post(Reply {
        text: "abcdef".into(),
        fault: Some(Fault::StreamError {
            after: 1,
            message: "runner crashed".into(),
        }),
        ..Reply::default()
    });
    let lines = ndjson_lines(&body);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1], json!({"error": "runner crashed"}));
}
