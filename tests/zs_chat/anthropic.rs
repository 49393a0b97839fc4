//! zs-chat against the Anthropic Messages API (the `anthropic` provider),
//! through the mock model: what comes out on stdout, and the exact request
//! that went in. The first tests check the mock's rendering of the format.

use crate::harness::{
    Chat, KEY, assert_a_400_reports_the_mock_message, faulty, hello_world, lines, mock_answer,
    mock_stream, reply_with_calls, sse_events as sse, status, system, tool_result, tools, user,
};
use crate::mock::script::{Call, Fault, Reply, Usage};
use serde_json::{Value, json};

fn mock_post(reply: Reply) -> (Vec<(String, String)>, String) {
    mock_stream(
        "/v1/messages",
        r#"{"model":"claude-test","stream":true}"#,
        reply,
    )
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
    let (_, body) = mock_post(faulty(
        "abcdef",
        Fault::StreamError {
            after: 2,
            message: "Overloaded".into(),
        },
    ));
    let evs = sse(&body);
    assert_eq!(evs.len(), 3, "{body}");
    assert_eq!(
        evs[2],
        (
            "error".to_string(),
            json!({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})
        )
    );
    let (code, _, body) = mock_answer("/v1/messages", "{}", status(529, None));
    assert_eq!(code, 529);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["type"], "overloaded_error");
    assert!(v["error"]["message"].is_string());
}

// ---- end to end: the real binary against the mock ----

fn eph() -> Value {
    json!({"type": "ephemeral"})
}

#[test]
fn plain_text_streams_deltas_then_one_assistant_message() {
    let (t, run) = hello_world("anthropic");
    let a = run.assistant();
    assert_eq!(a["provider_stop"], "end_turn");
    assert_eq!(a["provider"], "anthropic");
    assert_eq!(a["api"], "anthropic");
    assert_eq!(a["model"], "claude-sonnet-4-5");

    let req = t.request();
    assert_eq!(req.path, "/v1/messages");
    assert_eq!(req.header("x-api-key"), Some(KEY));
    assert!(req.header("authorization").is_none());
    assert_eq!(req.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(req.header("accept"), Some("text/event-stream"));
    assert_eq!(
        req.body,
        json!({
            "model": "claude-sonnet-4-5",
            "max_tokens": 16384,
            "messages": [{"role": "user", "content": [
                {"type": "text", "text": "hi", "cache_control": eph()}
            ]}],
            "stream": true,
        })
    );
}

#[test]
fn reasoning_with_signature_and_split_tool_calls_then_a_second_turn_sends_them_back() {
    let calls = [
        (
            "toolu_A",
            "read",
            json!({"path": "src/main.rs", "limit": 200}),
        ),
        (
            "toolu_B",
            "grep",
            json!({"pattern": "fn \"main\"", "path": "."}),
        ),
    ];
    let first = Reply {
        reasoning: "Need main.rs and the grep.".into(),
        signature: Some("EqQBCkYIARgC-signed==".into()),
        usage: Usage {
            input: 5000,
            output: 120,
            cache_read: 4000,
            cache_write: 900,
            reasoning: 0,
        },
        ..reply_with_calls("Looking.", &calls)
    };
    let t = Chat::new("anthropic", vec![first, Reply::text("Found it.")]);
    let input = lines(&[
        system("You are terse."),
        tools(&["read", "grep"]),
        user("where is main?"),
    ]);
    let run = t.run(&["--thinking", "medium"], &input);
    run.assert_code(0);
    assert_eq!(run.stderr, "");
    assert_eq!(run.reasoning_deltas(), "Need main.rs and the grep.");
    assert_eq!(run.text_deltas(), "Looking.");
    let a = run.assistant().clone();
    assert_eq!(
        a["content"][0],
        json!({"type": "reasoning", "text": "Need main.rs and the grep.", "signature": "EqQBCkYIARgC-signed=="})
    );
    assert_eq!(a["content"][1], json!({"type": "text", "text": "Looking."}));
    run.assert_tool_calls(&calls);
    assert_eq!(a["stop"], "tool_calls");
    assert_eq!(a["provider_stop"], "tool_use");
    assert_eq!(
        a["usage"],
        json!({"input": 5000, "output": 120, "cache_read": 4000, "cache_write": 900, "reasoning": 0})
    );
    run.assert_no_key();

    let b = &t.request().body;
    assert_eq!(
        b["thinking"],
        json!({"type": "enabled", "budget_tokens": 8192})
    );
    assert_eq!(
        b["system"],
        json!([{"type": "text", "text": "You are terse.", "cache_control": eph()}])
    );
    assert_eq!(b["tools"][0]["name"], "read");
    assert_eq!(b["tools"][0]["input_schema"]["type"], "object");
    assert!(b["tools"][0].get("cache_control").is_none());
    assert_eq!(b["tools"][1]["cache_control"], eph(), "the last tool");

    // Turn two: the assistant line exactly as printed, both results, then
    // a user remark.
    let input2 = format!(
        "{input}{}",
        lines(&[
            a,
            tool_result("toolu_A", "read", "fn main() {}"),
            json!({"type": "tool_result", "call_id": "toolu_B", "name": "grep", "content": "no match", "is_error": true}),
            user("thanks"),
        ])
    );
    let run2 = t.run(&["--thinking", "medium"], &input2);
    run2.assert_code(0);
    assert_eq!(run2.text(), "Found it.");
    let reqs = t.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        reqs[1].body["messages"],
        json!([
            {"role": "user", "content": [{"type": "text", "text": "where is main?"}]},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "Need main.rs and the grep.", "signature": "EqQBCkYIARgC-signed=="},
                {"type": "text", "text": "Looking."},
                {"type": "tool_use", "id": "toolu_A", "name": "read", "input": {"path": "src/main.rs", "limit": 200}},
                {"type": "tool_use", "id": "toolu_B", "name": "grep", "input": {"pattern": "fn \"main\"", "path": "."}},
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_A", "content": "fn main() {}", "is_error": false},
                {"type": "tool_result", "tool_use_id": "toolu_B", "content": "no match", "is_error": true},
                {"type": "text", "text": "thanks", "cache_control": eph()},
            ]},
        ])
    );
}

