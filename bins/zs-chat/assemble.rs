//! Builds the `assistant` message from a provider's stream and queues the
//! deltas to write while it grows.
//!
//! Provider decoders speak to the assembler in the terms every wire format
//! shares: text, reasoning, tool calls opened by a key of the decoder's
//! choosing and fed argument fragments, usage, a stop reason. The assembler
//! keeps blocks in the order they began, writes only new text in deltas, and
//! parses tool arguments once, at the end. It does no I/O: the caller takes
//! the queued deltas after each event and writes them.

use std::collections::HashMap;
use zerostack::protocol::{
    Assistant, Block, Delta, Event, Reasoning, StopReason, Text, ToolCall, Usage,
};

#[derive(Debug, Default)]
pub struct Assembler {
    blocks: Vec<Block>,
    /// The block text and reasoning deltas append to, if still open.
    open: Option<usize>,
    /// Decoder key of a streamed tool call → its block.
    calls: HashMap<String, usize>,
    /// Block → the raw argument text received so far.
    args: HashMap<usize, String>,
    pub usage: Usage,
    pub model: Option<String>,
    stop: Option<(StopReason, String)>,
    pending: Vec<Event>,
    next_id: u32,
}

impl Assembler {
    pub fn new() -> Assembler {
        Assembler::default()
    }

    /// Appends assistant text and queues a `text_delta`.
    pub fn text(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        match self.open.and_then(|i| self.blocks.get_mut(i)) {
            Some(Block::Text(t)) => t.text.push_str(s),
            _ => {
                self.blocks.push(Block::Text(Text {
                    text: s.to_string(),
                    signature: None,
                }));
                self.open = Some(self.blocks.len() - 1);
            }
        }
        self.pending.push(Event::TextDelta(Delta {
            text: s.to_string(),
        }));
    }

    /// Sets the signature of the open text block (Gemini), opening an empty
    /// one if needed.
    pub fn text_signature(&mut self, sig: &str) {
        if !matches!(
            self.open.and_then(|i| self.blocks.get(i)),
            Some(Block::Text(_))
        ) {
            self.blocks.push(Block::Text(Text {
                text: String::new(),
                signature: None,
            }));
            self.open = Some(self.blocks.len() - 1);
        }
        if let Some(Block::Text(t)) = self.open.and_then(|i| self.blocks.get_mut(i)) {
            t.signature = Some(sig.to_string());
        }
    }

    /// Appends reasoning text and queues a `reasoning_delta`.
    pub fn reasoning(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        self.reasoning_block().text.push_str(s);
        self.pending.push(Event::ReasoningDelta(Delta {
            text: s.to_string(),
        }));
    }

    /// The open reasoning block, opened if needed, to set its signature,
    /// encrypted content, id or details.
    pub fn reasoning_block(&mut self) -> &mut Reasoning {
        if !matches!(
            self.open.and_then(|i| self.blocks.get(i)),
            Some(Block::Reasoning(_))
        ) {
            self.blocks.push(Block::Reasoning(Reasoning::default()));
            self.open = Some(self.blocks.len() - 1);
        }
        let i = self.blocks.len() - 1;
        match &mut self.blocks[self.open.unwrap_or(i)] {
            Block::Reasoning(r) => r,
            // Unreachable: the block at `open` was just made a reasoning one.
            _ => unreachable!("open block is reasoning"),
        }
    }

    /// Closes the open block: the next text or reasoning starts a new one.
    pub fn close(&mut self) {
        self.open = None;
    }

    /// Opens a streamed tool call under `key`; fragments follow through
    /// [`Assembler::tool_args`]. An empty `id` gets a generated one.
    pub fn tool_call(&mut self, key: &str, id: &str, name: &str) {
        let id = if id.is_empty() {
            self.fresh_id()
        } else {
            id.to_string()
        };
        self.blocks.push(Block::ToolCall(ToolCall {
            id,
            name: name.to_string(),
            arguments: serde_json::Value::Null,
            signature: None,
        }));
        let i = self.blocks.len() - 1;
        self.calls.insert(key.to_string(), i);
        self.args.insert(i, String::new());
        self.open = None;
    }

    /// Whether a tool call was opened under `key`.
    pub fn has_call(&self, key: &str) -> bool {
        self.calls.contains_key(key)
    }

    /// Appends an argument fragment to the call opened under `key`. Returns
    /// false when no call has that key.
    pub fn tool_args(&mut self, key: &str, fragment: &str) -> bool {
        match self.calls.get(key).and_then(|i| self.args.get_mut(i)) {
            Some(a) => {
                a.push_str(fragment);
                true
            }
            None => false,
        }
    }

    /// Replaces the arguments text of the call under `key` (for formats that
    /// send the full text at the end).
    pub fn tool_args_replace(&mut self, key: &str, whole: &str) -> bool {
        match self.calls.get(key).and_then(|i| self.args.get_mut(i)) {
            Some(a) => {
                *a = whole.to_string();
                true
            }
            None => false,
        }
    }

    /// Sets the name of the call under `key` if it had none yet.
    pub fn tool_name(&mut self, key: &str, name: &str) {
        if let Some(Block::ToolCall(c)) = self.calls.get(key).and_then(|i| self.blocks.get_mut(*i))
            && c.name.is_empty()
        {
            c.name = name.to_string();
        }
    }

