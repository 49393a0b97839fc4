//! Bounded capture of a command's output.
//!
//! A command may print gigabytes; the result keeps only its head and tail
//! (within a line and a byte budget), and everything goes to a file once
//! the budget is exceeded, so nothing is lost and memory stays bounded.
//! Streaming deltas must be valid UTF-8 while output arrives in arbitrary
//! byte chunks, so [`Utf8Chunks`] carries an incomplete character over to
//! the next chunk.

use crate::file::human_size;
use std::collections::VecDeque;
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;

pub struct Capture {
    max_bytes: usize,
    max_lines: usize,
    /// Everything, while it fits the budget.
    head: Vec<u8>,
    head_lines: usize,
    /// The last `max_bytes / 2` bytes seen.
    tail: VecDeque<u8>,
    total_bytes: u64,
    total_lines: u64,
    over: bool,
    spill: Spill,
}

enum Spill {
    /// Not needed yet; where to put it when it is.
    Later(PathBuf),
    Open(File, PathBuf),
    Failed(String),
}

/// The captured output, ready for the result.
pub struct Captured {
    pub text: String,
    /// Where the whole output is, when `text` is cut.
    pub full_output: Option<PathBuf>,
}

impl Capture {
    /// `spill` is the file that receives the whole output if it overflows.
    pub fn new(max_bytes: usize, max_lines: usize, spill: PathBuf) -> Capture {
        Capture {
            max_bytes: max_bytes.max(2),
            max_lines: max_lines.max(2),
            head: Vec::new(),
            head_lines: 0,
            tail: VecDeque::new(),
            total_bytes: 0,
            total_lines: 0,
            over: false,
            spill: Spill::Later(spill),
        }
    }

    pub fn push(&mut self, chunk: &[u8]) {
        let nl = chunk.iter().filter(|&&b| b == b'\n').count();
        self.total_bytes += chunk.len() as u64;
        self.total_lines += nl as u64;
        let keep = self.max_bytes / 2;
        let from = chunk.len().saturating_sub(keep);
        self.tail.extend(&chunk[from..]);
        let excess = self.tail.len().saturating_sub(keep);
        self.tail.drain(..excess);
        if self.over {
            self.spill_write(chunk);
            return;
        }
        if self.head.len() + chunk.len() <= self.max_bytes && self.head_lines + nl <= self.max_lines
        {
            self.head.extend_from_slice(chunk);
            self.head_lines += nl;
            return;
        }
        // Over budget: the head takes what fits of this chunk, and from now
        // on everything also goes to the spill file.
        let room = self.max_bytes - self.head.len();
        let fits = cut_lines_front(
            &chunk[..room.min(chunk.len())],
            self.max_lines - self.head_lines,
        )
        .len();
        self.head.extend_from_slice(&chunk[..fits]);
        self.over = true;
        self.open_spill();
        let head = std::mem::take(&mut self.head);
        self.spill_write(&head);
        self.head = head;
        self.spill_write(&chunk[fits..]);
    }

    fn open_spill(&mut self) {
        if let Spill::Later(path) = &self.spill {
            let path = path.clone();
            let opened = path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| File::create(&path));
            self.spill = match opened {
                Ok(f) => Spill::Open(f, path),
                Err(e) => Spill::Failed(format!("cannot save it to '{}': {e}", path.display())),
            };
        }
    }

    fn spill_write(&mut self, data: &[u8]) {
        if let Spill::Open(f, path) = &mut self.spill
            && let Err(e) = f.write_all(data)
        {
            self.spill = Spill::Failed(format!("cannot save it to '{}': {e}", path.display()));
        }
    }

    pub fn finish(mut self) -> Captured {
        if !self.over {
            return Captured {
                text: String::from_utf8_lossy(&self.head).into_owned(),
                full_output: None,
            };
        }
        if let Spill::Open(f, _) = &mut self.spill {
            let _ = f.flush();
        }
        // Head: half the budget, ending at a line break when there is one.
        let mut head = &self.head[..self.head.len().min(self.max_bytes / 2)];
        head = cut_lines_front(head, self.max_lines / 2);
        if let Some(i) = head.iter().rposition(|&b| b == b'\n') {
            head = &head[..=i];
        }
        // Tail: what is left of the last half budget after the head, from
        // a line start.
        let tail_start = self.total_bytes - self.tail.len() as u64;
        let skip = (head.len() as u64).saturating_sub(tail_start) as usize;
        let tail_all: Vec<u8> = self.tail.iter().skip(skip).copied().collect();
        let mut tail = cut_lines_back(&tail_all, self.max_lines / 2);
        if tail.len() == tail_all.len()
            && skip == 0
            && tail_start > head.len() as u64
            && let Some(i) = tail.iter().position(|&b| b == b'\n')
        {
            tail = &tail[i + 1..];
        }
        let lines = |b: &[u8]| b.iter().filter(|&&c| c == b'\n').count() as u64;
        let omitted_bytes = self
            .total_bytes
            .saturating_sub(head.len() as u64 + tail.len() as u64);
        let omitted_lines = self.total_lines.saturating_sub(lines(head) + lines(tail));
        let (where_, full) = match &self.spill {
            Spill::Open(_, p) => (
                format!("the full output is in {}", p.display()),
                Some(p.clone()),
            ),
            Spill::Failed(e) => (format!("the full output was not kept: {e}"), None),
            Spill::Later(_) => ("the full output was not kept".into(), None),
        };
        let mut text = String::from_utf8_lossy(head).into_owned();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&format!(
            "[... {omitted_lines} lines ({}) omitted; {where_} ...]\n",
            human_size(omitted_bytes)
        ));
        text.push_str(&String::from_utf8_lossy(tail));
        Captured {
            text,
            full_output: full,
        }
    }
}

