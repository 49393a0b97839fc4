//! Rendering a [`Reply`] in each provider's wire format. A renderer returns
//! the body as a list of events, each already framed (an SSE event with its
//! blank line, or one NDJSON line), so the server can pace them, cut the
//! stream or slip a fault in between.

pub mod anthropic;
pub mod gemini;
pub mod ollama;
pub mod openai_chat;
pub mod openai_responses;

use crate::mock::script::Reply;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    OpenaiChat,
    OpenaiResponses,
    Anthropic,
    Gemini,
    Ollama,
}

impl Format {
    /// The format a request path asks for (the query string ignored).
    pub fn from_path(path: &str) -> Option<Format> {
        let p = path.split('?').next().unwrap_or(path);
        if p.ends_with("/chat/completions") {
            Some(Format::OpenaiChat)
        } else if p.ends_with("/responses") {
            Some(Format::OpenaiResponses)
        } else if p.ends_with("/messages") {
            Some(Format::Anthropic)
        } else if p.contains(":streamGenerateContent") {
            Some(Format::Gemini)
        } else if p.ends_with("/api/chat") {
            Some(Format::Ollama)
        } else {
            None
        }
    }

    /// The Content-Type of a streamed body.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Ollama => "application/x-ndjson",
            _ => "text/event-stream",
        }
    }
}

/// The events of `reply`, answering `request` (its JSON body).
pub fn render(format: Format, reply: &Reply, request: &Value) -> Vec<String> {
    match format {
        Format::OpenaiChat => openai_chat::render(reply, request),
        Format::OpenaiResponses => openai_responses::render(reply, request),
        Format::Anthropic => anthropic::render(reply, request),
        Format::Gemini => gemini::render(reply, request),
        Format::Ollama => ollama::render(reply, request),
    }
}

/// The format's in-stream error event.
pub fn stream_error(format: Format, message: &str) -> String {
    match format {
        Format::OpenaiChat => openai_chat::stream_error(message),
        Format::OpenaiResponses => openai_responses::stream_error(message),
        Format::Anthropic => anthropic::stream_error(message),
        Format::Gemini => gemini::stream_error(message),
        Format::Ollama => ollama::stream_error(message),
    }
}

/// An event whose data is not valid JSON, framed for the format.
pub fn malformed(format: Format) -> String {
    match format {
        Format::Ollama => "{\"message\": {\"content\": \"unterminated\n".into(),
        _ => "data: {\"choices\": [{\"delta\": \n\n".into(),
    }
}

/// The body of an HTTP error response in the format's error shape.
pub fn error_body(format: Format, status: u16, message: &str) -> String {
    match format {
        Format::OpenaiChat => openai_chat::error_body(status, message),
        Format::OpenaiResponses => openai_responses::error_body(status, message),
        Format::Anthropic => anthropic::error_body(status, message),
        Format::Gemini => gemini::error_body(status, message),
        Format::Ollama => ollama::error_body(status, message),
    }
}

/// `data: <json>` plus the blank line, as one SSE event.
pub fn sse_data(v: &Value) -> String {
    format!("data: {v}\n\n")
}

/// `event: <name>` and `data: <json>` plus the blank line.
pub fn sse_named(name: &str, v: &Value) -> String {
    format!("event: {name}\ndata: {v}\n\n")
}
