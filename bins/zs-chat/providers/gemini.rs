//! The Gemini wire format: `POST {base}/models/{model}:streamGenerateContent?alt=sse`,
//! answered by SSE events each holding a whole `GenerateContentResponse`
//! chunk. There is no terminal event: the stream is complete once a chunk
//! carried a `finishReason`.
//!
//! Function calls arrive whole, with or without an id (the [`Assembler`]
//! makes one when it is missing). A `thoughtSignature` rides on the part it
//! belongs to (a functionCall part, or a text part, often an empty last
//! one) and must go back on that same part, so it is kept on the block made
//! from that part and sent back with it.

use super::{CallOptions, Decoder, Flow, Framing, Request, StreamError, Thinking, Wire};
use crate::assemble::Assembler;
use crate::conversation::{Conversation, Message};
use crate::framing::SseEvent;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use zerostack::error::Error;
use zerostack::protocol::{Assistant, Block, StopReason, ToolResult};

pub struct Gemini;

/// The `gemini` value of [`Assistant::api`]: thought signatures are only
/// valid when sent back to this format.
const API: &str = "gemini";

/// Gemini 3 rejects a function call in the current turn without a thought
/// signature (`MISSING_THOUGHT_SIGNATURE`). For calls that have none (made
/// by another provider), Google documents this value as the way to skip
/// the check. See: https://ai.google.dev/gemini-api/docs/thought-signatures
const SKIP_SIGNATURE: &str = "skip_thought_signature_validator";

impl Wire for Gemini {
    fn build(&self, conv: &Conversation, opts: &CallOptions) -> Result<Request, Error> {
        super::require_base_url(opts)?;
        // The model may be given as the API names it (`models/gemini-...`).
        let model = opts.model.trim_start_matches("models/");
        let mut body = Map::new();
        body.insert("contents".into(), Value::Array(contents(conv, model)));
        if let Some(sys) = conv.system.as_deref().filter(|s| !s.is_empty()) {
            body.insert(
                "systemInstruction".into(),
                json!({"parts": [{"text": sys}]}),
            );
        }
        if !conv.tools.is_empty() {
            let decls: Vec<Value> = conv
                .tools
                .iter()
                .map(|t| {
                    let mut d = json!({"name": t.name, "description": t.description});
                    if let Some(p) = parameters(&t.parameters) {
                        d["parameters"] = p;
                    }
                    d
                })
                .collect();
            body.insert("tools".into(), json!([{"functionDeclarations": decls}]));
        }
        let mut gen_config = Map::new();
        if let Some(m) = opts.max_tokens {
            gen_config.insert("maxOutputTokens".into(), json!(m));
        }
        if let Some(level) = opts.thinking {
            gen_config.insert("thinkingConfig".into(), thinking_config(model, level));
        }
        if !gen_config.is_empty() {
            body.insert("generationConfig".into(), Value::Object(gen_config));
        }
        let mut headers = Vec::new();
        if let Some(key) = &opts.api_key {
            headers.push(("x-goog-api-key".to_string(), key.clone()));
        }
        Ok(super::request(
            opts,
            &format!("models/{model}:streamGenerateContent?alt=sse"),
            headers,
            Value::Object(body),
        ))
    }

    fn framing(&self) -> Framing {
        Framing::Sse
    }

    fn decoder(&self) -> Box<dyn Decoder> {
        Box::new(GeminiDecoder::default())
    }
}

/// Gemini 3 takes a `thinkingLevel`; earlier models a `thinkingBudget`.
fn is_gemini3(model: &str) -> bool {
    model.starts_with("gemini-3")
}

/// `generationConfig.thinkingConfig` for a level. Thought summaries are
/// asked for whenever thinking is on. Gemini 3 knows `low` and `high` on
/// every model, so `medium` asks for `high` (its default), and it cannot
/// stop thinking, so `off` asks for `low`. 2.5 Pro cannot stop either: its
/// smallest budget, 128, stands for `off` there.
fn thinking_config(model: &str, level: Thinking) -> Value {
    let on = level != Thinking::Off;
    if is_gemini3(model) {
        let l = match level {
            Thinking::Off | Thinking::Low => "low",
            Thinking::Medium | Thinking::High => "high",
        };
        return json!({"includeThoughts": on, "thinkingLevel": l});
    }
    let budget = match level {
        Thinking::Off if model.starts_with("gemini-2.5-pro") => 128,
        Thinking::Off => 0,
        Thinking::Low => 1024,
        Thinking::Medium => 8192,
        Thinking::High => 24_576,
    };
    json!({"includeThoughts": on, "thinkingBudget": budget})
}

