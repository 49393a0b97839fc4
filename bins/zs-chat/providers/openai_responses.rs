//! The OpenAI Responses API (`POST {base}/responses`, streamed as typed SSE
//! events).
//!
//! Requests are stateless (`store: false`): the whole conversation is sent
//! as input items every time, and reasoning items come back with their
//! `encrypted_content` so they can be passed back on the next turn. The
//! stream is a sequence of output items (reasoning, message, function_call),
//! each opened by `response.output_item.added`, filled by deltas and closed
//! by `response.output_item.done`; the run ends with `response.completed`,
//! `response.incomplete` or `response.failed`. There are some sixty event
//! types; the ones that carry nothing we keep are ignored.

use super::{CallOptions, Decoder, Flow, Framing, Request, StreamError, Thinking, Wire};
use crate::assemble::Assembler;
use crate::conversation::{Conversation, Message};
use crate::framing::SseEvent;
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};
use zerostack::config::ProviderKind;
use zerostack::error::Error;
use zerostack::protocol::{Assistant, Block, StopReason, Usage};

pub struct OpenaiResponses;

impl Wire for OpenaiResponses {
    fn build(&self, conv: &Conversation, opts: &CallOptions) -> Result<Request, Error> {
        super::require_base_url(opts)?;
        Ok(super::request(
            opts,
            "responses",
            super::bearer_auth(opts),
            body(conv, opts),
        ))
    }

    fn framing(&self) -> Framing {
        Framing::Sse
    }

    fn decoder(&self) -> Box<dyn Decoder> {
        Box::new(ResponsesDecoder::default())
    }
}

