//! zs-chat against Ollama's native chat API (the `ollama` provider), through
//! the mock model: what comes out on stdout, and the exact request that went
//! in. The first tests check the mock's rendering of the format itself.

use crate::harness::*;
use crate::mock::script::{Call, Fault, Reply, Usage};
use serde_json::{Value, json};

fn mock_post(reply: Reply) -> (Vec<(String, String)>, String) {
    mock_stream("/api/chat", r#"{"model":"qwen3"}"#, reply)
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
    let (_, body) = mock_post(faulty(
        "abcdef",
        Fault::StreamError {
            after: 1,
            message: "runner crashed".into(),
        },
    ));
    let lines = ndjson_lines(&body);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1], json!({"error": "runner crashed"}));
}

// zs-chat end to end.

#[test]
fn a_keyless_run_streams_thinking_and_text() {
    let t = Chat::new(
        "ollama",
        vec![Reply {
            reasoning: "The user greets.".into(),
            text: "Hello!".into(),
            usage: Usage {
                input: 42,
                output: 17,
                ..Usage::default()
            },
            ..Reply::default()
        }],
    );
    assert!(t.env.is_empty(), "ollama takes no key");
    let run = t.run(&["--thinking", "high"], &lines(&[user("hi")]));
    run.assert_code(0);
    assert_eq!(run.reasoning_deltas(), "The user greets.");
    assert_eq!(run.text_deltas(), "Hello!");
    let a = run.assistant();
    assert_eq!(
        a["content"],
        json!([
            {"type":"reasoning","text":"The user greets."},
            {"type":"text","text":"Hello!"},
        ])
    );
    assert_eq!(a["stop"], "end");
    assert_eq!(a["provider_stop"], "stop");
    assert_eq!(a["api"], "ollama");
    assert_eq!(a["provider"], "ollama");
    assert_eq!(a["model"], "qwen3");
    assert_eq!(
        a["usage"],
        json!({"input":42,"output":17,"cache_read":0,"cache_write":0,"reasoning":0})
    );
    let req = t.request();
    assert_eq!(req.path, "/api/chat");
    assert_eq!(req.header("authorization"), None);
    assert_eq!(
        req.body,
        json!({
            "model": "qwen3",
            "messages": [{"role":"user","content":"hi"}],
            "stream": true,
            "think": true,
        })
    );
}

#[test]
fn tool_calls_arrive_whole_and_go_back_with_tool_names() {
    let t = Chat::new(
        "ollama",
        vec![
            Reply {
                reasoning: "Two things to read.".into(),
                ..reply_with_calls(
                    "",
                    &[
                        ("call_A", "read", json!({"path": "a.txt"})),
                        ("call_B", "read", json!({"path": "b.txt"})),
                    ],
                )
            },
            Reply::text("Both say hello."),
        ],
    );
    let input = lines(&[system("Be brief."), tools(&["read"]), user("read a and b")]);
    let first = t.run(&[], &input);
    first.assert_code(0);
    let a = first.assistant().clone();
    assert_eq!(a["stop"], "tool_calls", "done_reason stop with calls");
    assert_eq!(a["provider_stop"], "stop");
    let calls: Vec<(Value, Value)> = first
        .tool_calls()
        .iter()
        .map(|c| (c["id"].clone(), c["arguments"].clone()))
        .collect();
    assert_eq!(
        calls,
        vec![
            (json!("call_A"), json!({"path": "a.txt"})),
            (json!("call_B"), json!({"path": "b.txt"})),
        ]
    );

    let second_input = format!(
        "{input}{}",
        lines(&[
            a,
            tool_result("call_A", "read", "hello a\n"),
            tool_result("call_B", "read", "hello b\n"),
        ])
    );
    let second = t.run(&[], &second_input);
    second.assert_code(0);
    assert_eq!(second.text(), "Both say hello.");
    let reqs = t.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        reqs[1].body,
        json!({
            "model": "qwen3",
            "messages": [
                {"role":"system","content":"Be brief."},
                {"role":"user","content":"read a and b"},
                {"role":"assistant","content":"","thinking":"Two things to read.","tool_calls":[
                    {"function":{"name":"read","arguments":{"path":"a.txt"}}},
                    {"function":{"name":"read","arguments":{"path":"b.txt"}}},
                ]},
                {"role":"tool","tool_name":"read","content":"hello a\n"},
                {"role":"tool","tool_name":"read","content":"hello b\n"},
            ],
            "tools": [{"type":"function","function":{"name":"read","description":"the read tool","parameters":{"type":"object","properties":{"path":{"type":"string"}}}}}],
            "stream": true,
        })
    );
}

