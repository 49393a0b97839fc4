//! The screen's layout, bottom up: the status bar (last row), the input
//! editor, an overlay above it when one is open (a picker or the
//! permission dialog), and the transcript in the rest, scrolled by an
//! offset from its bottom. Also the row helpers every part uses: cut a
//! text or a row to a width, pad a row.

use crate::select::{self, Selection};
use crate::style::{Line, Role, Span, Style, Theme};
use crate::term::Frame;
use crate::transcript::Transcript;

/// What one transcript row on screen shows, for clicks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowRef {
    /// Row `row` of entry `entry`.
    Entry {
        entry: usize,
        row: usize,
    },
    Queued,
    /// The `↓ N more` hint or an empty row.
    Other,
}

/// The parts of a frame that are not the transcript.
#[derive(Debug, Default)]
pub struct Chrome<'a> {
    pub queued: &'a [String],
    pub overlay: Vec<Line>,
    /// The input rows; none while the permission dialog takes its place.
    pub input: Vec<Line>,
    /// Whether the input rows get the prompt (`> `, then two spaces).
    pub prompt: bool,
    /// The cursor in `input` as (row, column, before any prompt); none:
    /// hidden.
    pub cursor: Option<(usize, usize)>,
    pub status: Line,
}

/// The scroll position and what the last frame showed where.
#[derive(Debug, Default)]
pub struct View {
    /// Rows scrolled up from the bottom of the transcript (0: pinned to the
    /// bottom, following new output).
    pub offset: usize,
    /// What each row of the last frame's transcript area (from the top of
    /// the screen) shows.
    pub rows: Vec<RowRef>,
    /// The transcript rows of the last frame as drawn (for selections).
    pub lines: Vec<Line>,
    /// Transcript rows that existed at the last frame, for the hint and
    /// for keeping the view still while output arrives.
    total: usize,
}

impl View {
    /// Scrolls up (positive) or down by `n` rows.
    pub fn scroll(&mut self, n: isize) {
        self.offset = if n >= 0 {
            self.offset.saturating_add(n as usize)
        } else {
            self.offset.saturating_sub(n.unsigned_abs())
        };
    }

    pub fn scroll_top(&mut self) {
        self.offset = usize::MAX / 2;
    }

    pub fn scroll_bottom(&mut self) {
        self.offset = 0;
    }

    /// The transcript area's height in the last frame.
    pub fn height(&self) -> usize {
        self.rows.len()
    }

    /// The alternate-screen frame at `width` x `height`.
    pub fn compose(
        &mut self,
        t: &mut Transcript,
        chrome: Chrome,
        selection: Option<&Selection>,
        width: u16,
        height: u16,
        theme: &Theme,
    ) -> Frame {
        let w = usize::from(width);
        let (status_h, input_h, overlay_h) = heights(&chrome, usize::from(height));
        let area = usize::from(height).saturating_sub(status_h + input_h + overlay_h);

        // Keep what is on screen still when output arrives below it.
        let total = self.count_rows(t, chrome.queued.len(), w);
        if self.offset > 0 && total > self.total {
            self.offset += total - self.total;
        }
        self.total = total;
        self.offset = self.offset.min(total.saturating_sub(area));

        let (mut lines, mut refs) = self.collect(t, chrome.queued, w, area, theme);
        if self.offset > 0
            && let Some(last) = lines.last_mut()
        {
            let hint = format!("↓ {} more", self.offset);
            *last = Line::styled(format!("{hint:>w$}"), theme.style(Role::Notice));
            if let Some(r) = refs.last_mut() {
                *r = RowRef::Other;
            }
        }
        // A short transcript sits at the bottom of its area, next to the
        // input, as in a terminal.
        let blank = area - lines.len();
        let mut rows: Vec<Line> = Vec::with_capacity(usize::from(height));
        rows.extend(std::iter::repeat_n(Line::default(), blank));
        self.rows = std::iter::repeat_n(RowRef::Other, blank)
            .chain(refs)
            .collect();
        self.lines = std::iter::repeat_n(Line::default(), blank)
            .chain(lines.iter().cloned())
            .collect();
        for (i, l) in lines.into_iter().enumerate() {
            let row = (blank + i) as u16;
            let l = match selection.and_then(|s| s.columns(row, width)) {
                Some((a, b)) => select::highlight(&l, a, b, theme.style(Role::Selection)),
                None => l,
            };
            rows.push(l);
        }
        finish(rows, &chrome, overlay_h, input_h, status_h == 1, w)
    }