/// The JSON Schema keys Gemini's `parameters` (an OpenAPI 3.0 Schema
/// subset) accepts. Any other key (`$schema`, `additionalProperties`,
/// `$ref`, `examples`, ...) makes the whole request fail with a 400, so
/// schemas keep only these; a tool loses a constraint, never its call.
const SCHEMA_KEYS: &[&str] = &[
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "enum",
    "items",
    "properties",
    "required",
    "anyOf",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "minProperties",
    "maxProperties",
    "default",
    "example",
    "propertyOrdering",
];

/// A tool's `parameters` as Gemini takes them, or None for a tool without
/// arguments: Gemini rejects an object schema with no properties.
fn parameters(schema: &Value) -> Option<Value> {
    let s = clean_schema(schema);
    let has_props = matches!(s.get("properties"), Some(Value::Object(p)) if !p.is_empty());
    let object_or_nothing = s.get("type").and_then(Value::as_str) == Some("object")
        || s.as_object().is_none_or(Map::is_empty);
    if !has_props && object_or_nothing {
        return None;
    }
    Some(s)
}

/// Keeps the keys Gemini accepts, recursively. A `type` list such as
/// `["string","null"]` becomes the one type plus `nullable`, and `const`
/// becomes a one-value `enum`, which Gemini can express.
fn clean_schema(schema: &Value) -> Value {
    let Value::Object(m) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (k, v) in m {
        let v = match k.as_str() {
            "properties" => match v {
                Value::Object(props) => Value::Object(
                    props
                        .iter()
                        .map(|(name, s)| (name.clone(), clean_schema(s)))
                        .collect(),
                ),
                _ => continue,
            },
            "items" => clean_schema(v),
            "anyOf" => match v {
                Value::Array(a) => Value::Array(a.iter().map(clean_schema).collect()),
                _ => continue,
            },
            "type" => match v {
                Value::Array(types) => {
                    let real: Vec<&Value> = types.iter().filter(|t| *t != "null").collect();
                    if real.len() < types.len() {
                        out.insert("nullable".into(), json!(true));
                    }
                    match real.first() {
                        Some(t) => (*t).clone(),
                        None => continue,
                    }
                }
                _ => v.clone(),
            },
            "const" => {
                out.insert("enum".into(), json!([v]));
                continue;
            }
            k if SCHEMA_KEYS.contains(&k) => v.clone(),
            _ => continue,
        };
        out.insert(k.clone(), v);
    }
    Value::Object(out)
}

