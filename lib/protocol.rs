//! The NDJSON protocol every `zs-*` binary speaks on stdin and stdout.
//!
//! One JSON object per line, UTF-8, `\n`-terminated, tagged by `type`. A stage
//! forwards every line whose `type` it does not consume, unchanged and in
//! order, so new event kinds flow through old stages. Structs keep fields they
//! do not know in `extra`, so a line that is parsed and written again loses
//! nothing. The catalogue is documented in docs/protocol.md and
//! zerostack-protocol(7); this file and those two move together.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The protocol version, written in session headers and checked on read.
/// Adding a type or an optional field keeps the version; changing the meaning
/// of an existing one bumps it.
pub const VERSION: u32 = 1;

/// The `type` of the transient line that closes one round of the turn loop
/// when the stages stay up across rounds (docs/protocol.md, "Rounds"):
/// `zs-session context --follow` ends each context with it, zs-chat makes
/// its call there and passes it on after the reply, zs-perm and zs-tool pass
/// it on once everything before it is answered, and `zs-session record`
/// syncs the round and reports its state there.
pub const ROUND_END: &str = "round_end";

/// The `round_end` line as `zs-session context --follow` writes it.
pub const ROUND_END_LINE: &str = r#"{"type":"round_end"}"#;

/// Every event of the protocol. Persistent types are stored in sessions;
/// transient ones (deltas, permission, retry, error, status) are not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// First line of a session file: id and protocol version.
    Session(SessionHeader),
    /// The system prompt of a conversation (input to zs-chat).
    System(System),
    /// The tool list offered to the model (input to zs-chat; `zs-tool schema`).
    Tools(Tools),
    /// A user message.
    User(User),
    /// One whole model reply, written by zs-chat after its deltas.
    Assistant(Assistant),
    /// The result of one tool call, written by zs-tool.
    ToolResult(ToolResult),
    /// A summary that replaces the messages before it in the context.
    Compaction(Compaction),
    /// New assistant text while streaming (only the new part).
    TextDelta(Delta),
    /// New reasoning text while streaming (only the new part).
    ReasoningDelta(Delta),
    /// Output of a running tool (only the new part).
    ToolOutput(ToolOutput),
    /// zs-perm's decision on one tool call.
    Permission(Permission),
    /// A stage is about to retry a failed request.
    Retry(Retry),
    /// Something failed; `fatal` says the sender is about to exit non-zero.
    Error(ErrorEvent),
    /// Free-form progress from a stage.
    Status(Status),
}

