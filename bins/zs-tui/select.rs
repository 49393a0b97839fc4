//! Mouse selection over the transcript: a drag marks cells from where the
//! button went down to where it is, the marked cells are drawn in the
//! Selection style, and on release their text goes to the clipboard with
//! OSC 52 (`ESC ] 52 ; c ; <base64> BEL`), which the terminal handles, so
//! it works over ssh and inside tmux (with `set-clipboard on`).

use crate::style::{Line, Span, Style};

/// A cell on screen: column and row.
pub type Cell = (u16, u16);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    pub anchor: Cell,
    pub head: Cell,
}

impl Selection {
    pub fn new(at: Cell) -> Selection {
        Selection {
            anchor: at,
            head: at,
        }
    }

    /// Start and end in reading order (row first).
    pub fn ordered(&self) -> (Cell, Cell) {
        let key = |c: Cell| (c.1, c.0);
        if key(self.anchor) <= key(self.head) {
            (self.anchor, self.head)
        } else {
            (self.head, self.anchor)
        }
    }

    /// The columns selected on screen row `row` (end exclusive), if any.
    pub fn columns(&self, row: u16, width: u16) -> Option<(u16, u16)> {
        let ((c0, r0), (c1, r1)) = self.ordered();
        if row < r0 || row > r1 {
            return None;
        }
        let from = if row == r0 { c0 } else { 0 };
        let to = if row == r1 {
            c1.saturating_add(1)
        } else {
            width
        };
        (from < to).then_some((from, to))
    }

    pub fn is_empty(&self) -> bool {
        self.anchor == self.head
    }

    /// The selected text of `rows` (the screen rows, from the top of the
    /// area the selection's rows count from): rows joined by newlines,
    /// trailing blanks of each row dropped.
    pub fn text(&self, rows: &[Line], width: u16) -> String {
        let ((_, r0), (_, r1)) = self.ordered();
        let mut out: Vec<String> = Vec::new();
        for r in r0..=r1 {
            let Some(line) = rows.get(usize::from(r)) else {
                break;
            };
            let (from, to) = self.columns(r, width).unwrap_or((0, 0));
            out.push(cells(&line.text(), from, to).trim_end().to_string());
        }
        out.join("\n")
    }
}

/// The characters of `s` whose cells start in `from..to`.
fn cells(s: &str, from: u16, to: u16) -> String {
    let mut col = 0u16;
    let mut out = String::new();
    for ch in s.chars() {
        let w = crate::wrap::char_width(ch) as u16;
        if col >= from && col < to {
            out.push(ch);
        }
        col = col.saturating_add(w);
        if col >= to && w > 0 {
            break;
        }
    }
    out
}

/// `line` with cells `from..to` drawn in `style` (over their own).
pub fn highlight(line: &Line, from: u16, to: u16, style: Style) -> Line {
    let mut out: Vec<Span> = Vec::new();
    let mut col = 0u16;
    let push = |out: &mut Vec<Span>, ch: char, st: Style| match out.last_mut() {
        Some(last) if last.style == st => last.text.push(ch),
        _ => out.push(Span::new(ch.to_string(), st)),
    };
    for span in &line.spans {
        for ch in span.text.chars() {
            let inside = col >= from && col < to;
            let st = if inside {
                Style {
                    reverse: !span.style.reverse,
                    ..merge(span.style, style)
                }
            } else {
                span.style
            };
            push(&mut out, ch, st);
            col = col.saturating_add(crate::wrap::char_width(ch) as u16);
        }
    }
    // A selection past the end of the text still shows (blank cells).
    if to > col && from < to {
        let pad = usize::from(to - col.max(from));
        let lead = usize::from(from.saturating_sub(col));
        if lead > 0 {
            out.push(Span::new(" ".repeat(lead), Style::default()));
        }
        let st = Style {
            reverse: true,
            ..style
        };
        out.push(Span::new(" ".repeat(pad), st));
    }
    Line { spans: out }
}

fn merge(base: Style, sel: Style) -> Style {
    Style {
        fg: sel.fg.or(base.fg),
        bg: sel.bg.or(base.bg),
        ..base
    }
}

/// Standard base64 with padding (RFC 4648), for OSC 52.
pub fn base64(data: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The OSC 52 sequence that puts `text` on the system clipboard.
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", base64(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (i, o) in cases {
            assert_eq!(base64(i.as_bytes()), o, "{i}");
        }
        assert_eq!(base64(&[0xff, 0xfe, 0x00]), "//4A");
        assert_eq!(osc52("hi"), "\x1b]52;c;aGk=\x07");
    }

    #[test]
    fn text_across_rows_in_reading_order() {
        let rows = vec![
            Line::plain("first row here"),
            Line::plain("second"),
            Line::plain("third row"),
        ];
        // Dragged upwards: from (4, 2) back to (6, 0).
        let s = Selection {
            anchor: (4, 2),
            head: (6, 0),
        };
        assert_eq!(s.text(&rows, 20), "row here\nsecond\nthird");
        let one = Selection {
            anchor: (0, 1),
            head: (2, 1),
        };
        assert_eq!(one.text(&rows, 20), "sec");
    }

    #[test]
    fn wide_characters_count_two_cells() {
        let rows = vec![Line::plain("日本語 ok")];
        let s = Selection {
            anchor: (2, 0),
            head: (5, 0),
        };
        assert_eq!(s.text(&rows, 20), "本語");
    }

    #[test]
    fn highlight_splits_spans_at_the_selection() {
        let l = Line::plain("abcdef");
        let h = highlight(&l, 2, 4, Style::default());
        let parts: Vec<(&str, bool)> = h
            .spans
            .iter()
            .map(|s| (s.text.as_str(), s.style.reverse))
            .collect();
        assert_eq!(parts, [("ab", false), ("cd", true), ("ef", false)]);
        // Past the end: blank selected cells.
        let h = highlight(&Line::plain("ab"), 1, 5, Style::default());
        assert_eq!(h.text(), "ab   ");
        assert!(h.spans.last().unwrap().style.reverse);
    }
}
