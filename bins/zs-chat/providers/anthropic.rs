//! The Anthropic Messages wire format: `POST {base}/v1/messages` with
//! `"stream": true`, answered by named SSE events (`message_start`,
//! `content_block_*`, `message_delta`, `message_stop`).
//!
//! Requests carry the conversation as native blocks (thinking, text,
//! tool_use, tool_result) so the provider's prompt cache holds across turns;
//! cache breakpoints sit on the last system block, the last tool and the
//! last block of the last message. The decoder keys content blocks by their
//! `index` and feeds them to the [`Assembler`] in order.

use super::{CallOptions, Decoder, Flow, Framing, Request, StreamError, Thinking, Wire};
use crate::assemble::Assembler;
use crate::conversation::{Conversation, Message};
use crate::framing::SseEvent;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use zerostack::error::Error;
use zerostack::protocol::{Assistant, Block, StopReason, ToolResult};

pub struct Anthropic;

/// `max_tokens` is required by the Messages API. When neither the flag nor
/// the config sets it, this is sent: enough for a long answer, and within
/// the output limit of every current model.
pub const DEFAULT_MAX_TOKENS: u64 = 16_384;

/// The smallest `budget_tokens` the API accepts.
const MIN_BUDGET: u64 = 1024;

/// Room left for the answer when the default `max_tokens` is raised to fit
/// a thinking budget (high: 24576 + 4096, below Opus 4's 32000 limit).
const ANSWER_ROOM: u64 = 4096;

/// The `anthropic` value of [`Assistant::api`]: thinking signatures are only
/// valid when sent back to this format.
const API: &str = "anthropic";

impl Wire for Anthropic {
    fn build(&self, conv: &Conversation, opts: &CallOptions) -> Result<Request, Error> {
        super::require_base_url(opts)?;
        let mut body = Map::new();
        body.insert("model".into(), json!(opts.model));
        let (max_tokens, thinking) = limits(opts);
        body.insert("max_tokens".into(), json!(max_tokens));
        if let Some(sys) = conv.system.as_deref().filter(|s| !s.is_empty()) {
            body.insert(
                "system".into(),
                json!([{"type": "text", "text": sys, "cache_control": ephemeral()}]),
            );
        }
        if !conv.tools.is_empty() {
            let mut tools: Vec<Value> = conv
                .tools
                .iter()
                .map(|t| {
                    json!({
                        "name": t.name,
                        "description": t.description,
                        "input_schema": t.parameters,
                    })
                })
                .collect();
            if let Some(Value::Object(last)) = tools.last_mut() {
                last.insert("cache_control".into(), ephemeral());
            }
            body.insert("tools".into(), Value::Array(tools));
        }
        body.insert("messages".into(), Value::Array(messages(conv)));
        body.insert("stream".into(), json!(true));
        if let Some(t) = thinking {
            body.insert("thinking".into(), t);
        }
        let mut headers = vec![(
            "anthropic-version".to_string(),
            opts.provider.anthropic_version.clone(),
        )];
        if let Some(key) = &opts.api_key {
            headers.push(("x-api-key".to_string(), key.clone()));
        }
        Ok(super::request(
            opts,
            "v1/messages",
            headers,
            Value::Object(body),
        ))
    }

    fn framing(&self) -> Framing {
        Framing::Sse
    }

    fn decoder(&self) -> Box<dyn Decoder> {
        Box::new(AnthropicDecoder::default())
    }
}

fn ephemeral() -> Value {
    json!({"type": "ephemeral"})
}

/// The thinking budget a level asks for.
fn budget(level: Thinking) -> Option<u64> {
    match level {
        Thinking::Off => None,
        Thinking::Low => Some(2048),
        Thinking::Medium => Some(8192),
        Thinking::High => Some(24_576),
    }
}

/// `max_tokens` and the `thinking` parameter. The API wants
/// `1024 <= budget_tokens < max_tokens`: a budget is lowered to fit below an
/// explicit limit, and thinking is dropped (with a warning) when the limit
/// leaves no room for the minimum. Without an explicit limit the default is
/// raised so the whole budget fits with room for the answer. `off` sends
/// nothing: thinking is off unless asked for.
fn limits(opts: &CallOptions) -> (u64, Option<Value>) {
    let want = opts.thinking.and_then(budget);
    let Some(want) = want else {
        return (opts.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS), None);
    };
    let max_tokens = match opts.max_tokens {
        Some(m) => m,
        None => DEFAULT_MAX_TOKENS.max(want + ANSWER_ROOM),
    };
    let budget = want.min(max_tokens.saturating_sub(1));
    if budget < MIN_BUDGET {
        zerostack::cli::warn(
            "zs-chat",
            &format!(
                "thinking dropped: max_tokens {max_tokens} leaves no room for the minimum budget of {MIN_BUDGET} tokens"
            ),
        );
        return (max_tokens, None);
    }
    (
        max_tokens,
        Some(json!({"type": "enabled", "budget_tokens": budget})),
    )
}