#[test]
fn thinking_from_another_provider_is_not_sent_and_empty_input_is_an_object() {
    let t = Chat::new(
        "anthropic",
        vec![reply_with_calls(
            "",
            &[("toolu_1", "todo_read", Value::Null)],
        )],
    );
    let input = lines(&[
        user("go"),
        json!({"type": "assistant", "api": "gemini", "stop": "tool_calls", "content": [
            {"type": "reasoning", "text": "gemini thoughts", "signature": "GEMSIG"},
            {"type": "tool_call", "id": "call_1", "name": "read", "arguments": {"path": "a"}, "signature": "GEMSIG2"},
        ]}),
        tool_result("call_1", "read", "A"),
    ]);
    let run = t.run(&[], &input);
    run.assert_code(0);
    let calls = run.tool_calls();
    assert_eq!(calls[0]["arguments"], json!({}));
    assert_eq!(run.assistant()["stop"], "tool_calls");
    assert_eq!(
        t.request().body["messages"][1],
        json!({"role": "assistant", "content": [
            {"type": "tool_use", "id": "call_1", "name": "read", "input": {"path": "a"}}
        ]})
    );
}

#[test]
fn max_tokens_bounds_the_thinking_budget() {
    let t = Chat::new("anthropic", vec![Reply::text("a"), Reply::text("b")]);
    t.run(&["--thinking", "high", "--max-tokens", "3000"], "hi\n")
        .assert_code(0);
    let run = t.run(&["--thinking", "low", "--max-tokens", "1000"], "hi\n");
    run.assert_code(0);
    assert!(
        run.stderr.contains("zs-chat: warning: thinking dropped"),
        "{}",
        run.dump()
    );
    let reqs = t.requests();
    assert_eq!(reqs[0].body["max_tokens"], 3000);
    assert_eq!(
        reqs[0].body["thinking"],
        json!({"type": "enabled", "budget_tokens": 2999})
    );
    assert_eq!(reqs[1].body["max_tokens"], 1000);
    assert!(reqs[1].body.get("thinking").is_none());
}

#[test]
fn length_and_refusal_stops() {
    let t = Chat::new(
        "anthropic",
        vec![
            Reply {
                stop: Some("length".into()),
                ..Reply::text("cut sh")
            },
            Reply {
                stop: Some("refusal".into()),
                ..Reply::text("I can't")
            },
        ],
    );
    let run = t.run(&[], "hi\n");
    run.assert_code(0);
    assert_eq!(run.assistant()["stop"], "length");
    assert_eq!(run.assistant()["provider_stop"], "max_tokens");
    t.run(&[], "hi\n").assert_refused("refusal");
}

#[test]
fn a_mid_stream_error_event_keeps_the_partial_reply_and_exits_4() {
    let t = Chat::new(
        "anthropic",
        vec![faulty(
            "abcdefghijkl",
            Fault::StreamError {
                after: 4,
                message: "Overloaded".into(),
            },
        )],
    );
    let run = t.run(&[], "hi\n");
    // message_start, ping, block start, then one piece of text.
    run.assert_broken("abc", "Overloaded");
    assert!(run.stderr.contains("Overloaded"), "{}", run.dump());
}

#[test]
fn a_stream_cut_before_message_stop_is_an_upstream_error() {
    let t = Chat::new(
        "anthropic",
        vec![faulty("abcdefghijkl", Fault::Disconnect { after: 5 })],
    );
    let run = t.run(&[], "hi\n");
    run.assert_code(4);
    assert_eq!(run.assistant()["stop"], "error");
    assert!(run.text().starts_with("abc"), "{}", run.dump());
    run.fatal();
}

#[test]
fn an_http_error_reports_the_providers_message() {
    assert_a_400_reports_the_mock_message("anthropic");
}

#[test]
fn configured_version_headers_and_extra_body_are_sent() {
    let mut t = Chat::new("anthropic", vec![Reply::text("ok")]);
    t.provider_config()["anthropic_version"] = json!("2026-10-21");
    t.provider_config()["headers"] = json!({"anthropic-beta": "${ZS_TEST_BETA}"});
    t.provider_config()["extra_body"] = json!({"metadata": {"user_id": "u-1"}});
    t.set_env("ZS_TEST_BETA", Some("context-1m-2025-08-07"));
    t.run(&["--model", "claude-opus-4-1"], "hi\n")
        .assert_code(0);
    let req = t.request();
    assert_eq!(req.header("anthropic-version"), Some("2026-10-21"));
    assert_eq!(req.header("anthropic-beta"), Some("context-1m-2025-08-07"));
    assert_eq!(req.body["metadata"], json!({"user_id": "u-1"}));
    assert_eq!(req.body["model"], "claude-opus-4-1");
    assert!(req.body.get("temperature").is_none());
}