/// The `contents` array: user text and tool results as `user` contents,
/// assistant messages as `model` contents; consecutive contents of one role
/// are merged, as Gemini wants the roles to alternate.
fn contents(conv: &Conversation, model: &str) -> Vec<Value> {
    let mut out: Vec<(&'static str, Vec<Value>)> = Vec::new();
    // Call id -> name, for results that do not name their tool: Gemini
    // pairs a response with its call by name.
    let mut names: HashMap<&str, &str> = HashMap::new();
    for m in &conv.messages {
        let (role, parts) = match m {
            Message::User(text) => ("user", vec![json!({"text": text})]),
            Message::ToolResult(r) => {
                let name = match r.name.as_str() {
                    "" => names.get(r.call_id.as_str()).copied().unwrap_or(""),
                    n => n,
                };
                ("user", vec![function_response(r, name)])
            }
            Message::Assistant(a) => {
                for c in a.tool_calls() {
                    names.insert(&c.id, &c.name);
                }
                ("model", model_parts(a, model))
            }
        };
        if parts.is_empty() {
            continue;
        }
        match out.last_mut() {
            Some((r, prev)) if *r == role => prev.extend(parts),
            _ => out.push((role, parts)),
        }
    }
    out.into_iter()
        .map(|(role, parts)| json!({"role": role, "parts": parts}))
        .collect()
}

fn function_response(r: &ToolResult, name: &str) -> Value {
    let response = if r.is_error {
        json!({"error": r.content})
    } else {
        json!({"output": r.content})
    };
    let mut f = json!({"name": name, "response": response});
    if !r.call_id.is_empty() {
        f["id"] = json!(r.call_id);
    }
    json!({"functionResponse": f})
}

/// An assistant message's parts in order. Thought summaries are not sent
/// back (the model does not read them); signatures are, on the part they
/// came with, but only to Gemini, which made them. A reasoning block that
/// holds a signature (one that came on a thought part) goes back as that
/// thought part, so its signature is not lost.
fn model_parts(a: &Assistant, model: &str) -> Vec<Value> {
    let ours = a.api.as_deref() == Some(API);
    let mut parts = Vec::new();
    let mut first_call = true;
    for b in &a.content {
        match b {
            Block::Reasoning(r) => {
                if let (true, Some(sig)) = (ours, &r.signature) {
                    parts.push(json!({"text": r.text, "thought": true, "thoughtSignature": sig}));
                }
            }
            Block::Text(t) => {
                let sig = t.signature.as_ref().filter(|_| ours);
                match sig {
                    Some(sig) => parts.push(json!({"text": t.text, "thoughtSignature": sig})),
                    None if !t.text.is_empty() => parts.push(json!({"text": t.text})),
                    None => {}
                }
            }
            Block::ToolCall(c) => {
                // `args` must be an object; arguments that were not JSON
                // (kept as a string for zs-tool to report) go as `{}` so the
                // call and its result still pair.
                let args = match &c.arguments {
                    Value::Object(_) => c.arguments.clone(),
                    _ => json!({}),
                };
                let mut f = json!({"name": c.name, "args": args});
                if !c.id.is_empty() {
                    f["id"] = json!(c.id);
                }
                let mut part = json!({"functionCall": f});
                let sig = c.signature.as_deref().filter(|_| ours);
                match sig {
                    Some(sig) => part["thoughtSignature"] = json!(sig),
                    // Only the first call of a step is checked.
                    None if first_call && is_gemini3(model) => {
                        part["thoughtSignature"] = json!(SKIP_SIGNATURE);
                    }
                    None => {}
                }
                first_call = false;
                parts.push(part);
            }
        }
    }
    parts
}

#[derive(Debug, Default)]
struct GeminiDecoder {
    /// A chunk carried a finishReason (or a blocked prompt's feedback).
    finished: bool,
}

impl Decoder for GeminiDecoder {
    fn event(&mut self, ev: &SseEvent, out: &mut Assembler) -> Result<Flow, StreamError> {
        if ev.data.trim().is_empty() {
            return Ok(Flow::More);
        }
        let v: Value = serde_json::from_str(&ev.data)
            .map_err(|e| StreamError(format!("malformed event from the provider: {e}")))?;
        if let Some(e) = v.get("error") {
            return Err(StreamError(error_message(e)));
        }
        if let Some(m) = v["modelVersion"].as_str() {
            out.model = Some(m.to_string());
        }
        if let Some(u) = v.get("usageMetadata") {
            usage(u, out);
        }
        let cand = &v["candidates"][0];
        for part in cand["content"]["parts"].as_array().into_iter().flatten() {
            self.part(part, out);
        }
        if let Some(raw) = cand["finishReason"].as_str() {
            // FINISH_REASON_UNSPECIFIED is the enum's zero: not a finish.
            if raw != "FINISH_REASON_UNSPECIFIED" {
                out.stop(raw, finish_reason(raw));
                self.finished = true;
                return Ok(Flow::Done);
            }
        }
        // A blocked prompt has feedback and no candidates at all.
        if let Some(raw) = v["promptFeedback"]["blockReason"].as_str()
            && v["candidates"].as_array().is_none_or(Vec::is_empty)
        {
            out.stop(raw, StopReason::Error);
            self.finished = true;
            return Ok(Flow::Done);
        }
        Ok(Flow::More)
    }

    fn end(&mut self, _out: &mut Assembler) -> Result<(), StreamError> {
        if self.finished {
            Ok(())
        } else {
            Err(StreamError("stream ended before a finishReason".into()))
        }
    }
}

impl GeminiDecoder {
    fn part(&mut self, part: &Value, out: &mut Assembler) {
        let sig = part["thoughtSignature"].as_str().filter(|s| !s.is_empty());
        if let Some(call) = part.get("functionCall") {
            let args = match call.get("args") {
                Some(a @ Value::Object(_)) => a.clone(),
                _ => json!({}),
            };
            out.tool_call_whole(
                call["id"].as_str(),
                call["name"].as_str().unwrap_or(""),
                args,
                sig,
            );
            return;
        }
        let Some(text) = part["text"].as_str() else {
            // inlineData, executableCode and newer part kinds: not kept.
            return;
        };
        if part["thought"].as_bool() == Some(true) {
            out.reasoning(text);
            if let Some(sig) = sig {
                out.reasoning_block().signature = Some(sig.to_string());
                out.close();
            }
            return;
        }
        match sig {
            // The signature belongs to this part alone, and Google asks that
            // a signed part not be merged with others: it gets a block of
            // its own (even an empty one), sent back as one part.
            Some(sig) => {
                out.close();
                out.text(text);
                out.text_signature(sig);
                out.close();
            }
            None => out.text(text),
        }
    }
}

/// Usage is cumulative: each chunk's counts replace the last. Cached tokens
/// are part of `promptTokenCount`; thoughts are billed as output.
fn usage(u: &Value, out: &mut Assembler) {
    let get = |k: &str| u[k].as_u64().unwrap_or(0);
    let thoughts = get("thoughtsTokenCount");
    out.usage.input = get("promptTokenCount");
    out.usage.cache_read = get("cachedContentTokenCount");
    out.usage.output = get("candidatesTokenCount") + thoughts;
    out.usage.reasoning = thoughts;
}

fn finish_reason(raw: &str) -> StopReason {
    match raw {
        // STOP also ends a reply with calls; the assembler makes it
        // tool_calls then.
        "STOP" => StopReason::End,
        "MAX_TOKENS" => StopReason::Length,
        // SAFETY, RECITATION, MALFORMED_FUNCTION_CALL, MISSING_THOUGHT_SIGNATURE...
        _ => StopReason::Error,
    }
}

/// `{"code":500,"message":"...","status":"INTERNAL"}` as `... (INTERNAL)`.
fn error_message(e: &Value) -> String {
    let msg = e["message"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| e.to_string());
    match e["status"].as_str() {
        Some(s) => format!("{msg} ({s})"),
        None => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{self, Run, valid_conv as conv};
    use zerostack::config::Config;
    use zerostack::protocol::{Delta, Event, Reasoning, Text, ToolCall, Usage};

    fn run_cut(body: &str, cut: usize) -> Run {
        testing::run_cut(&Gemini, body, cut)
    }

    fn run(body: &str) -> Run {
        testing::run(&Gemini, body)
    }

    /// One chunk, framed as Gemini frames it (CRLF, blank line).
    fn chunk(parts: Value, finish: Option<&str>, usage: Value) -> String {
        let mut cand = json!({"content": {"role": "model", "parts": parts}, "index": 0});
        if let Some(f) = finish {
            cand["finishReason"] = json!(f);
        }
        let v = json!({"candidates": [cand], "usageMetadata": usage, "modelVersion": "gemini-x", "responseId": "r1"});
        format!("data: {v}\r\n\r\n")
    }

    /// The recorded-style stream of protocols.md 3.4, with its CRLF framing.
    const FIXTURE: &str = "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"**Checking the file**\",\"thought\":true}]},\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":30,\"totalTokenCount\":30},\"modelVersion\":\"gemini-x\",\"responseId\":\"r1\"}\r\n\r\n\
data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"id\":\"fc_1\",\"name\":\"read_file\",\"args\":{\"path\":\"a.txt\"}},\"thoughtSignature\":\"CiQBcsjafD...\"}]},\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":30,\"candidatesTokenCount\":9,\"thoughtsTokenCount\":41,\"totalTokenCount\":80},\"modelVersion\":\"gemini-x\",\"responseId\":\"r1\"}\r\n\r\n\
data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"\"}]},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":30,\"candidatesTokenCount\":12,\"thoughtsTokenCount\":41,\"totalTokenCount\":83,\"cachedContentTokenCount\":0},\"modelVersion\":\"gemini-x\",\"responseId\":\"r1\"}\r\n\r\n";

    #[test]
    fn the_recorded_stream_gives_a_thought_and_a_signed_call() {
        // Cut inside the first \r\n\r\n: the separator spans two reads.
        let cut = FIXTURE.find("\r\n\r\n").unwrap() + 1;
        let r = run_cut(FIXTURE, cut);
        r.result.unwrap();
        assert!(r.stopped);
        assert_eq!(
            r.msg.content,
            vec![
                Block::Reasoning(Reasoning {
                    text: "**Checking the file**".into(),
                    ..Reasoning::default()
                }),
                Block::ToolCall(ToolCall {
                    id: "fc_1".into(),
                    name: "read_file".into(),
                    arguments: json!({"path": "a.txt"}),
                    signature: Some("CiQBcsjafD...".into()),
                }),
            ]
        );
        assert_eq!(r.msg.stop, StopReason::ToolCalls, "STOP with calls");
        assert_eq!(r.msg.provider_stop.as_deref(), Some("STOP"));
        assert_eq!(r.msg.model.as_deref(), Some("gemini-x"));
        assert_eq!(
            r.msg.usage,
            Usage {
                input: 30,
                output: 12 + 41,
                cache_read: 0,
                cache_write: 0,
                reasoning: 41,
                cost: None
            }
        );
        assert_eq!(
            r.deltas,
            vec![Event::ReasoningDelta(Delta {
                text: "**Checking the file**".into()
            })]
        );
    }

    #[test]
    fn text_pieces_join_and_a_signed_empty_last_part_stays_its_own_block() {
        let body = chunk(
            json!([{"text": "Let me ", "thought": true}]),
            None,
            json!({"promptTokenCount": 10}),
        ) + &chunk(
            json!([{"text": "think.", "thought": true}, {"text": "Hel"}]),
            None,
            json!({"promptTokenCount": 10, "candidatesTokenCount": 1, "thoughtsTokenCount": 5}),
        ) + &chunk(
            json!([{"text": "lo"}]),
            None,
            json!({"promptTokenCount": 10, "candidatesTokenCount": 2, "thoughtsTokenCount": 5}),
        ) + &chunk(
            json!([{"text": "", "thoughtSignature": "SIG"}]),
            Some("STOP"),
            json!({"promptTokenCount": 10, "cachedContentTokenCount": 4, "candidatesTokenCount": 3, "thoughtsTokenCount": 5}),
        );
        let r = run(&body);
        r.result.unwrap();
        assert_eq!(
            r.msg.content,
            vec![
                Block::Reasoning(Reasoning {
                    text: "Let me think.".into(),
                    ..Reasoning::default()
                }),
                Block::Text(Text {
                    text: "Hello".into(),
                    signature: None
                }),
                Block::Text(Text {
                    text: String::new(),
                    signature: Some("SIG".into())
                }),
            ]
        );
        assert_eq!(r.msg.stop, StopReason::End);
        assert_eq!(
            (
                r.msg.usage.input,
                r.msg.usage.cache_read,
                r.msg.usage.output,
                r.msg.usage.reasoning
            ),
            (10, 4, 8, 5)
        );
        let texts: Vec<String> = r
            .deltas
            .iter()
            .map(|e| match e {
                Event::TextDelta(d) => format!("t:{}", d.text),
                Event::ReasoningDelta(d) => format!("r:{}", d.text),
                e => panic!("{e:?}"),
            })
            .collect();
        assert_eq!(texts, vec!["r:Let me ", "r:think.", "t:Hel", "t:lo"]);
    }

    #[test]
    fn a_signed_text_part_is_a_block_of_its_own() {
        let body = chunk(
            json!([{"text": "Z"}, {"text": "A", "thoughtSignature": "S1"}, {"text": "B"}]),
            Some("STOP"),
            json!({}),
        );
        let r = run(&body);
        assert_eq!(
            r.msg.content,
            vec![
                Block::Text(Text {
                    text: "Z".into(),
                    signature: None
                }),
                Block::Text(Text {
                    text: "A".into(),
                    signature: Some("S1".into())
                }),
                Block::Text(Text {
                    text: "B".into(),
                    signature: None
                }),
            ]
        );
    }

    #[test]
    fn calls_without_ids_get_generated_ones_and_the_signature_stays_on_its_call() {
        let body = chunk(
            json!([
                {"functionCall": {"name": "read", "args": {"path": "a"}}, "thoughtSignature": "S"},
                {"functionCall": {"name": "ls"}},
                {"functionCall": {"id": "own", "name": "grep", "args": {"q": "x", "n": [1, 2]}}}
            ]),
            None,
            json!({"promptTokenCount": 3}),
        ) + &chunk(
            json!([{"text": ""}]),
            Some("STOP"),
            json!({"promptTokenCount": 3, "candidatesTokenCount": 7}),
        );
        let r = run(&body);
        r.result.unwrap();
        let calls: Vec<_> = r.msg.tool_calls().collect();
        assert_eq!(calls.len(), 3);
        assert_eq!(
            (calls[0].id.as_str(), calls[0].signature.as_deref()),
            ("call_1", Some("S"))
        );
        assert_eq!(calls[0].arguments, json!({"path": "a"}));
        assert_eq!(
            (calls[1].id.as_str(), calls[1].signature.as_deref()),
            ("call_2", None)
        );
        assert_eq!(calls[1].arguments, json!({}), "missing args are {{}}");
        assert_eq!(calls[2].id, "own");
        assert_eq!(calls[2].arguments, json!({"q": "x", "n": [1, 2]}));
        assert_eq!(r.msg.stop, StopReason::ToolCalls);
        assert!(r.deltas.is_empty());
    }

    #[test]
    fn finish_reasons_are_normalized_and_kept_verbatim() {
        for (raw, want) in [
            ("STOP", StopReason::End),
            ("MAX_TOKENS", StopReason::Length),
            ("SAFETY", StopReason::Error),
            ("RECITATION", StopReason::Error),
            ("MALFORMED_FUNCTION_CALL", StopReason::Error),
            ("MISSING_THOUGHT_SIGNATURE", StopReason::Error),
        ] {
            let r = run(&chunk(json!([{"text": "x"}]), Some(raw), json!({})));
            r.result.unwrap();
            assert_eq!(r.msg.stop, want, "{raw}");
            assert_eq!(r.msg.provider_stop.as_deref(), Some(raw));
        }
    }

    #[test]
    fn a_blocked_prompt_ends_the_stream_with_an_error_stop() {
        let body = "data: {\"promptFeedback\":{\"blockReason\":\"PROHIBITED_CONTENT\"},\"usageMetadata\":{\"promptTokenCount\":5}}\r\n\r\n";
        let r = run(body);
        r.result.unwrap();
        assert_eq!(r.msg.stop, StopReason::Error);
        assert_eq!(r.msg.provider_stop.as_deref(), Some("PROHIBITED_CONTENT"));
    }

    #[test]
    fn an_error_chunk_fails_the_stream_and_keeps_the_partial_reply() {
        let body = chunk(json!([{"text": "Part"}]), None, json!({}))
            + "data: {\"error\":{\"code\":500,\"message\":\"Internal error\",\"status\":\"INTERNAL\"}}\r\n\r\n";
        let r = run(&body);
        assert_eq!(
            r.result,
            Err(StreamError("Internal error (INTERNAL)".into()))
        );
        assert_eq!(r.msg.text(), "Part");
        assert_eq!(r.msg.stop, StopReason::Error);
    }

    #[test]
    fn malformed_json_and_a_stream_without_finish_reason_are_errors() {
        let r = run("data: {\"candidates\": [\r\n\r\n");
        assert!(r.result.unwrap_err().0.starts_with("malformed event"));
        let r = run(&chunk(json!([{"text": "cut"}]), None, json!({})));
        assert_eq!(
            r.result,
            Err(StreamError("stream ended before a finishReason".into()))
        );
        assert_eq!(r.msg.text(), "cut");
        let r = run(&chunk(
            json!([{"text": "x"}]),
            Some("FINISH_REASON_UNSPECIFIED"),
            json!({}),
        ));
        assert!(r.result.is_err(), "the unspecified reason is no finish");
    }

    #[test]
    fn unknown_parts_and_fields_are_ignored_and_a_last_event_without_blank_line_counts() {
        let body = "data: {\"candidates\":[{\"content\":{\"parts\":[{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"AA\"}},{\"executableCode\":{\"code\":\"1\"}},{\"text\":\"ok\",\"future\":1}]},\"finishReason\":\"STOP\",\"safetyRatings\":[]}],\"newField\":{}}";
        let r = run(body);
        r.result.unwrap();
        assert_eq!(r.msg.content.len(), 1);
        assert_eq!(r.msg.text(), "ok");
    }

    // ---- requests ----

    fn opts(model: &str) -> CallOptions {
        let mut provider = Config::default().resolve_provider("gemini").unwrap();
        provider.base_url = "http://127.0.0.1:9/v1beta".into();
        CallOptions {
            provider,
            model: model.into(),
            api_key: Some("gm-test".into()),
            max_tokens: None,
            thinking: None,
        }
    }

    #[test]
    fn a_plain_request_has_url_headers_and_the_minimal_body() {
        let req = Gemini
            .build(
                &conv(&[json!({"type":"user","text":"hi"})]),
                &opts("models/gemini-2.5-pro"),
            )
            .unwrap();
        assert_eq!(
            req.url,
            "http://127.0.0.1:9/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
        );
        assert_eq!(
            req.headers,
            vec![("x-goog-api-key".to_string(), "gm-test".to_string()),]
        );
        assert_eq!(
            req.body,
            json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
        );
    }

    #[test]
    fn a_tool_turn_is_sent_back_with_signatures_on_their_parts() {
        let c = conv(&[
            json!({"type":"system","text":"be brief"}),
            json!({"type":"tools","tools":[
                {"name":"read","description":"Read a file","parameters":{
                    "$schema":"http://json-schema.org/draft-07/schema#","type":"object",
                    "properties":{"path":{"type":"string","description":"p"},"n":{"type":["integer","null"]},"mode":{"const":"r"}},
                    "required":["path"],"additionalProperties":false}},
                {"name":"todo_read","description":"Read the list","parameters":{"type":"object","properties":{}}}
            ]}),
            json!({"type":"user","text":"read a"}),
            json!({"type":"assistant","api":"gemini","stop":"tool_calls","content":[
                {"type":"reasoning","text":"summary, not sent back"},
                {"type":"text","text":"Reading.","signature":"TS"},
                {"type":"tool_call","id":"fc_1","name":"read","arguments":{"path":"a"},"signature":"CS"},
                {"type":"tool_call","id":"call_2","name":"todo_read","arguments":"{bad"}
            ]}),
            json!({"type":"tool_result","call_id":"fc_1","name":"read","content":"hello\n"}),
            // No name: it is taken from the call.
            json!({"type":"tool_result","call_id":"call_2","name":"","content":"bad args","is_error":true}),
            json!({"type":"user","text":"thanks"}),
        ]);
        let mut o = opts("gemini-2.5-flash");
        o.max_tokens = Some(1000);
        o.thinking = Some(Thinking::Medium);
        let req = Gemini.build(&c, &o).unwrap();
        assert_eq!(
            req.body,
            json!({
                "contents": [
                    {"role":"user","parts":[{"text":"read a"}]},
                    {"role":"model","parts":[
                        {"text":"Reading.","thoughtSignature":"TS"},
                        {"functionCall":{"id":"fc_1","name":"read","args":{"path":"a"}},"thoughtSignature":"CS"},
                        {"functionCall":{"id":"call_2","name":"todo_read","args":{}}}
                    ]},
                    {"role":"user","parts":[
                        {"functionResponse":{"id":"fc_1","name":"read","response":{"output":"hello\n"}}},
                        {"functionResponse":{"id":"call_2","name":"todo_read","response":{"error":"bad args"}}},
                        {"text":"thanks"}
                    ]}
                ],
                "systemInstruction": {"parts": [{"text": "be brief"}]},
                "tools": [{"functionDeclarations": [
                    {"name":"read","description":"Read a file","parameters":{
                        "type":"object",
                        "properties":{"path":{"type":"string","description":"p"},"n":{"type":"integer","nullable":true},"mode":{"enum":["r"]}},
                        "required":["path"]}},
                    {"name":"todo_read","description":"Read the list"}
                ]}],
                "generationConfig": {
                    "maxOutputTokens": 1000,
                    "thinkingConfig": {"includeThoughts": true, "thinkingBudget": 8192}
                }
            })
        );
    }

    #[test]
    fn another_providers_signatures_stay_home_and_gemini_3_gets_the_skip_value() {
        let c = conv(&[
            json!({"type":"user","text":"go"}),
            json!({"type":"assistant","api":"anthropic","stop":"tool_calls","content":[
                {"type":"reasoning","text":"t","signature":"ANTHROPIC-SIG"},
                {"type":"text","text":"","signature":"X"},
                {"type":"tool_call","id":"toolu_1","name":"read","arguments":{}},
                {"type":"tool_call","id":"toolu_2","name":"read","arguments":{}}
            ]}),
            json!({"type":"tool_result","call_id":"toolu_1","name":"read","content":"1"}),
            json!({"type":"tool_result","call_id":"toolu_2","name":"read","content":"2"}),
        ]);
        let model_parts =
            |model: &str| Gemini.build(&c, &opts(model)).unwrap().body["contents"][1].clone();
        assert_eq!(
            model_parts("gemini-2.5-pro"),
            json!({"role":"model","parts":[
                {"functionCall":{"id":"toolu_1","name":"read","args":{}}},
                {"functionCall":{"id":"toolu_2","name":"read","args":{}}}
            ]})
        );
        assert_eq!(
            model_parts("gemini-3-pro-preview"),
            json!({"role":"model","parts":[
                {"functionCall":{"id":"toolu_1","name":"read","args":{}},"thoughtSignature":SKIP_SIGNATURE},
                {"functionCall":{"id":"toolu_2","name":"read","args":{}}}
            ]})
        );
    }

    #[test]
    fn a_signed_thought_goes_back_as_its_part_and_empty_model_turns_are_skipped() {
        let c = conv(&[
            json!({"type":"user","text":"a"}),
            json!({"type":"assistant","api":"gemini","stop":"end","content":[
                {"type":"reasoning","text":"th","signature":"RS"},
                {"type":"text","text":"b"}
            ]}),
            json!({"type":"user","text":"c"}),
            json!({"type":"assistant","api":"gemini","stop":"end","content":[{"type":"reasoning","text":"only"}]}),
            json!({"type":"user","text":"d"}),
        ]);
        let body = Gemini.build(&c, &opts("gemini-2.5-pro")).unwrap().body;
        assert_eq!(
            body["contents"],
            json!([
                {"role":"user","parts":[{"text":"a"}]},
                {"role":"model","parts":[{"text":"th","thought":true,"thoughtSignature":"RS"},{"text":"b"}]},
                {"role":"user","parts":[{"text":"c"},{"text":"d"}]}
            ])
        );
    }

    #[test]
    fn thinking_levels_by_model_family() {
        let c = conv(&[json!({"type":"user","text":"hi"})]);
        let cases = [
            (
                "gemini-2.5-flash",
                Thinking::Off,
                json!({"includeThoughts":false,"thinkingBudget":0}),
            ),
            (
                "gemini-2.5-pro",
                Thinking::Off,
                json!({"includeThoughts":false,"thinkingBudget":128}),
            ),
            (
                "gemini-2.5-flash",
                Thinking::Low,
                json!({"includeThoughts":true,"thinkingBudget":1024}),
            ),
            (
                "gemini-2.5-pro",
                Thinking::High,
                json!({"includeThoughts":true,"thinkingBudget":24576}),
            ),
            (
                "gemini-3-pro-preview",
                Thinking::Low,
                json!({"includeThoughts":true,"thinkingLevel":"low"}),
            ),
            (
                "gemini-3-pro-preview",
                Thinking::Medium,
                json!({"includeThoughts":true,"thinkingLevel":"high"}),
            ),
            (
                "gemini-3-flash",
                Thinking::High,
                json!({"includeThoughts":true,"thinkingLevel":"high"}),
            ),
            (
                "gemini-3-flash",
                Thinking::Off,
                json!({"includeThoughts":false,"thinkingLevel":"low"}),
            ),
        ];
        for (model, level, want) in cases {
            let mut o = opts(model);
            o.thinking = Some(level);
            let body = Gemini.build(&c, &o).unwrap().body;
            assert_eq!(
                body["generationConfig"],
                json!({"thinkingConfig": want}),
                "{model} {level:?}"
            );
        }
    }

    #[test]
    fn extra_body_and_configured_headers_are_merged() {
        let c = conv(&[json!({"type":"user","text":"hi"})]);
        let mut o = opts("gemini-2.5-pro");
        o.provider.extra_body.insert(
            "safetySettings".into(),
            json!([{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}]),
        );
        o.provider
            .headers
            .insert("X-Goog-Api-Key".into(), "other".into());
        o.provider.headers.insert("x-extra".into(), "1".into());
        let req = Gemini.build(&c, &o).unwrap();
        assert_eq!(req.body["safetySettings"][0]["threshold"], "BLOCK_NONE");
        assert_eq!(
            req.headers,
            vec![
                ("X-Goog-Api-Key".to_string(), "other".to_string()),
                ("x-extra".to_string(), "1".to_string()),
            ]
        );
    }

    #[test]
    fn schemas_keep_what_gemini_accepts_recursively() {
        let s = json!({
            "type":"object","$schema":"x","additionalProperties":false,
            "properties":{
                "list":{"type":"array","items":{"type":"object","additionalProperties":true,
                    "properties":{"$ref":{"type":"string"}},"examples":[1]}},
                "choice":{"anyOf":[{"type":"string","$comment":"c"},{"type":"null"}]},
                "additionalProperties":{"type":"boolean","default":false}
            }
        });
        assert_eq!(
            parameters(&s).unwrap(),
            json!({
                "type":"object",
                "properties":{
                    "list":{"type":"array","items":{"type":"object","properties":{"$ref":{"type":"string"}}}},
                    "choice":{"anyOf":[{"type":"string"},{"type":"null"}]},
                    "additionalProperties":{"type":"boolean","default":false}
                }
            }),
            "property names are names, not schema keys"
        );
        assert_eq!(parameters(&json!({})), None);
        assert_eq!(parameters(&json!({"type":"object"})), None);
    }
}