/// The request body, before `extra_body` is merged in.
fn body(conv: &Conversation, opts: &CallOptions) -> Value {
    let mut input = Vec::new();
    for m in &conv.messages {
        match m {
            Message::User(text) => input.push(json!({
                "role": "user",
                "content": [{"type": "input_text", "text": text}],
            })),
            Message::Assistant(a) => assistant_items(a, &mut input),
            Message::ToolResult(r) => input.push(json!({
                "type": "function_call_output",
                "call_id": r.call_id,
                "output": r.content,
            })),
        }
    }
    let mut body = Map::new();
    body.insert("model".into(), json!(opts.model));
    if let Some(system) = &conv.system {
        body.insert("instructions".into(), json!(system));
    }
    body.insert("input".into(), Value::Array(input));
    if !conv.tools.is_empty() {
        let tools: Vec<Value> = conv
            .tools
            .iter()
            .map(|t| {
                json!({
                    "type": "function",
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.parameters,
                    // The Responses API defaults `strict` to true, which
                    // rejects any schema with optional properties; our tool
                    // schemas are ordinary JSON Schema.
                    "strict": false,
                })
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
    }
    body.insert("stream".into(), json!(true));
    // Stateless: nothing is kept on OpenAI's side, so reasoning must travel
    // back to us encrypted to be passed back on the next turn.
    body.insert("store".into(), json!(false));
    if takes_reasoning(opts) {
        body.insert("include".into(), json!(["reasoning.encrypted_content"]));
    }
    if let Some(n) = opts.max_tokens {
        body.insert("max_output_tokens".into(), json!(n));
    }
    let effort = match opts.thinking {
        Some(Thinking::Low) => Some("low"),
        Some(Thinking::Medium) => Some("medium"),
        Some(Thinking::High) => Some("high"),
        Some(Thinking::Off) | None => None,
    };
    if let Some(effort) = effort {
        body.insert(
            "reasoning".into(),
            json!({"effort": effort, "summary": "auto"}),
        );
    }
    Value::Object(body)
}

/// Whether the model reasons, so encrypted reasoning can be asked for. A
/// `thinking` option that survived means the model takes the parameter;
/// without one the model-family table decides. Non-reasoning models answer
/// the `include` with a 400.
fn takes_reasoning(opts: &CallOptions) -> bool {
    opts.thinking.is_some() || super::thinking::supported(&opts.provider, &opts.model, None)
}

/// The input items of one assistant message, in block order. Reasoning is
/// passed back only when it came from this API (other providers' signatures
/// mean nothing here) and carries what the API needs to accept it.
fn assistant_items(a: &Assistant, input: &mut Vec<Value>) {
    let ours = a.api.as_deref() == Some(ProviderKind::OpenaiResponses.as_str());
    for block in &a.content {
        match block {
            Block::Reasoning(r) => {
                if !ours || (r.encrypted.is_none() && r.id.is_none()) {
                    continue;
                }
                let mut item = Map::new();
                item.insert("type".into(), json!("reasoning"));
                if let Some(id) = &r.id {
                    item.insert("id".into(), json!(id));
                }
                let summary = if r.text.is_empty() {
                    json!([])
                } else {
                    json!([{"type": "summary_text", "text": r.text}])
                };
                item.insert("summary".into(), summary);
                if let Some(enc) = &r.encrypted {
                    item.insert("encrypted_content".into(), json!(enc));
                }
                input.push(Value::Object(item));
            }
            Block::Text(t) => {
                if t.text.is_empty() {
                    continue;
                }
                input.push(json!({
                    "type": "message",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": t.text}],
                }));
            }
            Block::ToolCall(c) => {
                // Arguments that were not JSON are kept as the model's text;
                // send that text back as it was.
                let arguments = match &c.arguments {
                    Value::String(s) => s.clone(),
                    v => v.to_string(),
                };
                input.push(json!({
                    "type": "function_call",
                    "call_id": c.id,
                    "name": c.name,
                    "arguments": arguments,
                }));
            }
        }
    }
}

/// What the decoder knows about one output item.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Reasoning,
    Message,
    /// A function call, with the assembler key it was opened under.
    Call(String),
    Other,
}

#[derive(Debug, Default)]
struct ResponsesDecoder {
    /// Output items by `output_index`.
    items: HashMap<u64, Item>,
    /// Output index by item id, for events that name only the item.
    ids: HashMap<String, u64>,
    /// Items that got text or summary deltas: their `done` event then adds
    /// nothing. Keyed by output index.
    streamed: HashSet<u64>,
    /// The (output index, summary index) of the last reasoning summary
    /// delta, to separate summary parts.
    summary_at: Option<(u64, u64)>,
    done: bool,
}

impl Decoder for ResponsesDecoder {
    fn event(&mut self, ev: &SseEvent, out: &mut Assembler) -> Result<Flow, StreamError> {
        let data = ev.data.trim();
        // Keep-alives without data, and a `[DONE]` some proxies add out of
        // Chat Completions habit, carry nothing.
        if data.is_empty() || data == "[DONE]" {
            return Ok(Flow::More);
        }
        let v: Value = serde_json::from_str(data)
            .map_err(|e| StreamError(format!("malformed event from the provider: {e}")))?;
        let kind = v
            .get("type")
            .and_then(Value::as_str)
            .or(ev.event.as_deref())
            .unwrap_or("");
        match kind {
            "response.created" | "response.in_progress" => {
                if let Some(m) = v.pointer("/response/model").and_then(Value::as_str) {
                    out.model = Some(m.to_string());
                }
            }
            "response.output_item.added" => self.item_added(&v, out),
            "response.reasoning_summary_text.delta" | "response.reasoning_text.delta" => {
                let at = index(&v, "output_index").or_else(|| self.index_of(&v));
                let part = index(&v, "summary_index").unwrap_or(0);
                if let (Some(at), Some(prev)) = (at, self.summary_at) {
                    // A new summary part of the same item: keep the parts
                    // apart as paragraphs.
                    if prev.0 == at && prev.1 != part {
                        out.reasoning("\n\n");
                    }
                }
                if let Some(at) = at {
                    self.summary_at = Some((at, part));
                    self.streamed.insert(at);
                }
                out.reasoning(str_at(&v, "delta"));
            }
            "response.output_text.delta" | "response.refusal.delta" => {
                if let Some(at) = index(&v, "output_index").or_else(|| self.index_of(&v)) {
                    self.streamed.insert(at);
                }
                out.text(str_at(&v, "delta"));
            }
            "response.function_call_arguments.delta" => {
                if let Some(key) = self.call_key(&v) {
                    out.tool_args(&key, str_at(&v, "delta"));
                }
            }
            "response.function_call_arguments.done" => {
                if let (Some(key), Some(args)) = (
                    self.call_key(&v),
                    v.get("arguments").and_then(Value::as_str),
                ) {
                    out.tool_args_replace(&key, args);
                }
            }
            "response.output_item.done" => self.item_done(&v, out),
            "response.completed" => {
                self.finish(&v, out);
                out.stop("completed", StopReason::End);
                return Ok(Flow::Done);
            }
            "response.incomplete" => {
                self.finish(&v, out);
                let reason = v
                    .pointer("/response/incomplete_details/reason")
                    .and_then(Value::as_str)
                    .unwrap_or("incomplete");
                let stop = if reason == "max_output_tokens" {
                    StopReason::Length
                } else {
                    StopReason::Error
                };
                out.stop(reason, stop);
                return Ok(Flow::Done);
            }
            "response.failed" => {
                self.done = true;
                let err = v.pointer("/response/error").unwrap_or(&Value::Null);
                return Err(StreamError(error_message(err, "the response failed")));
            }
            "error" => {
                self.done = true;
                // The error fields sit at the top level; some servers nest
                // them under `error`.
                let err = v.get("error").filter(|e| e.is_object()).unwrap_or(&v);
                return Err(StreamError(error_message(
                    err,
                    "the provider sent an error",
                )));
            }
            _ => {}
        }
        Ok(Flow::More)
    }

    fn end(&mut self, _out: &mut Assembler) -> Result<(), StreamError> {
        if self.done {
            Ok(())
        } else {
            Err(StreamError(
                "the stream ended before the response was complete".into(),
            ))
        }
    }
}

impl ResponsesDecoder {
    /// The output index an event refers to through its `item_id`.
    fn index_of(&self, v: &Value) -> Option<u64> {
        v.get("item_id")
            .and_then(Value::as_str)
            .and_then(|id| self.ids.get(id).copied())
    }

    /// The assembler key of the function call an event refers to.
    fn call_key(&self, v: &Value) -> Option<String> {
        let at = index(v, "output_index").or_else(|| self.index_of(v))?;
        match self.items.get(&at) {
            Some(Item::Call(key)) => Some(key.clone()),
            _ => None,
        }
    }

    fn item_added(&mut self, v: &Value, out: &mut Assembler) {
        let Some(item) = v.get("item") else { return };
        let at = index(v, "output_index").unwrap_or(self.items.len() as u64);
        if let Some(id) = item.get("id").and_then(Value::as_str) {
            self.ids.insert(id.to_string(), at);
        }
        // Every item is its own block: two reasoning items in a row must not
        // run together, each has its own id and encrypted content.
        out.close();
        let kind = match str_at(item, "type") {
            "reasoning" => Item::Reasoning,
            "message" => Item::Message,
            "function_call" => {
                let key = self.open_call(item, at, out);
                Item::Call(key)
            }
            _ => Item::Other,
        };
        self.items.insert(at, kind);
    }

    /// Opens a tool call for a function_call item; returns its key.
    fn open_call(&mut self, item: &Value, at: u64, out: &mut Assembler) -> String {
        let key = match item.get("id").and_then(Value::as_str) {
            Some(id) if !id.is_empty() => id.to_string(),
            _ => format!("#{at}"),
        };
        if !out.has_call(&key) {
            out.tool_call(&key, str_at(item, "call_id"), str_at(item, "name"));
        }
        if let Some(args) = item.get("arguments").and_then(Value::as_str)
            && !args.is_empty()
        {
            out.tool_args_replace(&key, args);
        }
        key
    }

    fn item_done(&mut self, v: &Value, out: &mut Assembler) {
        let Some(item) = v.get("item") else { return };
        let at = index(v, "output_index")
            .or_else(|| {
                item.get("id")
                    .and_then(Value::as_str)
                    .and_then(|id| self.ids.get(id).copied())
            })
            .unwrap_or(self.items.len() as u64);
        let streamed = self.streamed.contains(&at);
        match str_at(item, "type") {
            "reasoning" => {
                if !streamed {
                    // No summary deltas came (or the item was never
                    // announced): take the summary from the finished item.
                    if !matches!(self.items.get(&at), Some(Item::Reasoning)) {
                        out.close();
                    }
                    let parts: Vec<&str> = item
                        .get("summary")
                        .and_then(Value::as_array)
                        .map(|s| s.iter().map(|p| str_at(p, "text")).collect())
                        .unwrap_or_default();
                    out.reasoning(&parts.join("\n\n"));
                }
                let r = out.reasoning_block();
                if let Some(id) = item.get("id").and_then(Value::as_str) {
                    r.id = Some(id.to_string());
                }
                if let Some(enc) = item.get("encrypted_content").and_then(Value::as_str) {
                    r.encrypted = Some(enc.to_string());
                }
                self.items.insert(at, Item::Reasoning);
                // What follows is a new block, even more reasoning.
                out.close();
            }
            "message" if !streamed => {
                if !matches!(self.items.get(&at), Some(Item::Message)) {
                    out.close();
                }
                if let Some(parts) = item.get("content").and_then(Value::as_array) {
                    for p in parts {
                        match str_at(p, "type") {
                            "output_text" => out.text(str_at(p, "text")),
                            "refusal" => out.text(str_at(p, "refusal")),
                            _ => {}
                        }
                    }
                }
                self.items.insert(at, Item::Message);
            }
            "function_call" => {
                let key = match self.items.get(&at) {
                    Some(Item::Call(key)) => key.clone(),
                    _ => {
                        let key = self.open_call(item, at, out);
                        self.items.insert(at, Item::Call(key.clone()));
                        key
                    }
                };
                // The finished item's arguments are authoritative.
                if let Some(args) = item.get("arguments").and_then(Value::as_str) {
                    out.tool_args_replace(&key, args);
                }
                out.tool_name(&key, str_at(item, "name"));
            }
            _ => {}
        }
    }

    /// Usage and model of a terminal event's `response`.
    fn finish(&mut self, v: &Value, out: &mut Assembler) {
        self.done = true;
        let Some(resp) = v.get("response") else {
            return;
        };
        if let Some(m) = resp.get("model").and_then(Value::as_str) {
            out.model = Some(m.to_string());
        }
        if let Some(u) = resp.get("usage").filter(|u| u.is_object()) {
            let n = |p: &str| u.pointer(p).and_then(Value::as_u64).unwrap_or(0);
            out.usage = Usage {
                input: n("/input_tokens"),
                output: n("/output_tokens"),
                cache_read: n("/input_tokens_details/cached_tokens"),
                cache_write: 0,
                reasoning: n("/output_tokens_details/reasoning_tokens"),
                cost: None,
            };
        }
    }
}

fn index(v: &Value, field: &str) -> Option<u64> {
    v.get(field).and_then(Value::as_u64)
}

/// A string field, or "" when it is missing or not a string.
fn str_at<'a>(v: &'a Value, field: &str) -> &'a str {
    v.get(field).and_then(Value::as_str).unwrap_or("")
}