    /// Inline mode's live area: the entries not yet in the scrollback (their
    /// last rows, when they are taller than the screen allows), then the
    /// queued prompts, the overlay, the input and the status bar.
    pub fn compose_live(
        &mut self,
        t: &mut Transcript,
        chrome: Chrome,
        width: u16,
        height: u16,
        theme: &Theme,
    ) -> Frame {
        let w = usize::from(width);
        let (status_h, input_h, overlay_h) = heights(&chrome, usize::from(height));
        let room = usize::from(height).saturating_sub(status_h + input_h + overlay_h);
        let mut live: Vec<Line> = Vec::new();
        for i in t.committed..t.entries.len() {
            live.extend(t.rows(i, w).iter().cloned());
        }
        live.extend(queued_rows(chrome.queued, w, theme));
        let skip = live.len().saturating_sub(room);
        let rows: Vec<Line> = live.into_iter().skip(skip).collect();
        self.rows = vec![RowRef::Other; rows.len()];
        self.lines = rows.clone();
        finish(rows, &chrome, overlay_h, input_h, status_h == 1, w)
    }

    /// All transcript rows at `width` (rendering what is not cached).
    fn count_rows(&self, t: &mut Transcript, queued: usize, width: usize) -> usize {
        let mut n = queued;
        for i in 0..t.entries.len() {
            n += t.rows(i, width).len();
        }
        n
    }

    /// The `area` rows that end `offset` rows above the bottom.
    fn collect(
        &self,
        t: &mut Transcript,
        queued: &[String],
        width: usize,
        area: usize,
        theme: &Theme,
    ) -> (Vec<Line>, Vec<RowRef>) {
        let want = self.offset + area;
        // Bottom-up, then reversed.
        let mut lines: Vec<Line> = Vec::new();
        let mut refs: Vec<RowRef> = Vec::new();
        for l in queued_rows(queued, width, theme).into_iter().rev() {
            if lines.len() >= want {
                break;
            }
            lines.push(l);
            refs.push(RowRef::Queued);
        }
        let mut i = t.entries.len();
        while lines.len() < want && i > 0 {
            i -= 1;
            let rows = t.rows(i, width);
            for (r, l) in rows.iter().enumerate().rev() {
                if lines.len() >= want {
                    break;
                }
                lines.push(l.clone());
                refs.push(RowRef::Entry { entry: i, row: r });
            }
        }
        lines.reverse();
        refs.reverse();
        let keep = lines.len().saturating_sub(self.offset);
        lines.truncate(keep);
        refs.truncate(keep);
        let skip = lines.len().saturating_sub(area);
        (lines.split_off(skip), refs.split_off(skip))
    }
}

/// The rows of the status bar (none on a one-row screen), the input (at
/// most half the screen) and the overlay (leaving a transcript row) on a
/// screen `h` rows high.
fn heights(chrome: &Chrome, h: usize) -> (usize, usize, usize) {
    let status_h = usize::from(h > 1);
    let input_h = chrome.input.len().min((h / 2).max(1));
    let overlay_h = chrome
        .overlay
        .len()
        .min(h.saturating_sub(status_h + input_h + 1));
    (status_h, input_h, overlay_h)
}

/// The frame from the transcript's `rows`: the overlay, the input and the
/// status bar added below them, at most `overlay_h` and `input_h` rows.
fn finish(
    mut rows: Vec<Line>,
    chrome: &Chrome,
    overlay_h: usize,
    input_h: usize,
    status: bool,
    w: usize,
) -> Frame {
    rows.extend(chrome.overlay.iter().take(overlay_h).map(|l| fit(l, w)));
    let (input, cursor) = input_rows(&chrome.input, chrome.prompt, chrome.cursor, input_h, w);
    let input_top = rows.len();
    rows.extend(input);
    if status {
        rows.push(fit(&chrome.status, w));
    }
    Frame {
        rows,
        cursor: cursor.map(|(r, c)| (c as u16, (input_top + r) as u16)),
    }
}

fn queued_rows(queued: &[String], width: usize, theme: &Theme) -> Vec<Line> {
    queued
        .iter()
        .map(|q| {
            let one = q.replace('\n', " ");
            fit(
                &Line::styled(format!("queued: {one}"), theme.style(Role::Notice)),
                width,
            )
        })
        .collect()
}

/// The editor's rows with the prompt (`> `, then two spaces), at most `h`
/// of them around the cursor.
fn input_rows(
    input: &[Line],
    prompt: bool,
    cursor: Option<(usize, usize)>,
    h: usize,
    width: usize,
) -> (Vec<Line>, Option<(usize, usize)>) {
    if input.is_empty() || h == 0 {
        return (Vec::new(), None);
    }
    let indent = if prompt { 2 } else { 0 };
    let rows: Vec<Line> = input
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut spans = Vec::with_capacity(l.spans.len() + 1);
            if prompt {
                spans.push(Span::new(
                    if i == 0 { "> " } else { "  " },
                    Style::default(),
                ));
            }
            spans.extend(l.spans.iter().cloned());
            fit(&Line { spans }, width)
        })
        .collect();
    let cur_row = cursor.map_or(0, |c| c.0).min(rows.len() - 1);
    let first = (cur_row + 1)
        .saturating_sub(h)
        .min(rows.len().saturating_sub(h));
    let rows: Vec<Line> = rows.into_iter().skip(first).take(h).collect();
    let cursor = cursor.map(|(r, c)| {
        (
            r.saturating_sub(first),
            (c + indent).min(width.saturating_sub(1)),
        )
    });
    (rows, cursor)
}

