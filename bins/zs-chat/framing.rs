//! Splitting a response body into events: Server-Sent Events for most
//! providers, NDJSON for Ollama's native API.
//!
//! Both are fed raw bytes as they arrive, so an event is handed on the
//! moment its last byte is read. Lines end in LF, CRLF or a lone CR (also
//! when the CR and LF arrive in different reads). A line longer than the cap
//! is an error, not unbounded growth.

use crate::providers::Framing;

/// One SSE event. For NDJSON framing, `data` is the line and `event` is None.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseEvent {
    pub event: Option<String>,
    pub data: String,
    pub id: Option<String>,
}

/// The cap on one line of a response: 16 MiB.
pub const MAX_LINE: usize = 16 << 20;

/// Splits bytes into lines (without terminators), across reads.
#[derive(Debug, Default)]
pub struct LineSplitter {
    buf: Vec<u8>,
    after_cr: bool,
}

impl LineSplitter {
    /// Feeds bytes; calls `f` with each complete line. Err when a line is
    /// longer than [`MAX_LINE`].
    pub fn feed(&mut self, bytes: &[u8], mut f: impl FnMut(&str)) -> Result<(), String> {
        for &b in bytes {
            if self.after_cr {
                self.after_cr = false;
                if b == b'\n' {
                    continue;
                }
            }
            match b {
                b'\n' | b'\r' => {
                    self.after_cr = b == b'\r';
                    let line = String::from_utf8_lossy(&self.buf).into_owned();
                    self.buf.clear();
                    f(&line);
                }
                _ => {
                    if self.buf.len() >= MAX_LINE {
                        return Err(format!("a response line is longer than {MAX_LINE} bytes"));
                    }
                    self.buf.push(b);
                }
            }
        }
        Ok(())
    }

    /// The unterminated rest at end of input, if any.
    pub fn finish(&mut self) -> Option<String> {
        if self.buf.is_empty() {
            return None;
        }
        let line = String::from_utf8_lossy(&self.buf).into_owned();
        self.buf.clear();
        Some(line)
    }
}

/// The SSE field rules: `event:`, `data:` (several join with `\n`), `id:`,
/// comments (`:`) ignored, one space after the colon stripped, and a blank
/// line dispatches.
#[derive(Debug, Default)]
pub struct SseParser {
    lines: LineSplitter,
    event: Option<String>,
    data: String,
    has_data: bool,
    id: Option<String>,
}

impl SseParser {
    pub fn new() -> SseParser {
        SseParser::default()
    }

    /// Feeds body bytes; returns the events completed by them.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<SseEvent>, String> {
        let mut lines = Vec::new();
        self.lines.feed(bytes, |l| lines.push(l.to_string()))?;
        let mut out = Vec::new();
        for l in lines {
            if let Some(ev) = self.line(&l) {
                out.push(ev);
            }
        }
        Ok(out)
    }

    /// End of body: an event still being built is dispatched (some servers
    /// omit the final blank line).
    pub fn finish(&mut self) -> Option<SseEvent> {
        if let Some(l) = self.lines.finish()
            && let Some(ev) = self.line(&l)
        {
            return Some(ev);
        }
        self.dispatch()
    }

    fn line(&mut self, line: &str) -> Option<SseEvent> {
        if line.is_empty() {
            return self.dispatch();
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => self.event = Some(value.to_string()),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "id" => self.id = Some(value.to_string()),
            _ => {} // retry and unknown fields: nothing to do
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        if !self.has_data && self.event.is_none() {
            return None;
        }
        let ev = SseEvent {
            event: self.event.take(),
            data: std::mem::take(&mut self.data),
            id: self.id.take(),
        };
        self.has_data = false;
        Some(ev)
    }
}

/// NDJSON framing: every non-blank line is one event.
#[derive(Debug, Default)]
pub struct NdjsonParser {
    lines: LineSplitter,
}

impl NdjsonParser {
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<SseEvent>, String> {
        let mut out = Vec::new();
        self.lines.feed(bytes, |l| {
            if !l.trim().is_empty() {
                out.push(SseEvent {
                    data: l.to_string(),
                    ..SseEvent::default()
                });
            }
        })?;
        Ok(out)
    }

    pub fn finish(&mut self) -> Option<SseEvent> {
        self.lines
            .finish()
            .filter(|l| !l.trim().is_empty())
            .map(|data| SseEvent {
                data,
                ..SseEvent::default()
            })
    }
}

/// Cuts a body into events by the wire format's framing.
pub enum Framer {
    Sse(SseParser),
    Ndjson(NdjsonParser),
}

impl Framer {
    pub fn new(f: Framing) -> Framer {
        match f {
            Framing::Sse => Framer::Sse(SseParser::new()),
            Framing::Ndjson => Framer::Ndjson(NdjsonParser::default()),
        }
    }

    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<SseEvent>, String> {
        match self {
            Framer::Sse(p) => p.feed(bytes),
            Framer::Ndjson(p) => p.feed(bytes),
        }
    }

    pub fn finish(&mut self) -> Option<SseEvent> {
        match self {
            Framer::Sse(p) => p.finish(),
            Framer::Ndjson(p) => p.finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(evs: &[SseEvent]) -> Vec<&str> {
        evs.iter().map(|e| e.data.as_str()).collect()
    }

    #[test]
    fn events_dispatch_on_blank_lines_with_names_and_multiline_data() {
        let mut p = SseParser::new();
        let evs = p
            .feed(b": OPENROUTER PROCESSING\n\nevent: message_start\ndata: {\"a\":1}\n\ndata: x\ndata:y\n\ndata: [DONE]\n\n")
            .unwrap();
        assert_eq!(data(&evs), vec!["{\"a\":1}", "x\ny", "[DONE]"]);
        assert_eq!(evs[0].event.as_deref(), Some("message_start"));
        assert_eq!(evs[1].event, None);
    }

    #[test]
    fn crlf_and_lone_cr_split_lines_even_across_reads() {
        let mut p = SseParser::new();
        let mut evs = p.feed(b"data: a\r").unwrap();
        evs.extend(p.feed(b"\n\r\ndata: b\r\r").unwrap());
        assert_eq!(data(&evs), vec!["a", "b"]);
    }

    #[test]
    fn an_event_split_byte_by_byte_comes_out_whole() {
        let body = "event: e\ndata: {\"t\":\"héllo\"}\n\n";
        let mut p = SseParser::new();
        let mut evs = Vec::new();
        for b in body.as_bytes() {
            evs.extend(p.feed(&[*b]).unwrap());
        }
        assert_eq!(data(&evs), vec!["{\"t\":\"héllo\"}"]);
    }

    #[test]
    fn the_last_event_without_a_blank_line_is_dispatched_at_the_end() {
        let mut p = SseParser::new();
        assert!(p.feed(b"data: last").unwrap().is_empty());
        assert_eq!(p.finish().unwrap().data, "last");
        assert!(p.finish().is_none());
    }

    #[test]
    fn field_without_colon_and_one_space_rule() {
        let mut p = SseParser::new();
        let evs = p.feed(b"data\ndata:  two spaces\n\n").unwrap();
        assert_eq!(data(&evs), vec!["\n two spaces"]);
    }

    #[test]
    fn ndjson_lines_are_events() {
        let mut p = NdjsonParser::default();
        let mut evs = p.feed(b"{\"a\":1}\n\n{\"b\"").unwrap();
        evs.extend(p.feed(b":2}\n{\"c\":3}").unwrap());
        evs.extend(p.finish());
        assert_eq!(data(&evs), vec!["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"]);
    }
}
