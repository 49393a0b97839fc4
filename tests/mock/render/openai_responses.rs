//! The OpenAI Responses stream, rendered: typed SSE events (`event:` equal to
//! `data.type`) with an increasing `sequence_number`. `response.created` and
//! `response.in_progress`; then one output item per part of the reply, each
//! opened by `response.output_item.added` and closed by
//! `response.output_item.done`: a reasoning item (`rs_N`, summary deltas,
//! `encrypted_content` = the reply's signature), a message item (text
//! deltas), a function_call item per tool call (`fc_N`, argument deltas,
//! `function_call_arguments.done`); and last `response.completed` with the
//! usage, or `response.incomplete` (`max_output_tokens`) when the reply
//! stops for length. The part and `.done` events a client may ignore are
//! there too, as OpenAI sends them. See protocols.md 3.2.

use crate::mock::script::Reply;
use serde_json::{Value, json};

/// Builds the numbered events of one response.
struct Stream {
    events: Vec<String>,
    seq: u64,
}

impl Stream {
    fn push(&mut self, mut v: Value) {
        v["sequence_number"] = json!(self.seq);
        self.seq += 1;
        let name = v["type"].as_str().unwrap_or("").to_string();
        self.events.push(super::sse_named(&name, &v));
    }
}

pub fn render(reply: &Reply, request: &Value) -> Vec<String> {
    let model = reply.model_for(request);
    let response = |status: &str, output: &[Value]| {
        json!({
            "id": "resp_mock",
            "object": "response",
            "created_at": 1,
            "status": status,
            "model": model,
            "output": output,
        })
    };
    let mut s = Stream {
        events: Vec::new(),
        seq: 0,
    };
    let mut output: Vec<Value> = Vec::new();
    s.push(json!({"type": "response.created", "response": response("in_progress", &[])}));
    s.push(json!({"type": "response.in_progress", "response": response("in_progress", &[])}));

    if !reply.reasoning.is_empty() || reply.signature.is_some() {
        let at = output.len();
        let id = format!("rs_{}", at + 1);
        s.push(json!({
            "type": "response.output_item.added", "output_index": at,
            "item": {"type": "reasoning", "id": id, "summary": []},
        }));
        let mut summary = Vec::new();
        if !reply.reasoning.is_empty() {
            let part = |text: &str| json!({"type": "summary_text", "text": text});
            s.push(json!({
                "type": "response.reasoning_summary_part.added", "item_id": id,
                "output_index": at, "summary_index": 0, "part": part(""),
            }));
            for piece in reply.pieces(&reply.reasoning) {
                s.push(json!({
                    "type": "response.reasoning_summary_text.delta", "item_id": id,
                    "output_index": at, "summary_index": 0, "delta": piece,
                }));
            }
            s.push(json!({
                "type": "response.reasoning_summary_text.done", "item_id": id,
                "output_index": at, "summary_index": 0, "text": reply.reasoning,
            }));
            s.push(json!({
                "type": "response.reasoning_summary_part.done", "item_id": id,
                "output_index": at, "summary_index": 0, "part": part(&reply.reasoning),
            }));
            summary.push(part(&reply.reasoning));
        }
        let mut item = json!({"type": "reasoning", "id": id, "summary": summary});
        if let Some(sig) = &reply.signature {
            item["encrypted_content"] = json!(sig);
        }
        s.push(json!({"type": "response.output_item.done", "output_index": at, "item": item}));
        output.push(item);
    }

    if !reply.text.is_empty() {
        let at = output.len();
        let id = format!("msg_{}", at + 1);
        let part = |text: &str| json!({"type": "output_text", "text": text, "annotations": []});
        s.push(json!({
            "type": "response.output_item.added", "output_index": at,
            "item": {"type": "message", "id": id, "status": "in_progress", "role": "assistant", "content": []},
        }));
        s.push(json!({
            "type": "response.content_part.added", "item_id": id, "output_index": at,
            "content_index": 0, "part": part(""),
        }));
        for piece in reply.pieces(&reply.text) {
            s.push(json!({
                "type": "response.output_text.delta", "item_id": id, "output_index": at,
                "content_index": 0, "delta": piece, "logprobs": [],
            }));
        }
        s.push(json!({
            "type": "response.output_text.done", "item_id": id, "output_index": at,
            "content_index": 0, "text": reply.text, "logprobs": [],
        }));
        s.push(json!({
            "type": "response.content_part.done", "item_id": id, "output_index": at,
            "content_index": 0, "part": part(&reply.text),
        }));
        let item = json!({
            "type": "message", "id": id, "status": "completed", "role": "assistant",
            "content": [part(&reply.text)],
        });
        s.push(json!({"type": "response.output_item.done", "output_index": at, "item": item}));
        output.push(item);
    }

    for c in &reply.tool_calls {
        let at = output.len();
        let id = format!("fc_{}", at + 1);
        let args = match &c.arguments {
            // A string is sent as is, so a script can send broken JSON.
            Value::String(s) => s.clone(),
            Value::Null => "{}".into(),
            v => v.to_string(),
        };
        let item = |arguments: &str, status: &str| {
            json!({
                "type": "function_call", "id": id, "call_id": c.id, "name": c.name,
                "arguments": arguments, "status": status,
            })
        };
        s.push(json!({
            "type": "response.output_item.added", "output_index": at,
            "item": item("", "in_progress"),
        }));
        for piece in reply.pieces(&args) {
            s.push(json!({
                "type": "response.function_call_arguments.delta", "item_id": id,
                "output_index": at, "delta": piece,
            }));
        }
        s.push(json!({
            "type": "response.function_call_arguments.done", "item_id": id,
            "output_index": at, "arguments": args,
        }));
        let done = item(&args, "completed");
        s.push(json!({"type": "response.output_item.done", "output_index": at, "item": done}));
        output.push(done);
    }

    let u = &reply.usage;
    let usage = json!({
        "input_tokens": u.input,
        "input_tokens_details": {"cached_tokens": u.cache_read},
        "output_tokens": u.output,
        "output_tokens_details": {"reasoning_tokens": u.reasoning},
        "total_tokens": u.input + u.output,
    });
    if reply.stop_reason() == "length" {
        let mut r = response("incomplete", &output);
        r["incomplete_details"] = json!({"reason": "max_output_tokens"});
        r["usage"] = usage;
        s.push(json!({"type": "response.incomplete", "response": r}));
    } else {
        let mut r = response("completed", &output);
        r["usage"] = usage;
        s.push(json!({"type": "response.completed", "response": r}));
    }
    s.events
}

/// A mid-stream error event, as OpenAI sends it: `event: error` with the
/// fields at the top level.
pub fn stream_error(message: &str) -> String {
    super::sse_named(
        "error",
        &json!({"type": "error", "code": "server_error", "message": message, "param": null}),
    )
}

/// The body of an HTTP error: `{"error":{"message","type","code"}}`, with
/// OpenAI's string codes.
pub fn error_body(status: u16, message: &str) -> String {
    let (kind, code) = match status {
        401 | 403 => ("invalid_request_error", json!("invalid_api_key")),
        429 => ("rate_limit_error", json!("rate_limit_exceeded")),
        400..=499 => ("invalid_request_error", Value::Null),
        _ => ("server_error", json!("server_error")),
    };
    json!({"error": {"message": message, "type": kind, "code": code, "param": null}}).to_string()
}
