//! The OpenAI Chat Completions wire format (`POST {base}/chat/completions`),
//! which also serves OpenRouter and every OpenAI-compatible server (vLLM,
//! LiteLLM, llama.cpp, Ollama's `/v1`, DeepSeek...).
//!
//! Requests carry the system prompt as the first message, tool calls with
//! their arguments as a JSON string, tool results as `tool` messages, and
//! reasoning echoed back on assistant messages: OpenRouter's
//! `reasoning_details` verbatim (signed or encrypted reasoning is refused
//! when changed), `reasoning_content` elsewhere. OpenRouter also gets its app
//! headers, `reasoning: {effort}` and, for Anthropic and Gemini models,
//! prompt-cache breakpoints.
//!
//! The stream is SSE: `choices[0].delta` carries `content`, `reasoning` (or
//! `reasoning_content`, or only `reasoning_details`) and `tool_calls`
//! fragments keyed by their own `index`; a chunk with `finish_reason` ends
//! the choice, a chunk with `choices: []` carries usage, and `data: [DONE]`
//! ends the stream. See docs/providers.md.

use super::{CallOptions, Decoder, Flow, Framing, Request, StreamError, Thinking, Wire};
use crate::assemble::Assembler;
use crate::conversation::{Conversation, Message};
use crate::framing::SseEvent;
use serde_json::{Map, Value, json};
use zerostack::error::Error;
use zerostack::protocol::{Assistant, Block, StopReason};

pub struct OpenaiChat;

/// Who we are, for OpenRouter's app attribution.
const REFERER: &str = "https://github.com/zerostack/zerostack";
const TITLE: &str = "zerostack";

impl Wire for OpenaiChat {
    fn build(&self, conv: &Conversation, opts: &CallOptions) -> Result<Request, Error> {
        let p = &opts.provider;
        if p.base_url.trim().is_empty() {
            return Err(Error::usage(format!(
                "provider '{}' has no base URL: set providers.{}.base_url in the config or pass --base-url",
                p.name, p.name
            )));
        }
        let mut headers = super::bearer_auth(opts);
        if p.openrouter {
            headers.push(("HTTP-Referer".into(), REFERER.into()));
            headers.push(("X-Title".into(), TITLE.into()));
        }

        let mut body = Map::new();
        body.insert("model".into(), json!(opts.model));
        body.insert("messages".into(), Value::Array(messages(conv, opts)));
        if !conv.tools.is_empty() {
            body.insert("tools".into(), super::function_tools(&conv.tools));
        }
        body.insert("stream".into(), json!(true));
        body.insert("stream_options".into(), json!({"include_usage": true}));
        if let Some(n) = opts.max_tokens {
            body.insert(p.max_tokens_field.clone(), json!(n));
        }
        match (opts.thinking, p.openrouter) {
            (None, _) => {}
            (Some(Thinking::Off), true) => {
                body.insert("reasoning".into(), json!({"enabled": false}));
            }
            (Some(t), true) => {
                body.insert("reasoning".into(), json!({"effort": t.as_str()}));
            }
            // Without a way to say "off", sending nothing is the closest.
            (Some(Thinking::Off), false) => {}
            (Some(t), false) => {
                body.insert("reasoning_effort".into(), json!(t.as_str()));
            }
        }
        Ok(super::request(
            opts,
            "chat/completions",
            headers,
            Value::Object(body),
        ))
    }

    fn framing(&self) -> Framing {
        Framing::Sse
    }

    fn decoder(&self) -> Box<dyn Decoder> {
        Box::new(ChatDecoder::default())
    }
}

/// Whether OpenRouter should get prompt-cache breakpoints for `model`:
/// Anthropic and Gemini models cache only where asked to.
fn wants_cache_control(opts: &CallOptions) -> bool {
    let m = opts.model.to_ascii_lowercase();
    opts.provider.openrouter && (m.starts_with("anthropic/") || m.starts_with("google/gemini"))
}

