//! Reading and writing protocol lines.
//!
//! The reader splits on `\n` only (U+2028 and U+2029 are data), drops one
//! trailing `\r`, skips blank lines, and caps the length of a line so hostile
//! input cannot grow memory without bound. A line that is too long or not
//! UTF-8 comes back as [`Input::Bad`] with its number, so the stage can write
//! an `error` event and go on. The writer writes a whole line and flushes it,
//! so a pipeline never stalls on a buffer.

use crate::error::{Error, Kind};
use crate::protocol::{ErrorEvent, Event};
use serde::Serialize;
use std::io::{BufRead, Write};

/// The default cap on one input line: 64 MiB, far above any sane event (a
/// whole 128k-token conversation is about 512 KB) and far below memory.
pub const DEFAULT_MAX_LINE: usize = 64 << 20;

/// One input line, or why it could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A line of text, without its terminator. `no` counts from 1.
    Line { no: u64, text: String },
    /// A line that cannot be used; `error` says why.
    Bad { no: u64, error: String },
}

pub struct LineReader<R> {
    inner: R,
    no: u64,
    max: usize,
    buf: Vec<u8>,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R) -> LineReader<R> {
        LineReader::with_max(inner, DEFAULT_MAX_LINE)
    }

    pub fn with_max(inner: R, max: usize) -> LineReader<R> {
        LineReader {
            inner,
            no: 0,
            max,
            buf: Vec::new(),
        }
    }

    /// The next non-blank line, `Ok(None)` at end of input.
    pub fn next_line(&mut self) -> std::io::Result<Option<Input>> {
        loop {
            self.buf.clear();
            let mut too_long = false;
            let mut seen_any = false;
            loop {
                let chunk = match self.inner.fill_buf() {
                    Ok(c) => c,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                if chunk.is_empty() {
                    break;
                }
                seen_any = true;
                let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
                    Some(i) => (i + 1, true),
                    None => (chunk.len(), false),
                };
                // Room for the text, a CR and the LF; past that the rest of
                // the line is consumed and dropped.
                if !too_long {
                    if self.buf.len() + take > self.max + 2 {
                        too_long = true;
                        self.buf = Vec::new();
                    } else {
                        self.buf.extend_from_slice(&chunk[..take]);
                    }
                }
                self.inner.consume(take);
                if done {
                    break;
                }
            }
            if !seen_any {
                return Ok(None);
            }
            self.no += 1;
            let no = self.no;
            if too_long {
                return Ok(Some(Input::Bad {
                    no,
                    error: format!("line {no} is longer than {} bytes", self.max),
                }));
            }
            if self.buf.last() == Some(&b'\n') {
                self.buf.pop();
            }
            if self.buf.last() == Some(&b'\r') {
                self.buf.pop();
            }
            if self.buf.len() > self.max {
                return Ok(Some(Input::Bad {
                    no,
                    error: format!("line {no} is longer than {} bytes", self.max),
                }));
            }
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Ok(Some(
                match String::from_utf8(std::mem::take(&mut self.buf)) {
                    Ok(text) => Input::Line { no, text },
                    Err(e) => Input::Bad {
                        no,
                        error: format!(
                            "line {no} is not valid UTF-8 (at byte {})",
                            e.utf8_error().valid_up_to()
                        ),
                    },
                },
            ));
        }
    }
}

impl<R: BufRead> Iterator for LineReader<R> {
    type Item = std::io::Result<Input>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_line().transpose()
    }
}

/// Writes protocol lines: one JSON object, one `\n`, one flush.
pub struct Writer<W: Write> {
    out: W,
    buf: Vec<u8>,
}

impl<W: Write> Writer<W> {
    pub fn new(out: W) -> Writer<W> {
        Writer {
            out,
            buf: Vec::with_capacity(256),
        }
    }

