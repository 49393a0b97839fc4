//! The terminal: its modes (raw, alternate screen or inline, bracketed
//! paste, mouse reports), a guard that restores them on every way out
//! (return, error, panic, signal), and the drawing of frames.
//!
//! A frame is a list of rows. The previous frame is kept and only rows
//! that changed are rewritten, inside a synchronized update, so a key
//! press costs about one row's bytes and nothing flickers.
//!
//! Inline mode (`--inline`) draws the live area (what still changes, the
//! input and the status bar) just below the shell's output and prints
//! finished transcript rows above it, into the terminal's own scrollback,
//! the way Codex CLI's inline mode does. The mouse is left to the
//! terminal there, so its own selection and wheel scrolling work.

use crate::style::{Line, Style};
use crossterm::cursor::{Hide, MoveTo, Show};
use crossterm::event::{
    DisableBracketedPaste, EnableBracketedPaste, KeyboardEnhancementFlags,
    PopKeyboardEnhancementFlags, PushKeyboardEnhancementFlags,
};
use crossterm::queue;
use crossterm::style::{Attribute, SetAttribute, SetBackgroundColor, SetForegroundColor};
use crossterm::terminal::{
    BeginSynchronizedUpdate, Clear, ClearType, EndSynchronizedUpdate, EnterAlternateScreen,
    LeaveAlternateScreen,
};
use std::io::{self, Write};
use std::sync::atomic::{AtomicU8, Ordering};

/// What is on screen: rows from the top of the drawing area, and where the
/// cursor shows (none: hidden).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frame {
    pub rows: Vec<Line>,
    pub cursor: Option<(u16, u16)>,
}

// Mouse reports: button presses, drags while a button is held, SGR
// coordinates. Not crossterm's EnableMouseCapture, which also asks for
// every motion (1003) and would wake zs-tui whenever the pointer moves.
const MOUSE_ON: &str = "\x1b[?1000h\x1b[?1002h\x1b[?1006h";
const MOUSE_OFF: &str = "\x1b[?1006l\x1b[?1002l\x1b[?1000l";

// What the panic hook and signal paths must undo; set while the terminal
// is in our modes. Bits: 1 set up, 2 alternate screen, 4 mouse, 8
// keyboard flags pushed.
static ACTIVE: AtomicU8 = AtomicU8::new(0);
const ON: u8 = 1;
const ALT: u8 = 2;
const MOUSE: u8 = 4;
const KEYS: u8 = 8;

/// Puts the terminal back as the shell expects it. Safe to call twice.
pub fn restore() {
    let state = ACTIVE.swap(0, Ordering::SeqCst);
    if state & ON == 0 {
        return;
    }
    let mut out = io::stdout();
    let mut buf = Vec::new();
    if state & KEYS != 0 {
        let _ = queue!(buf, PopKeyboardEnhancementFlags);
    }
    if state & MOUSE != 0 {
        buf.extend_from_slice(MOUSE_OFF.as_bytes());
    }
    let _ = queue!(
        buf,
        DisableBracketedPaste,
        SetAttribute(Attribute::Reset),
        Show
    );
    if state & ALT != 0 {
        let _ = queue!(buf, LeaveAlternateScreen);
    }
    let _ = out.write_all(&buf);
    let _ = out.flush();
    let _ = crossterm::terminal::disable_raw_mode();
}

/// Restores the terminal before a panic message is printed, so the message
/// is readable and the shell usable.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

/// The terminal in zs-tui's modes; dropping it restores them.
pub struct Term {
    inline: bool,
    keyboard_flags: bool,
    width: u16,
    height: u16,
    prev: Vec<Line>,
    prev_cursor: Option<(u16, u16)>,
    /// The whole drawing area must be rewritten (first frame, resize,
    /// Ctrl-L, after another program had the screen).
    dirty: bool,
    /// Inline: the rows above the live area that hold the shell's output
    /// and our committed rows; the live area starts here.
    used_top: u16,
    live_top: u16,
}