fn messages(conv: &Conversation, opts: &CallOptions) -> Vec<Value> {
    let cache = wants_cache_control(opts);
    let mut out = Vec::with_capacity(conv.messages.len() + 1);
    if let Some(sys) = conv.system.as_deref().filter(|s| !s.is_empty()) {
        let content = if cache { cached_parts(sys) } else { json!(sys) };
        out.push(json!({"role": "system", "content": content}));
    }
    for m in &conv.messages {
        match m {
            Message::User(text) => out.push(json!({"role": "user", "content": text})),
            Message::Assistant(a) => out.push(assistant(a, opts)),
            Message::ToolResult(r) => out.push(json!({
                "role": "tool",
                "tool_call_id": r.call_id,
                "content": r.content,
            })),
        }
    }
    if cache
        && let Some(last) = out.last_mut()
        && last["role"] != "system"
    {
        mark_last_part(last);
    }
    out
}

/// `text` as one content part carrying a cache breakpoint.
fn cached_parts(text: &str) -> Value {
    json!([{"type": "text", "text": text, "cache_control": {"type": "ephemeral"}}])
}

/// Puts a cache breakpoint on the last content part of `msg`, turning a
/// string content into a parts array.
fn mark_last_part(msg: &mut Value) {
    match &mut msg["content"] {
        Value::String(s) => {
            let s = std::mem::take(s);
            msg["content"] = cached_parts(&s);
        }
        Value::Array(parts) => {
            if let Some(Value::Object(p)) = parts.last_mut() {
                p.insert("cache_control".into(), json!({"type": "ephemeral"}));
            }
        }
        // An assistant message with only tool calls has no part to mark.
        _ => {}
    }
}

fn assistant(a: &Assistant, opts: &CallOptions) -> Value {
    let text = a.text();
    let calls: Vec<Value> = a
        .tool_calls()
        .map(|c| {
            // A string is arguments text the model produced that was not
            // JSON: send it back exactly as it came.
            let args = match &c.arguments {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            json!({
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": args},
            })
        })
        .collect();
    let mut m = Map::new();
    m.insert("role".into(), json!("assistant"));
    m.insert(
        "content".into(),
        if text.is_empty() && !calls.is_empty() {
            Value::Null
        } else {
            json!(text)
        },
    );
    if !calls.is_empty() {
        m.insert("tool_calls".into(), Value::Array(calls));
    }
    // Reasoning goes back only to the wire format that produced it.
    if a.api.as_deref() == Some("openai-chat") {
        let reasoning = a.content.iter().filter_map(|b| match b {
            Block::Reasoning(r) => Some(r),
            _ => None,
        });
        if opts.provider.openrouter {
            let mut details = Vec::new();
            for r in reasoning {
                match &r.details {
                    Some(Value::Array(items)) => details.extend(items.iter().cloned()),
                    Some(v @ Value::Object(_)) => details.push(v.clone()),
                    _ => {}
                }
            }
            if !details.is_empty() {
                m.insert("reasoning_details".into(), Value::Array(details));
            }
        } else {
            let text: String = reasoning.map(|r| r.text.as_str()).collect();
            if !text.is_empty() {
                m.insert("reasoning_content".into(), json!(text));
            }
        }
    }
    Value::Object(m)
}

/// Decodes a Chat Completions stream into the assembler.
#[derive(Debug, Default)]
struct ChatDecoder {
    /// `data: [DONE]` was seen.
    done: bool,
    /// A `finish_reason` was seen.
    finished: bool,
    /// reasoning_details of the reasoning block being built, merged by
    /// `index`; written into the block when it closes, so a long stream
    /// does not copy them on every chunk.
    details: Vec<Value>,
}

impl ChatDecoder {
    /// Writes the pending reasoning_details into the open reasoning block
    /// (opening one if only details arrived, as with encrypted reasoning).
    fn flush_details(&mut self, out: &mut Assembler) {
        if self.details.is_empty() {
            return;
        }
        let details = std::mem::take(&mut self.details);
        let block = out.reasoning_block();
        match &mut block.details {
            Some(Value::Array(items)) => items.extend(details),
            slot => *slot = Some(Value::Array(details)),
        }
    }

    fn chunk(&mut self, v: &Value, out: &mut Assembler) -> Result<(), StreamError> {
        if out.model.is_none()
            && let Some(m) = v["model"].as_str().filter(|m| !m.is_empty())
        {
            out.model = Some(m.to_string());
        }
        if let Some(choice) = v["choices"].as_array().and_then(|c| c.first()) {
            self.delta(&choice["delta"], out);
            if let Some(reason) = choice["finish_reason"].as_str() {
                self.finished = true;
                let stop = match reason {
                    "stop" | "end_turn" => StopReason::End,
                    "length" | "max_tokens" => StopReason::Length,
                    "tool_calls" | "function_call" => StopReason::ToolCalls,
                    // content_filter, error and anything unknown: the reply
                    // did not end the normal way.
                    _ => StopReason::Error,
                };
                out.stop(reason, stop);
            }
        }
        if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
            usage(u, out);
        }
        Ok(())
    }

    fn delta(&mut self, d: &Value, out: &mut Assembler) {
        if !d.is_object() {
            return;
        }
        let reasoning = d["reasoning"]
            .as_str()
            .or_else(|| d["reasoning_content"].as_str())
            .filter(|s| !s.is_empty());
        if let Some(r) = reasoning {
            out.reasoning(r);
        }
        if let Some(items) = d["reasoning_details"].as_array() {
            for item in items {
                // Text inside the details counts only when the plain field
                // did not carry it already.
                if reasoning.is_none() {
                    let t = item["text"].as_str().or_else(|| item["summary"].as_str());
                    if let Some(t) = t.filter(|t| !t.is_empty()) {
                        out.reasoning(t);
                    }
                }
                merge_detail(&mut self.details, item);
            }
        }
        let text = d["content"]
            .as_str()
            .or_else(|| d["refusal"].as_str())
            .filter(|s| !s.is_empty());
        if let Some(t) = text {
            self.flush_details(out);
            out.text(t);
        }
        if let Some(calls) = d["tool_calls"].as_array() {
            self.flush_details(out);
            for (pos, c) in calls.iter().enumerate() {
                let key = c["index"].as_u64().unwrap_or(pos as u64).to_string();
                let f = &c["function"];
                let name = f["name"].as_str().unwrap_or_default();
                if !out.has_call(&key) {
                    out.tool_call(&key, c["id"].as_str().unwrap_or_default(), name);
                } else if !name.is_empty() {
                    out.tool_name(&key, name);
                }
                if let Some(a) = f["arguments"].as_str() {
                    out.tool_args(&key, a);
                } else if f["arguments"].is_object() {
                    // Some servers send the arguments as an object, whole.
                    out.tool_args_replace(&key, &f["arguments"].to_string());
                }
            }
        }
    }
}

