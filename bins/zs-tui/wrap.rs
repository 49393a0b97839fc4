//! Display width and wrapping: how many terminal cells text takes, and how a
//! styled logical line breaks into rows of a given width.
//!
//! Every row zs-tui draws is made here, so this is also where text from the
//! model or a tool is made safe to print: a tab becomes spaces up to the next
//! 4-column stop, and every other control character (ESC above all, so model
//! output cannot move the cursor, retitle the window or write the clipboard)
//! is shown as a visible stand-in (`␛`, `␇`, `�`) one cell wide. Widths are
//! per character, as terminals count them: wide CJK and emoji take 2 cells,
//! combining marks 0.

use crate::style::{Line, Style};
use std::borrow::Cow;
use unicode_width::UnicodeWidthChar;

/// Tabs expand to the next multiple of this column.
pub const TAB_STOP: usize = 4;

/// How `wrap_with` may break a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Break {
    /// At spaces where it can (the space is dropped), inside a word where
    /// it must: prose.
    Words,
    /// At exactly the width, spaces kept: code and tool output.
    Anywhere,
}

/// The number of terminal cells `s` takes, as printed by zs-tui (tabs
/// expanded from column 0, control characters as their 1-cell stand-in).
pub fn width(s: &str) -> usize {
    if is_plain(s) {
        return s.len();
    }
    let mut col = 0;
    for c in s.chars() {
        col += advance(c, col);
    }
    col
}

/// The number of cells a styled line takes (its spans printed in a row).
pub fn line_width(line: &Line) -> usize {
    if let Some(n) = plain_width(line) {
        return n;
    }
    let mut col = 0;
    for span in &line.spans {
        for c in span.text.chars() {
            col += advance(c, col);
        }
    }
    col
}

/// The cells of one character: the width of what is printed for it.
/// A tab depends on the column, so this is for anything but a tab.
pub fn char_width(c: char) -> usize {
    shown(c).width().unwrap_or(0)
}

/// `s` as it is printed: tabs expanded (from column 0), control characters
/// replaced by their stand-ins. Borrowed when there is nothing to change.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_care) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut col = 0;
    for c in s.chars() {
        let n = advance(c, col);
        if c == '\t' {
            out.extend(std::iter::repeat_n(' ', n));
        } else {
            out.push(shown(c));
        }
        col += n;
    }
    Cow::Owned(out)
}

/// Wraps one logical line into rows of at most `width` cells, breaking at
/// spaces where it can and inside a word where it must. An empty line is
/// one empty row. A width of 0 counts as 1; a wide character never splits,
/// so at width 1 it sits alone on a row two cells wide (the one row that can
/// exceed the width).
pub fn wrap(line: &Line, width: usize) -> Vec<Line> {
    if plain_width(line).is_some_and(|n| n <= width.max(1)) {
        return vec![line.clone()];
    }
    let g = glyphs(line);
    word_rows(&g, width, width)
        .into_iter()
        .map(|(a, b)| to_line(&g[a..b]))
        .collect()
}

/// Breaks a line at exactly `width` cells, spaces and all: for code, which
/// must keep its columns.
pub fn hard_wrap(line: &Line, width: usize) -> Vec<Line> {
    if plain_width(line).is_some_and(|n| n <= width.max(1)) {
        return vec![line.clone()];
    }
    let g = glyphs(line);
    hard_rows(&g, width, width)
        .into_iter()
        .map(|(a, b)| to_line(&g[a..b]))
        .collect()
}

/// Wraps `line` to rows of `width` cells that each start with a prefix:
/// `first` on the first row, `rest` on the others (`› ` and two spaces for a
/// user message, four spaces for tool output). The text gets what the
/// prefix leaves, at least one cell.
pub fn wrap_prefixed(line: &Line, width: usize, first: &Line, rest: &Line) -> Vec<Line> {
    wrap_with(line, width, first, rest, Break::Words)
}

/// `wrap_prefixed` with the choice of how to break.
pub fn wrap_with(line: &Line, width: usize, first: &Line, rest: &Line, mode: Break) -> Vec<Line> {
    let g = glyphs(line);
    let w1 = width.saturating_sub(first.width());
    let w2 = width.saturating_sub(rest.width());
    let rows = match mode {
        Break::Words => word_rows(&g, w1, w2),
        Break::Anywhere => hard_rows(&g, w1, w2),
    };
    rows.into_iter()
        .enumerate()
        .map(|(i, (a, b))| {
            let mut row = if i == 0 { first.clone() } else { rest.clone() };
            row.extend(&to_line(&g[a..b]));
            row
        })
        .collect()
}

