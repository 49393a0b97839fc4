//! The OpenAI Chat Completions stream, rendered as OpenRouter sends it (a
//! superset of OpenAI's): a processing comment, a role chunk, reasoning as
//! both `reasoning` and `reasoning_details` pieces (the signature in a last
//! details item), text pieces, tool calls keyed by `index` with id and name
//! on the first fragment and the arguments split and interleaved, a
//! `finish_reason` chunk, a usage chunk with `choices: []`, then `[DONE]`.
//! See protocols.md 3.1 and 3.6.

use crate::mock::script::Reply;
use serde_json::{Value, json};

/// The `format` OpenRouter puts on reasoning_details items.
const DETAILS_FORMAT: &str = "mock-v1";

pub fn render(reply: &Reply, request: &Value) -> Vec<String> {
    let model = reply.model_for(request);
    let chunk = |delta: Value, finish: Value| {
        super::sse_data(&json!({
            "id": "chatcmpl-mock",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            "usage": null,
        }))
    };
    let mut out = vec![": OPENROUTER PROCESSING\n\n".to_string()];
    out.push(chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
    ));
    for piece in reply.pieces(&reply.reasoning) {
        out.push(chunk(
            json!({
                "content": "",
                "reasoning": piece,
                "reasoning_details": [{
                    "type": "reasoning.text", "text": piece,
                    "format": DETAILS_FORMAT, "index": 0,
                }],
            }),
            Value::Null,
        ));
    }
    if let Some(sig) = &reply.signature {
        out.push(chunk(
            json!({
                "content": "",
                "reasoning_details": [{
                    "type": "reasoning.text", "signature": sig,
                    "format": DETAILS_FORMAT, "index": 0,
                }],
            }),
            Value::Null,
        ));
    }
    for piece in reply.pieces(&reply.text) {
        out.push(chunk(json!({"content": piece}), Value::Null));
    }
    // Tool calls: every call's fragments, taken round-robin so that calls
    // interleave when there are several.
    let args: Vec<String> = reply
        .tool_calls
        .iter()
        .map(|c| match &c.arguments {
            // A string is sent as is, so a script can send broken JSON.
            Value::String(s) => s.clone(),
            Value::Null => "{}".into(),
            v => v.to_string(),
        })
        .collect();
    let mut frags: Vec<std::collections::VecDeque<Value>> = Vec::new();
    for (i, c) in reply.tool_calls.iter().enumerate() {
        let mut q = std::collections::VecDeque::new();
        q.push_back(json!({
            "index": i, "id": c.id, "type": "function",
            "function": {"name": c.name, "arguments": ""},
        }));
        for piece in reply.pieces(&args[i]) {
            q.push_back(json!({"index": i, "function": {"arguments": piece}}));
        }
        frags.push(q);
    }
    while frags.iter().any(|q| !q.is_empty()) {
        for q in &mut frags {
            if let Some(f) = q.pop_front() {
                out.push(chunk(json!({"tool_calls": [f]}), Value::Null));
            }
        }
    }
    let finish = match reply.stop_reason() {
        "end" => "stop",
        "length" => "length",
        "tool_calls" => "tool_calls",
        other => other,
    };
    out.push(chunk(json!({}), json!(finish)));
    let u = &reply.usage;
    out.push(super::sse_data(&json!({
        "id": "chatcmpl-mock",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": model,
        "choices": [],
        "usage": {
            "prompt_tokens": u.input,
            "completion_tokens": u.output,
            "total_tokens": u.input + u.output,
            "cost": (u.input + u.output) as f64 / 1_000_000.0,
            "prompt_tokens_details": {"cached_tokens": u.cache_read, "cache_write_tokens": u.cache_write},
            "completion_tokens_details": {"reasoning_tokens": u.reasoning},
        },
    })));
    out.push("data: [DONE]\n\n".into());
    out
}

/// A mid-stream error as OpenAI and OpenRouter send it: a data chunk with a
/// top-level `error` (OpenRouter adds `finish_reason: "error"`).
pub fn stream_error(message: &str) -> String {
    super::sse_data(&json!({
        "id": "chatcmpl-mock",
        "object": "chat.completion.chunk",
        "error": {"message": message, "type": "server_error", "code": 502},
        "choices": [{"index": 0, "delta": {}, "finish_reason": "error"}],
    }))
}

/// The body of an HTTP error: `{"error":{"message","type","code"}}`.
pub fn error_body(status: u16, message: &str) -> String {
    let kind = match status {
        401 | 403 => "authentication_error",
        429 => "rate_limit_error",
        400..=499 => "invalid_request_error",
        _ => "server_error",
    };
    json!({"error": {"message": message, "type": kind, "code": status}}).to_string()
}
