//! Ollama's native chat API (`POST {base}/api/chat`, streamed as NDJSON).
//!
//! Each line is a whole JSON object: message pieces (`content`, `thinking`)
//! while `done` is false, tool calls arriving whole with their arguments as
//! an object, and a last line with `done: true`, the stop reason and the
//! token counts. An error is a line `{"error": "..."}`, possibly after an
//! HTTP 200. Ollama's OpenAI-compatible `/v1` endpoint is the openai-chat
//! format, not this one.

use super::{CallOptions, Decoder, Flow, Framing, Request, StreamError, Thinking, Wire};
use crate::assemble::Assembler;
use crate::conversation::{Conversation, Message};
use crate::framing::SseEvent;
use serde_json::{Map, Value, json};
use zerostack::config::ProviderKind;
use zerostack::error::Error;
use zerostack::protocol::{Assistant, Block, StopReason};

pub struct Ollama;

impl Wire for Ollama {
    fn build(&self, conv: &Conversation, opts: &CallOptions) -> Result<Request, Error> {
        super::require_base_url(opts)?;
        // Ollama itself takes no key; a proxy in front of it may.
        let headers = super::bearer_auth(opts);
        let body = body(conv, opts);
        let options = body.get("options").cloned();
        let mut req = super::request(opts, "api/chat", headers, body);
        // An `options` object in extra_body (num_ctx, temperature...) would
        // replace ours whole; keep our keys it does not set.
        if let (Some(Value::Object(ours)), Some(Value::Object(merged))) =
            (options, req.body.get_mut("options"))
        {
            for (k, v) in ours {
                merged.entry(k).or_insert(v);
            }
        }
        Ok(req)
    }

    fn framing(&self) -> Framing {
        Framing::Ndjson
    }

    fn decoder(&self) -> Box<dyn Decoder> {
        Box::new(OllamaDecoder::default())
    }
}

/// The request body, before `extra_body` is merged in.
fn body(conv: &Conversation, opts: &CallOptions) -> Value {
    let mut messages = Vec::new();
    if let Some(system) = &conv.system {
        messages.push(json!({"role": "system", "content": system}));
    }
    for m in &conv.messages {
        match m {
            Message::User(text) => messages.push(json!({"role": "user", "content": text})),
            Message::Assistant(a) => messages.push(assistant_message(a)),
            Message::ToolResult(r) => messages.push(json!({
                "role": "tool",
                "tool_name": r.name,
                "content": r.content,
            })),
        }
    }
    let mut body = Map::new();
    body.insert("model".into(), json!(opts.model));
    body.insert("messages".into(), Value::Array(messages));
    if !conv.tools.is_empty() {
        body.insert("tools".into(), super::function_tools(&conv.tools));
    }
    body.insert("stream".into(), json!(true));
    if let Some(t) = opts.thinking {
        body.insert("think".into(), think(t, &opts.model));
    }
    if let Some(n) = opts.max_tokens {
        body.insert("options".into(), json!({"num_predict": n}));
    }
    Value::Object(body)
}

/// The `think` value. gpt-oss ignores true/false and takes a level; it
/// cannot stop reasoning, so "off" asks for the least.
fn think(t: Thinking, model: &str) -> Value {
    if model.to_ascii_lowercase().contains("gpt-oss") {
        match t {
            Thinking::Off | Thinking::Low => json!("low"),
            Thinking::Medium => json!("medium"),
            Thinking::High => json!("high"),
        }
    } else {
        json!(t != Thinking::Off)
    }
}

/// One assistant message: its text joined, its reasoning as `thinking` when
/// it came from Ollama (another model's reasoning is not this one's), and
/// its tool calls with object arguments.
fn assistant_message(a: &Assistant) -> Value {
    let ours = a.api.as_deref() == Some(ProviderKind::Ollama.as_str());
    let mut content = String::new();
    let mut thinking = String::new();
    let mut calls = Vec::new();
    for block in &a.content {
        match block {
            Block::Text(t) => content.push_str(&t.text),
            Block::Reasoning(r) if ours => thinking.push_str(&r.text),
            Block::Reasoning(_) => {}
            Block::ToolCall(c) => calls.push(json!({
                "function": {"name": c.name, "arguments": arguments_object(&c.arguments)},
            })),
        }
    }
    let mut m = Map::new();
    m.insert("role".into(), json!("assistant"));
    m.insert("content".into(), json!(content));
    if !thinking.is_empty() {
        m.insert("thinking".into(), json!(thinking));
    }
    if !calls.is_empty() {
        m.insert("tool_calls".into(), Value::Array(calls));
    }
    Value::Object(m)
}

