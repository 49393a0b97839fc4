//! zs-chat against the Gemini API (the `gemini` provider), through the mock
//! model: what comes out on stdout, and the exact request that went in. The
//! first tests check the mock's rendering of the format.

use crate::harness::{
    Chat, KEY, assert_a_400_reports_the_mock_message, faulty, hello_world, lines, mock_answer,
    mock_stream, reply_with_calls, status, system, tool_result, tools, user,
};
use crate::mock::script::{Call, Fault, Reply, Usage};
use serde_json::{Value, json};

const PATH: &str = "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse";

fn mock_post(reply: Reply) -> (Vec<(String, String)>, String) {
    mock_stream(PATH, r#"{"contents":[]}"#, reply)
}

/// The data of each event; every event must be framed with CRLFs.
fn chunks(body: &str) -> Vec<Value> {
    assert!(body.ends_with("\r\n\r\n"), "{body:?}");
    body.split("\r\n\r\n")
        .filter(|e| !e.is_empty())
        .map(|e| {
            let d = e
                .strip_prefix("data: ")
                .unwrap_or_else(|| panic!("not a data event: {e:?}"));
            serde_json::from_str(d).unwrap_or_else(|err| panic!("{d}: {err}"))
        })
        .collect()
}

fn parts(c: &Value) -> &Value {
    &c["candidates"][0]["content"]["parts"]
}

#[test]
fn mock_renders_whole_chunks_with_signed_calls_and_cumulative_usage() {
    let (headers, body) = mock_post(Reply {
        reasoning: "Hmm.".into(),
        signature: Some("SIG".into()),
        text: "Two calls".into(),
        tool_calls: vec![
            Call {
                id: "fc_A".into(),
                name: "read".into(),
                arguments: json!({"path": "a"}),
            },
            Call {
                id: "fc_B".into(),
                name: "list".into(),
                arguments: Value::Null,
            },
        ],
        usage: Usage {
            input: 100,
            output: 17,
            cache_read: 60,
            cache_write: 0,
            reasoning: 5,
        },
        chunk: 5,
        ..Reply::default()
    });
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-type" && v == "text/event-stream")
    );
    let cs = chunks(&body);
    // 1 thought piece, 2 text pieces, 1 chunk of calls, 1 last chunk.
    assert_eq!(cs.len(), 5, "{body}");
    assert_eq!(parts(&cs[0]), &json!([{"text":"Hmm.","thought":true}]));
    assert_eq!(parts(&cs[1]), &json!([{"text":"Two c"}]));
    assert_eq!(
        parts(&cs[3]),
        &json!([
            {"functionCall":{"id":"fc_A","name":"read","args":{"path":"a"}},"thoughtSignature":"SIG"},
            {"functionCall":{"id":"fc_B","name":"list","args":{}}}
        ])
    );
    let last = &cs[4];
    assert_eq!(parts(last), &json!([{"text":""}]));
    assert_eq!(last["candidates"][0]["finishReason"], "STOP");
    assert_eq!(
        last["usageMetadata"],
        json!({"promptTokenCount":100,"candidatesTokenCount":12,"thoughtsTokenCount":5,"cachedContentTokenCount":60,"totalTokenCount":117})
    );
    assert!(
        cs[..4]
            .iter()
            .all(|c| c["candidates"][0].get("finishReason").is_none())
    );
}

#[test]
fn mock_renders_a_signature_on_a_last_empty_part_errors_and_error_bodies() {
    let (_, body) = mock_post(Reply {
        text: "hi".into(),
        signature: Some("TSIG".into()),
        stop: Some("length".into()),
        ..Reply::default()
    });
    let cs = chunks(&body);
    let last = cs.last().unwrap();
    assert_eq!(parts(last), &json!([{"text":"","thoughtSignature":"TSIG"}]));
    assert_eq!(last["candidates"][0]["finishReason"], "MAX_TOKENS");

    let (_, body) = mock_post(faulty(
        "abcdef",
        Fault::StreamError {
            after: 1,
            message: "boom".into(),
        },
    ));
    let cs = chunks(&body);
    assert_eq!(cs.len(), 2);
    assert_eq!(
        cs[1],
        json!({"error":{"code":500,"message":"boom","status":"INTERNAL"}})
    );

    let (code, _, body) = mock_answer(PATH, "{}", status(429, None));
    assert_eq!(code, 429);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["code"], 429);
    assert_eq!(v["error"]["status"], "RESOURCE_EXHAUSTED");
}

// ---- end to end: the real binary against the mock ----

#[test]
fn plain_text_streams_deltas_then_one_assistant_message() {
    let (t, run) = hello_world("gemini");
    let a = run.assistant();
    assert_eq!(a["provider_stop"], "STOP");
    assert_eq!(a["provider"], "gemini");
    assert_eq!(a["api"], "gemini");
    // The model the stream names (modelVersion).
    assert_eq!(a["model"], "gemini-mock");

    let req = t.request();
    assert_eq!(req.path, PATH);
    assert_eq!(req.header("x-goog-api-key"), Some(KEY));
    assert!(!req.path.contains(KEY), "the key never goes in the URL");
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(
        req.body,
        json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
    );
}

