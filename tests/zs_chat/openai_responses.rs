//! zs-chat against the OpenAI Responses API (the `openai` provider, or a
//! custom provider of kind openai-responses), through the mock model: what
//! comes out on stdout, and the exact request that went in. The first tests
//! check the mock's rendering of the format itself.

use crate::harness::*;
use crate::mock::script::{Fault, Reply, Usage};
use serde_json::{Value, json};

fn mock_post(reply: Reply) -> Vec<(String, Value)> {
    let (headers, body) = mock_stream("/v1/responses", r#"{"model":"gpt-5"}"#, reply);
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
    let evs = mock_post(faulty(
        "abc",
        Fault::StreamError {
            after: 3,
            message: "boom".into(),
        },
    ));
    assert_eq!(evs.len(), 4);
    assert_eq!(evs[3].0, "error");
    assert_eq!(evs[3].1["message"], "boom");
}

// zs-chat end to end.

fn user_hi() -> String {
    lines(&[user("hi")])
}

#[test]
fn a_text_reply_streams_deltas_then_one_assistant_message() {
    let t = Chat::new(
        "openai",
        vec![Reply {
            text: "Hello there".into(),
            usage: Usage {
                input: 30,
                output: 3,
                cache_read: 16,
                ..Usage::default()
            },
            ..Reply::default()
        }],
    );
    let run = t.run(&[], &user_hi());
    run.assert_code(0);
    run.assert_no_key();
    assert_eq!(run.text_deltas(), "Hello there");
    assert!(run.of_type("text_delta").len() > 1, "streamed in pieces");
    let a = run.assistant();
    assert_eq!(a["content"], json!([{"type":"text","text":"Hello there"}]));
    assert_eq!(a["stop"], "end");
    assert_eq!(a["provider_stop"], "completed");
    assert_eq!(a["api"], "openai-responses");
    assert_eq!(a["provider"], "openai");
    assert_eq!(a["model"], "gpt-5");
    assert_eq!(
        a["usage"],
        json!({"input":30,"output":3,"cache_read":16,"cache_write":0,"reasoning":0})
    );
    let req = t.request();
    assert_eq!(req.path, "/v1/responses");
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(
        req.body,
        json!({
            "model": "gpt-5",
            "input": [{"role":"user","content":[{"type":"input_text","text":"hi"}]}],
            "stream": true,
            "store": false,
            "include": ["reasoning.encrypted_content"],
        })
    );
}

#[test]
fn encrypted_reasoning_and_call_ids_go_back_on_the_next_turn() {
    let t = Chat::new(
        "openai",
        vec![
            Reply {
                reasoning: "Need a.txt first".into(),
                signature: Some("gAAAAencrypted==".into()),
                ..reply_with_calls("", &[("call_A", "read", json!({"path": "a.txt"}))])
            },
            Reply::text("It says hello."),
        ],
    );
    let input = lines(&[
        system("Be brief."),
        tools(&["read"]),
        user("what is in a.txt?"),
    ]);
    let first = t.run(&["--thinking", "high"], &input);
    first.assert_code(0);
    assert_eq!(first.reasoning_deltas(), "Need a.txt first");
    let a = first.assistant().clone();
    assert_eq!(
        a["content"],
        json!([
            {"type":"reasoning","text":"Need a.txt first","encrypted":"gAAAAencrypted==","id":"rs_1"},
            {"type":"tool_call","id":"call_A","name":"read","arguments":{"path":"a.txt"}},
        ])
    );
    assert_eq!(a["stop"], "tool_calls");

    // The next turn: the reply as it came, and the tool's result.
    let second_input = format!(
        "{input}{}",
        lines(&[a, tool_result("call_A", "read", "hello\n")])
    );
    let second = t.run(&["--thinking", "high"], &second_input);
    second.assert_code(0);
    assert_eq!(second.text(), "It says hello.");
    let reqs = t.requests();
    assert_eq!(reqs.len(), 2);
    let body = &reqs[1].body;
    assert_eq!(body["instructions"], "Be brief.");
    assert_eq!(
        body["input"],
        json!([
            {"role":"user","content":[{"type":"input_text","text":"what is in a.txt?"}]},
            {"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Need a.txt first"}],"encrypted_content":"gAAAAencrypted=="},
            {"type":"function_call","call_id":"call_A","name":"read","arguments":"{\"path\":\"a.txt\"}"},
            {"type":"function_call_output","call_id":"call_A","output":"hello\n"},
        ])
    );
    assert_eq!(body["reasoning"], json!({"effort":"high","summary":"auto"}));
    assert_eq!(body["include"], json!(["reasoning.encrypted_content"]));
    assert_eq!(body["store"], false);
    assert_eq!(
        body["tools"],
        json!([{"type":"function","name":"read","description":"the read tool","parameters":{"type":"object","properties":{"path":{"type":"string"}}},"strict":false}])
    );
}

