//! zs-chat against the Anthropic Messages API (the `anthropic` provider),
//! through the mock model: what comes out on stdout, and the exact request
//! that went in. The first tests check the mock's rendering of the format.

use crate::harness::*;
use crate::mock::script::{Call, Fault, Reply, Script, Usage};
use crate::mock::server::MockServer;
use serde_json::{Value, json};

fn mock_post(reply: Reply) -> (Vec<(String, String)>, String) {
    let m = MockServer::start(Script {
        replies: vec![reply],
        repeat_last: false,
    });
    let (status, headers, body) = raw_post(
        &m.url(),
        "/v1/messages",
        r#"{"model":"claude-test","stream":true}"#,
        &[],
    );
    assert_eq!(status, 200, "{body}");
    (headers, body)
}

/// The SSE body as (event name, data) pairs.
fn sse(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            let mut name = String::new();
            let mut data = Value::Null;
            for l in e.lines() {
                if let Some(n) = l.strip_prefix("event: ") {
                    name = n.to_string();
                } else if let Some(d) = l.strip_prefix("data: ") {
                    data = serde_json::from_str(d).unwrap_or_else(|err| panic!("{d}: {err}"));
                }
            }
            (name, data)
        })
        .collect()
}

#[test]
fn mock_renders_named_events_with_blocks_by_index_and_cumulative_usage() {
    let (headers, body) = mock_post(Reply {
        reasoning: "Hmm.".into(),
        signature: Some("SIG".into()),
        text: "Two calls".into(),
        tool_calls: vec![
            Call {
                id: "toolu_A".into(),
                name: "read".into(),
                arguments: json!({"path": "a"}),
            },
            Call {
                id: "toolu_B".into(),
                name: "list".into(),
                arguments: Value::Null,
            },
        ],
        usage: Usage {
            input: 100,
            output: 17,
            cache_read: 60,
            cache_write: 30,
            reasoning: 0,
        },
        chunk: 4,
        ..Reply::default()
    });
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-type" && v == "text/event-stream")
    );
    let evs = sse(&body);
    assert!(evs.iter().all(|(n, d)| d["type"] == n.as_str()), "{body}");
    let names: Vec<&str> = evs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"message_start"));
    assert_eq!(names.last(), Some(&"message_stop"));
    assert!(names.contains(&"ping"));
    let start = &evs[0].1["message"];
    assert_eq!(start["model"], "claude-test");
    assert_eq!(
        start["usage"],
        json!({"input_tokens":10,"cache_creation_input_tokens":30,"cache_read_input_tokens":60,"output_tokens":1})
    );
    let blocks: Vec<&Value> = evs
        .iter()
        .filter(|(n, _)| n == "content_block_start")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(blocks.len(), 4, "thinking, text, two tool_use");
    for (i, b) in blocks.iter().enumerate() {
        assert_eq!(b["index"], i);
    }
    assert_eq!(blocks[0]["content_block"]["type"], "thinking");
    assert_eq!(
        blocks[2]["content_block"],
        json!({"type":"tool_use","id":"toolu_A","name":"read","input":{}})
    );
    let deltas = |i: usize| -> Vec<&Value> {
        evs.iter()
            .filter(|(n, d)| n == "content_block_delta" && d["index"] == i)
            .map(|(_, d)| &d["delta"])
            .collect()
    };
    let thinking = deltas(0);
    assert_eq!(
        thinking[0],
        &json!({"type":"thinking_delta","thinking":"Hmm."})
    );
    assert_eq!(
        thinking.last().unwrap(),
        &&json!({"type":"signature_delta","signature":"SIG"})
    );
    let text: String = deltas(1)
        .iter()
        .map(|d| d["text"].as_str().unwrap())
        .collect();
    assert_eq!(text, "Two calls");
    let input: Vec<&str> = deltas(2)
        .iter()
        .map(|d| d["partial_json"].as_str().unwrap())
        .collect();
    assert_eq!(input, vec!["", "{\"pa", "th\":", "\"a\"}"]);
    assert_eq!(
        deltas(3),
        vec![&json!({"type":"input_json_delta","partial_json":""})]
    );
    let md = &evs[evs.len() - 2].1;
    assert_eq!(md["type"], "message_delta");
    assert_eq!(md["delta"]["stop_reason"], "tool_use");
    assert_eq!(md["usage"]["output_tokens"], 17);
}

#[test]
fn mock_renders_stop_reasons_errors_and_error_bodies() {
    for (stop, want) in [("end", "end_turn"), ("length", "max_tokens")] {
        let (_, body) = mock_post(Reply {
            text: "x".into(),
            stop: Some(stop.into()),
            ..Reply::default()
        });
        let evs = sse(&body);
        assert_eq!(evs[evs.len() - 2].1["delta"]["stop_reason"], want);
    }
    let (_, body) = mock_post(Reply {
        text: "abcdef".into(),
        fault: Some(Fault::StreamError {
            after: 2,
            message: "Overloaded".into(),
        }),
        ..Reply::default()
    });
    let evs = sse(&body);
    assert_eq!(evs.len(), 3, "{body}");
    assert_eq!(
        evs[2],
        (
            "error".to_string(),
            json!({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})
        )
    );
    let m = MockServer::start(Script {
        replies: vec![Reply {
            fault: Some(Fault::Status {
                status: 529,
                retry_after: None,
                body: None,
            }),
            ..Reply::default()
        }],
        repeat_last: false,
    });
    let (status, _, body) = raw_post(&m.url(), "/v1/messages", "{}", &[]);
    assert_eq!(status, 529);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["type"], "overloaded_error");
    assert!(v["error"]["message"].is_string());
}