/// The `messages` array. Tool results and user text become blocks of one
/// user message (the API wants results right after the assistant turn that
/// asked for them, in a single message); consecutive messages of one role
/// are merged; the last block of the last message gets a cache breakpoint.
fn messages(conv: &Conversation) -> Vec<Value> {
    let mut out: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for m in &conv.messages {
        let (role, blocks) = match m {
            Message::User(text) => ("user", vec![json!({"type": "text", "text": text})]),
            Message::ToolResult(r) => ("user", vec![tool_result(r)]),
            Message::Assistant(a) => ("assistant", assistant_blocks(a)),
        };
        // An assistant message with nothing the API can take (say, only
        // another provider's reasoning) would be rejected as empty.
        if blocks.is_empty() {
            continue;
        }
        match out.last_mut() {
            Some((r, prev)) if *r == role => prev.extend(blocks),
            _ => out.push((role, blocks)),
        }
    }
    if let Some(Value::Object(last)) = out.last_mut().and_then(|(_, b)| b.last_mut()) {
        last.insert("cache_control".into(), ephemeral());
    }
    out.into_iter()
        .map(|(role, content)| json!({"role": role, "content": content}))
        .collect()
}

fn tool_result(r: &ToolResult) -> Value {
    json!({
        "type": "tool_result",
        "tool_use_id": tool_id(&r.call_id),
        "content": r.content,
        "is_error": r.is_error,
    })
}

/// An assistant message's blocks in order. Thinking goes back only to the
/// provider that signed it: Anthropic verifies signatures, and another
/// provider's reasoning has none it could check, so that is dropped. An
/// unsigned thinking block would be rejected too. Empty text blocks are
/// rejected by the API, so they are left out.
fn assistant_blocks(a: &Assistant) -> Vec<Value> {
    let ours = a.api.as_deref() == Some(API);
    let mut blocks = Vec::new();
    for b in &a.content {
        match b {
            Block::Reasoning(r) if ours => {
                if let Some(data) = &r.redacted {
                    blocks.push(json!({"type": "redacted_thinking", "data": data}));
                } else if let Some(sig) = &r.signature {
                    blocks.push(json!({"type": "thinking", "thinking": r.text, "signature": sig}));
                }
            }
            Block::Reasoning(_) => {}
            Block::Text(t) => {
                if !t.text.is_empty() {
                    blocks.push(json!({"type": "text", "text": t.text}));
                }
            }
            Block::ToolCall(c) => {
                // `input` must be an object. Arguments that were not JSON
                // (kept as a string so zs-tool could report them) cannot be
                // sent as they were; `{}` keeps the call and its result
                // paired, and the result already says what went wrong.
                let input = match &c.arguments {
                    Value::Object(_) => c.arguments.clone(),
                    _ => json!({}),
                };
                blocks.push(json!({
                    "type": "tool_use",
                    "id": tool_id(&c.id),
                    "name": c.name,
                    "input": input,
                }));
            }
        }
    }
    blocks
}

/// A tool call id as the API accepts it (`^[a-zA-Z0-9_-]+$`). Ids made by
/// other providers may hold other characters (`functions.read:0`); the same
/// mapping is applied to the call and its result, so they still pair.
fn tool_id(id: &str) -> String {
    if id.is_empty() {
        return "call".into();
    }
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// What a content block index holds, for routing its deltas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Thinking,
    Text,
    /// A tool_use block; `prefilled` when its start carried a non-empty
    /// `input`, which the first `partial_json` then replaces.
    ToolUse {
        prefilled: bool,
    },
    /// Server tools, redacted thinking and anything newer: nothing to add.
    Other,
}

#[derive(Debug, Default)]
struct AnthropicDecoder {
    blocks: HashMap<u64, Kind>,
    done: bool,
}

