//! zs-chat against the OpenAI Chat Completions format: OpenRouter and the
//! openai-compatible provider, end to end through the mock model. What was
//! printed and what was sent are both checked.

use crate::harness::{
    Chat, KEY, hello_world, lines, reply_with_calls, system, tool_result, tools, user,
};
use crate::mock::script::{Reply, Usage};
use serde_json::{Value, json};

#[test]
fn plain_text_streams_deltas_then_one_assistant_message() {
    let (t, run) = hello_world("openrouter");
    for d in &run.of_type("text_delta") {
        assert!(d["text"].as_str().unwrap().chars().count() <= 3, "{d}");
    }
    let a = run.assistant();
    assert_eq!(a["provider_stop"], "stop");
    assert_eq!(a["provider"], "openrouter");
    assert_eq!(a["api"], "openai-chat");
    assert_eq!(a["model"], "anthropic/claude-sonnet-4.5");

    let req = t.request();
    assert_eq!(req.path, "/v1/chat/completions");
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(req.header("accept"), Some("text/event-stream"));
    assert_eq!(req.header("content-type"), Some("application/json"));
}

#[test]
fn the_model_reported_by_the_stream_wins_over_the_requested_one() {
    let t = Chat::new(
        "openrouter",
        vec![Reply {
            model: Some("openai/gpt-5-2026-01-01".into()),
            ..Reply::text("ok")
        }],
    );
    let run = t.run(&["--model", "openai/gpt-5"], "hi\n");
    run.assert_code(0);
    assert_eq!(run.assistant()["model"], "openai/gpt-5-2026-01-01");
    assert_eq!(t.request().body["model"], "openai/gpt-5");
}

#[test]
fn reasoning_streams_and_its_details_go_back_verbatim_to_openrouter() {
    let first = Reply {
        reasoning: "Need to read a.txt first.".into(),
        signature: Some("EqQB-signed".into()),
        ..reply_with_calls("Reading.", &[("call_A", "read", json!({"path": "a.txt"}))])
    };
    let t = Chat::new("openrouter", vec![first, Reply::text("It says hello.")]);
    let input = lines(&[tools(&["read"]), user("what is in a.txt?")]);
    let run = t.run(&[], &input);
    run.assert_code(0);
    assert_eq!(run.reasoning_deltas(), "Need to read a.txt first.");
    let a = run.assistant().clone();
    let blocks = a["content"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "reasoning");
    assert_eq!(blocks[0]["text"], "Need to read a.txt first.");
    let details = json!([{
        "type": "reasoning.text",
        "text": "Need to read a.txt first.",
        "signature": "EqQB-signed",
        "format": "mock-v1",
        "index": 0,
    }]);
    assert_eq!(blocks[0]["details"], details);
    assert_eq!(a["stop"], "tool_calls");

    // The next turn: the assistant line exactly as printed, then its result.
    let input2 = format!(
        "{input}{}",
        lines(&[a, tool_result("call_A", "read", "hello")])
    );
    let run2 = t.run(&[], &input2);
    run2.assert_code(0);
    let reqs = t.requests();
    assert_eq!(reqs.len(), 2);
    let msgs = reqs[1].body["messages"].as_array().unwrap();
    assert_eq!(msgs[1]["role"], "assistant");
    assert_eq!(msgs[1]["reasoning_details"], details);
    assert_eq!(msgs[1]["content"], "Reading.");
    assert_eq!(msgs[1]["tool_calls"][0]["id"], "call_A");
    assert_eq!(msgs[2]["role"], "tool");
    assert_eq!(msgs[2]["tool_call_id"], "call_A");
}

#[test]
fn reasoning_goes_back_as_reasoning_content_to_a_plain_compatible_server() {
    let t = Chat::new("openai-compatible", vec![Reply::text("done")]);
    let a = json!({
        "type": "assistant",
        "content": [
            {"type": "reasoning", "text": "thinking it over"},
            {"type": "tool_call", "id": "c1", "name": "read", "arguments": {"path": "a"}},
        ],
        "stop": "tool_calls",
        "api": "openai-chat",
    });
    let input = lines(&[user("go"), a, tool_result("c1", "read", "A")]);
    t.run(&[], &input).assert_code(0);
    let body = t.request().body;
    assert_eq!(body["messages"][1]["reasoning_content"], "thinking it over");
    assert_eq!(
        body["messages"][1]["content"],
        Value::Null,
        "only tool calls: null content"
    );
    assert!(body["messages"][1].get("reasoning_details").is_none());
}

