//! Text that keeps only its start and its end: the output of a tool call or
//! a `!cmd` as the transcript holds it. A command can print without end
//! (`yes`, a runaway log); past [`HEAD`] + [`TAIL`] bytes the middle is
//! dropped and only counted, so memory and the cost of rendering it stay
//! bounded however long the command runs.

use std::borrow::Cow;

/// Bytes kept from the start.
pub const HEAD: usize = 16 * 1024;
/// Bytes kept from the end (between one and two times this, so dropping
/// from the front happens once per `TAIL` bytes, not per line).
pub const TAIL: usize = 48 * 1024;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capped {
    /// The first bytes, up to `HEAD`.
    head: String,
    /// What came after the head, without the dropped middle.
    tail: String,
    /// Bytes dropped between `head` and `tail`.
    cut: usize,
}

impl Capped {
    pub fn new() -> Capped {
        Capped::default()
    }

    pub fn push_str(&mut self, s: &str) {
        let mut s = s;
        if self.cut == 0 && self.tail.is_empty() && self.head.len() < HEAD {
            let n = floor_boundary(s, HEAD - self.head.len());
            self.head.push_str(&s[..n]);
            s = &s[n..];
        }
        if s.len() >= TAIL {
            // The tail there is, and the start of `s`, would go anyway.
            let from = ceil_boundary(s, s.len() - TAIL);
            self.cut += self.tail.len() + from;
            self.tail.clear();
            self.tail.push_str(&s[from..]);
            return;
        }
        self.tail.push_str(s);
        if self.tail.len() > 2 * TAIL {
            let from = ceil_boundary(&self.tail, self.tail.len() - TAIL);
            self.tail.drain(..from);
            self.cut += from;
        }
    }

    /// All of `s` replaces what was there (a result after live output).
    pub fn set(&mut self, s: &str) {
        *self = Capped::new();
        self.push_str(s);
    }

    /// Bytes seen in all, the dropped ones included.
    pub fn seen(&self) -> usize {
        self.head.len() + self.cut + self.tail.len()
    }

    /// The text kept; where the middle was dropped, a line says how much.
    pub fn text(&self) -> Cow<'_, str> {
        match (self.cut, self.tail.is_empty()) {
            (0, true) => Cow::Borrowed(&self.head),
            (0, false) => Cow::Owned(format!("{}{}", self.head, self.tail)),
            (n, _) => Cow::Owned(format!(
                "{}\n[… {} not kept …]\n{}",
                self.head,
                size(n),
                self.tail
            )),
        }
    }

    /// How much was dropped from the middle, as people read it (`3.4 MB`);
    /// None when nothing was.
    pub fn dropped(&self) -> Option<String> {
        (self.cut > 0).then(|| size(self.cut))
    }

    /// The last line that is not blank (what a running call shows).
    pub fn last_line(&self) -> Option<&str> {
        [&self.tail, &self.head]
            .into_iter()
            .flat_map(|s| s.lines().rev())
            .find(|l| !l.trim().is_empty())
    }
}

impl From<&str> for Capped {
    fn from(s: &str) -> Capped {
        let mut c = Capped::new();
        c.push_str(s);
        c
    }
}

/// A byte count as people read it: `900 bytes`, `12 KB`, `3.4 MB`.
fn size(n: usize) -> String {
    if n < 1024 {
        format!("{n} bytes")
    } else if n < 1024 * 1024 {
        format!("{} KB", n / 1024)
    } else {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    }
}

/// `at` moved back to a character boundary of `s` (at most `s.len()`).
pub fn floor_boundary(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// `at` moved forward to a character boundary of `s`.
pub fn ceil_boundary(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_kept_whole() {
        let mut c = Capped::new();
        assert_eq!(c.seen(), 0);
        c.push_str("one\n");
        c.push_str("two\n\n");
        assert_eq!(c.text(), "one\ntwo\n\n");
        assert_eq!(c.seen(), 9);
        assert_eq!(c.last_line(), Some("two"));
        c.set("x");
        assert_eq!(c.text(), "x");
    }

    #[test]
    fn an_endless_output_keeps_its_start_and_end_in_bounded_memory() {
        let mut c = Capped::new();
        c.push_str("FIRST LINE\n");
        let line = "é 0123456789 abcdefghij\n";
        let n = 200_000;
        for _ in 0..n {
            c.push_str(line);
        }
        c.push_str("LAST LINE\n");
        assert_eq!(c.seen(), 11 + n * line.len() + 10);
        assert!(c.head.len() <= HEAD && c.tail.len() <= 2 * TAIL);
        let text = c.text();
        assert!(text.starts_with("FIRST LINE\né 0123"), "{}", &text[..40]);
        assert!(text.ends_with(&format!("{line}LAST LINE\n")));
        let dropped = c.seen() - c.head.len() - c.tail.len();
        assert_eq!(c.cut, dropped);
        assert!(text.contains(&format!("[… {} not kept …]", size(dropped))));
        assert_eq!(c.dropped(), Some(size(dropped)));
        assert_eq!(Capped::from("short").dropped(), None);
        assert_eq!(c.last_line(), Some("LAST LINE"));
    }

    #[test]
    fn one_huge_piece_is_cut_at_once_on_character_boundaries() {
        let s = "日本".repeat(100_000);
        let c = Capped::from(s.as_str());
        assert_eq!(c.seen(), s.len());
        assert!(c.head.len() <= HEAD && c.tail.len() <= TAIL);
        assert!(c.head.chars().all(|ch| ch == '日' || ch == '本'));
        assert!(s.ends_with(&c.tail));
        assert_eq!(c.cut, s.len() - c.head.len() - c.tail.len());
        assert!(
            c.text()
                .contains(&format!("[… {} not kept …]", size(c.cut)))
        );
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(size(900), "900 bytes");
        assert_eq!(size(12 * 1024 + 5), "12 KB");
        assert_eq!(size(3_565_158), "3.4 MB");
    }
}