impl Decoder for AnthropicDecoder {
    fn event(&mut self, ev: &SseEvent, out: &mut Assembler) -> Result<Flow, StreamError> {
        // An event without data (a bare `event: ping`) carries nothing.
        if ev.data.trim().is_empty() {
            return Ok(Flow::More);
        }
        let v: Value = serde_json::from_str(&ev.data)
            .map_err(|e| StreamError(format!("malformed event from the provider: {e}")))?;
        // `data.type` names the event; the SSE `event:` line repeats it.
        let kind = v["type"].as_str().or(ev.event.as_deref()).unwrap_or("");
        match kind {
            "message_start" => {
                let m = &v["message"];
                if let Some(model) = m["model"].as_str() {
                    out.model = Some(model.to_string());
                }
                usage(&m["usage"], out);
            }
            "content_block_start" => self.block_start(&v, out),
            "content_block_delta" => self.block_delta(&v, out),
            "content_block_stop" => out.close(),
            "message_delta" => {
                if let Some(raw) = v["delta"]["stop_reason"].as_str() {
                    out.stop(raw, stop_reason(raw));
                }
                usage(&v["usage"], out);
            }
            "message_stop" => {
                self.done = true;
                return Ok(Flow::Done);
            }
            "error" => return Err(StreamError(error_message(&v))),
            // ping, and event types added after this was written.
            _ => {}
        }
        Ok(Flow::More)
    }

    fn end(&mut self, _out: &mut Assembler) -> Result<(), StreamError> {
        if self.done {
            Ok(())
        } else {
            Err(StreamError("stream ended before message_stop".into()))
        }
    }
}

impl AnthropicDecoder {
    fn block_start(&mut self, v: &Value, out: &mut Assembler) {
        let index = v["index"].as_u64().unwrap_or(0);
        let block = &v["content_block"];
        // Blocks arrive one after another; each starts a block of its own.
        out.close();
        let kind = match block["type"].as_str().unwrap_or("") {
            "thinking" => {
                let r = out.reasoning_block();
                if let Some(sig) = block["signature"].as_str().filter(|s| !s.is_empty()) {
                    r.signature = Some(sig.to_string());
                }
                out.reasoning(block["thinking"].as_str().unwrap_or(""));
                Kind::Thinking
            }
            "redacted_thinking" => {
                out.reasoning_block().redacted =
                    Some(block["data"].as_str().unwrap_or("").to_string());
                out.close();
                Kind::Other
            }
            "text" => {
                out.text(block["text"].as_str().unwrap_or(""));
                Kind::Text
            }
            "tool_use" => {
                let key = index.to_string();
                out.tool_call(
                    &key,
                    block["id"].as_str().unwrap_or(""),
                    block["name"].as_str().unwrap_or(""),
                );
                let prefilled = match &block["input"] {
                    Value::Object(m) if !m.is_empty() => {
                        out.tool_args_replace(&key, &block["input"].to_string());
                        true
                    }
                    _ => false,
                };
                Kind::ToolUse { prefilled }
            }
            _ => Kind::Other,
        };
        self.blocks.insert(index, kind);
    }

    fn block_delta(&mut self, v: &Value, out: &mut Assembler) {
        let index = v["index"].as_u64().unwrap_or(0);
        let d = &v["delta"];
        let Some(kind) = self.blocks.get_mut(&index) else {
            return;
        };
        match (d["type"].as_str().unwrap_or(""), kind) {
            ("text_delta", Kind::Text) => out.text(d["text"].as_str().unwrap_or("")),
            ("thinking_delta", Kind::Thinking) => {
                out.reasoning(d["thinking"].as_str().unwrap_or(""));
            }
            ("signature_delta", Kind::Thinking) => {
                let sig = d["signature"].as_str().unwrap_or("");
                out.reasoning_block()
                    .signature
                    .get_or_insert_with(String::new)
                    .push_str(sig);
            }
            ("input_json_delta", Kind::ToolUse { prefilled }) => {
                let key = index.to_string();
                let part = d["partial_json"].as_str().unwrap_or("");
                if *prefilled {
                    // Streamed input supersedes the one in the start event.
                    if !part.is_empty() {
                        out.tool_args_replace(&key, part);
                        *prefilled = false;
                    }
                } else {
                    out.tool_args(&key, part);
                }
            }
            // citations_delta and anything newer: nothing to keep.
            _ => {}
        }
    }
}

/// Folds a usage object into the total. Anthropic's counts are cumulative
/// and each event carries only some of them, so only present fields are
/// taken. The input total counts cached tokens too.
fn usage(u: &Value, out: &mut Assembler) {
    let Value::Object(_) = u else { return };
    let get = |k: &str| u[k].as_u64();
    if get("input_tokens").is_some()
        || get("cache_read_input_tokens").is_some()
        || get("cache_creation_input_tokens").is_some()
    {
        let read = get("cache_read_input_tokens").unwrap_or(out.usage.cache_read);
        let write = get("cache_creation_input_tokens").unwrap_or(out.usage.cache_write);
        let fresh = match get("input_tokens") {
            Some(n) => n,
            None => out
                .usage
                .input
                .saturating_sub(out.usage.cache_read + out.usage.cache_write),
        };
        out.usage.input = fresh + read + write;
        out.usage.cache_read = read;
        out.usage.cache_write = write;
    }
    if let Some(o) = get("output_tokens") {
        out.usage.output = o;
    }
}