/// `s` cut to `width` cells, ending in `…` when it was longer. Control
/// characters become their visible stand-ins first (wrap::sanitize), so
/// nothing from a model or a tool reaches the terminal as a command.
pub fn cut(s: &str, width: usize) -> String {
    let s = crate::wrap::sanitize(s);
    if crate::wrap::width(&s) <= width {
        return s.into_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut w = 0;
    for ch in s.chars() {
        let cw = crate::wrap::char_width(ch);
        if w + cw > width - 1 {
            break;
        }
        out.push(ch);
        w += cw;
    }
    out.push('…');
    out
}

/// `line` cut to `width` cells (its last cell `…` when cut), control
/// characters shown as their stand-ins.
pub fn fit(line: &Line, width: usize) -> Line {
    let clean;
    let line = if line
        .spans
        .iter()
        .any(|s| matches!(crate::wrap::sanitize(&s.text), std::borrow::Cow::Owned(_)))
    {
        clean = Line {
            spans: line
                .spans
                .iter()
                .map(|s| Span::new(crate::wrap::sanitize(&s.text), s.style))
                .collect(),
        };
        &clean
    } else {
        line
    };
    let total = crate::wrap::line_width(line);
    if total <= width {
        return line.clone();
    }
    let mut spans = Vec::new();
    let mut w = 0;
    let mut last_style = Style::default();
    'outer: for s in &line.spans {
        let mut text = String::new();
        for ch in s.text.chars() {
            let cw = crate::wrap::char_width(ch);
            if w + cw > width.saturating_sub(1) {
                if !text.is_empty() {
                    spans.push(Span::new(text, s.style));
                }
                last_style = s.style;
                break 'outer;
            }
            text.push(ch);
            w += cw;
        }
        last_style = s.style;
        if !text.is_empty() {
            spans.push(Span::new(text, s.style));
        }
    }
    if width > 0 {
        spans.push(Span::new("…", last_style));
    }
    Line { spans }
}