/// `message (code)` from an error object, or `fallback`.
fn error_message(err: &Value, fallback: &str) -> String {
    let message = err.get("message").and_then(Value::as_str).unwrap_or("");
    let code = err.get("code").and_then(Value::as_str).unwrap_or("");
    match (message.is_empty(), code.is_empty()) {
        (false, false) => format!("{message} ({code})"),
        (false, true) => message.to_string(),
        (true, false) => format!("{fallback} ({code})"),
        (true, true) => fallback.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{self, conv, run};
    use zerostack::protocol::{Delta, Event, Reasoning, ToolCall};

    /// SSE events named after their `type`, as OpenAI sends them.
    fn sse(events: &[Value]) -> String {
        events
            .iter()
            .map(|e| format!("event: {}\ndata: {e}\n\n", e["type"].as_str().unwrap_or("")))
            .collect()
    }

    fn decode(body: &str) -> (Result<(), StreamError>, Vec<Event>, Assistant) {
        let r = run(&OpenaiResponses, body);
        (r.result, r.deltas, r.msg)
    }

    fn completed(usage: Value) -> Value {
        json!({"type":"response.completed","sequence_number":99,"response":{"id":"resp_1","status":"completed","model":"gpt-5-2026","usage":usage}})
    }

    fn text_delta(t: &str) -> Event {
        Event::TextDelta(Delta { text: t.into() })
    }

    #[test]
    fn the_reference_fixture_gives_reasoning_with_its_encrypted_content_and_a_call() {
        let body = sse(&[
            json!({"type":"response.created","sequence_number":0,"response":{"id":"resp_1","status":"in_progress","model":"gpt-5"}}),
            json!({"type":"response.output_item.added","output_index":0,"item":{"type":"reasoning","id":"rs_1","summary":[]}}),
            json!({"type":"response.reasoning_summary_text.delta","item_id":"rs_1","output_index":0,"summary_index":0,"delta":"Need the file"}),
            json!({"type":"response.output_item.done","output_index":0,"item":{"type":"reasoning","id":"rs_1","encrypted_content":"gAAA..."}}),
            json!({"type":"response.output_item.added","output_index":1,"item":{"type":"function_call","id":"fc_1","call_id":"call_A","name":"read_file","arguments":"","status":"in_progress"}}),
            json!({"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":1,"delta":"{\"path\":\"a.txt\"}"}),
            json!({"type":"response.function_call_arguments.done","item_id":"fc_1","output_index":1,"arguments":"{\"path\":\"a.txt\"}"}),
            json!({"type":"response.output_item.done","output_index":1,"item":{"type":"function_call","id":"fc_1","call_id":"call_A","name":"read_file","arguments":"{\"path\":\"a.txt\"}","status":"completed"}}),
            json!({"type":"response.completed","response":{"id":"resp_1","status":"completed","usage":{"input_tokens":120,"input_tokens_details":{"cached_tokens":0},"output_tokens":40,"output_tokens_details":{"reasoning_tokens":24},"total_tokens":160}}}),
        ]);
        let (res, deltas, m) = decode(&body);
        res.unwrap();
        assert_eq!(
            deltas,
            vec![Event::ReasoningDelta(Delta {
                text: "Need the file".into()
            })]
        );
        assert_eq!(
            m.content,
            vec![
                Block::Reasoning(Reasoning {
                    text: "Need the file".into(),
                    encrypted: Some("gAAA...".into()),
                    id: Some("rs_1".into()),
                    ..Reasoning::default()
                }),
                Block::ToolCall(ToolCall {
                    id: "call_A".into(),
                    name: "read_file".into(),
                    arguments: json!({"path":"a.txt"}),
                    signature: None,
                }),
            ]
        );
        assert_eq!(m.stop, StopReason::ToolCalls);
        assert_eq!(m.provider_stop.as_deref(), Some("completed"));
        assert_eq!(m.model.as_deref(), Some("gpt-5"));
        assert_eq!(
            m.usage,
            Usage {
                input: 120,
                output: 40,
                reasoning: 24,
                ..Usage::default()
            }
        );
    }

    #[test]
    fn text_deltas_grow_one_block_and_usage_counts_cached_input() {
        let body = sse(&[
            json!({"type":"response.created","sequence_number":0,"response":{"id":"resp_1","status":"in_progress","model":"gpt-5"}}),
            json!({"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_1","status":"in_progress"}}),
            json!({"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"type":"message","id":"msg_1","role":"assistant","status":"in_progress","content":[]}}),
            json!({"type":"response.content_part.added","sequence_number":3,"item_id":"msg_1","output_index":0,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}}),
            json!({"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hel"}),
            json!({"type":"response.output_text.delta","sequence_number":5,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"lo ✓"}),
            json!({"type":"response.output_text.done","sequence_number":6,"item_id":"msg_1","output_index":0,"content_index":0,"text":"Hello ✓"}),
            json!({"type":"response.output_item.done","sequence_number":7,"output_index":0,"item":{"type":"message","id":"msg_1","role":"assistant","status":"completed","content":[{"type":"output_text","text":"Hello ✓","annotations":[]}]}}),
            completed(
                json!({"input_tokens":300,"input_tokens_details":{"cached_tokens":256},"output_tokens":5,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":305}),
            ),
        ]);
        let (res, deltas, m) = decode(&body);
        res.unwrap();
        assert_eq!(deltas, vec![text_delta("Hel"), text_delta("lo ✓")]);
        assert_eq!(
            m.content.len(),
            1,
            "the done event repeats, never adds: {m:?}"
        );
        assert_eq!(m.text(), "Hello ✓");
        assert_eq!(m.stop, StopReason::End);
        assert_eq!(
            m.model.as_deref(),
            Some("gpt-5-2026"),
            "the final model wins"
        );
        assert_eq!(
            (m.usage.input, m.usage.cache_read, m.usage.output),
            (300, 256, 5)
        );
    }

    #[test]
    fn several_calls_with_split_arguments_and_the_done_text_is_authoritative() {
        let body = sse(&[
            json!({"type":"response.output_item.added","output_index":0,"item":{"type":"message","id":"msg_1","content":[]}}),
            json!({"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"Looking."}),
            json!({"type":"response.output_item.done","output_index":0,"item":{"type":"message","id":"msg_1","content":[{"type":"output_text","text":"Looking."}]}}),
            json!({"type":"response.output_item.added","output_index":1,"item":{"type":"function_call","id":"fc_1","call_id":"call_A","name":"read","arguments":""}}),
            json!({"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":1,"delta":"{\"pa"}),
            json!({"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":1,"delta":"th\":\"a"}),
            // The finished text differs from the deltas: it wins.
            json!({"type":"response.function_call_arguments.done","item_id":"fc_1","output_index":1,"arguments":"{\"path\":\"b.txt\"}"}),
            json!({"type":"response.output_item.done","output_index":1,"item":{"type":"function_call","id":"fc_1","call_id":"call_A","name":"read","arguments":"{\"path\":\"b.txt\"}"}}),
            json!({"type":"response.output_item.added","output_index":2,"item":{"type":"function_call","id":"fc_2","call_id":"call_B","name":"bash","arguments":""}}),
            // Only the item id names the call here.
            json!({"type":"response.function_call_arguments.delta","item_id":"fc_2","delta":"{\"command\":"}),
            json!({"type":"response.function_call_arguments.delta","item_id":"fc_2","delta":"\"ls\"}"}),
            json!({"type":"response.output_item.added","output_index":3,"item":{"type":"function_call","id":"fc_3","call_id":"call_C","name":"todo_read","arguments":""}}),
            json!({"type":"response.output_item.done","output_index":3,"item":{"type":"function_call","id":"fc_3","call_id":"call_C","name":"todo_read","arguments":""}}),
            completed(json!({"input_tokens":1,"output_tokens":2})),
        ]);
        let (res, deltas, m) = decode(&body);
        res.unwrap();
        assert_eq!(deltas, vec![text_delta("Looking.")]);
        assert_eq!(m.text(), "Looking.");
        let calls: Vec<_> = m
            .tool_calls()
            .map(|c| (c.id.as_str(), c.name.as_str(), c.arguments.clone()))
            .collect();
        assert_eq!(
            calls,
            vec![
                ("call_A", "read", json!({"path":"b.txt"})),
                ("call_B", "bash", json!({"command":"ls"})),
                ("call_C", "todo_read", json!({})),
            ]
        );
        assert_eq!(m.stop, StopReason::ToolCalls);
        assert_eq!(m.provider_stop.as_deref(), Some("completed"));
    }

    #[test]
    fn finished_items_without_deltas_still_count() {
        let body = sse(&[
            json!({"type":"response.output_item.done","output_index":0,"item":{"type":"reasoning","id":"rs_9","summary":[{"type":"summary_text","text":"One."},{"type":"summary_text","text":"Two."}],"encrypted_content":"enc9"}}),
            json!({"type":"response.output_item.done","output_index":1,"item":{"type":"message","id":"msg_1","content":[{"type":"output_text","text":"Hi"},{"type":"refusal","refusal":" no"}]}}),
            json!({"type":"response.output_item.done","output_index":2,"item":{"type":"function_call","id":"fc_1","call_id":"call_Z","name":"read","arguments":"{\"path\":\"x\"}"}}),
            completed(json!({"input_tokens":1,"output_tokens":2})),
        ]);
        let (res, deltas, m) = decode(&body);
        res.unwrap();
        assert_eq!(deltas.len(), 3, "{deltas:?}");
        match &m.content[0] {
            Block::Reasoning(r) => {
                assert_eq!(r.text, "One.\n\nTwo.");
                assert_eq!(r.id.as_deref(), Some("rs_9"));
                assert_eq!(r.encrypted.as_deref(), Some("enc9"));
            }
            b => panic!("{b:?}"),
        }
        assert_eq!(m.text(), "Hi no");
        let c = m.tool_calls().next().unwrap();
        assert_eq!(
            (c.id.as_str(), &c.arguments),
            ("call_Z", &json!({"path":"x"}))
        );
    }

    #[test]
    fn two_reasoning_items_stay_apart_and_summary_parts_become_paragraphs() {
        let body = sse(&[
            json!({"type":"response.output_item.added","output_index":0,"item":{"type":"reasoning","id":"rs_1","summary":[]}}),
            json!({"type":"response.reasoning_summary_part.added","item_id":"rs_1","output_index":0,"summary_index":0,"part":{"type":"summary_text","text":""}}),
            json!({"type":"response.reasoning_summary_text.delta","item_id":"rs_1","output_index":0,"summary_index":0,"delta":"First"}),
            json!({"type":"response.reasoning_summary_text.delta","item_id":"rs_1","output_index":0,"summary_index":1,"delta":"Second"}),
            json!({"type":"response.output_item.done","output_index":0,"item":{"type":"reasoning","id":"rs_1","encrypted_content":"e1"}}),
            json!({"type":"response.output_item.added","output_index":1,"item":{"type":"reasoning","id":"rs_2","summary":[]}}),
            // No summary at all: the block still carries id and content.
            json!({"type":"response.output_item.done","output_index":1,"item":{"type":"reasoning","id":"rs_2","summary":[],"encrypted_content":"e2"}}),
            json!({"type":"response.output_item.added","output_index":2,"item":{"type":"message","id":"m","content":[]}}),
            json!({"type":"response.output_text.delta","item_id":"m","output_index":2,"content_index":0,"delta":"Done."}),
            completed(json!({})),
        ]);
        let (res, _, m) = decode(&body);
        res.unwrap();
        let rs: Vec<(&str, &str, &str)> = m
            .content
            .iter()
            .filter_map(|b| match b {
                Block::Reasoning(r) => Some((
                    r.text.as_str(),
                    r.id.as_deref().unwrap_or(""),
                    r.encrypted.as_deref().unwrap_or(""),
                )),
                _ => None,
            })
            .collect();
        assert_eq!(
            rs,
            vec![("First\n\nSecond", "rs_1", "e1"), ("", "rs_2", "e2")]
        );
        assert_eq!(m.text(), "Done.");
        assert!(matches!(m.content.last(), Some(Block::Text(_))));
    }

    #[test]
    fn incomplete_is_length_for_the_token_limit_and_error_otherwise() {
        let inc = |reason: &str| {
            sse(&[
                json!({"type":"response.output_text.delta","item_id":"m","output_index":0,"delta":"Par"}),
                json!({"type":"response.incomplete","response":{"status":"incomplete","incomplete_details":{"reason":reason},"usage":{"input_tokens":7,"output_tokens":16}}}),
            ])
        };
        let (res, _, m) = decode(&inc("max_output_tokens"));
        res.unwrap();
        assert_eq!(m.stop, StopReason::Length);
        assert_eq!(m.provider_stop.as_deref(), Some("max_output_tokens"));
        assert_eq!((m.text().as_str(), m.usage.output), ("Par", 16));
        let (res, _, m) = decode(&inc("content_filter"));
        res.unwrap();
        assert_eq!(m.stop, StopReason::Error);
        assert_eq!(m.provider_stop.as_deref(), Some("content_filter"));
    }

    #[test]
    fn failed_and_error_events_are_stream_errors_after_partial_content() {
        let failed = sse(&[
            json!({"type":"response.output_text.delta","item_id":"m","output_index":0,"delta":"Part"}),
            json!({"type":"response.failed","response":{"status":"failed","error":{"code":"server_error","message":"The model crashed"}}}),
        ]);
        let (res, deltas, m) = decode(&failed);
        assert_eq!(
            res.unwrap_err(),
            StreamError("The model crashed (server_error)".into())
        );
        assert_eq!(deltas, vec![text_delta("Part")]);
        assert_eq!(m.text(), "Part");
        let error = sse(&[
            json!({"type":"error","code":"rate_limit_exceeded","message":"Slow down","param":null,"sequence_number":3}),
        ]);
        assert_eq!(
            decode(&error).0.unwrap_err(),
            StreamError("Slow down (rate_limit_exceeded)".into())
        );
        let nested = "event: error\ndata: {\"error\":{\"message\":\"Overloaded\"}}\n\n";
        assert_eq!(
            decode(nested).0.unwrap_err(),
            StreamError("Overloaded".into())
        );
    }

    #[test]
    fn unknown_events_and_keepalives_are_ignored_but_truncation_and_garbage_are_errors() {
        let mut body = String::from(": keep-alive\n\nevent: keepalive\n\n");
        body.push_str(&sse(&[
            json!({"type":"response.web_search_call.in_progress","output_index":0,"item_id":"ws_1"}),
            json!({"type":"response.output_item.added","output_index":0,"item":{"type":"web_search_call","id":"ws_1"}}),
            json!({"type":"response.output_item.done","output_index":0,"item":{"type":"web_search_call","id":"ws_1","status":"completed"}}),
            json!({"type":"response.output_text.annotation.added","item_id":"m","output_index":1}),
            json!({"type":"response.output_text.delta","item_id":"m","output_index":1,"delta":"ok"}),
        ]));
        let (res, _, m) = decode(&body);
        assert!(
            res.unwrap_err().0.contains("ended before"),
            "no terminal event"
        );
        assert_eq!(m.text(), "ok");
        body.push_str(&sse(&[completed(json!({}))]));
        let (res, _, m) = decode(&body);
        res.unwrap();
        assert_eq!(m.content.len(), 1, "{m:?}");
        let (res, _, _) = decode("data: {\"choices\": [{\"delta\": \n\n");
        assert!(res.unwrap_err().0.contains("malformed"));
    }

    // Request building.

    fn opts(config: &str, provider: &str, model: &str) -> CallOptions {
        CallOptions {
            api_key: Some("sk-test".into()),
            ..testing::opts(config, provider, model)
        }
    }

    const TOOLS: &str = r#"{"type":"tools","tools":[{"name":"read","description":"Read a file","parameters":{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}}]}"#;

    #[test]
    fn the_request_carries_the_whole_conversation_as_input_items() {
        let c = conv(&[
            r#"{"type":"system","text":"Be brief."}"#,
            TOOLS,
            r#"{"type":"user","text":"read a.txt"}"#,
            r#"{"type":"assistant","api":"openai-responses","content":[{"type":"reasoning","text":"Need it","id":"rs_1","encrypted":"gAAA"},{"type":"text","text":"Reading."},{"type":"tool_call","id":"call_A","name":"read","arguments":{"path":"a.txt"}},{"type":"tool_call","id":"call_B","name":"read","arguments":"{\"path\": oops"}],"stop":"tool_calls"}"#,
            r#"{"type":"tool_result","call_id":"call_A","name":"read","content":"hello\n"}"#,
            r#"{"type":"tool_result","call_id":"call_B","name":"read","content":"bad arguments","is_error":true}"#,
            "thanks",
        ]);
        let mut o = opts("{}", "openai", "gpt-5");
        o.max_tokens = Some(1000);
        o.thinking = Some(Thinking::High);
        let req = OpenaiResponses.build(&c, &o).unwrap();
        assert_eq!(req.url, "https://api.openai.com/v1/responses");
        assert!(
            req.headers
                .contains(&("Authorization".into(), "Bearer sk-test".into()))
        );
        let want = json!({
            "model": "gpt-5",
            "instructions": "Be brief.",
            "input": [
                {"role":"user","content":[{"type":"input_text","text":"read a.txt"}]},
                {"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Need it"}],"encrypted_content":"gAAA"},
                {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Reading."}]},
                {"type":"function_call","call_id":"call_A","name":"read","arguments":"{\"path\":\"a.txt\"}"},
                {"type":"function_call","call_id":"call_B","name":"read","arguments":"{\"path\": oops"},
                {"type":"function_call_output","call_id":"call_A","output":"hello\n"},
                {"type":"function_call_output","call_id":"call_B","output":"bad arguments"},
                {"role":"user","content":[{"type":"input_text","text":"thanks"}]},
            ],
            "tools": [{"type":"function","name":"read","description":"Read a file","parameters":{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]},"strict":false}],
            "stream": true,
            "store": false,
            "include": ["reasoning.encrypted_content"],
            "max_output_tokens": 1000,
            "reasoning": {"effort":"high","summary":"auto"},
        });
        assert_eq!(req.body, want);
    }

    #[test]
    fn foreign_or_bare_reasoning_is_not_sent_back() {
        let assistant = |api: &str, reasoning: &str| {
            format!(
                r#"{{"type":"assistant","api":"{api}","content":[{reasoning},{{"type":"text","text":"a"}}],"stop":"end"}}"#
            )
        };
        let signed =
            r#"{"type":"reasoning","text":"t","signature":"sig","id":"rs_1","encrypted":"e"}"#;
        let bare = r#"{"type":"reasoning","text":"t"}"#;
        for (api, r) in [("anthropic", signed), ("openai-responses", bare)] {
            let c = conv(&["q", &assistant(api, r), "again"]);
            let req = OpenaiResponses
                .build(&c, &opts("{}", "openai", "gpt-5"))
                .unwrap();
            let input = req.body["input"].as_array().unwrap();
            assert_eq!(input.len(), 3, "{api}: {input:?}");
            assert_eq!(input[1]["type"], "message");
        }
        // Encrypted content without a summary: summary is an empty list.
        let c = conv(&[
            "q",
            &assistant(
                "openai-responses",
                r#"{"type":"reasoning","text":"","encrypted":"e"}"#,
            ),
            "again",
        ]);
        let req = OpenaiResponses
            .build(&c, &opts("{}", "openai", "gpt-5"))
            .unwrap();
        assert_eq!(
            req.body["input"][1],
            json!({"type":"reasoning","summary":[],"encrypted_content":"e"})
        );
    }

    #[test]
    fn reasoning_parameters_follow_the_model_and_the_thinking_level() {
        let c = conv(&["hi"]);
        // A model without reasoning: no include (OpenAI answers it with a 400).
        let req = OpenaiResponses
            .build(&c, &opts("{}", "openai", "gpt-4.1"))
            .unwrap();
        let keys: Vec<&String> = req.body.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["input", "model", "store", "stream"]);
        // A reasoning model with thinking off: encrypted reasoning still
        // asked for (it reasons anyway), no reasoning parameter.
        let mut o = opts("{}", "openai", "o4-mini");
        o.thinking = Some(Thinking::Off);
        let req = OpenaiResponses.build(&c, &o).unwrap();
        assert_eq!(req.body["include"], json!(["reasoning.encrypted_content"]));
        assert!(req.body.get("reasoning").is_none());
        for (t, effort) in [
            (Thinking::Low, "low"),
            (Thinking::Medium, "medium"),
            (Thinking::High, "high"),
        ] {
            o.thinking = Some(t);
            let req = OpenaiResponses.build(&c, &o).unwrap();
            assert_eq!(
                req.body["reasoning"],
                json!({"effort": effort, "summary": "auto"})
            );
        }
    }

    #[test]
    fn extra_body_headers_and_a_custom_base_url() {
        let config = r#"{"providers":{"azure":{"kind":"openai-responses","base_url":"http://127.0.0.1:9/openai/v1/","headers":{"x-team":"zs"},"extra_body":{"store":true,"service_tier":"flex"}}}}"#;
        let mut o = opts(config, "azure", "gpt-5");
        o.api_key = None;
        let req = OpenaiResponses.build(&conv(&["hi"]), &o).unwrap();
        assert_eq!(req.url, "http://127.0.0.1:9/openai/v1/responses");
        assert!(req.headers.contains(&("x-team".into(), "zs".into())));
        assert!(!req.headers.iter().any(|(k, _)| k == "Authorization"));
        assert_eq!(req.body["store"], true, "config wins");
        assert_eq!(req.body["service_tier"], "flex");
        // A configured Authorization header replaces the key's.
        let config = r#"{"providers":{"openai":{"headers":{"authorization":"Bearer other"}}}}"#;
        let req = OpenaiResponses
            .build(&conv(&["hi"]), &opts(config, "openai", "gpt-5"))
            .unwrap();
        let auth: Vec<_> = req
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .collect();
        assert_eq!(
            auth,
            [&("authorization".to_string(), "Bearer other".to_string())]
        );
        let o = opts(
            r#"{"providers":{"x":{"kind":"openai-responses"}}}"#,
            "x",
            "m",
        );
        let e = OpenaiResponses.build(&conv(&["hi"]), &o).unwrap_err();
        assert_eq!(e.kind, zerostack::error::Kind::Usage);
        assert!(e.message.contains("'x' has no base_url"), "{}", e.message);
    }
}