#[test]
fn several_tool_calls_with_split_arguments_are_assembled() {
    let t = Chat::new(
        "openai",
        vec![Reply {
            chunk: 2,
            usage: Usage {
                input: 50,
                output: 20,
                reasoning: 8,
                ..Usage::default()
            },
            ..reply_with_calls(
                "Looking.",
                &[
                    ("call_A", "read", json!({"path": "src/main.rs"})),
                    ("call_B", "grep", json!({"pattern": "fn main", "path": "."})),
                    ("call_C", "todo_read", json!({})),
                ],
            )
        }],
    );
    let run = t.run(
        &[],
        &lines(&[tools(&["read", "grep", "todo_read"]), user("look")]),
    );
    run.assert_code(0);
    assert_eq!(run.text(), "Looking.");
    let calls: Vec<(Value, Value, Value)> = run
        .tool_calls()
        .iter()
        .map(|c| (c["id"].clone(), c["name"].clone(), c["arguments"].clone()))
        .collect();
    assert_eq!(
        calls,
        vec![
            (
                json!("call_A"),
                json!("read"),
                json!({"path": "src/main.rs"})
            ),
            (
                json!("call_B"),
                json!("grep"),
                json!({"pattern": "fn main", "path": "."})
            ),
            (json!("call_C"), json!("todo_read"), json!({})),
        ]
    );
    let a = run.assistant();
    assert_eq!(a["stop"], "tool_calls");
    assert_eq!(a["usage"]["reasoning"], 8);
    assert!(
        run.of_type("tool_call").is_empty(),
        "calls are blocks, not events"
    );
}

#[test]
fn the_request_body_carries_tools_limits_and_reasoning_effort() {
    let t = Chat::new("openai", vec![Reply::text("ok")]);
    let input = lines(&[system("sys"), tools(&["read"]), user("go")]);
    let run = t.run(
        &[
            "--model",
            "o4-mini",
            "--max-tokens",
            "256",
            "--thinking",
            "low",
        ],
        &input,
    );
    run.assert_code(0);
    assert_eq!(
        t.request().body,
        json!({
            "model": "o4-mini",
            "instructions": "sys",
            "input": [{"role":"user","content":[{"type":"input_text","text":"go"}]}],
            "tools": [{"type":"function","name":"read","description":"the read tool","parameters":{"type":"object","properties":{"path":{"type":"string"}}},"strict":false}],
            "stream": true,
            "store": false,
            "include": ["reasoning.encrypted_content"],
            "max_output_tokens": 256,
            "reasoning": {"effort":"low","summary":"auto"},
        })
    );
}

#[test]
fn a_model_without_reasoning_gets_no_reasoning_fields() {
    let t = Chat::new("openai", vec![Reply::text("ok")]);
    let run = t.run(&["--model", "gpt-4.1"], &user_hi());
    run.assert_code(0);
    let body = t.request().body;
    assert!(body.get("include").is_none(), "{body}");
    assert!(body.get("reasoning").is_none(), "{body}");
}

#[test]
fn a_custom_provider_of_kind_openai_responses_uses_its_own_key() {
    let mut t = Chat::new("openai", vec![Reply::text("ok")]);
    let base = format!("{}/v1", t.mock.url());
    t.config = json!({
        "provider": "lab",
        "model": "gpt-5-mini",
        "providers": {"lab": {
            "kind": "openai-responses",
            "base_url": base,
            "api_key_env": "LAB_KEY",
            "headers": {"x-lab": "on"},
            "extra_body": {"service_tier": "flex"},
        }},
    });
    t.set_env("OPENAI_API_KEY", None);
    t.set_env("LAB_KEY", Some(KEY));
    let run = t.run(&[], &user_hi());
    run.assert_code(0);
    run.assert_no_key();
    assert_eq!(run.assistant()["provider"], "lab");
    assert_eq!(run.assistant()["api"], "openai-responses");
    let req = t.request();
    assert_eq!(req.path, "/v1/responses");
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(req.header("x-lab"), Some("on"));
    assert_eq!(req.body["service_tier"], "flex");
    assert_eq!(req.body["model"], "gpt-5-mini");
}

#[test]
fn the_output_limit_ends_as_length() {
    let t = Chat::new(
        "openai",
        vec![Reply {
            text: "A long".into(),
            stop: Some("length".into()),
            ..Reply::default()
        }],
    );
    let run = t.run(&["--max-tokens", "2"], &user_hi());
    run.assert_code(0);
    let a = run.assistant();
    assert_eq!(a["stop"], "length");
    assert_eq!(a["provider_stop"], "max_output_tokens");
    assert_eq!(run.text(), "A long");
}

#[test]
fn a_mid_stream_error_leaves_a_partial_message_and_exits_4() {
    let t = Chat::new(
        "openai",
        // created, in_progress, item added, part added, then "Par", "tia".
        vec![faulty(
            "Partial answer",
            Fault::StreamError {
                after: 6,
                message: "The server had an error".into(),
            },
        )],
    );
    t.run(&[], &user_hi())
        .assert_broken("Partia", "The server had an error");
}

#[test]
fn a_stream_cut_before_the_terminal_event_is_an_error() {
    let t = Chat::new(
        "openai",
        vec![faulty("Cut short", Fault::Disconnect { after: 6 })],
    );
    let run = t.run(&[], &user_hi());
    run.assert_code(4);
    assert_eq!(run.assistant()["stop"], "error");
    assert_eq!(run.text(), "Cut sh");
}

#[test]
fn a_malformed_event_is_an_error() {
    let t = Chat::new(
        "openai",
        vec![faulty("Hello", Fault::Malformed { after: 5 })],
    );
    let run = t.run(&[], &user_hi());
    run.assert_code(4);
    assert_eq!(run.assistant()["stop"], "error");
    assert_eq!(run.text(), "Hel");
    assert!(run.fatal_message().contains("malformed"), "{}", run.dump());
}

#[test]
fn a_rejected_key_exits_5_without_showing_it() {
    let t = Chat::new(
        "openai",
        vec![status_body(
            401,
            format!(
                r#"{{"error":{{"message":"Incorrect API key provided: {KEY}.","type":"invalid_request_error","code":"invalid_api_key"}}}}"#
            ),
        )],
    );
    let run = t.run(&[], &user_hi());
    run.assert_code(5);
    run.assert_no_key();
    assert!(run.maybe_assistant().is_none());
}
