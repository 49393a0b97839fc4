//! The conversation a session replays to the model: the messages since the
//! last compaction, as stored, with the pairing zs-chat requires repaired.
//!
//! Entries are replayed as their stored lines (native tool calls and
//! results, never flattened to text), so the provider sees the same prefix
//! turn after turn and its prompt cache stays warm. Two repairs keep the
//! conversation valid without touching the file: a tool call that never got
//! a result (a crash, a Ctrl-C) gets a synthesized "interrupted" result
//! right after the results it did get, and a result that answers no pending
//! call is left out with a warning.

use crate::entries::{Kind, Loaded, warn_entry};
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::borrow::Cow;

/// One message of the replayed conversation.
#[derive(Debug, Clone, PartialEq)]
pub enum Item<'a> {
    /// An entry replayed as stored (`user`, `assistant`, `tool_result`, or
    /// the `compaction` the context starts from).
    Entry {
        no: usize,
        kind: Kind,
        line: &'a str,
    },
    /// A result for a tool call that never got one.
    Interrupted { call_id: String, name: String },
}

impl Item<'_> {
    /// The entry number, for items that are entries.
    pub fn no(&self) -> Option<usize> {
        match self {
            Item::Entry { no, .. } => Some(*no),
            Item::Interrupted { .. } => None,
        }
    }
}

/// What the content of a synthesized result says.
pub const INTERRUPTED_TEXT: &str = "The tool call was interrupted before it finished (no result was recorded). Check the state of anything it may have changed before going on.";

#[derive(Deserialize)]
struct AssistantProbe<'a> {
    #[serde(borrow)]
    content: Vec<BlockProbe<'a>>,
}

#[derive(Deserialize)]
struct BlockProbe<'a> {
    #[serde(borrow, rename = "type")]
    kind: Cow<'a, str>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct ResultProbe {
    call_id: String,
    #[serde(rename = "content")]
    _content: IgnoredAny,
}

/// The `call_id` of a stored tool result. Results come from zs-tool with
/// `type` and `call_id` first, and were checked whole when they were
/// recorded, so the id is read from there without scanning the output
/// (most of the bytes of a session); any other shape is parsed.
fn result_call_id(line: &str) -> Result<Cow<'_, str>, serde_json::Error> {
    if let Some(rest) = line.strip_prefix(r#"{"type":"tool_result","call_id":""#)
        && let Some(end) = rest.find('"')
        && !rest[..end].contains('\\')
    {
        return Ok(Cow::Borrowed(&rest[..end]));
    }
    serde_json::from_str::<ResultProbe>(line).map(|r| Cow::Owned(r.call_id))
}

#[derive(Deserialize)]
struct UserProbe {
    #[serde(rename = "text")]
    _text: IgnoredAny,
}

#[derive(Deserialize)]
struct CompactionProbe {
    #[serde(rename = "summary")]
    _summary: IgnoredAny,
    #[serde(default)]
    first_kept: Option<u64>,
}

/// The replayed conversation.
#[derive(Debug, Default)]
pub struct Replay<'a> {
    pub items: Vec<Item<'a>>,
    /// The entry number of the compaction the context starts from.
    pub compaction: Option<usize>,
}

/// The last usable `compaction` entry and the first entry it keeps.
fn last_compaction(l: &Loaded, id: &str) -> Option<(usize, usize)> {
    for e in l
        .entries
        .iter()
        .rev()
        .filter(|e| e.kind == Kind::Compaction)
    {
        match serde_json::from_str::<CompactionProbe>(l.line(e)) {
            Ok(c) => {
                let first = c
                    .first_kept
                    .and_then(|f| usize::try_from(f).ok())
                    .unwrap_or(e.no)
                    .min(e.no);
                return Some((e.no, first));
            }
            Err(err) => warn_entry(
                id,
                e.no,
                &format!("is not a valid compaction ({err}); skipped"),
            ),
        }
    }
    None
}

/// The conversation to send: the last compaction (if any), then every
/// message from the first entry it keeps, paired.
pub fn replay<'a>(l: &'a Loaded, id: &str) -> Replay<'a> {
    let mut r = Replay::default();
    let mut start = 1;
    if let Some((c, first)) = last_compaction(l, id) {
        if let Some(e) = l.entry(c) {
            r.items.push(Item::Entry {
                no: c,
                kind: Kind::Compaction,
                line: l.line(e),
            });
        }
        r.compaction = Some(c);
        start = first;
    }
    // Calls of the latest assistant message still waiting for a result.
    let mut open: Vec<(String, String)> = Vec::new();
    let close = |open: &mut Vec<(String, String)>, items: &mut Vec<Item<'a>>| {
        for (call_id, name) in open.drain(..) {
            items.push(Item::Interrupted { call_id, name });
        }
    };
    for e in l.entries.iter().filter(|e| e.no >= start) {
        let line = l.line(e);
        let bad = |err: serde_json::Error| {
            warn_entry(
                id,
                e.no,
                &format!("is not a valid {} ({err}); skipped", kind_name(e.kind)),
            );
        };
        match e.kind {
            Kind::User => {
                if let Err(err) = serde_json::from_str::<UserProbe>(line) {
                    bad(err);
                    continue;
                }
                close(&mut open, &mut r.items);
            }
            Kind::Assistant => {
                let a = match serde_json::from_str::<AssistantProbe>(line) {
                    Ok(a) => a,
                    Err(err) => {
                        bad(err);
                        continue;
                    }
                };
                // A message with neither text nor calls (cancelled while it
                // was still thinking) has nothing a provider would accept.
                if !a
                    .content
                    .iter()
                    .any(|b| b.kind == "text" || b.kind == "tool_call")
                {
                    continue;
                }
                close(&mut open, &mut r.items);
                open = a
                    .content
                    .into_iter()
                    .filter(|b| b.kind == "tool_call")
                    .map(|b| (b.id.unwrap_or_default(), b.name.unwrap_or_default()))
                    .collect();
            }
            Kind::ToolResult => {
                let call_id = match result_call_id(line) {
                    Ok(id) => id,
                    Err(err) => {
                        bad(err);
                        continue;
                    }
                };
                match open.iter().position(|(id, _)| *id == call_id) {
                    Some(i) => {
                        open.remove(i);
                    }
                    None => {
                        warn_entry(
                            id,
                            e.no,
                            &format!(
                                "answers no pending tool call ('{call_id}'); left out of the context"
                            ),
                        );
                        continue;
                    }
                }
            }
            Kind::Compaction | Kind::Meta | Kind::Other => continue,
        }
        r.items.push(Item::Entry {
            no: e.no,
            kind: e.kind,
            line,
        });
    }
    close(&mut open, &mut r.items);
    r
}

