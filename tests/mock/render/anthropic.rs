//! The Anthropic Messages stream, rendered as the API sends it (see
//! protocols.md 3.3): `message_start` with the input usage, a thinking block
//! in `thinking_delta` pieces closed by a `signature_delta`, a `ping`, a text
//! block in pieces, one `tool_use` block per call with its input JSON split
//! into `input_json_delta` pieces (the first one empty, as the API does),
//! `message_delta` with the stop reason and the cumulative output count,
//! then `message_stop`. Every event is named (`event:`) like its data's type.

use crate::mock::script::Reply;
use serde_json::{Value, json};

pub fn render(reply: &Reply, request: &Value) -> Vec<String> {
    let model = reply.model_for(request);
    let u = &reply.usage;
    // The script's input counts every input token; Anthropic reports the
    // uncached part alone, beside the cache reads and writes.
    let fresh = u.input.saturating_sub(u.cache_read + u.cache_write);
    let ev = |v: Value| -> String {
        let name = v["type"].as_str().unwrap_or("unknown").to_string();
        super::sse_named(&name, &v)
    };
    let mut out = vec![ev(json!({
        "type": "message_start",
        "message": {
            "id": "msg_mock", "type": "message", "role": "assistant", "model": model,
            "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": {
                "input_tokens": fresh,
                "cache_creation_input_tokens": u.cache_write,
                "cache_read_input_tokens": u.cache_read,
                "output_tokens": 1,
            },
        },
    }))];
    let mut index = 0;
    let mut block = |out: &mut Vec<String>, start: Value, deltas: Vec<Value>| {
        out.push(ev(
            json!({"type": "content_block_start", "index": index, "content_block": start}),
        ));
        for d in deltas {
            out.push(ev(
                json!({"type": "content_block_delta", "index": index, "delta": d}),
            ));
        }
        out.push(ev(json!({"type": "content_block_stop", "index": index})));
        index += 1;
    };
    if !reply.reasoning.is_empty() || reply.signature.is_some() {
        let mut deltas: Vec<Value> = reply
            .pieces(&reply.reasoning)
            .into_iter()
            .map(|p| json!({"type": "thinking_delta", "thinking": p}))
            .collect();
        if let Some(sig) = &reply.signature {
            deltas.push(json!({"type": "signature_delta", "signature": sig}));
        }
        block(
            &mut out,
            json!({"type": "thinking", "thinking": "", "signature": ""}),
            deltas,
        );
    }
    out.push(ev(json!({"type": "ping"})));
    if !reply.text.is_empty() {
        let deltas = reply
            .pieces(&reply.text)
            .into_iter()
            .map(|p| json!({"type": "text_delta", "text": p}))
            .collect();
        block(&mut out, json!({"type": "text", "text": ""}), deltas);
    }
    for c in &reply.tool_calls {
        let input = match &c.arguments {
            // A string is sent as is, so a script can send broken JSON.
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            v => v.to_string(),
        };
        let mut deltas = vec![json!({"type": "input_json_delta", "partial_json": ""})];
        for p in reply.pieces(&input) {
            deltas.push(json!({"type": "input_json_delta", "partial_json": p}));
        }
        block(
            &mut out,
            json!({"type": "tool_use", "id": c.id, "name": c.name, "input": {}}),
            deltas,
        );
    }
    let stop = match reply.stop_reason() {
        "end" => "end_turn",
        "length" => "max_tokens",
        "tool_calls" => "tool_use",
        other => other,
    };
    out.push(ev(json!({
        "type": "message_delta",
        "delta": {"stop_reason": stop, "stop_sequence": null},
        "usage": {"output_tokens": u.output},
    })));
    out.push(ev(json!({"type": "message_stop"})));
    out
}

/// A mid-stream error: `event: error` with the API's error object.
pub fn stream_error(message: &str) -> String {
    super::sse_named(
        "error",
        &json!({"type": "error", "error": {"type": "overloaded_error", "message": message}}),
    )
}

/// The body of an HTTP error: `{"type":"error","error":{"type","message"}}`
/// with the API's error type for the status.
pub fn error_body(status: u16, message: &str) -> String {
    let kind = match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    };
    json!({"type": "error", "error": {"type": kind, "message": message}}).to_string()
}