#[test]
fn one_tool_call_with_split_arguments() {
    let args = json!({"path": "src/main.rs", "offset": 10, "limit": 200});
    let t = Chat::new(
        "openrouter",
        vec![reply_with_calls("", &[("call_1", "read", args.clone())])],
    );
    let run = t.run(&[], &lines(&[tools(&["read"]), user("read it")]));
    run.assert_code(0);
    let calls = run.tool_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["id"], "call_1");
    assert_eq!(calls[0]["name"], "read");
    assert_eq!(calls[0]["arguments"], args);
    assert_eq!(run.assistant()["stop"], "tool_calls");
    assert!(run.of_type("text_delta").is_empty());
}

#[test]
fn several_interleaved_tool_calls_are_assembled_by_index() {
    let calls = [
        ("call_A", "read", json!({"path": "a.txt"})),
        ("call_B", "list_dir", json!({"path": "."})),
        (
            "call_C",
            "grep",
            json!({"pattern": "fn main", "path": "src"}),
        ),
    ];
    let t = Chat::new(
        "openai-compatible",
        vec![reply_with_calls("Let me look.", &calls)],
    );
    let run = t.run(&[], "look around\n");
    run.assert_code(0);
    run.assert_tool_calls(&calls);
    assert_eq!(run.text(), "Let me look.");
}

#[test]
fn arguments_that_are_not_json_stay_a_string() {
    let t = Chat::new(
        "openai-compatible",
        vec![reply_with_calls(
            "",
            &[("c1", "read", json!("{\"path\": \"a"))],
        )],
    );
    let run = t.run(&[], "x\n");
    run.assert_code(0);
    assert_eq!(run.tool_calls()[0]["arguments"], "{\"path\": \"a");
}

#[test]
fn usage_is_mapped_with_cache_reasoning_and_cost() {
    let t = Chat::new(
        "openrouter",
        vec![Reply {
            usage: Usage {
                input: 1200,
                output: 80,
                cache_read: 1000,
                cache_write: 150,
                reasoning: 30,
            },
            ..Reply::text("ok")
        }],
    );
    let run = t.run(&[], "hi\n");
    run.assert_code(0);
    let u = &run.assistant()["usage"];
    assert_eq!(u["input"], 1200);
    assert_eq!(u["output"], 80);
    assert_eq!(u["cache_read"], 1000);
    assert_eq!(u["cache_write"], 150);
    assert_eq!(u["reasoning"], 30);
    assert!((u["cost"].as_f64().unwrap() - 0.00128).abs() < 1e-9, "{u}");
}

#[test]
fn the_request_body_carries_the_whole_conversation() {
    let t = Chat::new("openai-compatible", vec![Reply::text("fine")]);
    let input = lines(&[
        system("You are terse."),
        tools(&["read", "write"]),
        user("read a"),
        json!({
            "type": "assistant",
            "content": [
                {"type": "text", "text": "Sure."},
                {"type": "tool_call", "id": "c1", "name": "read", "arguments": {"path": "a"}},
                {"type": "tool_call", "id": "c2", "name": "read", "arguments": {"path": "b"}},
            ],
            "stop": "tool_calls",
            "api": "anthropic",
        }),
        tool_result("c1", "read", "AAA"),
        tool_result("c2", "read", "BBB"),
        user("and now?"),
    ]);
    let run = t.run(&["--max-tokens", "512"], &input);
    run.assert_code(0);
    let req = t.request();
    let b = &req.body;
    assert_eq!(b["model"], "mock-model");
    assert_eq!(b["stream"], true);
    assert_eq!(b["stream_options"], json!({"include_usage": true}));
    assert_eq!(b["max_tokens"], 512);
    assert!(b.get("max_completion_tokens").is_none());
    let msgs = b["messages"].as_array().unwrap();
    let roles: Vec<&str> = msgs.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(
        roles,
        ["system", "user", "assistant", "tool", "tool", "user"]
    );
    assert_eq!(msgs[0]["content"], "You are terse.");
    assert_eq!(msgs[2]["content"], "Sure.");
    assert_eq!(
        msgs[2]["tool_calls"],
        json!([
            {"id": "c1", "type": "function", "function": {"name": "read", "arguments": "{\"path\":\"a\"}"}},
            {"id": "c2", "type": "function", "function": {"name": "read", "arguments": "{\"path\":\"b\"}"}},
        ])
    );
    // Reasoning of another wire format is never sent here.
    assert!(msgs[2].get("reasoning_content").is_none());
    assert_eq!(
        msgs[3],
        json!({"role": "tool", "tool_call_id": "c1", "content": "AAA"})
    );
    assert_eq!(
        msgs[4],
        json!({"role": "tool", "tool_call_id": "c2", "content": "BBB"})
    );
    assert_eq!(msgs[5], json!({"role": "user", "content": "and now?"}));
    assert_eq!(b["tools"][0]["type"], "function");
    assert_eq!(b["tools"][0]["function"]["name"], "read");
    assert_eq!(b["tools"][0]["function"]["description"], "the read tool");
    assert_eq!(b["tools"][0]["function"]["parameters"]["type"], "object");
    assert_eq!(b["tools"].as_array().unwrap().len(), 2);
    // The key is optional for openai-compatible, and sent when set.
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert!(
        req.header("x-title").is_none(),
        "OpenRouter headers only for OpenRouter"
    );
}