impl Term {
    /// Enters raw mode and the screen mode. In inline mode the live area
    /// starts on the cursor's row.
    pub fn start(inline: bool) -> io::Result<Term> {
        crossterm::terminal::enable_raw_mode()?;
        ACTIVE.store(ON, Ordering::SeqCst);
        let (width, height) = crossterm::terminal::size().unwrap_or((80, 24));
        // Both queries read the terminal's answer, which only works before
        // the reader thread starts.
        let used_top = if inline {
            crossterm::cursor::position().map_or(height.saturating_sub(1), |(_, y)| y)
        } else {
            0
        };
        // Terminals with the kitty keyboard protocol tell Shift+Enter from
        // Enter only when asked to.
        let keyboard_flags = crossterm::terminal::supports_keyboard_enhancement().unwrap_or(false);
        let mut t = Term {
            inline,
            keyboard_flags,
            width: width.max(1),
            height: height.max(1),
            prev: Vec::new(),
            prev_cursor: None,
            dirty: true,
            used_top,
            live_top: used_top,
        };
        t.enter()?;
        Ok(t)
    }

    fn enter(&mut self) -> io::Result<()> {
        crossterm::terminal::enable_raw_mode()?;
        let mut buf = Vec::new();
        let mut state = ON;
        if !self.inline {
            queue!(buf, EnterAlternateScreen)?;
            state |= ALT;
            buf.extend_from_slice(MOUSE_ON.as_bytes());
            state |= MOUSE;
        }
        queue!(buf, EnableBracketedPaste)?;
        if self.keyboard_flags {
            queue!(
                buf,
                PushKeyboardEnhancementFlags(KeyboardEnhancementFlags::DISAMBIGUATE_ESCAPE_CODES)
            )?;
            state |= KEYS;
        }
        ACTIVE.store(state, Ordering::SeqCst);
        let mut out = io::stdout();
        out.write_all(&buf)?;
        out.flush()?;
        self.dirty = true;
        Ok(())
    }

    /// Leaves our modes so another program can use the terminal ($EDITOR,
    /// the shell after Ctrl-Z). In inline mode the live area is cleared
    /// first, so the other program starts on a clean line.
    pub fn suspend(&mut self) -> io::Result<()> {
        if self.inline {
            self.clear_live()?;
        }
        restore();
        Ok(())
    }

    /// Back to our modes after [`Term::suspend`]; everything is redrawn.
    /// `ask_cursor`: in inline mode, ask the terminal where the cursor is,
    /// which needs the reader thread paused; otherwise the live area starts
    /// on the last row.
    pub fn resume(&mut self, ask_cursor: bool) -> io::Result<()> {
        if let Ok((w, h)) = crossterm::terminal::size() {
            self.width = w.max(1);
            self.height = h.max(1);
        }
        self.enter()?;
        if self.inline {
            // The other program (or the shell after Ctrl-Z) left the cursor
            // below its output: the live area starts there. The reader
            // thread waits for us meanwhile (events.rs), so the answer to
            // the query is ours to read.
            let last = self.height.saturating_sub(1);
            self.used_top = if ask_cursor {
                crossterm::cursor::position().map_or(last, |(_, y)| y)
            } else {
                last
            };
        }
        Ok(())
    }

    /// Inline mode: clears the live area (from its top to the end).
    fn clear_live(&self) -> io::Result<()> {
        let mut buf = Vec::new();
        queue!(
            buf,
            MoveTo(0, self.live_top),
            Clear(ClearType::FromCursorDown)
        )?;
        io::stdout().write_all(&buf)
    }

    pub fn size(&self) -> (u16, u16) {
        (self.width, self.height)
    }

    pub fn is_inline(&self) -> bool {
        self.inline
    }

    /// The terminal was resized: everything is redrawn at the new size.
    pub fn resize(&mut self, width: u16, height: u16) {
        self.width = width.max(1);
        self.height = height.max(1);
        if self.inline {
            // The terminal reflowed its lines; keep the live area where it
            // was if it still fits.
            self.used_top = self.live_top.min(self.height.saturating_sub(1));
        }
        self.dirty = true;
    }

