//! The Ollama native chat stream, rendered: NDJSON lines with reasoning
//! pieces in `message.thinking`, text pieces in `message.content`, every
//! tool call whole in one line (arguments as an object), and a last line
//! with `done: true`, `done_reason` (`stop` even with tool calls, or
//! `length`), the token counts and durations. See protocols.md 3.5.

use crate::mock::script::Reply;
use serde_json::{Value, json};

const CREATED_AT: &str = "2026-11-20T10:00:00.000000Z";

pub fn render(reply: &Reply, request: &Value) -> Vec<String> {
    let model = reply.model_for(request);
    let line = |message: Value, done: bool| json!({"model": model, "created_at": CREATED_AT, "message": message, "done": done});
    let mut out = Vec::new();
    for piece in reply.pieces(&reply.reasoning) {
        out.push(ndjson(&line(
            json!({"role": "assistant", "content": "", "thinking": piece}),
            false,
        )));
    }
    for piece in reply.pieces(&reply.text) {
        out.push(ndjson(&line(
            json!({"role": "assistant", "content": piece}),
            false,
        )));
    }
    if !reply.tool_calls.is_empty() {
        let calls: Vec<Value> = reply
            .tool_calls
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let arguments = match &c.arguments {
                    Value::Null => json!({}),
                    // Ollama always sends an object; a script's string is
                    // parsed, or sent as is to act out a broken server.
                    Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| json!(s)),
                    v => v.clone(),
                };
                json!({
                    "id": c.id,
                    "function": {"index": i, "name": c.name, "arguments": arguments},
                })
            })
            .collect();
        out.push(ndjson(&line(
            json!({"role": "assistant", "content": "", "tool_calls": calls}),
            false,
        )));
    }
    let reason = match reply.stop_reason() {
        "length" => "length",
        _ => "stop",
    };
    let mut last = line(json!({"role": "assistant", "content": ""}), true);
    last["done_reason"] = json!(reason);
    last["total_duration"] = json!(512_000_000u64);
    last["load_duration"] = json!(1_000_000u64);
    last["prompt_eval_count"] = json!(reply.usage.input);
    last["prompt_eval_duration"] = json!(90_000_000u64);
    last["eval_count"] = json!(reply.usage.output);
    last["eval_duration"] = json!(300_000_000u64);
    out.push(ndjson(&last));
    out
}

fn ndjson(v: &Value) -> String {
    format!("{v}\n")
}

/// A mid-stream error: a line `{"error": "..."}`.
pub fn stream_error(message: &str) -> String {
    ndjson(&json!({ "error": message }))
}

/// The body of an HTTP error: `{"error": "..."}`.
pub fn error_body(_status: u16, message: &str) -> String {
    json!({ "error": message }).to_string()
}