/// Estimated tokens of `items`, as their lines stand.
pub fn estimate(items: &[Item]) -> u64 {
    items
        .iter()
        .map(|i| match i {
            Item::Entry { line, .. } => zerostack::tokens::estimate(line),
            Item::Interrupted { .. } => zerostack::tokens::estimate(INTERRUPTED_TEXT) + 20,
        })
        .sum()
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::User => "user message",
        Kind::Assistant => "assistant message",
        Kind::ToolResult => "tool result",
        Kind::Compaction => "compaction",
        Kind::Meta => "session_meta",
        Kind::Other => "entry",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entries::parse;

    const H: &str = r#"{"type":"session","version":1,"id":"s"}"#;

    fn load(lines: &[&str]) -> Loaded {
        let mut text = format!("{H}\n");
        for l in lines {
            text.push_str(l);
            text.push('\n');
        }
        parse(text, "s").unwrap()
    }

    fn shape(r: &Replay) -> Vec<String> {
        r.items
            .iter()
            .map(|i| match i {
                Item::Entry { no, .. } => no.to_string(),
                Item::Interrupted { call_id, .. } => format!("int:{call_id}"),
            })
            .collect()
    }

    const U: &str = r#"{"type":"user","text":"hi"}"#;
    const A2: &str = r#"{"type":"assistant","content":[{"type":"text","text":"x"},{"type":"tool_call","id":"c1","name":"read","arguments":{}},{"type":"tool_call","id":"c2","name":"bash","arguments":{}}],"stop":"tool_calls"}"#;
    const R1: &str = r#"{"type":"tool_result","call_id":"c1","name":"read","content":"ok"}"#;
    const END: &str =
        r#"{"type":"assistant","content":[{"type":"text","text":"done"}],"stop":"end"}"#;

    #[test]
    fn entries_are_replayed_as_stored() {
        let l = load(&[
            U,
            A2,
            R1,
            r#"{"type":"tool_result","call_id":"c2","name":"bash","content":"ok"}"#,
            END,
        ]);
        let r = replay(&l, "s");
        assert_eq!(shape(&r), ["1", "2", "3", "4", "5"]);
        assert!(matches!(r.items[1], Item::Entry { line, .. } if line == A2));
    }

    #[test]
    fn unanswered_calls_get_interrupted_results_where_they_belong() {
        let l = load(&[U, A2, R1, U]);
        assert_eq!(shape(&replay(&l, "s")), ["1", "2", "3", "int:c2", "4"]);
        let l = load(&[U, A2]);
        assert_eq!(shape(&replay(&l, "s")), ["1", "2", "int:c1", "int:c2"]);
    }

    #[test]
    fn orphan_results_broken_lines_and_empty_messages_are_left_out() {
        let l = load(&[
            U,
            R1,
            "{\"type\":\"user\",\"text\":",
            r#"{"type":"assistant","content":[{"type":"reasoning","text":"hm"}],"stop":"interrupted"}"#,
            r#"{"type":"session_meta","name":"n"}"#,
            END,
        ]);
        assert_eq!(shape(&replay(&l, "s")), ["1", "6"]);
    }

    #[test]
    fn a_result_call_id_is_read_fast_or_parsed() {
        assert_eq!(result_call_id(R1).unwrap(), "c1");
        let other_order =
            r#"{"call_id":"c\u0031","type":"tool_result","name":"read","content":"x"}"#;
        assert_eq!(result_call_id(other_order).unwrap(), "c1");
        assert!(result_call_id(r#"{"type":"tool_result","content":"x"}"#).is_err());
    }

    #[test]
    fn a_compaction_replaces_what_it_summarized() {
        let l = load(&[
            U,
            END,
            U,
            END,
            r#"{"type":"compaction","summary":"old","first_kept":3}"#,
            U,
        ]);
        let r = replay(&l, "s");
        assert_eq!(r.compaction, Some(5));
        assert_eq!(shape(&r), ["5", "3", "4", "6"]);
        // Without first_kept, nothing before the compaction is kept.
        let l = load(&[U, END, r#"{"type":"compaction","summary":"s"}"#, U]);
        assert_eq!(shape(&replay(&l, "s")), ["3", "4"]);
    }
}