fn stop_reason(raw: &str) -> StopReason {
    match raw {
        "end_turn" | "stop_sequence" => StopReason::End,
        "max_tokens" | "model_context_window_exceeded" => StopReason::Length,
        "tool_use" => StopReason::ToolCalls,
        "refusal" => StopReason::Error,
        // pause_turn: a server tool paused a long turn; the reply so far is
        // whole, and the raw reason tells a caller it may continue.
        _ => StopReason::End,
    }
}

/// `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`
/// as `Overloaded (overloaded_error)`.
fn error_message(v: &Value) -> String {
    let e = &v["error"];
    let msg = e["message"]
        .as_str()
        .or(v["message"].as_str())
        .unwrap_or("error event without a message");
    match e["type"].as_str() {
        Some(t) => format!("{msg} ({t})"),
        None => msg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{self, Run, valid_conv as conv};
    use zerostack::config::Config;
    use zerostack::protocol::{Delta, Event, Reasoning, Text, ToolCall, Usage};

    fn run(body: &str) -> Run {
        testing::run(&Anthropic, body)
    }

    fn ev(name: &str, data: Value) -> String {
        format!("event: {name}\ndata: {data}\n\n")
    }

    fn start(usage: Value) -> String {
        ev(
            "message_start",
            json!({"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[],"stop_reason":null,"stop_sequence":null,"usage":usage}}),
        )
    }

    fn block(index: u64, b: Value) -> String {
        ev(
            "content_block_start",
            json!({"type":"content_block_start","index":index,"content_block":b}),
        )
    }

    fn delta(index: u64, d: Value) -> String {
        ev(
            "content_block_delta",
            json!({"type":"content_block_delta","index":index,"delta":d}),
        )
    }

    fn stop_block(index: u64) -> String {
        ev(
            "content_block_stop",
            json!({"type":"content_block_stop","index":index}),
        )
    }

    fn end(reason: &str, usage: Value) -> String {
        ev(
            "message_delta",
            json!({"type":"message_delta","delta":{"stop_reason":reason,"stop_sequence":null},"usage":usage}),
        ) + &ev("message_stop", json!({"type":"message_stop"}))
    }

    /// The recorded-style stream of protocols.md 3.3, verbatim.
    const FIXTURE: &str = r#"event: message_start
data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"cache_creation_input_tokens":0,"cache_read_input_tokens":4096,"output_tokens":1}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"The user wants a.txt."}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCkYIARgC..."}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: ping
data: {"type":"ping"}

event: content_block_start
data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Reading it."}}

event: content_block_stop
data: {"type":"content_block_stop","index":1}

event: content_block_start
data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_01","name":"read_file","input":{}}}

event: content_block_delta
data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"path\": \"a.t"}}

event: content_block_delta
data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"xt\"}"}}

event: content_block_stop
data: {"type":"content_block_stop","index":2}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":87}}

event: message_stop
data: {"type":"message_stop"}