#[test]
fn no_tools_means_no_tools_field_and_no_key_means_no_authorization() {
    let mut t = Chat::new("openai-compatible", vec![Reply::text("fine")]);
    t.set_env("OPENAI_COMPATIBLE_API_KEY", None);
    t.run(&[], "hi\n").assert_code(0);
    let req = t.request();
    assert!(req.body.get("tools").is_none());
    assert!(req.header("authorization").is_none());
    assert!(req.body.get("max_tokens").is_none());
    assert!(req.body.get("reasoning_effort").is_none());
}

#[test]
fn max_completion_tokens_when_the_provider_is_configured_so() {
    let mut t = Chat::new("openai-compatible", vec![Reply::text("a")]);
    t.provider_config()["max_tokens_field"] = json!("max_completion_tokens");
    t.run(&["--max-tokens", "77"], "hi\n").assert_code(0);
    let b = t.request().body;
    assert_eq!(b["max_completion_tokens"], 77);
    assert!(b.get("max_tokens").is_none());
}

#[test]
fn max_tokens_comes_from_the_model_config_when_no_flag_is_given() {
    let mut t = Chat::new(
        "openai-compatible",
        vec![Reply::text("a"), Reply::text("b")],
    );
    t.config["models"] = json!({"mock-model": {"max_tokens": 4096}});
    t.run(&[], "hi\n").assert_code(0);
    t.run(&["--max-tokens", "9"], "hi\n").assert_code(0);
    let reqs = t.requests();
    assert_eq!(reqs[0].body["max_tokens"], 4096);
    assert_eq!(reqs[1].body["max_tokens"], 9, "the flag wins");
}

#[test]
fn thinking_is_reasoning_effort_on_openrouter_and_reasoning_effort_elsewhere() {
    let t = Chat::new("openrouter", vec![Reply::text("a"), Reply::text("b")]);
    t.run(&["--thinking", "high"], "hi\n").assert_code(0);
    t.run(&["--thinking", "off"], "hi\n").assert_code(0);
    let reqs = t.requests();
    assert_eq!(reqs[0].body["reasoning"], json!({"effort": "high"}));
    assert_eq!(reqs[1].body["reasoning"], json!({"enabled": false}));
    assert!(reqs[0].body.get("reasoning_effort").is_none());

    let t = Chat::new(
        "openai-compatible",
        vec![Reply::text("a"), Reply::text("b")],
    );
    let run = t.run(&["--model", "gpt-5-mini", "--thinking", "low"], "hi\n");
    run.assert_code(0);
    assert_eq!(run.stderr, "");
    let run = t.run(&["--model", "gpt-5-mini", "--thinking", "off"], "hi\n");
    run.assert_code(0);
    let reqs = t.requests();
    assert_eq!(reqs[0].body["reasoning_effort"], "low");
    assert!(
        reqs[1].body.get("reasoning_effort").is_none(),
        "off: nothing is sent"
    );
    assert!(reqs[0].body.get("reasoning").is_none());
}

#[test]
fn thinking_for_a_model_without_it_is_dropped_with_a_warning() {
    let mut t = Chat::new(
        "openai-compatible",
        vec![Reply::text("a"), Reply::text("b")],
    );
    let run = t.run(
        &["--model", "mistral-small", "--thinking", "medium"],
        "hi\n",
    );
    run.assert_code(0);
    assert!(run.stderr.contains("zs-chat: warning:"), "{}", run.dump());
    assert!(run.stderr.contains("mistral-small"), "{}", run.dump());
    assert!(t.requests()[0].body.get("reasoning_effort").is_none());
    // The config's word is final.
    t.config["models"] = json!({"mistral-small": {"thinking": true}});
    let run = t.run(
        &["--model", "mistral-small", "--thinking", "medium"],
        "hi\n",
    );
    run.assert_code(0);
    assert_eq!(run.stderr, "");
    assert_eq!(t.requests()[1].body["reasoning_effort"], "medium");
}