    /// Forgets the previous frame (Ctrl-L).
    pub fn invalidate(&mut self) {
        self.dirty = true;
    }

    /// Writes raw bytes (an OSC 52 sequence) at once.
    pub fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut out = io::stdout();
        out.write_all(bytes)?;
        out.flush()
    }

    /// Inline mode: prints finished rows into the terminal's scrollback,
    /// above the live area. The next [`Term::draw`] redraws the live area
    /// below them.
    pub fn commit(&mut self, rows: &[Line]) -> io::Result<()> {
        if rows.is_empty() || !self.inline {
            return Ok(());
        }
        let mut buf = Vec::new();
        queue!(buf, BeginSynchronizedUpdate, Hide)?;
        for row in rows {
            if self.used_top >= self.height {
                // A line feed on the last row scrolls the screen up: the top
                // row goes into the terminal's scrollback.
                queue!(buf, MoveTo(0, self.height - 1))?;
                buf.push(b'\n');
                self.used_top = self.height - 1;
            }
            queue!(buf, MoveTo(0, self.used_top))?;
            write_row(&mut buf, row, self.width)?;
            self.used_top += 1;
        }
        queue!(buf, EndSynchronizedUpdate)?;
        let mut out = io::stdout();
        out.write_all(&buf)?;
        out.flush()?;
        self.dirty = true;
        Ok(())
    }

    /// Draws a frame, rewriting only the rows that changed. In alternate
    /// screen mode the frame has one row per screen row; in inline mode it
    /// is the live area, drawn below the committed rows (scrolling them up
    /// when it does not fit).
    pub fn draw(&mut self, frame: &Frame) -> io::Result<()> {
        let mut buf = Vec::new();
        queue!(buf, BeginSynchronizedUpdate, Hide)?;
        let rows = frame.rows.len().min(usize::from(self.height)) as u16;
        let top = if self.inline {
            if self.used_top.saturating_add(rows) > self.height {
                let n = self.used_top.saturating_add(rows) - self.height;
                queue!(buf, MoveTo(0, self.height - 1))?;
                buf.extend(std::iter::repeat_n(b'\n', usize::from(n)));
                self.used_top -= n;
                self.dirty = true;
            }
            if self.used_top != self.live_top {
                self.dirty = true;
            }
            self.live_top = self.used_top;
            self.live_top
        } else {
            0
        };
        if self.dirty {
            if self.inline {
                queue!(buf, MoveTo(0, top), Clear(ClearType::FromCursorDown))?;
            } else {
                queue!(buf, Clear(ClearType::All))?;
            }
            self.prev.clear();
        }
        for (i, row) in frame.rows.iter().take(usize::from(rows)).enumerate() {
            if !self.dirty && self.prev.get(i) == Some(row) {
                continue;
            }
            queue!(buf, MoveTo(0, top + i as u16))?;
            write_row(&mut buf, row, self.width)?;
        }
        // Rows the last frame had and this one has not (inline: the live
        // area shrank).
        for i in usize::from(rows)..self.prev.len() {
            queue!(
                buf,
                MoveTo(0, top + i as u16),
                Clear(ClearType::UntilNewLine)
            )?;
        }
        if let Some((x, y)) = frame.cursor
            && y < rows
        {
            queue!(buf, MoveTo(x.min(self.width - 1), top + y), Show)?;
        }
        queue!(buf, EndSynchronizedUpdate)?;
        let mut out = io::stdout();
        out.write_all(&buf)?;
        out.flush()?;
        self.prev = frame.rows[..usize::from(rows)].to_vec();
        self.prev_cursor = frame.cursor;
        self.dirty = false;
        Ok(())
    }

    /// Inline mode at the end: the live area is cleared and `rows` (what
    /// was never committed) printed in its place, so the transcript stays
    /// in the scrollback and the shell prompt comes right after it.
    pub fn finish(&mut self, rows: &[Line]) -> io::Result<()> {
        if !self.inline {
            return Ok(());
        }
        self.clear_live()?;
        self.used_top = self.live_top;
        self.commit(rows)?;
        let mut buf = Vec::new();
        queue!(buf, MoveTo(0, self.used_top.min(self.height - 1)))?;
        if self.used_top >= self.height {
            buf.push(b'\n');
        }
        io::stdout().write_all(&buf)?;
        io::stdout().flush()
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        restore();
    }
}