/// Names of the persistent types, the ones a session stores.
pub const PERSISTENT_TYPES: &[&str] = &[
    "session",
    "system",
    "tools",
    "user",
    "assistant",
    "tool_result",
    "compaction",
    "session_meta",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionHeader {
    pub version: u32,
    pub id: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct System {
    pub text: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tools {
    pub tools: Vec<ToolSpec>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One tool as the model sees it: a name, a description and a JSON Schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// JSON Schema of the arguments object.
    #[serde(default = "empty_object_schema")]
    pub parameters: Value,
}

fn empty_object_schema() -> Value {
    serde_json::json!({"type": "object", "properties": {}})
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub text: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A whole assistant message: content blocks in the order the model produced
/// them, why it stopped, and what it cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assistant {
    pub content: Vec<Block>,
    pub stop: StopReason,
    /// The provider's own stop reason, verbatim (`end_turn`, `STOP`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_stop: Option<String>,
    #[serde(default)]
    pub usage: Usage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The provider's configured name (`openrouter`, `anthropic`, a custom name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The wire format spoken (`openai-chat`, `anthropic`, ...). Signatures and
    /// encrypted reasoning are only sent back to the same kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Assistant {
    /// The tool calls of this message, in order.
    pub fn tool_calls(&self) -> impl Iterator<Item = &ToolCall> {
        self.content.iter().filter_map(|b| match b {
            Block::ToolCall(c) => Some(c),
            _ => None,
        })
    }

    /// All text blocks joined, without reasoning.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for b in &self.content {
            if let Block::Text(t) = b {
                s.push_str(&t.text);
            }
        }
        s
    }
}

/// A content block of an assistant message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Text(Text),
    Reasoning(Reasoning),
    ToolCall(ToolCall),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Text {
    pub text: String,
    /// Gemini's thoughtSignature when it rides on a text part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// Reasoning, with whatever the provider needs to accept it back.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reasoning {
    #[serde(default)]
    pub text: String,
    /// Anthropic's thinking signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// Anthropic's redacted_thinking data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redacted: Option<String>,
    /// OpenAI Responses' encrypted_content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<String>,
    /// The provider's id for this reasoning item (OpenAI Responses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// OpenRouter's reasoning_details, verbatim, to be echoed back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

/// A tool call. `arguments` is the JSON object the model produced; when the
/// model produced text that is not JSON, it is that text as a JSON string, so
/// the tool stage can say exactly what was wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: Value,
    /// Gemini's thoughtSignature on a functionCall part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// Why the model stopped, normalized across providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The model finished its answer.
    End,
    /// The model wants tool results before it goes on.
    ToolCalls,
    /// The output token limit was reached.
    Length,
    /// The request was cancelled (SIGINT or a cancel message).
    Interrupted,
    /// The provider refused, failed or the stream broke; see the `error` event.
    Error,
}

/// Token counts of one model call. `input` counts every input token, cached
/// or not; `cache_read` and `cache_write` are the parts of it served from or
/// written to the provider's prompt cache. `reasoning` is part of `output`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
    /// Cost in USD when the provider reports it (OpenRouter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolResult {
    pub call_id: String,
    pub name: String,
    pub content: String,
    #[serde(default)]
    pub is_error: bool,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Compaction {
    pub summary: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolOutput {
    pub call_id: String,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allow,
    Deny,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Permission {
    pub call_id: String,
    pub decision: Decision,
    /// Who decided: `mode`, `rule`, `user`, `allowlist`, `policy`, `flag`,
    /// `doom_loop` (docs/permissions.md).
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Retry {
    pub source: String,
    /// The attempt about to be made, from 2.
    pub attempt: u32,
    pub max_attempts: u32,
    pub delay_ms: u64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorEvent {
    /// The stage that failed (`zs-chat`, ...).
    pub source: String,
    pub message: String,
    pub fatal: bool,
    /// The input line the error is about, counted from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// A machine-readable class: `input`, `usage`, `auth`, `upstream`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub source: String,
    pub message: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Reads only the `type` of a line, without building the whole value.
#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(borrow, rename = "type")]
    kind: Option<std::borrow::Cow<'a, str>>,
}

/// The `type` of a JSON object line, or why it has none: not JSON, not an
/// object, or no string `type`.
pub fn line_type(line: &str) -> Result<String, String> {
    match serde_json::from_str::<Probe>(line) {
        Ok(Probe { kind: Some(k) }) => Ok(k.into_owned()),
        Ok(Probe { kind: None }) => Err("object has no \"type\" field".into()),
        Err(e) => Err(format!("not a JSON object: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_survive_a_round_trip() {
        let line = r#"{"type":"user","text":"hi","images":[1,2],"x":{"y":true}}"#;
        let ev: Event = serde_json::from_str(line).unwrap();
        let back: Value = serde_json::to_value(&ev).unwrap();
        assert_eq!(back, serde_json::from_str::<Value>(line).unwrap());
    }

    #[test]
    fn assistant_blocks_are_tagged_by_type() {
        let line = r#"{"type":"assistant","content":[{"type":"reasoning","text":"t","signature":"s"},{"type":"text","text":"a"},{"type":"tool_call","id":"c1","name":"read","arguments":{"path":"x"}}],"stop":"tool_calls","usage":{"input":3,"output":4,"cache_read":0,"cache_write":0,"reasoning":1}}"#;
        let Event::Assistant(a) = serde_json::from_str(line).unwrap() else {
            panic!("not an assistant")
        };
        assert_eq!(a.stop, StopReason::ToolCalls);
        assert_eq!(a.tool_calls().count(), 1);
        assert_eq!(a.text(), "a");
        let back = serde_json::to_string(&Event::Assistant(a)).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&back).unwrap(),
            serde_json::from_str::<Value>(line).unwrap()
        );
    }

    #[test]
    fn line_type_reads_the_tag_only() {
        assert_eq!(line_type(r#"{"type":"x","big":[1,2,3]}"#).unwrap(), "x");
        assert!(line_type(r#"{"kind":"x"}"#).is_err());
        assert!(line_type("[1]").is_err());
        assert!(line_type("hello").is_err());
        // An escaped tag still reads (Cow falls back to an owned string).
        assert_eq!(line_type(r#"{"type":"a\u0062"}"#).unwrap(), "ab");
    }
}
