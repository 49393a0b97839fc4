//! What the mock model answers: one [`Reply`] per request, in order. The same
//! script drives every wire format, so one scenario tests every provider.
//! A script file for the standalone server is `{"replies":[Reply, ...]}`
//! with `repeat_last` and `keep_alive` optional ([`ScriptFile`]).

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    pub replies: Vec<Reply>,
    /// Answer every request past the end of `replies` with the last reply
    /// instead of an error (for benchmarks that loop).
    #[serde(default)]
    pub repeat_last: bool,
}

/// A script file for the standalone server: the [`Script`], and whether the
/// server keeps connections open between requests (see
/// `MockServer::start_keep_alive`; by default each response closes its
/// connection).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptFile {
    pub replies: Vec<Reply>,
    #[serde(default)]
    pub repeat_last: bool,
    #[serde(default)]
    pub keep_alive: bool,
}

impl ScriptFile {
    /// The script, and the keep-alive setting.
    pub fn split(self) -> (Script, bool) {
        let script = Script {
            replies: self.replies,
            repeat_last: self.repeat_last,
        };
        (script, self.keep_alive)
    }
}

/// One model reply. Text, reasoning and tool-call arguments are split into
/// pieces of `chunk` characters, one wire event each, so clients must
/// assemble fragments.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub reasoning: String,
    /// The signature of the reasoning, in the format's field for it: an
    /// Anthropic thinking signature, OpenAI Responses encrypted_content, a
    /// Gemini thoughtSignature (on the first tool call part, else the last
    /// text part), OpenRouter reasoning_details signature.
    #[serde(default)]
    pub signature: Option<String>,
    #[serde(default)]
    pub tool_calls: Vec<Call>,
    #[serde(default)]
    pub usage: Usage,
    /// `end`, `length` or `tool_calls`; by default `tool_calls` when there
    /// are calls, else `end`. Rendered as the format's own reason.
    #[serde(default)]
    pub stop: Option<String>,
    /// Characters per piece; 0 sends each piece whole.
    #[serde(default = "default_chunk")]
    pub chunk: usize,
    /// Pause between events, in milliseconds.
    #[serde(default)]
    pub delay_ms: u64,
    #[serde(default)]
    pub fault: Option<Fault>,
    /// The model id the reply claims; defaults to the requested one.
    #[serde(default)]
    pub model: Option<String>,
}

fn default_chunk() -> usize {
    3
}

impl Default for Reply {
    fn default() -> Reply {
        Reply {
            text: String::new(),
            reasoning: String::new(),
            signature: None,
            tool_calls: Vec::new(),
            usage: Usage::default(),
            stop: None,
            chunk: default_chunk(),
            delay_ms: 0,
            fault: None,
            model: None,
        }
    }
}

impl Reply {
    /// A plain text reply.
    pub fn text(t: &str) -> Reply {
        Reply {
            text: t.into(),
            ..Reply::default()
        }
    }

    /// The model id the reply claims: its own `model`, else the one
    /// `request` (the request's JSON body) asked for, else `mock`.
    pub fn model_for(&self, request: &Value) -> String {
        self.model
            .clone()
            .or_else(|| request["model"].as_str().map(str::to_string))
            .unwrap_or_else(|| "mock".into())
    }

    /// The normalized stop reason this reply ends with.
    pub fn stop_reason(&self) -> &str {
        match &self.stop {
            Some(s) => s,
            None if !self.tool_calls.is_empty() => "tool_calls",
            None => "end",
        }
    }

    /// `s` cut into pieces of `chunk` characters (never inside a char).
    pub fn pieces<'a>(&self, s: &'a str) -> Vec<&'a str> {
        if s.is_empty() {
            return Vec::new();
        }
        if self.chunk == 0 {
            return vec![s];
        }
        let mut out = Vec::new();
        let mut start = 0;
        for (n, (i, _)) in s.char_indices().enumerate() {
            if n > 0 && n % self.chunk == 0 {
                out.push(&s[start..i]);
                start = i;
            }
        }
        out.push(&s[start..]);
        out
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Call {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub arguments: Value,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Usage {
    #[serde(default)]
    pub input: u64,
    #[serde(default)]
    pub output: u64,
    #[serde(default)]
    pub cache_read: u64,
    #[serde(default)]
    pub cache_write: u64,
    #[serde(default)]
    pub reasoning: u64,
}

/// A failure the server acts out instead of, or in the middle of, a reply.
/// `after` counts rendered events sent before the fault.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// An HTTP error response (429, 500, 529, 401...) with the format's
    /// error body (or `body`), and a Retry-After header when given.
    Status {
        status: u16,
        #[serde(default)]
        retry_after: Option<String>,
        #[serde(default)]
        body: Option<String>,
    },
    /// Close the connection after `after` events, without the terminal one.
    Disconnect { after: usize },
    /// Send an event whose data is not valid JSON after `after` events.
    Malformed { after: usize },
    /// Pause `pause_ms` before event `after` (an idle gap in the stream).
    Drip { after: usize, pause_ms: u64 },
    /// The format's in-stream error event after `after` events, then end.
    StreamError { after: usize, message: String },
    /// Read the request and answer nothing until the client gives up.
    Hang,
    /// Read the request and close the connection without a word: a server
    /// that closed an idle keep-alive connection just as the request came.
    Close,
    /// Answer in full, then close the connection even when the server keeps
    /// connections open: a server whose idle timeout ended it before the
    /// next request.
    CloseAfterReply,
    /// Send every event, the terminal one too, but not the end of the body,
    /// and hold the connection until the client closes it: a server that
    /// keeps a stream open after it is over.
    HoldOpen,
}