/// `s` cut to `width` cells, ending in `…` when something was cut.
pub fn truncate(s: &str, width: usize) -> String {
    truncate_line(&Line::plain(s), width).text()
}

/// A styled line cut to `width` cells, ending in `…` (in the style of the
/// first character cut) when something was cut. Sanitized either way.
pub fn truncate_line(line: &Line, width: usize) -> Line {
    let g = glyphs(line);
    let total: usize = g.iter().map(|x| x.w).sum();
    if total <= width {
        return to_line(&g);
    }
    if width == 0 {
        return Line::default();
    }
    let mut col = 0;
    let mut end = 0;
    while end < g.len() && col + g[end].w < width {
        col += g[end].w;
        end += 1;
    }
    // Marks that combine with the last kept character stay with it.
    while end < g.len() && g[end].w == 0 {
        end += 1;
    }
    let mut out = to_line(&g[..end]);
    let style = g.get(end).map_or(Style::default(), |x| x.style);
    out.push("…", style);
    out
}

/// `s` sanitized and padded with spaces to `width` cells (never cut).
pub fn pad(s: &str, width: usize) -> String {
    let s = sanitize(s);
    let n = width.saturating_sub(self::width(&s));
    let mut out = s.into_owned();
    out.extend(std::iter::repeat_n(' ', n));
    out
}

/// A line sanitized and padded with unstyled spaces to `width` cells.
pub fn pad_line(line: &Line, width: usize) -> Line {
    let g = glyphs(line);
    let mut out = to_line(&g);
    let used: usize = g.iter().map(|x| x.w).sum();
    out.push(&" ".repeat(width.saturating_sub(used)), Style::default());
    out
}

/// The part of a row between cells `from` (included) and `to` (excluded),
/// sanitized: what a mouse selection over those columns copies. A wide
/// character counts when both its cells are inside.
pub fn slice(line: &Line, from: usize, to: usize) -> Line {
    let g = glyphs(line);
    let mut kept = Vec::new();
    let mut col = 0;
    let mut keep_prev = false;
    for x in g {
        let keep = if x.w == 0 {
            keep_prev
        } else {
            col >= from && col + x.w <= to
        };
        if keep {
            kept.push(x);
        }
        keep_prev = keep;
        col += x.w;
    }
    to_line(&kept)
}

/// One character as printed: the character (or its stand-in), its cells and
/// its style.
#[derive(Debug, Clone, Copy)]
struct Glyph {
    c: char,
    w: usize,
    style: Style,
}

/// Printable ASCII only: one cell a byte, nothing to sanitize. Most text
/// is, and it skips the per-character work.
fn is_plain(s: &str) -> bool {
    s.bytes().all(|b| (b' '..=b'~').contains(&b))
}

/// The width of a line of printable ASCII, or None.
fn plain_width(line: &Line) -> Option<usize> {
    let mut n = 0;
    for span in &line.spans {
        if !is_plain(&span.text) {
            return None;
        }
        n += span.text.len();
    }
    Some(n)
}