#[test]
fn thoughts_and_signed_calls_then_a_second_turn_sends_signatures_back() {
    let calls = [
        ("fc_A", "read", json!({"path": "src/main.rs", "limit": 200})),
        ("fc_B", "grep", json!({"pattern": "fn main", "path": "."})),
    ];
    let first = Reply {
        reasoning: "**Looking for main**".into(),
        signature: Some("CiQBcsjafD-signed==".into()),
        usage: Usage {
            input: 3000,
            output: 150,
            cache_read: 2048,
            cache_write: 0,
            reasoning: 100,
        },
        ..reply_with_calls("Looking.", &calls)
    };
    let t = Chat::new("gemini", vec![first, Reply::text("Found it.")]);
    let input = lines(&[
        system("You are terse."),
        tools(&["read", "grep"]),
        user("where is main?"),
    ]);
    let run = t.run(&["--thinking", "low"], &input);
    run.assert_code(0);
    assert_eq!(run.stderr, "");
    assert_eq!(run.reasoning_deltas(), "**Looking for main**");
    assert_eq!(run.text_deltas(), "Looking.");
    let a = run.assistant().clone();
    assert_eq!(
        a["content"][0],
        json!({"type": "reasoning", "text": "**Looking for main**"})
    );
    assert_eq!(a["content"][1], json!({"type": "text", "text": "Looking."}));
    let got = run.assert_tool_calls(&calls);
    assert_eq!(got[0]["signature"], "CiQBcsjafD-signed==");
    assert!(got[1].get("signature").is_none());
    assert_eq!(a["stop"], "tool_calls", "STOP with calls is tool_calls");
    assert_eq!(a["provider_stop"], "STOP");
    assert_eq!(
        a["usage"],
        json!({"input": 3000, "output": 150, "cache_read": 2048, "cache_write": 0, "reasoning": 100})
    );
    run.assert_no_key();

    let b = &t.request().body;
    assert_eq!(
        b["systemInstruction"],
        json!({"parts": [{"text": "You are terse."}]})
    );
    assert_eq!(
        b["tools"],
        json!([{"functionDeclarations": [
            {"name": "read", "description": "the read tool", "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}},
            {"name": "grep", "description": "the grep tool", "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}},
        ]}])
    );
    assert_eq!(
        b["generationConfig"],
        json!({"thinkingConfig": {"includeThoughts": true, "thinkingBudget": 1024}})
    );

    let input2 = format!(
        "{input}{}",
        lines(&[
            a,
            tool_result("fc_A", "read", "fn main() {}"),
            json!({"type": "tool_result", "call_id": "fc_B", "name": "grep", "content": "no match", "is_error": true}),
            user("thanks"),
        ])
    );
    let run2 = t.run(&["--thinking", "low"], &input2);
    run2.assert_code(0);
    assert_eq!(run2.text(), "Found it.");
    let reqs = t.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        reqs[1].body["contents"],
        json!([
            {"role": "user", "parts": [{"text": "where is main?"}]},
            {"role": "model", "parts": [
                {"text": "Looking."},
                {"functionCall": {"id": "fc_A", "name": "read", "args": {"path": "src/main.rs", "limit": 200}}, "thoughtSignature": "CiQBcsjafD-signed=="},
                {"functionCall": {"id": "fc_B", "name": "grep", "args": {"pattern": "fn main", "path": "."}}},
            ]},
            {"role": "user", "parts": [
                {"functionResponse": {"id": "fc_A", "name": "read", "response": {"output": "fn main() {}"}}},
                {"functionResponse": {"id": "fc_B", "name": "grep", "response": {"error": "no match"}}},
                {"text": "thanks"},
            ]},
        ])
    );
}

#[test]
fn a_signature_on_the_last_empty_part_rides_on_the_text_and_goes_back() {
    let t = Chat::new(
        "gemini",
        vec![
            Reply {
                reasoning: "hm".into(),
                signature: Some("TEXTSIG".into()),
                ..Reply::text("Answer.")
            },
            Reply::text("ok"),
        ],
    );
    let run = t.run(&[], "q\n");
    run.assert_code(0);
    let a = run.assistant().clone();
    assert_eq!(
        a["content"],
        json!([
            {"type": "reasoning", "text": "hm"},
            {"type": "text", "text": "Answer."},
            {"type": "text", "text": "", "signature": "TEXTSIG"},
        ])
    );
    let input2 = format!("q\n{}", lines(&[a, user("more")]));
    t.run(&[], &input2).assert_code(0);
    assert_eq!(
        t.requests()[1].body["contents"][1],
        json!({"role": "model", "parts": [
            {"text": "Answer."},
            {"text": "", "thoughtSignature": "TEXTSIG"},
        ]})
    );
}

#[test]
fn calls_without_ids_get_ids_that_pair_with_their_results() {
    let t = Chat::new(
        "gemini",
        vec![reply_with_calls(
            "",
            &[
                ("", "read", json!({"path": "a"})),
                ("", "todo_read", Value::Null),
            ],
        )],
    );
    let run = t.run(&[], "go\n");
    run.assert_code(0);
    let calls = run.tool_calls();
    assert_eq!(calls.len(), 2);
    let (id0, id1) = (
        calls[0]["id"].as_str().unwrap(),
        calls[1]["id"].as_str().unwrap(),
    );
    assert!(!id0.is_empty() && !id1.is_empty() && id0 != id1);
    assert_eq!(calls[1]["arguments"], json!({}));
    assert_eq!(run.assistant()["stop"], "tool_calls");
}

#[test]
fn thinking_levels_by_model_and_max_output_tokens() {
    let t = Chat::new(
        "gemini",
        vec![Reply::text("a"), Reply::text("b"), Reply::text("c")],
    );
    t.run(&["--thinking", "high", "--max-tokens", "9000"], "hi\n")
        .assert_code(0);
    t.run(
        &["--model", "gemini-3-pro-preview", "--thinking", "low"],
        "hi\n",
    )
    .assert_code(0);
    let run = t.run(
        &["--model", "gemini-2.0-flash", "--thinking", "low"],
        "hi\n",
    );
    run.assert_code(0);
    assert!(run.stderr.contains("warning"), "{}", run.dump());
    let reqs = t.requests();
    assert_eq!(
        reqs[0].body["generationConfig"],
        json!({"maxOutputTokens": 9000, "thinkingConfig": {"includeThoughts": true, "thinkingBudget": 24576}})
    );
    assert_eq!(
        reqs[1].path,
        "/v1beta/models/gemini-3-pro-preview:streamGenerateContent?alt=sse"
    );
    assert_eq!(
        reqs[1].body["generationConfig"],
        json!({"thinkingConfig": {"includeThoughts": true, "thinkingLevel": "low"}})
    );
    assert!(
        reqs[2].body.get("generationConfig").is_none(),
        "a model without thinking gets none"
    );
}

#[test]
fn length_and_safety_finish_reasons() {
    let t = Chat::new(
        "gemini",
        vec![
            Reply {
                stop: Some("length".into()),
                ..Reply::text("cut sh")
            },
            Reply {
                stop: Some("SAFETY".into()),
                ..Reply::text("Hmm")
            },
        ],
    );
    let run = t.run(&[], "hi\n");
    run.assert_code(0);
    assert_eq!(run.assistant()["stop"], "length");
    assert_eq!(run.assistant()["provider_stop"], "MAX_TOKENS");
    t.run(&[], "hi\n").assert_refused("SAFETY");
}

#[test]
fn a_mid_stream_error_chunk_keeps_the_partial_reply_and_exits_4() {
    let t = Chat::new(
        "gemini",
        vec![faulty(
            "abcdefghijkl",
            Fault::StreamError {
                after: 2,
                message: "Internal error encountered.".into(),
            },
        )],
    );
    t.run(&[], "hi\n")
        .assert_broken("abcdef", "Internal error encountered.");
}

#[test]
fn a_stream_cut_before_a_finish_reason_is_an_upstream_error() {
    let t = Chat::new(
        "gemini",
        vec![faulty("abcdefghijkl", Fault::Disconnect { after: 2 })],
    );
    let run = t.run(&[], "hi\n");
    run.assert_code(4);
    assert_eq!(run.assistant()["stop"], "error");
    assert_eq!(run.text(), "abcdef");
    run.fatal();
}

#[test]
fn an_http_error_reports_the_providers_message() {
    assert_a_400_reports_the_mock_message("gemini");
}

#[test]
fn tool_schemas_lose_the_keys_gemini_rejects_and_extra_body_is_merged() {
    let mut t = Chat::new("gemini", vec![Reply::text("ok")]);
    t.provider_config()["extra_body"] = json!({"safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]});
    let input = lines(&[
        json!({"type": "tools", "tools": [
            {"name": "write", "description": "Write a file", "parameters": {
                "$schema": "http://json-schema.org/draft-07/schema#",
                "type": "object",
                "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
                "required": ["path", "content"],
                "additionalProperties": false,
            }},
            {"name": "todo_read", "description": "Read the todo list", "parameters": {"type": "object", "properties": {}}},
        ]}),
        user("write it"),
    ]);
    t.run(&[], &input).assert_code(0);
    let b = t.request().body;
    assert_eq!(
        b["tools"][0]["functionDeclarations"],
        json!([
            {"name": "write", "description": "Write a file", "parameters": {
                "type": "object",
                "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
                "required": ["path", "content"],
            }},
            {"name": "todo_read", "description": "Read the todo list"},
        ])
    );
    assert_eq!(b["safetySettings"][0]["threshold"], "BLOCK_NONE");
}