/// Writes one row: its spans with their styles, then a clear to the end of
/// the line unless the text fills it (a clear at the last column would
/// undo the terminal's pending wrap state in some terminals).
fn write_row(buf: &mut Vec<u8>, row: &Line, width: u16) -> io::Result<()> {
    let mut cur = Style::default();
    let mut used = 0usize;
    for span in &row.spans {
        if span.text.is_empty() {
            continue;
        }
        if span.style != cur {
            set_style(buf, &span.style)?;
            cur = span.style;
        }
        // Rows are made safe where they are built; this is the last line
        // of defence against an escape sequence in model or tool text.
        let text = crate::wrap::sanitize(&span.text);
        buf.extend_from_slice(text.as_bytes());
        used += crate::wrap::width(&text);
    }
    if cur != Style::default() {
        queue!(buf, SetAttribute(Attribute::Reset))?;
    }
    if used < usize::from(width) {
        queue!(buf, Clear(ClearType::UntilNewLine))?;
    }
    Ok(())
}

fn set_style(buf: &mut Vec<u8>, s: &Style) -> io::Result<()> {
    queue!(buf, SetAttribute(Attribute::Reset))?;
    let attrs = [
        (s.bold, Attribute::Bold),
        (s.dim, Attribute::Dim),
        (s.italic, Attribute::Italic),
        (s.underline, Attribute::Underlined),
        (s.reverse, Attribute::Reverse),
        (s.strike, Attribute::CrossedOut),
    ];
    for (on, a) in attrs {
        if on {
            queue!(buf, SetAttribute(a))?;
        }
    }
    if let Some(c) = s.fg {
        queue!(buf, SetForegroundColor(c))?;
    }
    if let Some(c) = s.bg {
        queue!(buf, SetBackgroundColor(c))?;
    }
    Ok(())
}

/// The bytes of one crossterm command, for tests.
#[cfg(test)]
fn ansi(c: impl crossterm::Command) -> String {
    let mut s = String::new();
    c.write_ansi(&mut s).unwrap();
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::style::Span;
    use crossterm::style::Color;

    #[test]
    fn a_row_is_its_text_with_styles_and_a_clear() {
        let bold = Style {
            bold: true,
            ..Style::default()
        };
        let row = Line {
            spans: vec![Span::new("a ", Style::default()), Span::new("b", bold)],
        };
        let mut buf = Vec::new();
        write_row(&mut buf, &row, 10).unwrap();
        let s = String::from_utf8(buf).unwrap();
        let want = format!(
            "a {}{}b{}{}",
            ansi(SetAttribute(Attribute::Reset)),
            ansi(SetAttribute(Attribute::Bold)),
            ansi(SetAttribute(Attribute::Reset)),
            ansi(Clear(ClearType::UntilNewLine))
        );
        assert_eq!(s, want);
    }

    #[test]
    fn a_full_row_is_not_cleared() {
        let mut buf = Vec::new();
        write_row(&mut buf, &Line::plain("abcd"), 4).unwrap();
        assert_eq!(buf, b"abcd");
    }

    #[test]
    fn colours_follow_the_attributes() {
        let s = Style {
            fg: Some(Color::Red),
            underline: true,
            ..Style::default()
        };
        let mut buf = Vec::new();
        set_style(&mut buf, &s).unwrap();
        let want = format!(
            "{}{}{}",
            ansi(SetAttribute(Attribute::Reset)),
            ansi(SetAttribute(Attribute::Underlined)),
            ansi(SetForegroundColor(Color::Red))
        );
        assert_eq!(String::from_utf8(buf).unwrap(), want);
    }
}
