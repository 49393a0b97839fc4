//! The Gemini `streamGenerateContent?alt=sse` stream, rendered as the API
//! sends it (see protocols.md 3.4): every event is a whole
//! `GenerateContentResponse` chunk, separated by `\r\n\r\n`. Thought
//! summaries (`thought: true`) and text come in pieces, function calls whole
//! with their `args` object, the `thoughtSignature` on the first
//! functionCall part (or, without calls, on a final empty text part), and
//! cumulative `usageMetadata` on every chunk. The last chunk carries the
//! `finishReason`; there is no terminator.

use crate::mock::script::Reply;
use serde_json::{Value, json};

/// `data: <json>` plus a CRLF blank line, as Gemini frames its events.
fn event(v: &Value) -> String {
    format!("data: {v}\r\n\r\n")
}

pub fn render(reply: &Reply, _request: &Value) -> Vec<String> {
    // The model is named in the URL, not the body; the reply may name one.
    let model = reply.model.clone().unwrap_or_else(|| "gemini-mock".into());
    let u = &reply.usage;
    let thoughts_total = u.reasoning;
    let candidates_total = u.output.saturating_sub(u.reasoning);
    // Usage grows as the reply does: thoughts first, then the answer.
    let usage = |thoughts: u64, candidates: u64, last: bool| {
        let mut m = json!({
            "promptTokenCount": u.input,
            "totalTokenCount": u.input + thoughts + candidates,
        });
        if candidates > 0 || last {
            m["candidatesTokenCount"] = json!(candidates);
        }
        if thoughts > 0 {
            m["thoughtsTokenCount"] = json!(thoughts);
        }
        if last && u.cache_read > 0 {
            m["cachedContentTokenCount"] = json!(u.cache_read);
        }
        m
    };
    let chunk = |parts: Value, finish: Option<&str>, usage: Value| {
        let mut cand = json!({"content": {"role": "model", "parts": parts}, "index": 0});
        if let Some(f) = finish {
            cand["finishReason"] = json!(f);
        }
        event(&json!({
            "candidates": [cand],
            "usageMetadata": usage,
            "modelVersion": model,
            "responseId": "resp_mock",
        }))
    };
    let mut out = Vec::new();
    for p in reply.pieces(&reply.reasoning) {
        out.push(chunk(
            json!([{"text": p, "thought": true}]),
            None,
            usage(0, 0, false),
        ));
    }
    for p in reply.pieces(&reply.text) {
        out.push(chunk(
            json!([{"text": p}]),
            None,
            usage(thoughts_total, 0, false),
        ));
    }
    let mut signature = reply.signature.clone();
    if !reply.tool_calls.is_empty() {
        let parts: Vec<Value> = reply
            .tool_calls
            .iter()
            .map(|c| {
                let args = match &c.arguments {
                    Value::Object(_) => c.arguments.clone(),
                    _ => json!({}),
                };
                let mut p = json!({"functionCall": {"id": c.id, "name": c.name, "args": args}});
                if let Some(sig) = signature.take() {
                    p["thoughtSignature"] = json!(sig);
                }
                p
            })
            .collect();
        out.push(chunk(
            Value::Array(parts),
            None,
            usage(thoughts_total, candidates_total, false),
        ));
    }
    let mut last = json!({"text": ""});
    if let Some(sig) = signature {
        last["thoughtSignature"] = json!(sig);
    }
    let finish = match reply.stop_reason() {
        "end" | "tool_calls" => "STOP",
        "length" => "MAX_TOKENS",
        other => other,
    };
    out.push(chunk(
        json!([last]),
        Some(finish),
        usage(thoughts_total, candidates_total, true),
    ));
    out
}

/// A mid-stream error: a chunk holding only an `error` object.
pub fn stream_error(message: &str) -> String {
    event(&json!({"error": {"code": 500, "message": message, "status": "INTERNAL"}}))
}

/// The body of an HTTP error: `{"error":{"code","message","status"}}` with
/// the Google status name for the HTTP code.
pub fn error_body(status: u16, message: &str) -> String {
    let name = match status {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "INTERNAL",
    };
    json!({"error": {"code": status, "message": message, "status": name}}).to_string()
}