/// `line` padded with spaces in `style` to `width` cells.
pub fn pad(line: &Line, width: usize, style: Style) -> Line {
    let mut l = fit(line, width);
    let w: usize = l.spans.iter().map(|s| crate::wrap::width(&s.text)).sum();
    if w < width {
        l.spans.push(Span::new(" ".repeat(width - w), style));
    }
    l
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::Kind;

    fn frame_text(f: &Frame) -> Vec<String> {
        f.rows.iter().map(Line::text).collect()
    }

    fn chrome<'a>(queued: &'a [String], input: &str) -> Chrome<'a> {
        Chrome {
            queued,
            overlay: Vec::new(),
            input: vec![Line::plain(input)],
            prompt: true,
            cursor: Some((0, input.chars().count())),
            status: Line::plain(" model · status"),
        }
    }

    #[test]
    fn cut_and_fit_respect_wide_characters() {
        assert_eq!(cut("hello", 5), "hello");
        assert_eq!(cut("hello world", 6), "hello…");
        assert_eq!(cut("日本語", 4), "日…");
        let l = Line {
            spans: vec![
                Span::new("ab", Style::default()),
                Span::new("日本", Style::default()),
            ],
        };
        assert_eq!(fit(&l, 5).text(), "ab日…");
        assert_eq!(fit(&l, 6).text(), "ab日本");
        assert_eq!(pad(&Line::plain("x"), 3, Style::default()).text(), "x  ");
        // An escape from a tool never reaches the terminal as one.
        assert_eq!(cut("a\x1b[2Jb", 20), "a␛[2Jb");
        assert_eq!(fit(&Line::plain("\x1b]52;c;x\x07"), 20).text(), "␛]52;c;x␇");
    }

    #[test]
    fn layout_bottom_up_status_input_transcript() {
        let mut t = Transcript::new(Theme::new(false));
        t.user("hello");
        t.notice("interrupted");
        let mut v = View::default();
        let q = vec!["next one".to_string()];
        let f = v.compose(
            &mut t,
            chrome(&q, "typing"),
            None,
            30,
            8,
            &Theme::new(false),
        );
        assert_eq!(
            frame_text(&f),
            [
                "",
                "",
                "› hello",
                "",
                "interrupted",
                "queued: next one",
                "> typing",
                " model · status"
            ]
        );
        assert_eq!(f.cursor, Some((8, 6)));
        assert_eq!(v.rows[2], RowRef::Entry { entry: 0, row: 0 });
    }

    #[test]
    fn scrolling_up_shows_older_rows_and_a_hint() {
        let mut t = Transcript::new(Theme::new(false));
        for i in 0..10 {
            t.push(Kind::Notice(format!("n{i}")));
        }
        let mut v = View::default();
        let th = Theme::new(false);
        let f = v.compose(&mut t, chrome(&[], ""), None, 20, 6, &th);
        assert_eq!(frame_text(&f)[..4], ["n6", "n7", "n8", "n9"]);
        v.scroll(3);
        let f = v.compose(&mut t, chrome(&[], ""), None, 20, 6, &th);
        let rows = frame_text(&f);
        assert_eq!(rows[..3], ["n3", "n4", "n5"]);
        assert!(rows[3].trim() == "↓ 3 more", "{rows:?}");
        // New output below keeps the view where it was.
        t.push(Kind::Notice("n10".into()));
        let f = v.compose(&mut t, chrome(&[], ""), None, 20, 6, &th);
        assert_eq!(frame_text(&f)[..3], ["n3", "n4", "n5"]);
        assert_eq!(v.offset, 4);
        // Past the top stops at the first row.
        v.scroll_top();
        let f = v.compose(&mut t, chrome(&[], ""), None, 20, 6, &th);
        assert_eq!(frame_text(&f)[0], "n0");
        v.scroll_bottom();
        let f = v.compose(&mut t, chrome(&[], ""), None, 20, 6, &th);
        assert_eq!(frame_text(&f)[3], "n10");
    }

    #[test]
    fn a_tall_input_keeps_the_cursor_row_visible() {
        let input: Vec<Line> = (0..10).map(|i| Line::plain(format!("l{i}"))).collect();
        let (rows, cursor) = input_rows(&input, true, Some((9, 2)), 3, 20);
        let t: Vec<String> = rows.iter().map(Line::text).collect();
        assert_eq!(t, ["  l7", "  l8", "  l9"]);
        assert_eq!(cursor, Some((2, 4)));
        let (rows, _) = input_rows(&input, true, Some((0, 0)), 3, 20);
        assert_eq!(rows[0].text(), "> l0");
    }

    #[test]
    fn the_overlay_sits_above_the_input() {
        let mut t = Transcript::new(Theme::new(false));
        t.user("hi");
        let mut v = View::default();
        let mut c = chrome(&[], "");
        c.overlay = vec![
            Line::plain("── permission ──"),
            Line::plain("Allow bash: ls"),
        ];
        let f = v.compose(&mut t, c, None, 30, 6, &Theme::new(false));
        assert_eq!(
            frame_text(&f),
            [
                "",
                "› hi",
                "── permission ──",
                "Allow bash: ls",
                "> ",
                " model · status"
            ]
        );
    }

    #[test]
    fn the_selection_is_highlighted() {
        let mut t = Transcript::new(Theme::new(false));
        t.notice("abcdef");
        let mut v = View::default();
        let sel = Selection {
            anchor: (1, 2),
            head: (2, 2),
        };
        let f = v.compose(
            &mut t,
            chrome(&[], ""),
            Some(&sel),
            10,
            5,
            &Theme::new(false),
        );
        let row = &f.rows[2];
        assert_eq!(row.text(), "abcdef");
        assert!(row.spans.iter().any(|s| s.text == "bc" && s.style.reverse));
        assert_eq!(sel.text(&v.lines, 10), "bc");
    }

    #[test]
    fn the_live_area_holds_what_is_not_yet_in_the_scrollback() {
        let mut t = Transcript::new(Theme::new(false));
        t.user("done already");
        t.apply(r#"{"type":"text_delta","text":"streaming"}"#, false);
        t.committed = 1;
        let mut v = View::default();
        let q = vec!["later".to_string()];
        let f = v.compose_live(&mut t, chrome(&q, "x"), 30, 10, &Theme::new(false));
        assert_eq!(
            frame_text(&f),
            ["", "streaming", "queued: later", "> x", " model · status"]
        );
        assert_eq!(f.cursor, Some((3, 3)));
        // Taller than the screen allows: its last rows.
        for i in 0..20 {
            t.apply(
                &format!(r#"{{"type":"text_delta","text":"\n\nline {i}"}}"#),
                false,
            );
        }
        let f = v.compose_live(&mut t, chrome(&[], "x"), 30, 6, &Theme::new(false));
        let rows = frame_text(&f);
        assert_eq!(rows.len(), 6);
        assert_eq!(rows[3], "line 19");
        assert_eq!(rows[4..], ["> x", " model · status"]);
    }
}