    /// Serializes `value` as one line. A closed pipe is an error of class
    /// broken pipe, which `cli::run` turns into a clean exit.
    pub fn emit<T: Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.buf.clear();
        serde_json::to_writer(&mut self.buf, value)
            .map_err(|e| Error::new(Kind::Failure, format!("cannot encode event: {e}")))?;
        self.buf.push(b'\n');
        self.out.write_all(&self.buf)?;
        self.out.flush()?;
        Ok(())
    }

    /// Writes a line received from upstream, unchanged.
    pub fn pass(&mut self, line: &str) -> Result<(), Error> {
        self.out.write_all(line.as_bytes())?;
        self.out.write_all(b"\n")?;
        self.out.flush()?;
        Ok(())
    }

    /// Writes a non-fatal `error` event about input line `no`.
    pub fn bad_line(&mut self, source: &str, no: u64, message: &str) -> Result<(), Error> {
        self.emit(&Event::Error(ErrorEvent {
            source: source.to_string(),
            message: message.to_string(),
            fatal: false,
            line: Some(no),
            code: Some("input".into()),
        }))
    }

    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(input: &[u8], max: usize) -> Vec<Input> {
        LineReader::with_max(input, max)
            .map(|r| r.unwrap())
            .collect()
    }

    fn line(no: u64, text: &str) -> Input {
        Input::Line {
            no,
            text: text.into(),
        }
    }

    #[test]
    fn splits_on_lf_only_and_keeps_unicode_separators() {
        let got = read_all("a\u{2028}b\nc\u{2029}\n".as_bytes(), 100);
        assert_eq!(got, vec![line(1, "a\u{2028}b"), line(2, "c\u{2029}")]);
    }

    #[test]
    fn drops_one_cr_skips_blank_lines_and_reads_a_last_line_without_lf() {
        let got = read_all(b"a\r\n\n  \r\nb", 100);
        assert_eq!(got, vec![line(1, "a"), line(4, "b")]);
    }

    #[test]
    fn a_long_line_is_bad_and_the_next_one_is_read() {
        let mut input = vec![b'x'; 50];
        input.extend_from_slice(b"\nok\n");
        let got = read_all(&input, 10);
        assert!(matches!(&got[0], Input::Bad { no: 1, error } if error.contains("longer than 10")));
        assert_eq!(got[1], line(2, "ok"));
    }

    #[test]
    fn a_line_exactly_at_the_cap_is_kept() {
        let got = read_all(b"0123456789\r\n", 10);
        assert_eq!(got, vec![line(1, "0123456789")]);
        let got = read_all(b"0123456789", 10);
        assert_eq!(got, vec![line(1, "0123456789")]);
    }

    #[test]
    fn invalid_utf8_is_bad() {
        let got = read_all(b"ok\n\xff\xfe\nok2\n", 100);
        assert_eq!(got[0], line(1, "ok"));
        assert!(matches!(&got[1], Input::Bad { no: 2, error } if error.contains("UTF-8")));
        assert_eq!(got[2], line(3, "ok2"));
    }

    #[test]
    fn small_reads_assemble_a_line() {
        // A reader that hands out one byte at a time.
        let data = b"{\"type\":\"x\"}\nnext\n";
        let r = std::io::BufReader::with_capacity(1, &data[..]);
        let got: Vec<_> = LineReader::with_max(r, 100).map(|r| r.unwrap()).collect();
        assert_eq!(got, vec![line(1, "{\"type\":\"x\"}"), line(2, "next")]);
    }

    #[test]
    fn writer_writes_one_line_per_event() {
        let mut w = Writer::new(Vec::new());
        w.emit(&serde_json::json!({"type":"a"})).unwrap();
        w.pass("{\"type\":\"b\"}").unwrap();
        assert_eq!(w.into_inner(), b"{\"type\":\"a\"}\n{\"type\":\"b\"}\n");
    }

    #[test]
    fn writer_reports_a_closed_pipe_as_broken_pipe() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let err = Writer::new(Closed).pass("x").unwrap_err();
        assert_eq!(err.kind, Kind::BrokenPipe);
    }
}