    /// Adds a tool call that arrived whole (Gemini, Ollama).
    pub fn tool_call_whole(
        &mut self,
        id: Option<&str>,
        name: &str,
        arguments: serde_json::Value,
        signature: Option<&str>,
    ) {
        let id = match id {
            Some(i) if !i.is_empty() => i.to_string(),
            _ => self.fresh_id(),
        };
        self.blocks.push(Block::ToolCall(ToolCall {
            id,
            name: name.to_string(),
            arguments,
            signature: signature.map(str::to_string),
        }));
        self.open = None;
    }

    /// Records the provider's stop reason, verbatim and normalized.
    pub fn stop(&mut self, raw: &str, normalized: StopReason) {
        self.stop = Some((normalized, raw.to_string()));
    }

    /// Whether the model produced anything yet.
    pub fn has_content(&self) -> bool {
        !self.blocks.is_empty()
    }

    /// The deltas queued since the last call.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.pending)
    }

    fn fresh_id(&mut self) -> String {
        self.next_id += 1;
        format!("call_{}", self.next_id)
    }

    /// The finished message. `outcome` overrides the stop reason when the
    /// call was interrupted or failed. Argument texts are parsed here: empty
    /// is `{}`, JSON is kept as parsed, anything else stays a JSON string so
    /// the tool stage can report it.
    pub fn finish(mut self, outcome: Option<StopReason>) -> Assistant {
        for (i, raw) in std::mem::take(&mut self.args) {
            if let Some(Block::ToolCall(c)) = self.blocks.get_mut(i) {
                c.arguments = if raw.trim().is_empty() {
                    serde_json::Value::Object(Default::default())
                } else {
                    serde_json::from_str(&raw).unwrap_or(serde_json::Value::String(raw))
                };
            }
        }
        self.blocks.retain(|b| match b {
            Block::Text(t) => !t.text.is_empty() || t.signature.is_some(),
            _ => true,
        });
        let has_calls = self.blocks.iter().any(|b| matches!(b, Block::ToolCall(_)));
        let (stop, provider_stop) = match (outcome, self.stop) {
            (Some(o), s) => (o, s.map(|s| s.1)),
            // Some providers (Gemini, Ollama) say "stop" even with calls.
            (None, Some((StopReason::End, raw))) if has_calls => (StopReason::ToolCalls, Some(raw)),
            (None, Some((s, raw))) => (s, Some(raw)),
            (None, None) if has_calls => (StopReason::ToolCalls, None),
            (None, None) => (StopReason::End, None),
        };
        Assistant {
            content: self.blocks,
            stop,
            provider_stop,
            usage: self.usage,
            model: self.model,
            provider: None,
            api: None,
            extra: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_and_reasoning_grow_blocks_and_queue_only_new_text() {
        let mut a = Assembler::new();
        a.reasoning("thi");
        a.reasoning("nk");
        a.reasoning_block().signature = Some("sig".into());
        a.close();
        a.text("Hel");
        a.text("lo");
        let evs = a.take_events();
        assert_eq!(evs.len(), 4);
        assert_eq!(evs[3], Event::TextDelta(Delta { text: "lo".into() }));
        assert!(a.take_events().is_empty());
        let m = a.finish(None);
        assert_eq!(m.content.len(), 2);
        assert_eq!(m.text(), "Hello");
        match &m.content[0] {
            Block::Reasoning(r) => {
                assert_eq!(r.text, "think");
                assert_eq!(r.signature.as_deref(), Some("sig"));
            }
            b => panic!("{b:?}"),
        }
        assert_eq!(m.stop, StopReason::End);
    }

    #[test]
    fn interleaved_tool_call_fragments_are_assembled_by_key() {
        let mut a = Assembler::new();
        a.text("Let me look.");
        a.tool_call("0", "call_A", "read");
        a.tool_args("0", "{\"path\":");
        a.tool_call("1", "call_B", "list_dir");
        a.tool_args("1", "{\"path\":\".\"}");
        a.tool_args("0", "\"a.txt\"}");
        assert!(!a.tool_args("9", "x"));
        a.stop("stop", StopReason::End);
        let m = a.finish(None);
        let calls: Vec<_> = m.tool_calls().collect();
        assert_eq!(calls[0].arguments, json!({"path":"a.txt"}));
        assert_eq!(calls[1].arguments, json!({"path":"."}));
        assert_eq!(
            m.stop,
            StopReason::ToolCalls,
            "a call makes stop tool_calls"
        );
        assert_eq!(m.provider_stop.as_deref(), Some("stop"));
    }

    #[test]
    fn empty_and_invalid_arguments() {
        let mut a = Assembler::new();
        a.tool_call("a", "", "todo_read");
        a.tool_call("b", "x", "read");
        a.tool_args("b", "{\"path\": \"unterminated");
        let m = a.finish(Some(StopReason::Error));
        let calls: Vec<_> = m.tool_calls().collect();
        assert_eq!(calls[0].arguments, json!({}));
        assert_eq!(calls[0].id, "call_1");
        assert_eq!(calls[1].arguments, json!("{\"path\": \"unterminated"));
        assert_eq!(m.stop, StopReason::Error);
    }
}
