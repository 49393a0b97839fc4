//! zs-chat against the OpenAI Responses API (the `openai` provider, or a
//! custom provider of kind openai-responses), through the mock model: what
//! comes out on stdout, and the exact request that went in. The first tests
//! check the mock's rendering of the format itself.

use crate::harness::*;
use crate::mock::script::{Fault, Reply, Script, Usage};
use crate::mock::server::MockServer;
use serde_json::{Value, json};

/// Splits an SSE body into (event name, data) pairs.
fn sse_events(body: &str) -> Vec<(String, Value)> {
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

fn mock_post(reply: Reply) -> Vec<(String, Value)> {
    let m = MockServer::start(Script {
        replies: vec![reply],
        repeat_last: false,
    });
    let (status, headers, body) = raw_post(&m.url(), "/v1/responses", r#"{"model":"gpt-5"}"#, &[]);
    assert_eq!(status, 200, "{body}");
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-type" && v == "text/event-stream")
    );
    sse_events(&body)
}

#[test]
fn mock_renders_typed_events_with_increasing_sequence_numbers() {
    let evs = mock_post(Reply {
        reasoning: "Need a".into(),
        signature: Some("gAAAenc".into()),
        text: "Reading.".into(),
        tool_calls: vec![crate::mock::script::Call {
            id: "call_A".into(),
            name: "read".into(),
            arguments: json!({"path": "a.txt"}),
        }],
        usage: Usage {
            input: 120,
            output: 40,
            cache_read: 64,
            reasoning: 24,
            ..Usage::default()
        },
        ..Reply::default()
    });
    for (i, (name, data)) in evs.iter().enumerate() {
        assert_eq!(data["type"], name.as_str(), "event name is data.type");
        assert_eq!(data["sequence_number"], i, "{name}");
    }
    let names: Vec<&str> = evs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names[..2], ["response.created", "response.in_progress"]);
    assert_eq!(names.last(), Some(&"response.completed"));
    let done: Vec<&Value> = evs
        .iter()
        .filter(|(n, _)| n == "response.output_item.done")
        .map(|(_, d)| &d["item"])
        .collect();
    assert_eq!(done.len(), 3);
    assert_eq!(done[0]["type"], "reasoning");
    assert_eq!(done[0]["id"], "rs_1");
    assert_eq!(done[0]["encrypted_content"], "gAAAenc");
    assert_eq!(done[1]["content"][0]["text"], "Reading.");
    assert_eq!(
        (&done[2]["id"], &done[2]["call_id"], &done[2]["arguments"]),
        (
            &json!("fc_3"),
            &json!("call_A"),
            &json!("{\"path\":\"a.txt\"}")
        )
    );
    let args: String = evs
        .iter()
        .filter(|(n, _)| n == "response.function_call_arguments.delta")
        .map(|(_, d)| d["delta"].as_str().unwrap())
        .collect();
    assert_eq!(args, "{\"path\":\"a.txt\"}");
    let (_, last) = evs.last().unwrap();
    assert_eq!(
        last["response"]["usage"],
        json!({"input_tokens":120,"input_tokens_details":{"cached_tokens":64},"output_tokens":40,"output_tokens_details":{"reasoning_tokens":24},"total_tokens":160})
    );
    assert_eq!(last["response"]["model"], "gpt-5");
}

#[test]
fn mock_renders_length_as_incomplete_and_a_stream_error_as_an_error_event() {
    let evs = mock_post(Reply {
        text: "cut".into(),
        stop: Some("length".into()),
        ..Reply::default()
    });
    let (name, last) = evs.last().unwrap();
    assert_eq!(name, "response.incomplete");
    assert_eq!(
        last["response"]["incomplete_details"]["reason"],
        "max_output_tokens"
    );
    let evs = mock_post(Reply {
        text: "abc".into(),
        fault: Some(Fault::StreamError {
            after: 3,
            message: "boom".into(),
        }),
        ..Reply::default()
    });
    assert_eq!(evs.len(), 4);
    assert_eq!(evs[3].0, "error");
    assert_eq!(evs[3].1["message"], "boom");
}