/// Ollama takes arguments only as an object. Arguments the model produced
/// as text that is not a JSON object are sent as `{}`: Ollama would refuse
/// the whole request otherwise, and the tool result already says what was
/// wrong with them.
fn arguments_object(args: &Value) -> Value {
    match args {
        Value::Object(_) => args.clone(),
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(v @ Value::Object(_)) => v,
            _ => json!({}),
        },
        _ => json!({}),
    }
}

#[derive(Debug, Default)]
struct OllamaDecoder {
    done: bool,
}

impl Decoder for OllamaDecoder {
    fn event(&mut self, ev: &SseEvent, out: &mut Assembler) -> Result<Flow, StreamError> {
        let v: Value = serde_json::from_str(&ev.data)
            .map_err(|e| StreamError(format!("malformed line from the provider: {e}")))?;
        if !v.is_object() {
            return Err(StreamError(
                "malformed line from the provider: not a JSON object".into(),
            ));
        }
        if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
            self.done = true;
            let msg = match err {
                Value::String(s) => s.clone(),
                e => e
                    .get("message")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| e.to_string()),
            };
            return Err(StreamError(msg));
        }
        if let Some(m) = v.get("model").and_then(Value::as_str) {
            out.model = Some(m.to_string());
        }
        if let Some(msg) = v.get("message") {
            if let Some(t) = msg.get("thinking").and_then(Value::as_str) {
                out.reasoning(t);
            }
            if let Some(t) = msg.get("content").and_then(Value::as_str) {
                out.text(t);
            }
            for call in msg
                .get("tool_calls")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let f = call.get("function").unwrap_or(&Value::Null);
                let name = f.get("name").and_then(Value::as_str).unwrap_or("");
                let args = match f.get("arguments") {
                    None | Some(Value::Null) => json!({}),
                    // Some servers in front of Ollama send the OpenAI shape.
                    Some(Value::String(s)) => {
                        serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone()))
                    }
                    Some(a) => a.clone(),
                };
                let id = call
                    .get("id")
                    .or_else(|| f.get("id"))
                    .and_then(Value::as_str);
                out.tool_call_whole(id, name, args, None);
            }
        }
        if v.get("done").and_then(Value::as_bool) != Some(true) {
            return Ok(Flow::More);
        }
        self.done = true;
        if let Some(reason) = v.get("done_reason").and_then(Value::as_str) {
            let stop = match reason {
                "stop" => StopReason::End,
                "length" => StopReason::Length,
                _ => StopReason::Error,
            };
            out.stop(reason, stop);
        }
        let n = |f: &str| v.get(f).and_then(Value::as_u64).unwrap_or(0);
        out.usage.input = n("prompt_eval_count");
        out.usage.output = n("eval_count");
        Ok(Flow::Done)
    }

    fn end(&mut self, _out: &mut Assembler) -> Result<(), StreamError> {
        if self.done {
            Ok(())
        } else {
            Err(StreamError(
                "the stream ended before its last line (done: true)".into(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{conv, opts, run};
    use zerostack::protocol::{Delta, Event, Reasoning, ToolCall, Usage};

    fn decode(body: &str) -> (Result<(), StreamError>, Vec<Event>, Assistant) {
        let r = run(&Ollama, body);
        (r.result, r.deltas, r.msg)
    }

    fn lines(vs: &[Value]) -> String {
        vs.iter().map(|v| format!("{v}\n")).collect()
    }

    fn piece(content: &str, thinking: Option<&str>) -> Value {
        let mut m = json!({"role":"assistant","content":content});
        if let Some(t) = thinking {
            m["thinking"] = json!(t);
        }
        json!({"model":"qwen3","created_at":"2026-11-20T10:00:00.1Z","message":m,"done":false})
    }

    fn last(reason: &str) -> Value {
        json!({"model":"qwen3","created_at":"2026-11-20T10:00:00.5Z","message":{"role":"assistant","content":""},"done":true,"done_reason":reason,"total_duration":512000000,"load_duration":1000000,"prompt_eval_count":42,"prompt_eval_duration":90000000,"eval_count":17,"eval_duration":300000000})
    }

    #[test]
    fn the_reference_fixture_gives_thinking_and_a_whole_call() {
        let body = lines(&[
            piece("", Some("User wants a.txt.")),
            json!({"model":"qwen3","created_at":"2026-11-20T10:00:00.4Z","message":{"role":"assistant","content":"","tool_calls":[{"function":{"index":0,"name":"read_file","arguments":{"path":"a.txt"}}}]},"done":false}),
            last("stop"),
        ]);
        let (res, deltas, m) = decode(&body);
        res.unwrap();
        assert_eq!(
            deltas,
            vec![Event::ReasoningDelta(Delta {
                text: "User wants a.txt.".into()
            })]
        );
        assert_eq!(
            m.content,
            vec![
                Block::Reasoning(Reasoning {
                    text: "User wants a.txt.".into(),
                    ..Reasoning::default()
                }),
                Block::ToolCall(ToolCall {
                    id: "call_1".into(),
                    name: "read_file".into(),
                    arguments: json!({"path":"a.txt"}),
                    signature: None,
                }),
            ]
        );
        assert_eq!(
            m.stop,
            StopReason::ToolCalls,
            "done_reason stop with a call"
        );
        assert_eq!(m.provider_stop.as_deref(), Some("stop"));
        assert_eq!(
            m.usage,
            Usage {
                input: 42,
                output: 17,
                ..Usage::default()
            }
        );
        assert_eq!(m.model.as_deref(), Some("qwen3"));
    }

    #[test]
    fn thinking_then_text_in_pieces_and_calls_with_ids_in_one_line() {
        let body = lines(&[
            piece("", Some("Hm")),
            piece("", Some("m.")),
            piece("Two ", None),
            piece("calls.", None),
            json!({"model":"qwen3","message":{"role":"assistant","content":"","tool_calls":[
                {"id":"call_x","function":{"index":0,"name":"read","arguments":{"path":"a"}}},
                {"function":{"index":1,"name":"list","arguments":{}}},
                {"function":{"name":"bash","arguments":"{\"command\":\"ls\"}"}},
            ]},"done":false}),
            last("stop"),
        ]);
        let (res, deltas, m) = decode(&body);
        res.unwrap();
        assert_eq!(deltas.len(), 4);
        assert_eq!(
            deltas[2],
            Event::TextDelta(Delta {
                text: "Two ".into()
            })
        );
        assert_eq!(m.text(), "Two calls.");
        let calls: Vec<_> = m
            .tool_calls()
            .map(|c| (c.id.as_str(), c.name.as_str(), c.arguments.clone()))
            .collect();
        assert_eq!(
            calls,
            vec![
                ("call_x", "read", json!({"path":"a"})),
                ("call_1", "list", json!({})),
                ("call_2", "bash", json!({"command":"ls"})),
            ]
        );
    }

    #[test]
    fn done_reasons_map_to_stop_reasons() {
        for (reason, stop) in [
            ("stop", StopReason::End),
            ("length", StopReason::Length),
            ("load", StopReason::Error),
        ] {
            let (res, _, m) = decode(&lines(&[piece("x", None), last(reason)]));
            res.unwrap();
            assert_eq!(m.stop, stop, "{reason}");
            assert_eq!(m.provider_stop.as_deref(), Some(reason));
        }
        // No done_reason at all (older servers): the assembler decides.
        let (res, _, m) = decode("{\"message\":{\"content\":\"x\"},\"done\":true}\n");
        res.unwrap();
        assert_eq!((m.stop, m.provider_stop), (StopReason::End, None));
    }

    #[test]
    fn an_error_line_after_partial_output_is_a_stream_error() {
        let mut body = lines(&[piece("Part", None)]);
        body.push_str("{\"error\":\"model runner has unexpectedly stopped\"}\n");
        let (res, deltas, m) = decode(&body);
        assert_eq!(
            res.unwrap_err(),
            StreamError("model runner has unexpectedly stopped".into())
        );
        assert_eq!(deltas.len(), 1);
        assert_eq!(m.text(), "Part");
        let (res, _, _) = decode("{\"error\":{\"message\":\"nested\"}}\n");
        assert_eq!(res.unwrap_err(), StreamError("nested".into()));
    }

    #[test]
    fn truncation_and_garbage_are_stream_errors() {
        let (res, _, m) = decode(&lines(&[piece("cut", None)]));
        assert!(res.unwrap_err().0.contains("done: true"));
        assert_eq!(m.text(), "cut");
        let (res, _, _) = decode("{\"message\": {\"content\": \"unterminated\n");
        assert!(res.unwrap_err().0.contains("malformed"));
        let (res, _, _) = decode("[1,2]\n");
        assert!(res.unwrap_err().0.contains("not a JSON object"));
    }

    // Request building.

    #[test]
    fn the_request_carries_messages_tools_think_and_options() {
        let c = conv(&[
            r#"{"type":"system","text":"Be brief."}"#,
            r#"{"type":"tools","tools":[{"name":"read","description":"Read a file","parameters":{"type":"object","properties":{"path":{"type":"string"}}}}]}"#,
            r#"{"type":"user","text":"read a.txt"}"#,
            r#"{"type":"assistant","api":"ollama","content":[{"type":"reasoning","text":"Need "},{"type":"reasoning","text":"it."},{"type":"text","text":"Reading."},{"type":"tool_call","id":"call_1","name":"read","arguments":{"path":"a.txt"}},{"type":"tool_call","id":"call_2","name":"read","arguments":"{\"path\": oops"}],"stop":"tool_calls"}"#,
            r#"{"type":"tool_result","call_id":"call_1","name":"read","content":"hello\n"}"#,
            r#"{"type":"tool_result","call_id":"call_2","name":"read","content":"bad arguments","is_error":true}"#,
            "thanks",
        ]);
        let mut o = opts("{}", "ollama", "qwen3:8b");
        o.max_tokens = Some(512);
        o.thinking = Some(Thinking::High);
        let req = Ollama.build(&c, &o).unwrap();
        assert_eq!(req.url, "http://localhost:11434/api/chat");
        assert!(!req.headers.iter().any(|(k, _)| k == "Authorization"));
        let want = json!({
            "model": "qwen3:8b",
            "messages": [
                {"role":"system","content":"Be brief."},
                {"role":"user","content":"read a.txt"},
                {"role":"assistant","content":"Reading.","thinking":"Need it.","tool_calls":[
                    {"function":{"name":"read","arguments":{"path":"a.txt"}}},
                    {"function":{"name":"read","arguments":{}}},
                ]},
                {"role":"tool","tool_name":"read","content":"hello\n"},
                {"role":"tool","tool_name":"read","content":"bad arguments"},
                {"role":"user","content":"thanks"},
            ],
            "tools": [{"type":"function","function":{"name":"read","description":"Read a file","parameters":{"type":"object","properties":{"path":{"type":"string"}}}}}],
            "stream": true,
            "think": true,
            "options": {"num_predict": 512},
        });
        assert_eq!(req.body, want);
    }

    #[test]
    fn think_is_a_level_for_gpt_oss_and_absent_without_the_option() {
        let c = conv(&["hi"]);
        let req = Ollama.build(&c, &opts("{}", "ollama", "llama3.2")).unwrap();
        assert_eq!(
            req.body,
            json!({"model":"llama3.2","messages":[{"role":"user","content":"hi"}],"stream":true})
        );
        let cases = [
            ("qwen3", Thinking::Off, json!(false)),
            ("qwen3", Thinking::Low, json!(true)),
            ("gpt-oss:20b", Thinking::Off, json!("low")),
            ("gpt-oss:20b", Thinking::Medium, json!("medium")),
            ("gpt-oss:120b", Thinking::High, json!("high")),
        ];
        for (model, t, want) in cases {
            let mut o = opts("{}", "ollama", model);
            o.thinking = Some(t);
            let req = Ollama.build(&c, &o).unwrap();
            assert_eq!(req.body["think"], want, "{model} {t:?}");
        }
    }

    #[test]
    fn foreign_reasoning_is_dropped() {
        let c = conv(&[
            "q",
            r#"{"type":"assistant","api":"anthropic","content":[{"type":"reasoning","text":"t","signature":"s"},{"type":"text","text":"a"}],"stop":"end"}"#,
            "again",
        ]);
        let req = Ollama.build(&c, &opts("{}", "ollama", "qwen3")).unwrap();
        assert_eq!(
            req.body["messages"][1],
            json!({"role":"assistant","content":"a"})
        );
    }

    #[test]
    fn a_key_headers_and_extra_body_options_merge() {
        let config = r#"{"providers":{"ollama":{"base_url":"http://gpu:11434/","headers":{"x-a":"1"},"extra_body":{"keep_alive":"1h","options":{"num_ctx":32768,"num_predict":99}}}}}"#;
        let mut o = opts(config, "ollama", "qwen3");
        o.api_key = Some("secret".into());
        o.max_tokens = Some(512);
        let req = Ollama.build(&conv(&["hi"]), &o).unwrap();
        assert_eq!(req.url, "http://gpu:11434/api/chat");
        assert!(
            req.headers
                .contains(&("Authorization".into(), "Bearer secret".into()))
        );
        assert!(req.headers.contains(&("x-a".into(), "1".into())));
        assert_eq!(req.body["keep_alive"], "1h");
        assert_eq!(
            req.body["options"],
            json!({"num_ctx":32768,"num_predict":99}),
            "config wins key by key, and keeps ours it does not set"
        );
        // Without extra_body options of the same name, ours are kept.
        let mut o2 = o.clone();
        o2.max_tokens = Some(7);
        let cfg2 = r#"{"providers":{"ollama":{"extra_body":{"options":{"num_ctx":8192}}}}}"#;
        o2.provider = opts(cfg2, "ollama", "qwen3").provider;
        let req = Ollama.build(&conv(&["hi"]), &o2).unwrap();
        assert_eq!(req.body["options"], json!({"num_ctx":8192,"num_predict":7}));
    }
}
