//! One module per wire format. Each turns a [`Conversation`] into the HTTP
//! request its provider expects and decodes the provider's stream into an
//! [`Assembler`]. Everything else (HTTP, retries, timeouts, cancel, framing,
//! writing events) is shared and lives outside this folder.

pub mod anthropic;
pub mod gemini;
pub mod ollama;
pub mod openai_chat;
pub mod openai_responses;
#[cfg(test)]
pub(crate) mod testing;
pub mod thinking;

use crate::assemble::Assembler;
use crate::conversation::Conversation;
use crate::framing::SseEvent;
use serde_json::{Value, json};
use zerostack::config::{Provider, ProviderKind};
use zerostack::error::Error;
use zerostack::protocol::ToolSpec;

/// A request ready to send: POST `url` with `headers` and a JSON `body`.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: serde_json::Value,
}

/// How the response body is cut into events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Sse,
    Ndjson,
}

/// The `--thinking` levels. `None` in [`CallOptions::thinking`] means the
/// flag was not given (or was dropped because the model has no such
/// parameter): send nothing and let the provider decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Thinking {
    Off,
    Low,
    Medium,
    High,
}

impl Thinking {
    pub fn as_str(self) -> &'static str {
        match self {
            Thinking::Off => "off",
            Thinking::Low => "low",
            Thinking::Medium => "medium",
            Thinking::High => "high",
        }
    }
}

/// Everything decided before the request is built.
#[derive(Debug, Clone)]
pub struct CallOptions {
    pub provider: Provider,
    pub model: String,
    /// None when the provider takes no key or an optional one is unset.
    pub api_key: Option<String>,
    /// Output token limit, when one was asked for or configured.
    pub max_tokens: Option<u64>,
    pub thinking: Option<Thinking>,
}

/// A failure inside the stream: the provider's error event, a malformed
/// event, or a stream that ended before its terminal event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamError(pub String);

/// What the decoder wants after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Keep reading.
    More,
    /// The terminal event was seen; stop reading.
    Done,
}

pub trait Wire {
    /// The request for `conv`. Errors are usage errors (a base URL missing)
    /// or input errors (something the format cannot carry).
    fn build(&self, conv: &Conversation, opts: &CallOptions) -> Result<Request, Error>;
    fn framing(&self) -> Framing;
    fn decoder(&self) -> Box<dyn Decoder>;
}

pub trait Decoder {
    /// One event: an SSE event, or for NDJSON framing one line as `data`.
    fn event(&mut self, ev: &SseEvent, out: &mut Assembler) -> Result<Flow, StreamError>;
    /// The body ended. Ok when the terminal event had been seen, or when the
    /// format has none and the stream is complete; Err for a truncation.
    fn end(&mut self, out: &mut Assembler) -> Result<(), StreamError>;
}

/// The wire format of a provider kind.
pub fn wire(kind: ProviderKind) -> Box<dyn Wire> {
    match kind {
        ProviderKind::OpenaiChat => Box::new(openai_chat::OpenaiChat),
        ProviderKind::OpenaiResponses => Box::new(openai_responses::OpenaiResponses),
        ProviderKind::Anthropic => Box::new(anthropic::Anthropic),
        ProviderKind::Gemini => Box::new(gemini::Gemini),
        ProviderKind::Ollama => Box::new(ollama::Ollama),
    }
}

/// `base` and `path` joined with exactly one slash.
pub fn join_url(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// The usage error of a provider without a base URL, before anything is
/// built.
pub fn require_base_url(opts: &CallOptions) -> Result<(), Error> {
    if opts.provider.base_url.trim().is_empty() {
        return Err(Error::usage(format!(
            "provider '{}' has no base_url",
            opts.provider.name
        )));
    }
    Ok(())
}

/// `Authorization: Bearer {key}` when there is a key (the OpenAI-style
/// formats); no header without one.
pub fn bearer_auth(opts: &CallOptions) -> Vec<(String, String)> {
    opts.api_key
        .iter()
        .map(|key| ("Authorization".to_string(), format!("Bearer {key}")))
        .collect()
}

/// Tools as OpenAI-style function tools (Chat Completions, Ollama):
/// `{"type":"function","function":{name, description, parameters}}`.
pub fn function_tools(tools: &[ToolSpec]) -> Value {
    tools
        .iter()
        .map(|t| {
            json!({
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.parameters,
                },
            })
        })
        .collect()
}

/// The request to `path` under the provider's base URL, with the provider's
/// `extra_body` merged into `body` and its configured headers added to
/// `headers`. Content-Type and Accept are set by the HTTP layer.
pub fn request(
    opts: &CallOptions,
    path: &str,
    mut headers: Vec<(String, String)>,
    mut body: Value,
) -> Request {
    merge_extra_body(&mut body, opts);
    add_configured_headers(&mut headers, opts);
    Request {
        url: join_url(&opts.provider.base_url, path),
        headers,
        body,
    }
}

/// Merges the provider's `extra_body` into a request body (top level,
/// config wins).
fn merge_extra_body(body: &mut Value, opts: &CallOptions) {
    if let Value::Object(map) = body {
        for (k, v) in &opts.provider.extra_body {
            map.insert(k.clone(), v.clone());
        }
    }
}

/// Adds the provider's configured headers (`Provider::expanded_headers`);
/// one with the name of a header already there replaces it (names compare
/// without case), so a config can change any header zerostack sets.
fn add_configured_headers(headers: &mut Vec<(String, String)>, opts: &CallOptions) {
    for (k, v) in opts.provider.expanded_headers() {
        headers.retain(|(h, _)| !h.eq_ignore_ascii_case(&k));
        headers.push((k, v));
    }
}
