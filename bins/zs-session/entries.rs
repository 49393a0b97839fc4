//! The format of a session file, and reading it. Line 1 is the `session`
//! header; every later line is an entry, numbered by its place in the file
//! (entry N is line N + 1), so numbers never change: the file is only ever
//! appended to. This module turns a file's text into the header and a list
//! of entries, finds a torn tail, and writes header and meta lines with
//! `type` first. See docs/sessions.md.

use serde::Serialize;
use serde_json::{Map, Value};
use std::borrow::Cow;
use zerostack::cli::warn;
use zerostack::error::Error;
use zerostack::protocol::VERSION;

/// The entry types a session stores. `system` and `tools` are not among
/// them: `context` builds them afresh every turn.
pub const STORED: &[&str] = &[
    "user",
    "assistant",
    "tool_result",
    "compaction",
    "session_meta",
];

/// What an entry is, read from its `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    User,
    Assistant,
    ToolResult,
    Compaction,
    /// `session_meta`: a later change to the header's details (a name, a
    /// model switch).
    Meta,
    /// Any other type: kept in the file, ignored by the context.
    Other,
}

impl Kind {
    pub fn of(t: &str) -> Kind {
        match t {
            "user" => Kind::User,
            "assistant" => Kind::Assistant,
            "tool_result" => Kind::ToolResult,
            "compaction" => Kind::Compaction,
            "session_meta" => Kind::Meta,
            _ => Kind::Other,
        }
    }
}

/// The `type` of a line. Lines this stage wrote, and most others, start
/// with `{"type":"`, and reading the tag from there skips a JSON parse of
/// what may be a large line; anything else goes through the real parser.
/// The fast path does not check the rest of the line: whoever uses an entry
/// parses it and reports it if it is broken.
pub fn type_of(line: &str) -> Result<Cow<'_, str>, String> {
    if let Some(rest) = line.strip_prefix("{\"type\":\"")
        && let Some(end) = rest.find('"')
        && !rest[..end].contains('\\')
    {
        return Ok(Cow::Borrowed(&rest[..end]));
    }
    zerostack::protocol::line_type(line).map(Cow::Owned)
}

/// One entry: its number, its kind and where its line sits in the text.
#[derive(Debug, Clone)]
pub struct Entry {
    pub no: usize,
    pub kind: Kind,
    start: usize,
    end: usize,
}

/// The header's details and the `session_meta` changes after it, applied in
/// order: what the session is now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meta {
    pub id: String,
    pub created: String,
    pub cwd: Option<String>,
    pub name: Option<String>,
    pub model: Option<String>,
    pub provider: Option<String>,
    pub prompt: Option<String>,
    pub mode: Option<String>,
}

/// A session read into memory.
#[derive(Debug)]
pub struct Loaded {
    text: String,
    /// The header line's fields.
    pub header: Map<String, Value>,
    pub entries: Vec<Entry>,
}

impl Loaded {
    /// The line of `e`, without its `\n`.
    pub fn line(&self, e: &Entry) -> &str {
        &self.text[e.start..e.end]
    }

    /// The header line as stored.
    pub fn header_line(&self) -> &str {
        let end = self.text.find('\n').unwrap_or(self.text.len());
        self.text[..end].trim_end_matches('\r')
    }

    /// The number the next appended entry gets.
    pub fn next_no(&self) -> usize {
        next_no_of(self.text.as_bytes())
    }

    pub fn entry(&self, no: usize) -> Option<&Entry> {
        self.entries
            .binary_search_by_key(&no, |e| e.no)
            .ok()
            .map(|i| &self.entries[i])
    }

    /// The header with every `session_meta` entry applied.
    pub fn meta(&self) -> Meta {
        let s =
            |m: &Map<String, Value>, k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
        let h = &self.header;
        let mut meta = Meta {
            id: s(h, "id").unwrap_or_default(),
            created: s(h, "created").unwrap_or_default(),
            cwd: s(h, "cwd"),
            name: s(h, "name"),
            model: s(h, "model"),
            provider: s(h, "provider"),
            prompt: s(h, "prompt"),
            mode: s(h, "mode"),
        };
        for e in self.entries.iter().filter(|e| e.kind == Kind::Meta) {
            let Ok(m) = serde_json::from_str::<Map<String, Value>>(self.line(e)) else {
                warn_entry(&meta.id, e.no, "is not valid JSON; skipped");
                continue;
            };
            // A key that is present sets the field; `null` clears it.
            let set = |k: &str, field: &mut Option<String>| {
                if let Some(v) = m.get(k) {
                    *field = v.as_str().map(str::to_string);
                }
            };
            set("name", &mut meta.name);
            set("model", &mut meta.model);
            set("provider", &mut meta.provider);
            set("prompt", &mut meta.prompt);
            set("mode", &mut meta.mode);
            set("cwd", &mut meta.cwd);
        }
        meta
    }
}

/// The number the next entry appended to a file of `bytes` gets: every
/// line after the header, blank or not, holds a number.
pub fn next_no_of(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count().max(1)
}

/// Warns that entry `no` of session `id` cannot be used.
pub fn warn_entry(id: &str, no: usize, what: &str) {
    warn("zs-session", &format!("session '{id}': entry {no} {what}"));
}