/// Merges one reasoning_details item into `details` by its `index`: text
/// pieces of the same index are joined, other fields (signature, id,
/// format, encrypted data) are taken as they come.
fn merge_detail(details: &mut Vec<Value>, item: &Value) {
    let Some(obj) = item.as_object() else {
        return;
    };
    let same = obj.get("index").and_then(Value::as_u64).and_then(|i| {
        details
            .iter_mut()
            .find(|d| d.get("index").and_then(Value::as_u64) == Some(i))
    });
    let Some(Value::Object(into)) = same else {
        details.push(item.clone());
        return;
    };
    for (k, v) in obj {
        match (k.as_str(), into.get_mut(k), v) {
            ("text" | "summary" | "data", Some(Value::String(have)), Value::String(more)) => {
                have.push_str(more)
            }
            (_, _, Value::Null) => {}
            _ => {
                into.insert(k.clone(), v.clone());
            }
        }
    }
}

fn usage(u: &Value, out: &mut Assembler) {
    let n = |v: &Value| v.as_u64().unwrap_or(0);
    out.usage.input = n(&u["prompt_tokens"]);
    out.usage.output = n(&u["completion_tokens"]);
    let details = &u["prompt_tokens_details"];
    out.usage.cache_read = match details["cached_tokens"].as_u64() {
        Some(c) => c,
        // DeepSeek reports its cache this way.
        None => n(&u["prompt_cache_hit_tokens"]),
    };
    out.usage.cache_write = n(&details["cache_write_tokens"]);
    out.usage.reasoning = n(&u["completion_tokens_details"]["reasoning_tokens"]);
    if let Some(c) = u["cost"].as_f64() {
        out.usage.cost = Some(c);
    }
}