#[test]
fn openrouter_sends_app_headers_and_cache_breakpoints_for_anthropic_models() {
    let t = Chat::new("openrouter", vec![Reply::text("a"), Reply::text("b")]);
    let input = lines(&[system("Be brief."), user("one"), user("two")]);
    t.run(&["--model", "anthropic/claude-sonnet-4.5"], &input)
        .assert_code(0);
    t.run(&["--model", "openai/gpt-5"], &input).assert_code(0);
    let reqs = t.requests();
    let r = &reqs[0];
    assert_eq!(r.header("x-title"), Some("zerostack"));
    assert!(
        r.header("http-referer")
            .is_some_and(|v| v.starts_with("https://"))
    );
    let msgs = r.body["messages"].as_array().unwrap();
    let eph = json!({"type": "ephemeral"});
    assert_eq!(
        msgs[0]["content"],
        json!([{"type": "text", "text": "Be brief.", "cache_control": eph}])
    );
    assert_eq!(msgs[1]["content"], "one", "only the last message is marked");
    assert_eq!(
        msgs[2]["content"],
        json!([{"type": "text", "text": "two", "cache_control": eph}])
    );
    // Other models cache on their own: plain strings.
    let msgs = reqs[1].body["messages"].as_array().unwrap();
    assert_eq!(msgs[0]["content"], "Be brief.");
    assert_eq!(msgs[2]["content"], "two");
    assert_eq!(reqs[1].header("x-title"), Some("zerostack"));
}

#[test]
fn system_flag_replaces_the_system_line() {
    let t = Chat::new("openai-compatible", vec![Reply::text("a")]);
    let input = lines(&[system("old prompt"), user("hi")]);
    t.run(&["--system", "new prompt"], &input).assert_code(0);
    let msgs = t.request().body["messages"].clone();
    assert_eq!(msgs[0], json!({"role": "system", "content": "new prompt"}));
    assert_eq!(msgs.as_array().unwrap().len(), 2);
}

#[test]
fn an_empty_system_flag_removes_the_system_prompt() {
    let t = Chat::new("openai-compatible", vec![Reply::text("a")]);
    let input = lines(&[system("old prompt"), user("hi")]);
    t.run(&["--system", ""], &input).assert_code(0);
    let msgs = t.request().body["messages"].clone();
    assert_eq!(msgs, json!([{"role": "user", "content": "hi"}]));
}

#[test]
fn base_url_flag_overrides_the_config() {
    let mut t = Chat::new("openai-compatible", vec![Reply::text("via flag")]);
    t.provider_config()["base_url"] = json!("http://127.0.0.1:9/v1");
    let url = format!("{}/custom/v1/", t.mock.url());
    let run = t.run(&["--base-url", &url], "hi\n");
    run.assert_code(0);
    assert_eq!(run.text(), "via flag");
    assert_eq!(t.request().path, "/custom/v1/chat/completions");
}

#[test]
fn a_custom_provider_gets_its_headers_extra_body_and_own_key() {
    let mut t = Chat::new("openai-compatible", vec![Reply::text("ok")]);
    let base = format!("{}/v1", t.mock.url());
    t.config = json!({
        "provider": "local",
        "model": "qwen",
        "providers": {"local": {
            "kind": "openai-chat",
            "base_url": base,
            "api_key_env": "LOCAL_KEY",
            "headers": {"X-Team": "core", "X-Token": "${LOCAL_TOKEN}", "X-Missing": "${NOPE}"},
            "extra_body": {"temperature": 0.2, "top_k": 20},
        }},
    });
    t.set_env("LOCAL_KEY", Some("local-secret-key"));
    t.set_env("LOCAL_TOKEN", Some("tok"));
    let run = t.run(&[], "hi\n");
    run.assert_code(0);
    assert_eq!(run.assistant()["provider"], "local");
    let req = t.request();
    assert_eq!(req.header("authorization"), Some("Bearer local-secret-key"));
    assert_eq!(req.header("x-team"), Some("core"));
    assert_eq!(req.header("x-token"), Some("tok"));
    assert!(req.header("x-missing").is_none());
    assert_eq!(req.body["temperature"], 0.2);
    assert_eq!(req.body["top_k"], 20);
    assert_eq!(req.body["model"], "qwen");
}

#[test]
fn a_length_stop_is_reported_as_length() {
    let t = Chat::new(
        "openai-compatible",
        vec![Reply {
            stop: Some("length".into()),
            ..Reply::text("cut sh")
        }],
    );
    let run = t.run(&[], "hi\n");
    run.assert_code(0);
    assert_eq!(run.assistant()["stop"], "length");
    assert_eq!(run.assistant()["provider_stop"], "length");
}

#[test]
fn a_content_filter_stop_writes_the_reply_then_fails() {
    let t = Chat::new(
        "openai-compatible",
        vec![Reply {
            stop: Some("content_filter".into()),
            ..Reply::text("I can")
        }],
    );
    t.run(&[], "hi\n").assert_refused("content_filter");
}

#[test]
fn unicode_split_across_pieces_arrives_intact() {
    let text = "héllo wörld ✓ 日本語 🎉 done";
    let t = Chat::new(
        "openai-compatible",
        vec![Reply {
            chunk: 1,
            ..Reply::text(text)
        }],
    );
    let run = t.run(&[], "hi\n");
    run.assert_code(0);
    assert_eq!(run.text_deltas(), text);
    assert_eq!(run.text(), text);
}