"#;

    #[test]
    fn the_recorded_stream_gives_reasoning_text_and_a_call() {
        let r = run(FIXTURE);
        r.result.unwrap();
        assert!(r.stopped, "message_stop ends the read");
        assert_eq!(
            r.msg.content,
            vec![
                Block::Reasoning(Reasoning {
                    text: "The user wants a.txt.".into(),
                    signature: Some("EqQBCkYIARgC...".into()),
                    ..Reasoning::default()
                }),
                Block::Text(Text {
                    text: "Reading it.".into(),
                    signature: None
                }),
                Block::ToolCall(ToolCall {
                    id: "toolu_01".into(),
                    name: "read_file".into(),
                    arguments: json!({"path": "a.txt"}),
                    signature: None
                }),
            ]
        );
        assert_eq!(r.msg.stop, StopReason::ToolCalls);
        assert_eq!(r.msg.provider_stop.as_deref(), Some("tool_use"));
        assert_eq!(r.msg.model.as_deref(), Some("claude-x"));
        assert_eq!(
            r.msg.usage,
            Usage {
                input: 12 + 4096,
                output: 87,
                cache_read: 4096,
                cache_write: 0,
                reasoning: 0,
                cost: None
            }
        );
        assert_eq!(
            r.deltas,
            vec![
                Event::ReasoningDelta(Delta {
                    text: "The user wants a.txt.".into()
                }),
                Event::TextDelta(Delta {
                    text: "Reading it.".into()
                }),
            ]
        );
    }

    #[test]
    fn the_fixture_parses_the_same_with_crlf_line_ends() {
        let r = run(&FIXTURE.replace('\n', "\r\n"));
        r.result.unwrap();
        assert_eq!(r.msg.content.len(), 3);
    }

    #[test]
    fn several_text_blocks_stay_separate_and_deltas_carry_only_new_text() {
        let body = start(json!({"input_tokens":5,"output_tokens":1}))
            + &block(0, json!({"type":"text","text":""}))
            + &delta(0, json!({"type":"text_delta","text":"Hel"}))
            + &ev("ping", json!({"type":"ping"}))
            + &delta(0, json!({"type":"text_delta","text":"lo."}))
            + &stop_block(0)
            + &block(1, json!({"type":"text","text":"Se"}))
            + &delta(1, json!({"type":"text_delta","text":"cond"}))
            + &stop_block(1)
            + &end("end_turn", json!({"output_tokens":9}));
        let r = run(&body);
        r.result.unwrap();
        let texts: Vec<&str> = r
            .msg
            .content
            .iter()
            .map(|b| match b {
                Block::Text(t) => t.text.as_str(),
                b => panic!("{b:?}"),
            })
            .collect();
        assert_eq!(texts, vec!["Hello.", "Second"]);
        let deltas: Vec<String> = r
            .deltas
            .iter()
            .map(|e| match e {
                Event::TextDelta(d) => d.text.clone(),
                e => panic!("{e:?}"),
            })
            .collect();
        assert_eq!(deltas, vec!["Hel", "lo.", "Se", "cond"]);
        assert_eq!(r.msg.stop, StopReason::End);
        assert_eq!(r.msg.usage.input, 5);
        assert_eq!(r.msg.usage.output, 9);
    }

    #[test]
    fn redacted_thinking_is_kept_as_its_own_reasoning_block() {
        let body = start(json!({"input_tokens":5}))
            + &block(
                0,
                json!({"type":"redacted_thinking","data":"EmwKAhgBEgy3va"}),
            )
            + &stop_block(0)
            + &block(1, json!({"type":"thinking","thinking":"","signature":""}))
            + &delta(1, json!({"type":"thinking_delta","thinking":"hm"}))
            + &delta(1, json!({"type":"signature_delta","signature":"SIG"}))
            + &stop_block(1)
            + &block(2, json!({"type":"text","text":""}))
            + &delta(2, json!({"type":"text_delta","text":"ok"}))
            + &stop_block(2)
            + &end("end_turn", json!({"output_tokens":3}));
        let r = run(&body);
        r.result.unwrap();
        assert_eq!(
            r.msg.content[0],
            Block::Reasoning(Reasoning {
                redacted: Some("EmwKAhgBEgy3va".into()),
                ..Reasoning::default()
            })
        );
        assert_eq!(
            r.msg.content[1],
            Block::Reasoning(Reasoning {
                text: "hm".into(),
                signature: Some("SIG".into()),
                ..Reasoning::default()
            })
        );
        assert_eq!(r.msg.text(), "ok");
    }

    #[test]
    fn tool_input_split_mid_token_and_mid_escape_is_joined_before_parsing() {
        let body = start(json!({"input_tokens":5}))
            + &block(
                0,
                json!({"type":"tool_use","id":"toolu_A","name":"write","input":{}}),
            )
            + &delta(0, json!({"type":"input_json_delta","partial_json":"{\"pa"}))
            + &delta(
                0,
                json!({"type":"input_json_delta","partial_json":"th\": \"a\\"}),
            )
            + &delta(
                0,
                json!({"type":"input_json_delta","partial_json":"\"b\", \"n\": 1"}),
            )
            + &delta(0, json!({"type":"input_json_delta","partial_json":"2}"}))
            + &stop_block(0)
            + &block(
                1,
                json!({"type":"tool_use","id":"toolu_B","name":"todo_read","input":{}}),
            )
            + &delta(1, json!({"type":"input_json_delta","partial_json":""}))
            + &stop_block(1)
            + &end("tool_use", json!({"output_tokens":30}));
        let r = run(&body);
        r.result.unwrap();
        let calls: Vec<_> = r.msg.tool_calls().collect();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].id, "toolu_A");
        assert_eq!(calls[0].arguments, json!({"path": "a\"b", "n": 12}));
        assert_eq!(calls[1].id, "toolu_B");
        assert_eq!(calls[1].arguments, json!({}), "empty input is {{}}");
        assert_eq!(r.msg.stop, StopReason::ToolCalls);
        assert!(r.deltas.is_empty(), "tool input is not a text delta");
    }

    #[test]
    fn a_tool_input_given_whole_in_the_start_event_is_kept() {
        let body = start(json!({"input_tokens":5}))
            + &block(
                0,
                json!({"type":"tool_use","id":"t1","name":"read","input":{"path":"x"}}),
            )
            + &stop_block(0)
            + &block(
                1,
                json!({"type":"tool_use","id":"t2","name":"read","input":{"path":"old"}}),
            )
            + &delta(
                1,
                json!({"type":"input_json_delta","partial_json":"{\"path\":"}),
            )
            + &delta(
                1,
                json!({"type":"input_json_delta","partial_json":"\"new\"}"}),
            )
            + &stop_block(1)
            + &end("tool_use", json!({"output_tokens":30}));
        let r = run(&body);
        let calls: Vec<_> = r.msg.tool_calls().collect();
        assert_eq!(calls[0].arguments, json!({"path": "x"}));
        assert_eq!(calls[1].arguments, json!({"path": "new"}));
    }

    #[test]
    fn unknown_events_blocks_and_deltas_are_ignored() {
        let body = start(json!({"input_tokens":5}))
            + &ev("future_event", json!({"type":"future_event","x":1}))
            + &block(
                0,
                json!({"type":"server_tool_use","id":"srv","name":"web_search","input":{}}),
            )
            + &delta(
                0,
                json!({"type":"input_json_delta","partial_json":"{\"q\":1}"}),
            )
            + &stop_block(0)
            + &block(1, json!({"type":"text","text":""}))
            + &delta(1, json!({"type":"citations_delta","citation":{}}))
            + &delta(1, json!({"type":"text_delta","text":"x"}))
            + &delta(7, json!({"type":"text_delta","text":"no such block"}))
            + &stop_block(1)
            + "event: ping\n\n"
            + &end("end_turn", json!({"output_tokens":2}));
        let r = run(&body);
        r.result.unwrap();
        assert_eq!(r.msg.content.len(), 1);
        assert_eq!(r.msg.text(), "x");
    }

    #[test]
    fn usage_is_cumulative_and_the_last_count_wins() {
        let body = start(
            json!({"input_tokens":10,"cache_creation_input_tokens":200,"cache_read_input_tokens":3000,"output_tokens":1}),
        ) + &block(0, json!({"type":"text","text":"a"}))
            + &stop_block(0)
            + &ev(
                "message_delta",
                json!({"type":"message_delta","delta":{"stop_reason":null},"usage":{"output_tokens":5}}),
            )
            + &end(
                "end_turn",
                json!({"input_tokens":10,"cache_creation_input_tokens":200,"cache_read_input_tokens":3000,"output_tokens":42}),
            );
        let r = run(&body);
        r.result.unwrap();
        assert_eq!(
            r.msg.usage,
            Usage {
                input: 3210,
                output: 42,
                cache_read: 3000,
                cache_write: 200,
                reasoning: 0,
                cost: None
            }
        );
    }

    #[test]
    fn stop_reasons_are_normalized_and_kept_verbatim() {
        for (raw, want) in [
            ("end_turn", StopReason::End),
            ("stop_sequence", StopReason::End),
            ("max_tokens", StopReason::Length),
            ("tool_use", StopReason::ToolCalls),
            ("refusal", StopReason::Error),
            ("pause_turn", StopReason::End),
            ("model_context_window_exceeded", StopReason::Length),
        ] {
            let body = start(json!({"input_tokens":1}))
                + &block(0, json!({"type":"text","text":"t"}))
                + &stop_block(0)
                + &end(raw, json!({"output_tokens":1}));
            let r = run(&body);
            r.result.unwrap();
            assert_eq!(r.msg.stop, want, "{raw}");
            assert_eq!(r.msg.provider_stop.as_deref(), Some(raw));
        }
    }

    #[test]
    fn an_error_event_fails_the_stream_and_keeps_the_partial_reply() {
        let body = start(json!({"input_tokens":1}))
            + &block(0, json!({"type":"text","text":""}))
            + &delta(0, json!({"type":"text_delta","text":"Part"}))
            + &ev(
                "error",
                json!({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}),
            );
        let r = run(&body);
        assert_eq!(
            r.result,
            Err(StreamError("Overloaded (overloaded_error)".into()))
        );
        assert_eq!(r.msg.text(), "Part");
        assert_eq!(r.msg.stop, StopReason::Error);
    }

    #[test]
    fn malformed_json_and_truncation_are_stream_errors() {
        let body =
            start(json!({"input_tokens":1})) + "event: content_block_start\ndata: {\"type\":\n\n";
        let r = run(&body);
        assert!(
            r.result.unwrap_err().0.starts_with("malformed event"),
            "malformed"
        );

        let body = start(json!({"input_tokens":1}))
            + &block(0, json!({"type":"text","text":"cut"}))
            + &ev(
                "message_delta",
                json!({"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}}),
            );
        let r = run(&body);
        assert_eq!(
            r.result,
            Err(StreamError("stream ended before message_stop".into()))
        );
        assert_eq!(r.msg.text(), "cut");
    }

    // ---- requests ----

    fn opts() -> CallOptions {
        let mut provider = Config::default().resolve_provider("anthropic").unwrap();
        provider.base_url = "http://127.0.0.1:9/".into();
        CallOptions {
            provider,
            model: "claude-sonnet-4-5".into(),
            api_key: Some("sk-ant-test".into()),
            max_tokens: None,
            thinking: None,
        }
    }

    fn assistant(api: &str, content: Value) -> Value {
        json!({"type":"assistant","content":content,"stop":"tool_calls","api":api})
    }

    #[test]
    fn a_plain_request_has_url_headers_and_the_minimal_body() {
        let req = Anthropic
            .build(&conv(&[json!({"type":"user","text":"hi"})]), &opts())
            .unwrap();
        assert_eq!(req.url, "http://127.0.0.1:9/v1/messages");
        assert_eq!(
            req.headers,
            vec![
                ("anthropic-version".to_string(), "2023-06-01".to_string()),
                ("x-api-key".to_string(), "sk-ant-test".to_string()),
            ]
        );
        assert_eq!(
            req.body,
            json!({
                "model": "claude-sonnet-4-5",
                "max_tokens": 16384,
                "messages": [{"role":"user","content":[
                    {"type":"text","text":"hi","cache_control":{"type":"ephemeral"}}
                ]}],
                "stream": true,
            })
        );
    }

    #[test]
    fn a_tool_turn_is_sent_back_as_native_blocks_with_cache_breakpoints() {
        let c = conv(&[
            json!({"type":"system","text":"be brief"}),
            json!({"type":"tools","tools":[
                {"name":"read","description":"Read a file","parameters":{"type":"object","properties":{"path":{"type":"string"}}}},
                {"name":"ls","description":"List","parameters":{"type":"object","properties":{}}}
            ]}),
            json!({"type":"user","text":"read a and list"}),
            assistant(
                "anthropic",
                json!([
                    {"type":"reasoning","text":"need both","signature":"SIG1"},
                    {"type":"reasoning","text":"","redacted":"RED"},
                    {"type":"text","text":"Reading."},
                    {"type":"text","text":""},
                    {"type":"tool_call","id":"toolu_1","name":"read","arguments":{"path":"a"}},
                    {"type":"tool_call","id":"toolu_2","name":"ls","arguments":"{broken"}
                ]),
            ),
            json!({"type":"tool_result","call_id":"toolu_1","name":"read","content":"A"}),
            json!({"type":"tool_result","call_id":"toolu_2","name":"ls","content":"bad args","is_error":true}),
            json!({"type":"user","text":"and now?"}),
        ]);
        let mut o = opts();
        o.max_tokens = Some(4000);
        let req = Anthropic.build(&c, &o).unwrap();
        assert_eq!(
            req.body,
            json!({
                "model": "claude-sonnet-4-5",
                "max_tokens": 4000,
                "system": [{"type":"text","text":"be brief","cache_control":{"type":"ephemeral"}}],
                "tools": [
                    {"name":"read","description":"Read a file","input_schema":{"type":"object","properties":{"path":{"type":"string"}}}},
                    {"name":"ls","description":"List","input_schema":{"type":"object","properties":{}},"cache_control":{"type":"ephemeral"}}
                ],
                "messages": [
                    {"role":"user","content":[{"type":"text","text":"read a and list"}]},
                    {"role":"assistant","content":[
                        {"type":"thinking","thinking":"need both","signature":"SIG1"},
                        {"type":"redacted_thinking","data":"RED"},
                        {"type":"text","text":"Reading."},
                        {"type":"tool_use","id":"toolu_1","name":"read","input":{"path":"a"}},
                        {"type":"tool_use","id":"toolu_2","name":"ls","input":{}}
                    ]},
                    {"role":"user","content":[
                        {"type":"tool_result","tool_use_id":"toolu_1","content":"A","is_error":false},
                        {"type":"tool_result","tool_use_id":"toolu_2","content":"bad args","is_error":true},
                        {"type":"text","text":"and now?","cache_control":{"type":"ephemeral"}}
                    ]}
                ],
                "stream": true,
            })
        );
    }

    #[test]
    fn another_providers_reasoning_is_dropped_and_foreign_ids_are_mapped() {
        let c = conv(&[
            json!({"type":"user","text":"go"}),
            assistant(
                "openai-responses",
                json!([
                    {"type":"reasoning","text":"secret","encrypted":"ENC","signature":"x"},
                    {"type":"tool_call","id":"functions.read:0","name":"read","arguments":{}}
                ]),
            ),
            json!({"type":"tool_result","call_id":"functions.read:0","name":"read","content":"r"}),
            json!({"type":"user","text":"more"}),
            json!({"type":"user","text":"again"}),
            // Only reasoning, and not ours: nothing left to send.
            json!({"type":"assistant","content":[{"type":"reasoning","text":"t"}],"stop":"end"}),
            json!({"type":"user","text":"last"}),
        ]);
        let req = Anthropic.build(&c, &opts()).unwrap();
        assert_eq!(
            req.body["messages"],
            json!([
                {"role":"user","content":[{"type":"text","text":"go"}]},
                {"role":"assistant","content":[
                    {"type":"tool_use","id":"functions_read_0","name":"read","input":{}}
                ]},
                {"role":"user","content":[
                    {"type":"tool_result","tool_use_id":"functions_read_0","content":"r","is_error":false},
                    {"type":"text","text":"more"},
                    {"type":"text","text":"again"},
                    {"type":"text","text":"last","cache_control":{"type":"ephemeral"}}
                ]}
            ])
        );
    }

    #[test]
    fn thinking_levels_set_a_budget_below_max_tokens() {
        let c = conv(&[json!({"type":"user","text":"hi"})]);
        let cases = [
            (Some(Thinking::Off), None, 16384, None),
            (Some(Thinking::Low), None, 16384, Some(2048)),
            (Some(Thinking::Medium), None, 16384, Some(8192)),
            (Some(Thinking::High), None, 24576 + 4096, Some(24576)),
            (Some(Thinking::High), Some(10_000), 10_000, Some(9999)),
            (Some(Thinking::Low), Some(64_000), 64_000, Some(2048)),
            (Some(Thinking::Medium), Some(1025), 1025, Some(1024)),
            // No room for the minimum budget: thinking is dropped.
            (Some(Thinking::Low), Some(1024), 1024, None),
            (None, Some(500), 500, None),
        ];
        for (level, max, want_max, want_budget) in cases {
            let mut o = opts();
            o.thinking = level;
            o.max_tokens = max;
            let body = Anthropic.build(&c, &o).unwrap().body;
            assert_eq!(body["max_tokens"], json!(want_max), "{level:?} {max:?}");
            match want_budget {
                Some(b) => assert_eq!(
                    body["thinking"],
                    json!({"type":"enabled","budget_tokens":b}),
                    "{level:?} {max:?}"
                ),
                None => assert!(body.get("thinking").is_none(), "{level:?} {max:?}"),
            }
        }
    }

    #[test]
    fn extra_body_and_configured_headers_are_merged() {
        let c = conv(&[json!({"type":"user","text":"hi"})]);
        let mut o = opts();
        o.api_key = None;
        o.provider.anthropic_version = "2026-10-21".into();
        o.provider
            .extra_body
            .insert("metadata".into(), json!({"user_id":"u1"}));
        o.provider.extra_body.insert("max_tokens".into(), json!(99));
        o.provider
            .headers
            .insert("anthropic-beta".into(), "context-1m".into());
        o.provider
            .headers
            .insert("Anthropic-Version".into(), "2099-01-01".into());
        let req = Anthropic.build(&c, &o).unwrap();
        assert_eq!(req.body["metadata"], json!({"user_id":"u1"}));
        assert_eq!(req.body["max_tokens"], json!(99), "config wins");
        assert_eq!(
            req.headers,
            vec![
                ("Anthropic-Version".to_string(), "2099-01-01".to_string()),
                ("anthropic-beta".to_string(), "context-1m".to_string()),
            ]
        );
    }

    #[test]
    fn a_provider_without_a_base_url_is_a_usage_error() {
        let mut o = opts();
        o.provider.base_url = String::new();
        let e = Anthropic
            .build(&conv(&[json!({"type":"user","text":"hi"})]), &o)
            .unwrap_err();
        assert_eq!(e.kind, zerostack::error::Kind::Usage);
    }
}