/// A one-line description of a top-level `error` object in a chunk.
fn error_message(e: &Value) -> String {
    let msg = e["message"]
        .as_str()
        .or_else(|| e.as_str())
        .unwrap_or("no message");
    let code = match &e["code"] {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => e["type"].as_str().map(str::to_string),
    };
    let msg = crate::http::one_line(msg);
    match code {
        Some(c) => format!("the provider reported an error in the stream: {msg} ({c})"),
        None => format!("the provider reported an error in the stream: {msg}"),
    }
}

impl Decoder for ChatDecoder {
    fn event(&mut self, ev: &SseEvent, out: &mut Assembler) -> Result<Flow, StreamError> {
        let data = ev.data.trim();
        if data.is_empty() {
            return Ok(Flow::More);
        }
        if data == "[DONE]" {
            self.done = true;
            self.flush_details(out);
            return Ok(Flow::Done);
        }
        let v: Value = serde_json::from_str(data).map_err(|e| {
            self.flush_details(out);
            StreamError(format!("malformed event from the provider: {e}"))
        })?;
        if let Some(e) = v.get("error").filter(|e| !e.is_null()) {
            self.flush_details(out);
            return Err(StreamError(error_message(e)));
        }
        self.chunk(&v, out)?;
        Ok(Flow::More)
    }

    fn end(&mut self, out: &mut Assembler) -> Result<(), StreamError> {
        self.flush_details(out);
        // Some compatible servers end the body after the finish_reason chunk
        // without `[DONE]`; that reply is whole.
        if self.done || self.finished {
            Ok(())
        } else {
            Err(StreamError("the stream ended before [DONE]".into()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{self, Run, run};
    use zerostack::protocol::{Event, Reasoning};

    fn opts(provider: &str, model: &str) -> CallOptions {
        let config = format!(r#"{{"providers":{{"{provider}":{{"base_url":"http://h/v1"}}}}}}"#);
        CallOptions {
            api_key: Some("k".into()),
            ..testing::opts(&config, provider, model)
        }
    }

    fn decode(body: &str) -> Run {
        run(&OpenaiChat, body)
    }

    const FIXTURE_3_1: &str = r#"data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Let me look."},"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_A","type":"function","function":{"name":"read_file","arguments":""}}]},"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"path\":"}}]},"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_B","type":"function","function":{"name":"list_dir","arguments":"{\"path\":\".\"}"}}]},"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"a.txt\"}"}}]},"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"usage":null}

data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":120,"completion_tokens":31,"total_tokens":151,"prompt_tokens_details":{"cached_tokens":64},"completion_tokens_details":{"reasoning_tokens":0}}}

data: [DONE]

"#;

    #[test]
    fn the_openai_fixture_decodes_to_text_two_calls_and_usage() {
        let r = decode(FIXTURE_3_1);
        r.result.unwrap();
        let m = r.msg;
        assert_eq!(m.text(), "Let me look.");
        let calls: Vec<_> = m.tool_calls().collect();
        assert_eq!(calls.len(), 2);
        assert_eq!(
            (calls[0].id.as_str(), calls[0].name.as_str()),
            ("call_A", "read_file")
        );
        assert_eq!(calls[0].arguments, json!({"path": "a.txt"}));
        assert_eq!(calls[1].arguments, json!({"path": "."}));
        assert_eq!(m.stop, StopReason::ToolCalls);
        assert_eq!(m.provider_stop.as_deref(), Some("tool_calls"));
        assert_eq!(
            (m.usage.input, m.usage.output, m.usage.cache_read),
            (120, 31, 64)
        );
        assert_eq!(m.model.as_deref(), Some("m"));
    }

    const FIXTURE_3_6: &str = r#": OPENROUTER PROCESSING

data: {"id":"gen-1","object":"chat.completion.chunk","model":"anthropic/claude-x","provider":"Anthropic","choices":[{"index":0,"delta":{"role":"assistant","content":"","reasoning":"Need a.txt","reasoning_details":[{"type":"reasoning.text","text":"Need a.txt","format":"anthropic-claude-v1","index":0}]},"finish_reason":null,"native_finish_reason":null}]}

data: {"id":"gen-1","object":"chat.completion.chunk","model":"anthropic/claude-x","choices":[{"index":0,"delta":{"content":"","reasoning_details":[{"type":"reasoning.text","signature":"EqQB...","format":"anthropic-claude-v1","index":0}]},"finish_reason":null}]}

data: {"id":"gen-1","object":"chat.completion.chunk","model":"anthropic/claude-x","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"toolu_01","type":"function","function":{"name":"read_file","arguments":"{\"path\":\"a.txt\"}"}}]},"finish_reason":null}]}

data: {"id":"gen-1","object":"chat.completion.chunk","model":"anthropic/claude-x","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls","native_finish_reason":"tool_use"}]}