/// Parses a session file's text. `what` names it in errors.
pub fn parse(text: String, what: &str) -> Result<Loaded, Error> {
    let first_end = text.find('\n').unwrap_or(text.len());
    let first = text[..first_end].trim_end_matches('\r');
    let header: Map<String, Value> = serde_json::from_str(first)
        .ok()
        .filter(|m: &Map<String, Value>| m.get("type").and_then(Value::as_str) == Some("session"))
        .ok_or_else(|| {
            Error::input(format!(
                "'{what}' is not a session: its first line is not a session header"
            ))
        })?;
    let id = header
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or(what)
        .to_string();
    match header.get("version").and_then(Value::as_u64) {
        Some(v) if v > u64::from(VERSION) => {
            return Err(Error::input(format!(
                "session '{id}' was written with protocol version {v}; this zs-session reads version {VERSION} and older"
            )));
        }
        Some(_) => {}
        None => {
            return Err(Error::input(format!(
                "session '{id}' has no protocol version in its header"
            )));
        }
    }
    let mut entries = Vec::new();
    let mut pos = (first_end + 1).min(text.len());
    let mut no = 0;
    while pos < text.len() {
        no += 1;
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let line = text[pos..end].trim_end_matches('\r');
        let line_end = pos + line.len();
        if !line.trim().is_empty() {
            match type_of(line) {
                Ok(t) => entries.push(Entry {
                    no,
                    kind: Kind::of(&t),
                    start: pos,
                    end: line_end,
                }),
                Err(e) => warn_entry(&id, no, &format!("is not a protocol line ({e}); skipped")),
            }
        }
        pos = end + 1;
    }
    Ok(Loaded {
        text,
        header,
        entries,
    })
}

/// Where a torn tail starts, if the file has one: a last line without its
/// `\n`, and a last line that is not a JSON object (what a torn line
/// followed by another write looks like). The header is never cut: a file
/// whose first line is broken is not a session, and is reported as such.
pub fn torn_tail(bytes: &[u8]) -> Option<usize> {
    let line_start = |end: usize| {
        bytes[..end]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1)
    };
    let mut cut = bytes.len();
    if bytes.last().is_some_and(|&b| b != b'\n') {
        cut = line_start(bytes.len());
    }
    if cut > 0 {
        let start = line_start(cut - 1);
        let line = &bytes[start..cut - 1];
        let blank = line.iter().all(u8::is_ascii_whitespace);
        if start > 0 && !blank && serde_json::from_slice::<Map<String, Value>>(line).is_err() {
            cut = start;
        }
    }
    (cut < bytes.len() && cut > 0).then_some(cut)
}

/// Serializes the header with `type` first, for people reading the file.
#[derive(Serialize)]
pub struct HeaderOut<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub version: u32,
    pub id: &'a str,
    #[serde(flatten)]
    pub fields: &'a Map<String, Value>,
}

/// Any event with `type` first: `fields` must not hold a `type` of its own.
#[derive(Serialize)]
pub struct Typed<'a> {
    #[serde(rename = "type")]
    pub kind: &'a str,
    #[serde(flatten)]
    pub fields: &'a Map<String, Value>,
}

/// Serializes `fields` as an event of type `kind`, `type` first (serde_json's
/// map sorts its keys, which would bury it).
pub fn typed_line(kind: &str, fields: &Map<String, Value>) -> String {
    let mut fields = fields.clone();
    fields.remove("type");
    serde_json::to_string(&Typed {
        kind,
        fields: &fields,
    })
    .unwrap_or_default()
}

/// A `session_meta` entry, `type` first.
#[derive(Serialize)]
pub struct MetaOut<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(flatten)]
    pub fields: &'a Map<String, Value>,
    pub at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_of_reads_the_tag_fast_or_falls_back() {
        assert_eq!(type_of(r#"{"type":"user","text":"x"}"#).unwrap(), "user");
        assert_eq!(type_of(r#"{"text":"x","type":"user"}"#).unwrap(), "user");
        assert_eq!(type_of(r#"{"type":"us\u0065r"}"#).unwrap(), "user");
        assert!(type_of("nope").is_err());
    }

    #[test]
    fn torn_tails_are_found() {
        let h = "{\"type\":\"session\",\"version\":1,\"id\":\"s\"}\n";
        let ok = format!("{h}{{\"type\":\"user\",\"text\":\"a\"}}\n");
        assert_eq!(torn_tail(ok.as_bytes()), None);
        let no_lf = format!("{ok}{{\"type\":\"assis");
        assert_eq!(torn_tail(no_lf.as_bytes()), Some(ok.len()));
        let glued = format!("{ok}{{\"type\":\"assis{{\"type\":\"user\",\"text\":\"b\"}}\n");
        assert_eq!(torn_tail(glued.as_bytes()), Some(ok.len()));
        // The header alone is never cut.
        assert_eq!(torn_tail(b"{\"type\":\"sess"), None);
        assert_eq!(torn_tail(h.as_bytes()), None);
    }

    #[test]
    fn parse_numbers_entries_by_line_and_checks_the_version() {
        let text = "{\"type\":\"session\",\"version\":1,\"id\":\"s\"}\n{\"type\":\"user\",\"text\":\"a\"}\n\n{\"type\":\"session_meta\",\"name\":\"n\"}\n";
        let l = parse(text.into(), "s").unwrap();
        let nos: Vec<usize> = l.entries.iter().map(|e| e.no).collect();
        assert_eq!(nos, vec![1, 3]);
        assert_eq!(l.next_no(), 4);
        assert_eq!(l.meta().name.as_deref(), Some("n"));
        assert_eq!(
            l.line(l.entry(1).unwrap()),
            "{\"type\":\"user\",\"text\":\"a\"}"
        );
        let e = parse(
            "{\"type\":\"session\",\"version\":99,\"id\":\"s\"}\n".into(),
            "s",
        )
        .unwrap_err();
        assert!(
            e.message.contains("version 99") && e.message.contains("version 1"),
            "{}",
            e.message
        );
        assert!(parse("{\"type\":\"user\"}\n".into(), "f").is_err());
    }
}