/// At most `n` lines from the front.
fn cut_lines_front(b: &[u8], n: usize) -> &[u8] {
    if n == 0 {
        return &b[..0];
    }
    let mut seen = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' {
            seen += 1;
            if seen == n {
                return &b[..=i];
            }
        }
    }
    b
}

/// At most `n` lines from the back (a last line without a newline counts).
fn cut_lines_back(b: &[u8], n: usize) -> &[u8] {
    let body = b.strip_suffix(b"\n").unwrap_or(b);
    let mut seen = 0;
    for (i, &c) in body.iter().enumerate().rev() {
        if c == b'\n' {
            seen += 1;
            if seen == n {
                return &b[i + 1..];
            }
        }
    }
    b
}

/// The output streamed while a command runs, within the same budget as
/// the result: past it, one note and then nothing, so a flood cannot fill
/// the event stream.
pub struct Live {
    utf8: Utf8Chunks,
    bytes_left: usize,
    lines_left: usize,
    done: bool,
}

const LIVE_STOPPED: &str = "\n[... streaming stopped; the result has the output's end ...]\n";

impl Live {
    pub fn new(max_bytes: usize, max_lines: usize) -> Live {
        Live {
            utf8: Utf8Chunks::default(),
            bytes_left: max_bytes,
            lines_left: max_lines,
            done: false,
        }
    }

    /// The text to stream for `chunk`, or `None` once the budget is spent.
    pub fn next(&mut self, chunk: &[u8]) -> Option<String> {
        if self.done {
            return None;
        }
        let mut text = self.utf8.push(chunk);
        let mut cut = text.len();
        let mut lines = 0;
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                lines += 1;
                if lines >= self.lines_left {
                    cut = i + 1;
                    break;
                }
            }
        }
        if self.lines_left == 0 {
            cut = 0;
        }
        if cut > self.bytes_left {
            cut = self.bytes_left;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
        }
        if cut < text.len() {
            text.truncate(cut);
            text.push_str(LIVE_STOPPED);
            self.done = true;
        } else {
            self.bytes_left -= cut;
            self.lines_left -= lines.min(self.lines_left);
        }
        Some(text)
    }
}

/// Turns byte chunks into UTF-8 text, holding back a character split
/// between chunks and replacing invalid bytes with U+FFFD.
#[derive(Default)]
pub struct Utf8Chunks {
    carry: Vec<u8>,
}

impl Utf8Chunks {
    pub fn push(&mut self, chunk: &[u8]) -> String {
        self.carry.extend_from_slice(chunk);
        let mut out = String::new();
        let mut rest: &[u8] = &self.carry;
        loop {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    out.push_str(s);
                    rest = &[];
                    break;
                }
                Err(e) => {
                    let (good, bad) = rest.split_at(e.valid_up_to());
                    out.push_str(std::str::from_utf8(good).unwrap_or_default());
                    match e.error_len() {
                        Some(n) => {
                            out.push('\u{fffd}');
                            rest = &bad[n..];
                        }
                        // An incomplete character at the end: wait for more.
                        None => {
                            rest = bad;
                            break;
                        }
                    }
                }
            }
        }
        self.carry = rest.to_vec();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_output_is_kept_whole() {
        let mut c = Capture::new(100, 10, PathBuf::from("/nonexistent/x"));
        c.push(b"a\nb\n");
        let r = c.finish();
        assert_eq!(r.text, "a\nb\n");
        assert!(r.full_output.is_none());
    }

    #[test]
    fn long_output_keeps_head_and_tail_and_spills_everything() {
        let dir = tempfile::tempdir().unwrap();
        let spill = dir.path().join("out.txt");
        let mut c = Capture::new(1000, 10, spill.clone());
        let all: String = (1..=100).map(|i| format!("line {i}\n")).collect();
        for chunk in all.as_bytes().chunks(7) {
            c.push(chunk);
        }
        let r = c.finish();
        assert!(r.text.starts_with("line 1\nline 2\n"), "{}", r.text);
        assert!(r.text.contains("line 5\n[... 90 lines"), "{}", r.text);
        assert!(
            r.text
                .ends_with("line 96\nline 97\nline 98\nline 99\nline 100\n"),
            "{}",
            r.text
        );
        assert_eq!(r.full_output.as_deref(), Some(spill.as_path()));
        assert_eq!(std::fs::read_to_string(&spill).unwrap(), all);
    }

    #[test]
    fn live_output_stops_at_the_budget() {
        let mut l = Live::new(100, 3);
        assert_eq!(l.next(b"a\nb\n").as_deref(), Some("a\nb\n"));
        assert_eq!(
            l.next(b"c\nd\n").as_deref(),
            Some("c\n\n[... streaming stopped; the result has the output's end ...]\n")
        );
        assert_eq!(l.next(b"e\n"), None);
        let mut l = Live::new(4, 100);
        assert_eq!(l.next(b"abc").as_deref(), Some("abc"));
        assert!(l.next(b"def").unwrap().starts_with("d\n[..."));
    }

    #[test]
    fn utf8_split_across_chunks() {
        let mut u = Utf8Chunks::default();
        let s = "é€".as_bytes();
        assert_eq!(u.push(&s[..1]), "");
        assert_eq!(u.push(&s[1..3]), "é");
        assert_eq!(u.push(&s[3..]), "€");
        assert_eq!(u.push(b"a\xffb"), "a\u{fffd}b");
    }
}