data: {"id":"gen-1","object":"chat.completion.chunk","model":"anthropic/claude-x","choices":[],"usage":{"prompt_tokens":120,"completion_tokens":40,"total_tokens":160,"cost":0.00123,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":24}}}

data: [DONE]

"#;

    #[test]
    fn the_openrouter_fixture_keeps_reasoning_details_merged_by_index() {
        let d = decode(FIXTURE_3_6);
        d.result.unwrap();
        let deltas = d.deltas;
        assert_eq!(
            deltas,
            vec![Event::ReasoningDelta(zerostack::protocol::Delta {
                text: "Need a.txt".into()
            })],
            "details text is not counted twice"
        );
        let m = d.msg;
        let Block::Reasoning(r) = &m.content[0] else {
            panic!("{:?}", m.content)
        };
        assert_eq!(r.text, "Need a.txt");
        assert_eq!(
            r.details,
            Some(
                json!([{"type":"reasoning.text","text":"Need a.txt","signature":"EqQB...","format":"anthropic-claude-v1","index":0}])
            )
        );
        assert_eq!(m.usage.cost, Some(0.00123));
        assert_eq!(m.usage.reasoning, 24);
        assert_eq!(m.model.as_deref(), Some("anthropic/claude-x"));
    }

    #[test]
    fn reasoning_content_and_details_only_reasoning_are_read() {
        let d = decode(
            "data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"hm\"}}]}\n\n\
             data: {\"choices\":[{\"delta\":{\"reasoning_details\":[{\"type\":\"reasoning.summary\",\"summary\":\"S\",\"index\":0},{\"type\":\"reasoning.encrypted\",\"data\":\"xyz\",\"index\":1}]}}]}\n\n\
             data: {\"choices\":[{\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}\n\n",
        );
        d.result.unwrap();
        let m = d.msg;
        let Block::Reasoning(r) = &m.content[0] else {
            panic!()
        };
        assert_eq!(r.text, "hmS");
        assert_eq!(r.details.as_ref().unwrap().as_array().unwrap().len(), 2);
        assert_eq!(m.text(), "ok");
        assert_eq!(m.stop, StopReason::End);
    }

    #[test]
    fn truncation_errors_and_finish_reasons() {
        let r = decode("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n").result;
        assert_eq!(r.unwrap_err().0, "the stream ended before [DONE]");
        let r = decode(
            "data: {\"choices\":[{\"delta\":{\"content\":\"a\"},\"finish_reason\":\"length\"}]}\n\n",
        );
        r.result.unwrap();
        assert_eq!(r.msg.stop, StopReason::Length);
        let r =
            decode("data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"content_filter\"}]}\n\n");
        r.result.unwrap();
        let m = r.msg;
        assert_eq!(
            (m.stop, m.provider_stop.as_deref()),
            (StopReason::Error, Some("content_filter"))
        );
        let r = decode("data: {\"choices\": [\n\n").result;
        assert!(r.unwrap_err().0.starts_with("malformed event"));
        let r = decode(
            "data: {\"error\":{\"message\":\"upstream\\nfailed\",\"code\":502},\"choices\":[{\"delta\":{},\"finish_reason\":\"error\"}]}\n\n",
        )
        .result;
        assert_eq!(
            r.unwrap_err().0,
            "the provider reported an error in the stream: upstream failed (502)"
        );
    }

    fn conv_with_history(api: &str) -> Conversation {
        let a = Assistant {
            content: vec![
                Block::Reasoning(Reasoning {
                    text: "think".into(),
                    details: Some(
                        json!([{"type":"reasoning.text","text":"think","signature":"S1","index":0}]),
                    ),
                    ..Reasoning::default()
                }),
                Block::ToolCall(zerostack::protocol::ToolCall {
                    id: "c1".into(),
                    name: "read".into(),
                    arguments: json!({"path": "a"}),
                    signature: None,
                }),
                Block::ToolCall(zerostack::protocol::ToolCall {
                    id: "c2".into(),
                    name: "read".into(),
                    arguments: json!("{not json"),
                    signature: None,
                }),
            ],
            stop: StopReason::ToolCalls,
            provider_stop: None,
            usage: Default::default(),
            model: None,
            provider: None,
            api: Some(api.into()),
            extra: Default::default(),
        };
        Conversation {
            system: Some("sys".into()),
            tools: vec![],
            messages: vec![
                Message::User("hi".into()),
                Message::Assistant(a),
                Message::ToolResult(zerostack::protocol::ToolResult {
                    call_id: "c1".into(),
                    name: "read".into(),
                    content: "A".into(),
                    is_error: false,
                    extra: Default::default(),
                }),
                Message::ToolResult(zerostack::protocol::ToolResult {
                    call_id: "c2".into(),
                    name: "read".into(),
                    content: "B".into(),
                    is_error: true,
                    extra: Default::default(),
                }),
            ],
        }
    }

    #[test]
    fn history_is_sent_with_calls_results_and_reasoning_echoed_by_kind() {
        let r = OpenaiChat
            .build(
                &conv_with_history("openai-chat"),
                &opts("openrouter", "openai/gpt-5"),
            )
            .unwrap();
        let msgs = r.body["messages"].as_array().unwrap();
        assert_eq!(msgs[0], json!({"role":"system","content":"sys"}));
        assert_eq!(msgs[2]["content"], Value::Null);
        assert_eq!(
            msgs[2]["tool_calls"][0]["function"]["arguments"],
            "{\"path\":\"a\"}"
        );
        assert_eq!(
            msgs[2]["tool_calls"][1]["function"]["arguments"],
            "{not json"
        );
        assert_eq!(msgs[2]["reasoning_details"][0]["signature"], "S1");
        assert_eq!(
            msgs[3],
            json!({"role":"tool","tool_call_id":"c1","content":"A"})
        );
        assert!(
            r.headers
                .iter()
                .any(|(k, v)| k == "X-Title" && v == "zerostack")
        );

        let r = OpenaiChat
            .build(
                &conv_with_history("openai-chat"),
                &opts("openai-compatible", "m"),
            )
            .unwrap();
        assert_eq!(r.body["messages"][2]["reasoning_content"], "think");
        assert!(r.body["messages"][2].get("reasoning_details").is_none());

        let r = OpenaiChat
            .build(
                &conv_with_history("anthropic"),
                &opts("openai-compatible", "m"),
            )
            .unwrap();
        assert!(r.body["messages"][2].get("reasoning_content").is_none());
        assert_eq!(r.url, "http://h/v1/chat/completions");
    }

    #[test]
    fn openrouter_anthropic_models_get_cache_breakpoints() {
        let r = OpenaiChat
            .build(
                &conv_with_history("x"),
                &opts("openrouter", "anthropic/claude-sonnet-4.5"),
            )
            .unwrap();
        let msgs = r.body["messages"].as_array().unwrap();
        assert_eq!(
            msgs[0]["content"][0]["cache_control"],
            json!({"type":"ephemeral"})
        );
        let last = msgs.last().unwrap();
        assert_eq!(last["content"][0]["text"], "B");
        assert_eq!(
            last["content"][0]["cache_control"],
            json!({"type":"ephemeral"})
        );
        assert_eq!(msgs[1]["content"], "hi", "only the last message is marked");
    }
}