#[test]
fn think_levels_for_gpt_oss_and_num_predict_for_the_limit() {
    let t = Chat::new("ollama", vec![Reply::text("ok")]);
    let run = t.run(
        &[
            "--model",
            "gpt-oss:20b",
            "--thinking",
            "medium",
            "--max-tokens",
            "300",
        ],
        &lines(&[user("hi")]),
    );
    run.assert_code(0);
    let body = t.request().body;
    assert_eq!(body["think"], "medium");
    assert_eq!(body["options"], json!({"num_predict": 300}));
    assert_eq!(body["model"], "gpt-oss:20b");
}

#[test]
fn a_configured_key_is_sent_as_a_bearer_token() {
    let mut t = Chat::new("ollama", vec![Reply::text("ok")]);
    t.provider_config()["api_key_env"] = json!("OLLAMA_PROXY_KEY");
    t.set_env("OLLAMA_PROXY_KEY", Some(KEY));
    let run = t.run(&[], &lines(&[user("hi")]));
    run.assert_code(0);
    run.assert_no_key();
    assert_eq!(
        t.request().header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
}

#[test]
fn the_output_limit_ends_as_length() {
    let t = Chat::new(
        "ollama",
        vec![Reply {
            text: "A long".into(),
            stop: Some("length".into()),
            ..Reply::default()
        }],
    );
    let run = t.run(&[], &lines(&[user("hi")]));
    run.assert_code(0);
    let a = run.assistant();
    assert_eq!(
        (&a["stop"], &a["provider_stop"]),
        (&json!("length"), &json!("length"))
    );
}

#[test]
fn an_error_line_mid_stream_leaves_a_partial_message_and_exits_4() {
    let t = Chat::new(
        "ollama",
        vec![faulty(
            "Partial answer",
            Fault::StreamError {
                after: 2,
                message: "model runner has unexpectedly stopped".into(),
            },
        )],
    );
    t.run(&[], &lines(&[user("hi")]))
        .assert_broken("Partia", "model runner has unexpectedly stopped");
}

#[test]
fn a_stream_without_its_last_line_is_an_error() {
    let t = Chat::new(
        "ollama",
        vec![faulty("Cut short", Fault::Disconnect { after: 2 })],
    );
    let run = t.run(&[], &lines(&[user("hi")]));
    run.assert_code(4);
    assert_eq!(run.assistant()["stop"], "error");
    assert_eq!(run.text(), "Cut sh");
}

#[test]
fn an_http_error_body_names_ollamas_message() {
    let t = Chat::new(
        "ollama",
        vec![status_body(
            404,
            r#"{"error":"model \"qwen9\" not found, try pulling it first"}"#,
        )],
    );
    let run = t.run(&["--model", "qwen9"], &lines(&[user("hi")]));
    run.assert_code(4);
    assert!(run.maybe_assistant().is_none(), "{}", run.dump());
    let msg = run.fatal_message();
    assert!(msg.contains("not found, try pulling it first"), "{msg}");
}

#[test]
fn a_malformed_line_is_an_error() {
    let t = Chat::new(
        "ollama",
        vec![faulty("Hello", Fault::Malformed { after: 1 })],
    );
    let run = t.run(&[], &lines(&[user("hi")]));
    run.assert_code(4);
    assert_eq!(run.assistant()["stop"], "error");
    assert_eq!(run.text(), "Hel");
}