fn needs_care(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

/// What is printed for `c`: itself, or a visible stand-in for a control
/// character. C0 controls have Unicode "control pictures" (ESC is `␛`);
/// C1 controls (0x9b is a one-byte CSI on some terminals) and the line and
/// paragraph separators become `�`.
fn shown(c: char) -> char {
    match c {
        '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
        '\u{7f}' => '\u{2421}',
        '\u{80}'..='\u{9f}' | '\u{2028}' | '\u{2029}' => '\u{fffd}',
        _ => c,
    }
}

/// The cells `c` advances the cursor from column `col`.
fn advance(c: char, col: usize) -> usize {
    if c == '\t' {
        TAB_STOP - col % TAB_STOP
    } else {
        char_width(c)
    }
}

/// The line as printed, one glyph per cell-taking character (a tab becomes
/// its spaces).
fn glyphs(line: &Line) -> Vec<Glyph> {
    let mut out = Vec::new();
    let mut col = 0;
    for span in &line.spans {
        for c in span.text.chars() {
            let n = advance(c, col);
            if c == '\t' {
                let space = Glyph {
                    c: ' ',
                    w: 1,
                    style: span.style,
                };
                out.extend(std::iter::repeat_n(space, n));
            } else {
                out.push(Glyph {
                    c: shown(c),
                    w: n,
                    style: span.style,
                });
            }
            col += n;
        }
    }
    out
}

fn to_line(g: &[Glyph]) -> Line {
    let mut line = Line::default();
    let mut buf = [0u8; 4];
    for x in g {
        line.push(x.c.encode_utf8(&mut buf), x.style);
    }
    line
}

fn is_space(x: &Glyph) -> bool {
    x.c == ' '
}

/// `end` moved back over trailing spaces of `g[start..end]`.
fn trim_end(g: &[Glyph], start: usize, mut end: usize) -> usize {
    while end > start && is_space(&g[end - 1]) {
        end -= 1;
    }
    end
}

/// Greedy word wrapping: the rows as ranges of `g`, the first row `first`
/// cells wide at most, the others `rest`. Rows are contiguous because the
/// only thing dropped is the run of spaces at a break.
fn word_rows(g: &[Glyph], first: usize, rest: usize) -> Vec<(usize, usize)> {
    let rest = rest.max(1);
    let mut limit = first.max(1);
    let mut rows = Vec::new();
    let (mut start, mut col, mut i) = (0, 0, 0);
    while i < g.len() {
        let space = is_space(&g[i]);
        let mut j = i;
        let mut w = 0;
        while j < g.len() && is_space(&g[j]) == space {
            w += g[j].w;
            j += 1;
        }
        if space {
            if col + w <= limit {
                col += w;
            } else {
                // The break falls in this run of spaces: they go.
                rows.push((start, i));
                start = j;
                col = 0;
                limit = rest;
            }
            i = j;
            continue;
        }
        if col + w <= limit {
            col += w;
            i = j;
            continue;
        }
        let has_text = g[start..i].iter().any(|x| !is_space(x));
        if has_text && w <= rest {
            // The word fits a row of its own: break before it.
            rows.push((start, trim_end(g, start, i)));
            start = i;
            col = 0;
            limit = rest;
            continue;
        }
        // Too long for any row (a URL, a path, CJK without spaces): fill
        // this row and break inside the word, never inside a character.
        for k in i..j {
            if col + g[k].w > limit && k > start {
                rows.push((start, trim_end(g, start, k)));
                start = k;
                col = 0;
                limit = rest;
            }
            col += g[k].w;
        }
        i = j;
    }
    if start < g.len() || rows.is_empty() {
        rows.push((start, g.len()));
    }
    rows
}

/// Breaks at exactly the limit; spaces are kept.
fn hard_rows(g: &[Glyph], first: usize, rest: usize) -> Vec<(usize, usize)> {
    let rest = rest.max(1);
    let mut limit = first.max(1);
    let mut rows = Vec::new();
    let (mut start, mut col) = (0, 0);
    for (k, x) in g.iter().enumerate() {
        if col + x.w > limit && k > start {
            rows.push((start, k));
            start = k;
            col = 0;
            limit = rest;
        }
        col += x.w;
    }
    rows.push((start, g.len()));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::style::Span;

    fn texts(rows: &[Line]) -> Vec<String> {
        rows.iter().map(Line::text).collect()
    }

    fn words(s: &str, width: usize) -> Vec<String> {
        texts(&wrap(&Line::plain(s), width))
    }

    fn bold() -> Style {
        Style {
            bold: true,
            ..Style::default()
        }
    }

    #[test]
    fn width_counts_cells_not_characters() {
        assert_eq!(width("hello"), 5);
        assert_eq!(width("你好"), 4);
        assert_eq!(width("🦀"), 2);
        // e + combining acute accent: one cell.
        assert_eq!(width("e\u{301}"), 1);
        assert_eq!(width(""), 0);
    }

    #[test]
    fn tabs_expand_to_four_column_stops() {
        assert_eq!(width("\t"), 4);
        assert_eq!(width("a\tb"), 5);
        assert_eq!(width("abcd\tb"), 9);
        assert_eq!(sanitize("a\tb"), "a   b");
        assert_eq!(sanitize("ab\tc\td"), "ab  c   d");
        // The column counts wide characters as two.
        assert_eq!(sanitize("你\tx"), "你  x");
    }

    #[test]
    fn controls_are_shown_as_one_cell_stand_ins() {
        assert_eq!(sanitize("\x1b[2J"), "␛[2J");
        assert_eq!(sanitize("bell\x07"), "bell␇");
        assert_eq!(sanitize("a\rb"), "a␍b");
        assert_eq!(sanitize("del\x7f"), "del␡");
        assert_eq!(sanitize("\u{9b}31m"), "\u{fffd}31m");
        assert_eq!(width("\x1b[2J"), 4);
        assert!(matches!(sanitize("plain 你好"), Cow::Borrowed(_)));
    }

    #[test]
    fn escape_injection_never_reaches_a_row() {
        let evil = "ok\x1b]52;c;ZXZpbA==\x07 \x1b[2J\x1b[H\u{9b}2J done";
        let mut all = Vec::new();
        for w in [1, 3, 7, 80] {
            all.extend(wrap(&Line::plain(evil), w));
            all.extend(hard_wrap(&Line::plain(evil), w));
        }
        all.push(truncate_line(&Line::plain(evil), 10));
        all.push(pad_line(&Line::plain(evil), 100));
        all.push(slice(&Line::plain(evil), 0, 100));
        for row in &all {
            let t = row.text();
            assert!(!t.chars().any(|c| c.is_control()), "{t:?}");
        }
        assert_eq!(
            texts(&wrap(&Line::plain(evil), 80)),
            ["ok␛]52;c;ZXZpbA==␇ ␛[2J␛[H\u{fffd}2J done"]
        );
        assert!(!truncate(evil, 5).contains('\x1b'));
        assert!(!pad(evil, 5).contains('\x1b'));
    }

    #[test]
    fn words_wrap_at_spaces_and_the_space_at_a_break_goes() {
        assert_eq!(
            words("the quick brown fox jumps", 10),
            ["the quick", "brown fox", "jumps"]
        );
        // A row that ends exactly at the width.
        assert_eq!(words("abcd efgh", 4), ["abcd", "efgh"]);
        // A run of spaces at a break goes entirely.
        assert_eq!(words("abc     def", 5), ["abc", "def"]);
        assert_eq!(words("short", 80), ["short"]);
    }

    #[test]
    fn spaces_inside_a_row_and_indentation_stay() {
        assert_eq!(words("  a  b", 10), ["  a  b"]);
        assert_eq!(words("    one two three", 10), ["    one", "two three"]);
        assert_eq!(words("trailing  ", 20), ["trailing  "]);
    }

    #[test]
    fn an_empty_line_is_one_empty_row() {
        assert_eq!(wrap(&Line::default(), 10), vec![Line::default()]);
        assert_eq!(words("", 10), [""]);
        assert_eq!(texts(&hard_wrap(&Line::plain(""), 10)), [""]);
    }

    #[test]
    fn a_word_longer_than_the_width_breaks_inside() {
        assert_eq!(words("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        // After other words it fills the row first instead of leaving a gap.
        assert_eq!(
            words("see https://example.com/a/b/c", 12),
            ["see https://", "example.com/", "a/b/c"]
        );
        // A word that fits a row of its own moves to the next row.
        assert_eq!(words("see example.com", 12), ["see", "example.com"]);
    }

    #[test]
    fn wide_characters_never_split_at_odd_widths() {
        assert_eq!(words("你好世界", 3), ["你", "好", "世", "界"]);
        assert_eq!(words("你好世界", 5), ["你好", "世界"]);
        assert_eq!(words("a你好世", 4), ["a你", "好世"]);
        assert_eq!(words("ab 你好 cd", 5), ["ab", "你好", "cd"]);
        assert_eq!(texts(&hard_wrap(&Line::plain("x你好"), 3)), ["x你", "好"]);
        for w in 1..8 {
            for row in wrap(&Line::plain("日本語のテキスト、emoji 🦀🦀 mixed"), w) {
                assert!(row.width() <= w.max(2), "{w}: {:?}", row.text());
                if w >= 2 {
                    assert!(row.width() <= w, "{w}: {:?}", row.text());
                }
            }
        }
    }

    #[test]
    fn combining_marks_stay_with_their_letter() {
        assert_eq!(
            words("e\u{301}e\u{301}e\u{301}", 2),
            ["e\u{301}e\u{301}", "e\u{301}"]
        );
    }

    #[test]
    fn width_zero_and_one_do_not_hang() {
        assert_eq!(words("ab cd", 1), ["a", "b", "c", "d"]);
        assert_eq!(words("ab cd", 0), ["a", "b", "c", "d"]);
        assert_eq!(words("你好", 1), ["你", "好"]);
        assert_eq!(words("   ", 0), [""]);
        assert_eq!(texts(&hard_wrap(&Line::plain("abc"), 0)), ["a", "b", "c"]);
        assert_eq!(truncate("abc", 0), "");
        assert_eq!(truncate("abc", 1), "…");
        let first = Line::plain("› ");
        let rest = Line::plain("  ");
        assert_eq!(
            texts(&wrap_prefixed(&Line::plain("hi you"), 1, &first, &rest)),
            ["› h", "  i", "  y", "  o", "  u"]
        );
    }

    #[test]
    fn styles_are_kept_across_breaks() {
        let line = Line::new(vec![
            Span::new("hello world", bold()),
            Span::new(" again", Style::default()),
        ]);
        let rows = wrap(&line, 6);
        assert_eq!(
            rows,
            vec![
                Line::styled("hello", bold()),
                Line::styled("world", bold()),
                Line::plain("again"),
            ]
        );
        // A break inside a word that changes style.
        let line = Line::new(vec![
            Span::new("ab", Style::default()),
            Span::new("cdef", bold()),
        ]);
        assert_eq!(
            wrap(&line, 3),
            vec![
                Line::new(vec![
                    Span::new("ab", Style::default()),
                    Span::new("c", bold())
                ]),
                Line::styled("def", bold()),
            ]
        );
    }

    #[test]
    fn hard_wrap_keeps_spaces_and_columns() {
        let code = Line::styled("fn main() { x }", bold());
        assert_eq!(
            hard_wrap(&code, 5),
            vec![
                Line::styled("fn ma", bold()),
                Line::styled("in() ", bold()),
                Line::styled("{ x }", bold()),
            ]
        );
        assert_eq!(texts(&hard_wrap(&Line::plain("\tx"), 3)), ["   ", " x"]);
    }

    #[test]
    fn prefixes_start_every_row() {
        let first = Line::styled("› ", bold());
        let rest = Line::plain("  ");
        let rows = wrap_prefixed(&Line::plain("one two three"), 9, &first, &rest);
        assert_eq!(texts(&rows), ["› one two", "  three"]);
        assert_eq!(rows[0].spans[0], Span::new("› ", bold()));
        let out = Line::plain("    ");
        let rows = wrap_with(&Line::plain("abcdefgh ij"), 8, &out, &out, Break::Anywhere);
        assert_eq!(texts(&rows), ["    abcd", "    efgh", "     ij"]);
    }

    #[test]
    fn truncate_ends_in_an_ellipsis_only_when_it_cuts() {
        assert_eq!(truncate("hello world", 8), "hello w…");
        assert_eq!(truncate("hello", 5), "hello");
        assert_eq!(truncate("你好世界", 5), "你好…");
        assert_eq!(truncate("你好世界", 4), "你…");
        assert_eq!(truncate("a\tb", 3), "a …");
        let line = Line::new(vec![
            Span::new("ab", Style::default()),
            Span::new("cdef", bold()),
        ]);
        assert_eq!(
            truncate_line(&line, 4),
            Line::new(vec![
                Span::new("ab", Style::default()),
                Span::new("c…", bold())
            ])
        );
    }

    #[test]
    fn pad_fills_to_the_width_and_never_cuts() {
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(pad("你", 4), "你  ");
        assert_eq!(pad("abcdef", 4), "abcdef");
        assert_eq!(pad_line(&Line::styled("ab", bold()), 3).width(), 3);
    }

    #[test]
    fn slice_takes_whole_characters_between_columns() {
        let line = Line::plain("ab你好cd");
        assert_eq!(slice(&line, 0, 2).text(), "ab");
        assert_eq!(slice(&line, 2, 6).text(), "你好");
        // Half of a wide character is not taken.
        assert_eq!(slice(&line, 3, 8).text(), "好cd");
        assert_eq!(slice(&line, 0, 3).text(), "ab");
        assert_eq!(slice(&Line::plain("e\u{301}x"), 0, 1).text(), "e\u{301}");
    }
}
