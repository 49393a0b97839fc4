//! The prompt editor: a multi-line text with a cursor, emacs keys, a kill
//! buffer and a history persisted in `$XDG_STATE_HOME/zerostack/history.jsonl`.
//!
//! The text is a `String` and the cursor a byte index that always sits on a
//! cluster boundary: a character with the zero-width characters that follow
//! it (combining marks, variation selectors), emoji joined by U+200D and
//! flag pairs move, delete and wrap as one unit. Cell widths come from
//! unicode-width; a tab shows as four spaces. The editor knows keys, not
//! the screen: `render` lays the text out for a width and says where the
//! cursor is, and the app draws the prompt (`> `) in front of the first row.
//!
//! `handle_key` answers `Ignored` for every key it does not own (Ctrl-C,
//! Tab, Esc, PgUp, ...), and also for Home/End on an empty editor and for
//! Up/Down when there is nowhere to go, so the app can scroll instead.

use crate::style::Line;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use std::cell::Cell;
use std::collections::VecDeque;
use std::fs::{self, DirBuilder, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// The newest entries kept in memory and after a compaction of the file.
const HISTORY_LIMIT: usize = 1000;
/// The cells a tab takes on screen.
const TAB_CELLS: usize = 4;

/// What a key did to the editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditorAction {
    /// Not an editor key; the caller may use it.
    Ignored,
    /// The text or cursor changed: redraw.
    Changed,
    /// Enter on a non-empty text: the text, now cleared and in the history.
    Submit(String),
    /// Ctrl-D on an empty editor.
    Eof,
    /// Ctrl-G: edit the text in $EDITOR (the caller suspends the screen).
    External,
}

/// `$XDG_STATE_HOME/zerostack/history.jsonl`, or None when no state folder
/// can be found (no HOME): the history then lives in memory only.
pub fn history_path() -> Option<PathBuf> {
    zerostack::paths::state_dir()
        .ok()
        .map(|d| d.join("history.jsonl"))
}

/// Prompt history, one entry per submitted text, kept in a file.
#[derive(Debug, Default)]
pub struct History {
    entries: Vec<String>,
    path: Option<PathBuf>,
}

impl History {
    /// Loads the history file (`$XDG_STATE_HOME/zerostack/history.jsonl` in
    /// the app); a missing or unreadable file is an empty history. The file
    /// holds one JSON string per line, the newest last; lines that are not
    /// a JSON string are skipped, and only the newest 1000 are kept.
    pub fn load(path: Option<PathBuf>) -> History {
        let mut entries = VecDeque::new();
        let mut lines = 0;
        if let Some(file) = path.as_deref().and_then(|p| fs::File::open(p).ok()) {
            // Line by line with a bounded queue, so a large file never sits
            // in memory whole.
            let mut reader = BufReader::new(file);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match reader.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                lines += 1;
                if let Ok(entry) = serde_json::from_slice::<String>(&buf) {
                    if entries.len() == HISTORY_LIMIT {
                        entries.pop_front();
                    }
                    entries.push_back(entry);
                }
            }
        }
        let history = History {
            entries: entries.into(),
            path,
        };
        // Every instance only appends; the file is cut back to the kept
        // entries once it holds twice as many lines. An entry another
        // instance appends during that rewrite is lost: rare, and harmless.
        if lines > 2 * HISTORY_LIMIT {
            history.compact();
        }
        history
    }

    /// The same entries, but new ones stay in memory (--no-session keeps
    /// nothing).
    pub fn in_memory(mut self) -> History {
        self.path = None;
        self
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> &[String] {
        &self.entries
    }

    /// Adds an entry and appends it to the file at once. A blank entry or a
    /// repeat of the newest one is not stored; a failure to write is
    /// ignored (the history is a convenience, never a reason to stop).
    pub fn push(&mut self, entry: &str) {
        if entry.trim().is_empty() || self.entries.last().is_some_and(|e| e == entry) {
            return;
        }
        self.entries.push(entry.to_string());
        if self.entries.len() > HISTORY_LIMIT {
            self.entries.remove(0);
        }
        if let Some(path) = &self.path {
            let _ = append_line(path, entry);
        }
    }

    /// Rewrites the file with the entries in memory (through a temporary
    /// file and a rename, so a reader never sees half a file).
    fn compact(&self) {
        let Some(path) = &self.path else { return };
        let mut text = String::new();
        for e in &self.entries {
            if let Ok(line) = serde_json::to_string(e) {
                text.push_str(&line);
                text.push('\n');
            }
        }
        let tmp = path.with_extension(format!("jsonl.{}.tmp", std::process::id()));
        let written = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .and_then(|mut f| f.write_all(text.as_bytes()));
        if written.is_err() || fs::rename(&tmp, path).is_err() {
            let _ = fs::remove_file(&tmp);
        }
    }
}

/// Appends one JSON line with a single write in append mode, so two
/// instances writing at once do not interleave their lines. The file is
/// private to the user: prompts may hold pasted secrets.
fn append_line(path: &Path, entry: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    }
    let mut line = serde_json::to_string(entry)?;
    line.push('\n');
    OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)?
        .write_all(line.as_bytes())
}

/// A multi-line text editor with emacs keys.
#[derive(Debug, Default)]
pub struct Editor {
    text: String,
    /// A byte index on a cluster boundary.
    cursor: usize,
    history: History,
    /// The history entry shown, while walking it; an edit ends the walk.
    hist_pos: Option<usize>,
    /// The text being written when the walk began; it comes back after the
    /// newest entry.
    draft: String,
    kill: String,
    /// The previous key killed text, so the next kill adds to the buffer.
    killing: bool,
    /// The column Up/Down aim for, kept over consecutive vertical moves.
    goal: Option<usize>,
    /// The (width, prompt width) of the last render, which Up/Down move in;
    /// before any render, rows are the text's lines.
    view: Cell<Option<(usize, usize)>>,
}

/// One screen row of the text: a byte range without its newline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Row {
    start: usize,
    end: usize,
    /// The cells this row may use.
    avail: usize,
    /// The cells it uses.
    used: usize,
    /// The line goes on in the next row (a wrap, not a newline).
    soft: bool,
}

impl Editor {
    pub fn new(history: History) -> Editor {
        Editor {
            history,
            ..Editor::default()
        }
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> EditorAction {
        if key.kind == KeyEventKind::Release {
            return EditorAction::Ignored;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        let shift = key.modifiers.contains(KeyModifiers::SHIFT);
        let killing = std::mem::take(&mut self.killing);
        if !matches!(key.code, KeyCode::Up | KeyCode::Down) {
            self.goal = None;
        }
        match key.code {
            KeyCode::Enter if alt || shift || ctrl => self.insert_str("\n"),
            KeyCode::Enter => {
                if self.text.trim().is_empty() {
                    return EditorAction::Ignored;
                }
                let text = std::mem::take(&mut self.text);
                self.cursor = 0;
                self.hist_pos = None;
                self.draft.clear();
                self.history.push(&text);
                return EditorAction::Submit(text);
            }
            KeyCode::Char(c) if ctrl && !alt => match c.to_ascii_lowercase() {
                'a' => self.cursor = line_start(&self.text, self.cursor),
                'e' => self.cursor = line_end(&self.text, self.cursor),
                'b' => self.cursor = prev_cluster(&self.text, self.cursor),
                'f' => self.cursor = cluster_end(&self.text, self.cursor),
                'h' => self.delete_back(),
                'j' => self.insert_str("\n"),
                'k' => self.kill_line_forward(killing),
                'u' => self.kill_line_back(killing),
                'w' => {
                    let start = word_start(&self.text, self.cursor, |c| !c.is_whitespace());
                    self.kill_range(start, self.cursor, killing, false);
                }
                'y' => {
                    let kill = self.kill.clone();
                    self.insert_str(&kill);
                }
                'd' if self.text.is_empty() => return EditorAction::Eof,
                'd' => self.delete_forward(),
                'g' => return EditorAction::External,
                _ => return EditorAction::Ignored,
            },
            KeyCode::Char(c) if alt && !ctrl => match c.to_ascii_lowercase() {
                'b' => self.cursor = word_start(&self.text, self.cursor, is_word),
                'f' => self.cursor = word_end(&self.text, self.cursor),
                'd' => {
                    let end = word_end(&self.text, self.cursor);
                    self.kill_range(self.cursor, end, killing, true);
                }
                _ => return EditorAction::Ignored,
            },
            KeyCode::Char(c) if !ctrl && !alt => {
                let mut buf = [0; 4];
                self.insert_str(c.encode_utf8(&mut buf));
            }
            KeyCode::Backspace if alt || ctrl => {
                let start = word_start(&self.text, self.cursor, is_word);
                self.kill_range(start, self.cursor, killing, false);
            }
            KeyCode::Backspace => self.delete_back(),
            KeyCode::Delete if alt || ctrl => {
                let end = word_end(&self.text, self.cursor);
                self.kill_range(self.cursor, end, killing, true);
            }
            KeyCode::Delete => self.delete_forward(),
            KeyCode::Left if alt || ctrl => {
                self.cursor = word_start(&self.text, self.cursor, is_word);
            }
            KeyCode::Right if alt || ctrl => self.cursor = word_end(&self.text, self.cursor),
            KeyCode::Left => self.cursor = prev_cluster(&self.text, self.cursor),
            KeyCode::Right => self.cursor = cluster_end(&self.text, self.cursor),
            KeyCode::Home | KeyCode::End if self.text.is_empty() || alt || ctrl => {
                return EditorAction::Ignored;
            }
            KeyCode::Home => self.cursor = line_start(&self.text, self.cursor),
            KeyCode::End => self.cursor = line_end(&self.text, self.cursor),
            KeyCode::Up | KeyCode::Down if !alt && !ctrl => {
                return self.move_vertical(key.code == KeyCode::Down);
            }
            _ => return EditorAction::Ignored,
        }
        EditorAction::Changed
    }

    /// Inserts text at the cursor (a paste: newlines stay newlines). CR LF
    /// and CR become LF; other control characters but tab are dropped, as
    /// they would garble the screen.
    pub fn insert_str(&mut self, s: &str) {
        let clean = clean(s);
        self.text.insert_str(self.cursor, &clean);
        self.cursor += clean.len();
        self.edited();
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Replaces the text (cleaned as `insert_str` does); the cursor goes to
    /// its end.
    pub fn set_text(&mut self, s: &str) {
        self.text = clean(s);
        self.cursor = self.text.len();
        self.edited();
    }

    pub fn clear(&mut self) {
        self.text.clear();
        self.cursor = 0;
        self.goal = None;
        self.hist_pos = None;
        self.draft.clear();
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    pub fn history(&self) -> &History {
        &self.history
    }

    /// The cursor as a byte index into `text()`.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Moves the cursor to byte `pos`, or to the nearest character boundary
    /// before it (and never past the end).
    pub fn set_cursor(&mut self, pos: usize) {
        let mut pos = pos.min(self.text.len());
        while !self.text.is_char_boundary(pos) {
            pos -= 1;
        }
        self.cursor = pos;
        self.goal = None;
    }

    /// The character just before the cursor (the app opens the file picker
    /// when it is the `@` just typed).
    pub fn char_before_cursor(&self) -> Option<char> {
        self.text[..self.cursor].chars().next_back()
    }

    /// Replaces the bytes `start..end` of the text with `s`; the cursor goes
    /// after the inserted text. Indices are clamped to the text and moved
    /// back to character boundaries.
    pub fn replace_range(&mut self, start: usize, end: usize, s: &str) {
        self.set_cursor(end);
        let end = self.cursor;
        self.set_cursor(start.min(end));
        self.text.replace_range(self.cursor..end, "");
        self.insert_str(s);
    }

    /// The editor's rows at `width` cells (the first row starts after a
    /// prompt of `prompt_width` cells) and the cursor as (row, column).
    ///
    /// Rows after the first get all `width` cells: an app that indents them
    /// passes the narrower width and a `prompt_width` of 0. Long lines break
    /// after a space when they can, inside a word when they must. When the
    /// cursor ends a full row, an empty row follows for it to stand on.
    pub fn render(&self, width: usize, prompt_width: usize) -> (Vec<Line>, (usize, usize)) {
        self.view.set(Some((width, prompt_width)));
        let rows = layout(&self.text, width, prompt_width);
        let (mut row, mut col) = cursor_cell(&self.text, &rows, self.cursor);
        let mut lines: Vec<Line> = rows
            .iter()
            .map(|r| Line::plain(self.text[r.start..r.end].replace('\t', "    ")))
            .collect();
        if col >= rows[row].avail {
            row += 1;
            col = 0;
            lines.insert(row, Line::plain(""));
        }
        (lines, (row, col))
    }

    /// Any change of the text ends a history walk: the edited text is now
    /// the draft.
    fn edited(&mut self) {
        self.hist_pos = None;
        self.goal = None;
    }

    fn delete_back(&mut self) {
        let start = prev_cluster(&self.text, self.cursor);
        self.text.replace_range(start..self.cursor, "");
        self.cursor = start;
        self.edited();
    }

    fn delete_forward(&mut self) {
        let end = cluster_end(&self.text, self.cursor);
        self.text.replace_range(self.cursor..end, "");
        self.edited();
    }

    /// Ctrl-K: to the end of the line, or the newline itself at a line end.
    fn kill_line_forward(&mut self, chain: bool) {
        let mut end = line_end(&self.text, self.cursor);
        if end == self.cursor && end < self.text.len() {
            end += 1;
        }
        self.kill_range(self.cursor, end, chain, true);
    }

    /// Ctrl-U: to the start of the line, or the newline before at a line
    /// start.
    fn kill_line_back(&mut self, chain: bool) {
        let mut start = line_start(&self.text, self.cursor);
        if start == self.cursor && start > 0 {
            start -= 1;
        }
        self.kill_range(start, self.cursor, chain, false);
    }

    /// Cuts `start..end` into the kill buffer. Kills in a row add up (a
    /// forward kill appends, a backward one prepends), as in emacs, so one
    /// Ctrl-Y brings them all back.
    fn kill_range(&mut self, start: usize, end: usize, chain: bool, forward: bool) {
        if start >= end {
            self.killing = chain;
            return;
        }
        let cut: String = self.text[start..end].to_string();
        if !chain {
            self.kill = cut;
        } else if forward {
            self.kill.push_str(&cut);
        } else {
            self.kill.insert_str(0, &cut);
        }
        self.text.replace_range(start..end, "");
        self.cursor = start;
        self.killing = true;
        self.edited();
    }

    fn move_vertical(&mut self, down: bool) -> EditorAction {
        let (width, prompt_width) = self.view.get().unwrap_or((usize::MAX / 2, 0));
        let rows = layout(&self.text, width, prompt_width);
        let (row, col) = cursor_cell(&self.text, &rows, self.cursor);
        let target = if down {
            Some(row + 1).filter(|&r| r < rows.len())
        } else {
            row.checked_sub(1)
        };
        let Some(target) = target else {
            return self.walk_history(down);
        };
        let goal = self.goal.unwrap_or(col);
        self.cursor = pos_at_col(&self.text, &rows[target], goal);
        self.goal = Some(goal);
        EditorAction::Changed
    }

    /// Up on the first row shows the next older entry; Down on the last row
    /// the next newer one, and after the newest the draft.
    fn walk_history(&mut self, newer: bool) -> EditorAction {
        let len = self.history.entries.len();
        let pos = match (self.hist_pos, newer) {
            (None, false) if len > 0 => {
                self.draft = self.text.clone();
                Some(len - 1)
            }
            (Some(p), false) if p > 0 => Some(p - 1),
            (Some(p), true) if p + 1 < len => Some(p + 1),
            (Some(_), true) => None,
            _ => return EditorAction::Ignored,
        };
        self.text = match pos {
            Some(p) => self.history.entries[p].clone(),
            None => std::mem::take(&mut self.draft),
        };
        self.cursor = self.text.len();
        self.hist_pos = pos;
        self.goal = None;
        EditorAction::Changed
    }
}

/// CR LF and CR to LF; control characters other than tab and LF dropped.
fn clean(s: &str) -> String {
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    s.chars()
        .filter(|&c| c == '\n' || c == '\t' || !c.is_control())
        .collect()
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn is_regional(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

/// Whether `c` belongs to the cluster that `prev` ends; `regional` counts
/// the regional indicators in it (two make a flag).
fn joins(prev: char, c: char, regional: usize) -> bool {
    if prev.is_control() || c.is_control() {
        return false;
    }
    if prev == '\u{200D}' {
        return true;
    }
    if is_regional(c) {
        return is_regional(prev) && regional % 2 == 1;
    }
    // Emoji skin-tone modifiers extend the emoji before them.
    ('\u{1F3FB}'..='\u{1F3FF}').contains(&c) || c.width() == Some(0)
}

/// The end of the cluster that starts at byte `start` (`start` itself at
/// the end of the text).
fn cluster_end(s: &str, start: usize) -> usize {
    let mut chars = s[start..].char_indices();
    let Some((_, first)) = chars.next() else {
        return start;
    };
    let mut prev = first;
    let mut regional = usize::from(is_regional(first));
    let mut end = start + first.len_utf8();
    for (i, c) in chars {
        if !joins(prev, c, regional) {
            break;
        }
        regional += usize::from(is_regional(c));
        prev = c;
        end = start + i + c.len_utf8();
    }
    end
}

/// The start of the cluster that ends at byte `end`. Clusters are found
/// from the start of the line, as a mark cannot tell what it extends.
fn prev_cluster(s: &str, end: usize) -> usize {
    if end == 0 {
        return 0;
    }
    if s.as_bytes()[end - 1] == b'\n' {
        return end - 1;
    }
    let mut pos = line_start(s, end);
    loop {
        let next = cluster_end(s, pos);
        if next >= end {
            return pos;
        }
        pos = next;
    }
}

fn cluster_width(cluster: &str) -> usize {
    if cluster == "\t" {
        TAB_CELLS
    } else {
        cluster.width()
    }
}

fn text_width(s: &str) -> usize {
    let mut pos = 0;
    let mut cells = 0;
    while pos < s.len() {
        let end = cluster_end(s, pos);
        cells += cluster_width(&s[pos..end]);
        pos = end;
    }
    cells
}

fn line_start(s: &str, pos: usize) -> usize {
    s[..pos].rfind('\n').map_or(0, |i| i + 1)
}

fn line_end(s: &str, pos: usize) -> usize {
    s[pos..].find('\n').map_or(s.len(), |i| pos + i)
}

/// The cluster just before `pos`, if any, and its first character.
fn cluster_before(s: &str, pos: usize) -> Option<(usize, char)> {
    if pos == 0 {
        return None;
    }
    let start = prev_cluster(s, pos);
    s[start..].chars().next().map(|c| (start, c))
}

/// Back over clusters that are not `in_word`, then over those that are.
fn word_start(s: &str, mut pos: usize, in_word: fn(char) -> bool) -> usize {
    while let Some((start, c)) = cluster_before(s, pos) {
        if in_word(c) {
            break;
        }
        pos = start;
    }
    while let Some((start, c)) = cluster_before(s, pos) {
        if !in_word(c) {
            break;
        }
        pos = start;
    }
    pos
}

/// Forward over non-word clusters, then over word clusters.
fn word_end(s: &str, mut pos: usize) -> usize {
    let first = |pos: usize| s[pos..].chars().next();
    while first(pos).is_some_and(|c| !is_word(c)) {
        pos = cluster_end(s, pos);
    }
    while first(pos).is_some_and(is_word) {
        pos = cluster_end(s, pos);
    }
    pos
}

/// Lays the text out in rows of `width` cells, the first `prompt_width`
/// narrower. A row breaks after its last space when it has one, else before
/// the cluster that does not fit; a cluster wider than a row gets a row of
/// its own.
fn layout(text: &str, width: usize, prompt_width: usize) -> Vec<Row> {
    let width = width.max(1);
    let first = width.saturating_sub(prompt_width).max(1);
    let mut rows = Vec::new();
    let mut line = 0;
    loop {
        let line_end = line_end(text, line);
        let mut avail = if rows.is_empty() { first } else { width };
        let (mut start, mut used, mut space) = (line, 0, None);
        let mut pos = line;
        while pos < line_end {
            let end = cluster_end(text, pos);
            let w = cluster_width(&text[pos..end]);
            while used > 0 && used + w > avail {
                let brk = space.filter(|&b| b > start).unwrap_or(pos);
                rows.push(Row {
                    start,
                    end: brk,
                    avail,
                    used: text_width(&text[start..brk]),
                    soft: true,
                });
                (start, avail, space) = (brk, width, None);
                used = text_width(&text[brk..pos]);
            }
            used += w;
            if &text[pos..end] == " " {
                space = Some(end);
            }
            pos = end;
        }
        rows.push(Row {
            start,
            end: line_end,
            avail,
            used,
            soft: false,
        });
        if line_end == text.len() {
            return rows;
        }
        line = line_end + 1;
    }
}

/// The (row, column) of byte `cursor`. At the seam of a wrapped line the
/// cursor is at the start of the lower row.
fn cursor_cell(text: &str, rows: &[Row], cursor: usize) -> (usize, usize) {
    for (i, r) in rows.iter().enumerate() {
        if cursor < r.end || (cursor == r.end && !r.soft) {
            return (i, text_width(&text[r.start..cursor.max(r.start)]));
        }
    }
    let last = rows.len() - 1;
    (last, rows[last].used)
}

/// The byte in `row` nearest to column `goal` without passing it. The end of
/// a wrapped row belongs to the row below, so the cursor stops before it.
fn pos_at_col(text: &str, row: &Row, goal: usize) -> usize {
    let (mut pos, mut col) = (row.start, 0);
    while pos < row.end {
        let end = cluster_end(text, pos);
        let w = cluster_width(&text[pos..end]);
        if col + w > goal || (row.soft && end == row.end) {
            break;
        }
        col += w;
        pos = end;
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventState;
    use std::os::unix::fs::PermissionsExt;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }
    fn plain(code: KeyCode) -> KeyEvent {
        key(code, KeyModifiers::NONE)
    }
    fn ctrl(c: char) -> KeyEvent {
        key(KeyCode::Char(c), KeyModifiers::CONTROL)
    }
    fn alt(c: char) -> KeyEvent {
        key(KeyCode::Char(c), KeyModifiers::ALT)
    }
    fn typed(ed: &mut Editor, s: &str) {
        for c in s.chars() {
            let mods = if c.is_uppercase() {
                KeyModifiers::SHIFT
            } else {
                KeyModifiers::NONE
            };
            assert_eq!(
                ed.handle_key(key(KeyCode::Char(c), mods)),
                EditorAction::Changed
            );
        }
    }
    fn press(ed: &mut Editor, keys: &[KeyEvent]) -> EditorAction {
        let mut last = EditorAction::Ignored;
        for k in keys {
            last = ed.handle_key(*k);
        }
        last
    }
    /// The text with a `|` at the cursor.
    fn shown(ed: &Editor) -> String {
        let mut s = ed.text().to_string();
        s.insert(ed.cursor(), '|');
        s
    }
    fn with_text(s: &str) -> Editor {
        let mut ed = Editor::default();
        ed.set_text(s);
        ed
    }
    fn rows(ed: &Editor, width: usize, prompt: usize) -> (Vec<String>, (usize, usize)) {
        let (lines, cur) = ed.render(width, prompt);
        (lines.iter().map(Line::text).collect(), cur)
    }

    #[test]
    fn typing_inserts_at_the_cursor_and_shift_gives_capitals() {
        let mut ed = Editor::default();
        typed(&mut ed, "Hello");
        press(&mut ed, &[plain(KeyCode::Left), plain(KeyCode::Left)]);
        typed(&mut ed, "XY");
        assert_eq!(shown(&ed), "HelXY|lo");
    }

    #[test]
    fn a_key_release_is_ignored() {
        let mut ed = Editor::default();
        let mut k = key(KeyCode::Char('a'), KeyModifiers::NONE);
        k.kind = KeyEventKind::Release;
        k.state = KeyEventState::NONE;
        assert_eq!(ed.handle_key(k), EditorAction::Ignored);
        assert!(ed.is_empty());
    }

    #[test]
    fn enter_submits_clears_and_records_the_text() {
        let mut ed = Editor::default();
        typed(&mut ed, "fix it");
        assert_eq!(
            ed.handle_key(plain(KeyCode::Enter)),
            EditorAction::Submit("fix it".into())
        );
        assert_eq!(shown(&ed), "|");
        assert_eq!(ed.history().entries(), ["fix it"]);
    }

    #[test]
    fn enter_on_a_blank_text_is_ignored_and_keeps_it() {
        let mut ed = Editor::default();
        assert_eq!(ed.handle_key(plain(KeyCode::Enter)), EditorAction::Ignored);
        ed.set_text("  \n ");
        assert_eq!(ed.handle_key(plain(KeyCode::Enter)), EditorAction::Ignored);
        assert_eq!(ed.text(), "  \n ");
        assert!(ed.history().entries().is_empty());
    }

    #[test]
    fn alt_enter_shift_enter_and_ctrl_j_insert_a_newline() {
        let mut ed = Editor::default();
        typed(&mut ed, "a");
        ed.handle_key(key(KeyCode::Enter, KeyModifiers::ALT));
        typed(&mut ed, "b");
        ed.handle_key(key(KeyCode::Enter, KeyModifiers::SHIFT));
        typed(&mut ed, "c");
        assert_eq!(ed.handle_key(ctrl('j')), EditorAction::Changed);
        assert_eq!(shown(&ed), "a\nb\nc\n|");
        assert_eq!(
            ed.handle_key(plain(KeyCode::Enter)),
            EditorAction::Submit("a\nb\nc\n".into())
        );
    }

    #[test]
    fn backspace_and_delete_remove_one_character() {
        let mut ed = with_text("abcd");
        press(&mut ed, &[plain(KeyCode::Left), plain(KeyCode::Left)]);
        ed.handle_key(plain(KeyCode::Backspace));
        assert_eq!(shown(&ed), "a|cd");
        ed.handle_key(plain(KeyCode::Delete));
        assert_eq!(shown(&ed), "a|d");
        // Ctrl-H is the Backspace of old terminals.
        ed.handle_key(ctrl('h'));
        assert_eq!(shown(&ed), "|d");
        assert_eq!(
            ed.handle_key(plain(KeyCode::Backspace)),
            EditorAction::Changed
        );
        assert_eq!(shown(&ed), "|d");
    }

    #[test]
    fn left_right_and_ctrl_b_f_move_by_character_and_stop_at_the_ends() {
        let mut ed = with_text("ab");
        press(&mut ed, &[ctrl('b'), ctrl('b'), ctrl('b')]);
        assert_eq!(shown(&ed), "|ab");
        ed.handle_key(ctrl('f'));
        assert_eq!(shown(&ed), "a|b");
        press(&mut ed, &[plain(KeyCode::Right), plain(KeyCode::Right)]);
        assert_eq!(shown(&ed), "ab|");
        ed.handle_key(plain(KeyCode::Left));
        assert_eq!(shown(&ed), "a|b");
    }

    #[test]
    fn wide_characters_and_combining_marks_move_and_delete_as_one() {
        // e + combining acute, a wide CJK character, a flag, a ZWJ family.
        let text = "e\u{301}漢🇫🇷👨\u{200D}👩\u{200D}👧x";
        let mut ed = with_text(text);
        ed.handle_key(plain(KeyCode::Left));
        assert_eq!(ed.text()[ed.cursor()..], *"x");
        ed.handle_key(plain(KeyCode::Left));
        assert_eq!(ed.text()[ed.cursor()..], *"👨\u{200D}👩\u{200D}👧x");
        ed.handle_key(plain(KeyCode::Left));
        assert_eq!(ed.text()[ed.cursor()..], *"🇫🇷👨\u{200D}👩\u{200D}👧x");
        ed.handle_key(plain(KeyCode::Backspace));
        assert_eq!(ed.text(), "e\u{301}🇫🇷👨\u{200D}👩\u{200D}👧x");
        ed.handle_key(plain(KeyCode::Backspace));
        assert_eq!(shown(&ed), "|🇫🇷👨\u{200D}👩\u{200D}👧x");
        ed.handle_key(plain(KeyCode::Delete));
        assert_eq!(shown(&ed), "|👨\u{200D}👩\u{200D}👧x");
        ed.handle_key(plain(KeyCode::Right));
        assert_eq!(shown(&ed), "👨\u{200D}👩\u{200D}👧|x");
    }

    #[test]
    fn two_flags_in_a_row_are_two_clusters() {
        let mut ed = with_text("🇫🇷🇩🇪");
        ed.handle_key(plain(KeyCode::Backspace));
        assert_eq!(ed.text(), "🇫🇷");
    }

    #[test]
    fn home_end_and_ctrl_a_e_go_to_the_ends_of_the_line() {
        let mut ed = with_text("one\ntwo three\nfour");
        press(&mut ed, &[plain(KeyCode::Up), ctrl('a')]);
        assert_eq!(shown(&ed), "one\n|two three\nfour");
        ed.handle_key(ctrl('e'));
        assert_eq!(shown(&ed), "one\ntwo three|\nfour");
        ed.handle_key(plain(KeyCode::Home));
        assert_eq!(shown(&ed), "one\n|two three\nfour");
        ed.handle_key(plain(KeyCode::End));
        assert_eq!(shown(&ed), "one\ntwo three|\nfour");
    }

    #[test]
    fn home_and_end_are_the_apps_on_an_empty_editor() {
        let mut ed = Editor::default();
        assert_eq!(ed.handle_key(plain(KeyCode::Home)), EditorAction::Ignored);
        assert_eq!(ed.handle_key(plain(KeyCode::End)), EditorAction::Ignored);
        typed(&mut ed, "x");
        assert_eq!(ed.handle_key(plain(KeyCode::Home)), EditorAction::Changed);
        assert_eq!(shown(&ed), "|x");
    }

    #[test]
    fn alt_b_f_and_ctrl_arrows_move_by_word() {
        let mut ed = with_text("let foo_bar = baz.qux;");
        ed.handle_key(alt('b'));
        assert_eq!(shown(&ed), "let foo_bar = baz.|qux;");
        ed.handle_key(alt('b'));
        assert_eq!(shown(&ed), "let foo_bar = |baz.qux;");
        ed.handle_key(key(KeyCode::Left, KeyModifiers::CONTROL));
        assert_eq!(shown(&ed), "let |foo_bar = baz.qux;");
        ed.handle_key(alt('f'));
        assert_eq!(shown(&ed), "let foo_bar| = baz.qux;");
        ed.handle_key(key(KeyCode::Right, KeyModifiers::CONTROL));
        assert_eq!(shown(&ed), "let foo_bar = baz|.qux;");
        // Across lines too.
        let mut ed = with_text("one\ntwo");
        press(&mut ed, &[alt('b'), alt('b')]);
        assert_eq!(shown(&ed), "|one\ntwo");
        press(&mut ed, &[alt('f'), alt('f')]);
        assert_eq!(shown(&ed), "one\ntwo|");
    }

    #[test]
    fn ctrl_k_and_ctrl_u_kill_to_the_line_ends_and_ctrl_y_yanks() {
        let mut ed = with_text("hello world");
        press(&mut ed, &[alt('b'), ctrl('k')]);
        assert_eq!(shown(&ed), "hello |");
        press(&mut ed, &[ctrl('a'), ctrl('y')]);
        assert_eq!(shown(&ed), "world|hello ");
        ed.handle_key(ctrl('u'));
        assert_eq!(shown(&ed), "|hello ");
        press(&mut ed, &[ctrl('e'), ctrl('y')]);
        assert_eq!(shown(&ed), "hello world|");
    }

    #[test]
    fn ctrl_k_at_a_line_end_joins_the_next_line_and_ctrl_u_at_a_start_the_previous() {
        let mut ed = with_text("ab\ncd\nef");
        press(&mut ed, &[plain(KeyCode::Up), ctrl('e'), ctrl('k')]);
        assert_eq!(shown(&ed), "ab\ncd|ef");
        ed.handle_key(ctrl('a'));
        ed.handle_key(ctrl('u'));
        assert_eq!(shown(&ed), "ab|cdef");
        ed.handle_key(ctrl('u'));
        assert_eq!(shown(&ed), "|cdef");
    }

    #[test]
    fn kills_in_a_row_add_up_in_the_kill_buffer() {
        let mut ed = with_text("one two three");
        press(&mut ed, &[ctrl('w'), ctrl('w')]);
        assert_eq!(shown(&ed), "one |");
        ed.handle_key(ctrl('y'));
        assert_eq!(shown(&ed), "one two three|");
        // A movement between two kills starts a new kill.
        let mut ed = with_text("abc def");
        press(&mut ed, &[ctrl('a'), alt('d'), alt('d')]);
        assert_eq!(shown(&ed), "|");
        ed.handle_key(ctrl('y'));
        assert_eq!(shown(&ed), "abc def|");
        press(
            &mut ed,
            &[ctrl('w'), plain(KeyCode::Left), ctrl('w'), ctrl('e')],
        );
        assert_eq!(shown(&ed), " |");
        ed.handle_key(ctrl('y'));
        assert_eq!(shown(&ed), " abc|");
    }

    #[test]
    fn ctrl_w_kills_to_whitespace_and_alt_backspace_to_a_word_start() {
        let mut ed = with_text("git log src/foo.rs");
        ed.handle_key(key(KeyCode::Backspace, KeyModifiers::ALT));
        assert_eq!(shown(&ed), "git log src/foo.|");
        ed.handle_key(ctrl('w'));
        assert_eq!(shown(&ed), "git log |");
        ed.handle_key(ctrl('w'));
        assert_eq!(shown(&ed), "git |");
    }

    #[test]
    fn alt_d_kills_the_word_after_the_cursor() {
        let mut ed = with_text("say hello, world");
        press(&mut ed, &[ctrl('a'), alt('f'), alt('d')]);
        assert_eq!(shown(&ed), "say|, world");
        ed.handle_key(alt('d'));
        assert_eq!(shown(&ed), "say|");
        press(&mut ed, &[ctrl('a'), ctrl('y')]);
        assert_eq!(shown(&ed), " hello, world|say");
    }

    #[test]
    fn ctrl_y_with_nothing_killed_changes_nothing() {
        let mut ed = with_text("x");
        assert_eq!(ed.handle_key(ctrl('y')), EditorAction::Changed);
        assert_eq!(shown(&ed), "x|");
    }

    #[test]
    fn ctrl_d_deletes_forward_and_is_eof_only_on_an_empty_editor() {
        let mut ed = with_text("ab");
        ed.handle_key(ctrl('a'));
        assert_eq!(ed.handle_key(ctrl('d')), EditorAction::Changed);
        assert_eq!(shown(&ed), "|b");
        ed.handle_key(ctrl('e'));
        // At the end of a non-empty text: nothing to delete, but not Eof.
        assert_eq!(ed.handle_key(ctrl('d')), EditorAction::Changed);
        assert_eq!(shown(&ed), "b|");
        ed.handle_key(plain(KeyCode::Backspace));
        assert_eq!(ed.handle_key(ctrl('d')), EditorAction::Eof);
    }

    #[test]
    fn ctrl_g_asks_for_the_external_editor() {
        let mut ed = with_text("draft");
        assert_eq!(ed.handle_key(ctrl('g')), EditorAction::External);
        assert_eq!(ed.text(), "draft");
    }

    #[test]
    fn keys_the_app_owns_are_ignored() {
        let mut ed = with_text("x");
        for k in [
            ctrl('c'),
            ctrl('t'),
            ctrl('o'),
            ctrl('l'),
            alt('x'),
            plain(KeyCode::Tab),
            plain(KeyCode::Esc),
            plain(KeyCode::PageUp),
            plain(KeyCode::PageDown),
            key(KeyCode::Home, KeyModifiers::CONTROL),
            key(KeyCode::Up, KeyModifiers::ALT),
            plain(KeyCode::F(1)),
        ] {
            assert_eq!(ed.handle_key(k), EditorAction::Ignored, "{k:?}");
        }
        assert_eq!(shown(&ed), "x|");
    }

    #[test]
    fn up_and_down_move_between_lines_keeping_the_column() {
        let mut ed = with_text("abcdef\nab\nabcdef");
        ed.handle_key(alt('b'));
        press(&mut ed, &[plain(KeyCode::Right), plain(KeyCode::Right)]);
        ed.handle_key(plain(KeyCode::Right));
        ed.handle_key(plain(KeyCode::Right));
        assert_eq!(shown(&ed), "abcdef\nab\nabcd|ef");
        ed.handle_key(plain(KeyCode::Up));
        assert_eq!(shown(&ed), "abcdef\nab|\nabcdef");
        ed.handle_key(plain(KeyCode::Up));
        assert_eq!(shown(&ed), "abcd|ef\nab\nabcdef");
        ed.handle_key(plain(KeyCode::Down));
        ed.handle_key(plain(KeyCode::Down));
        assert_eq!(shown(&ed), "abcdef\nab\nabcd|ef");
    }

    #[test]
    fn up_and_down_move_between_wrapped_rows_after_a_render() {
        let mut ed = with_text("aaaa bbbb cccc");
        ed.render(7, 2);
        // Rows: "aaaa " (5 cells after the prompt), "bbbb ", "cccc".
        ed.handle_key(plain(KeyCode::Up));
        assert_eq!(shown(&ed), "aaaa bbbb| cccc");
        ed.handle_key(plain(KeyCode::Up));
        assert_eq!(shown(&ed), "aaaa| bbbb cccc");
        ed.handle_key(plain(KeyCode::Down));
        assert_eq!(shown(&ed), "aaaa bbbb| cccc");
    }

    #[test]
    fn up_down_over_wide_characters_land_on_a_cluster_boundary() {
        let mut ed = with_text("漢字漢字\nabcde");
        ed.handle_key(ctrl('b'));
        ed.handle_key(ctrl('b'));
        assert_eq!(shown(&ed), "漢字漢字\nabc|de");
        ed.handle_key(plain(KeyCode::Up));
        assert_eq!(shown(&ed), "漢|字漢字\nabcde");
        ed.handle_key(plain(KeyCode::Down));
        assert_eq!(shown(&ed), "漢字漢字\nabc|de");
    }

    fn history(entries: &[&str]) -> History {
        History {
            entries: entries.iter().map(|s| s.to_string()).collect(),
            path: None,
        }
    }

    #[test]
    fn up_on_the_first_row_walks_the_history_and_down_brings_the_draft_back() {
        let mut ed = Editor::new(history(&["first", "second\nline"]));
        typed(&mut ed, "draft");
        ed.handle_key(plain(KeyCode::Up));
        assert_eq!(shown(&ed), "second\nline|");
        // A multi-line entry is walked through before the older entry.
        ed.handle_key(plain(KeyCode::Up));
        assert_eq!(shown(&ed), "seco|nd\nline");
        ed.handle_key(plain(KeyCode::Up));
        assert_eq!(shown(&ed), "first|");
        assert_eq!(ed.handle_key(plain(KeyCode::Up)), EditorAction::Ignored);
        assert_eq!(shown(&ed), "first|");
        ed.handle_key(plain(KeyCode::Down));
        assert_eq!(shown(&ed), "second\nline|");
        ed.handle_key(plain(KeyCode::Down));
        assert_eq!(shown(&ed), "draft|");
        assert_eq!(ed.handle_key(plain(KeyCode::Down)), EditorAction::Ignored);
    }

    #[test]
    fn up_and_down_with_nowhere_to_go_are_ignored() {
        let mut ed = Editor::default();
        assert_eq!(ed.handle_key(plain(KeyCode::Up)), EditorAction::Ignored);
        assert_eq!(ed.handle_key(plain(KeyCode::Down)), EditorAction::Ignored);
    }

    #[test]
    fn editing_a_recalled_entry_makes_it_the_draft() {
        let mut ed = Editor::new(history(&["one", "two"]));
        press(&mut ed, &[plain(KeyCode::Up), plain(KeyCode::Up)]);
        typed(&mut ed, "!");
        assert_eq!(shown(&ed), "one!|");
        // The walk starts again from the newest entry, and the edit is kept.
        ed.handle_key(plain(KeyCode::Up));
        assert_eq!(shown(&ed), "two|");
        ed.handle_key(plain(KeyCode::Down));
        assert_eq!(shown(&ed), "one!|");
        assert_eq!(ed.history().entries(), ["one", "two"]);
    }

    #[test]
    fn submitting_a_recalled_entry_records_it_unless_it_is_the_newest() {
        let mut ed = Editor::new(history(&["one", "two"]));
        ed.handle_key(plain(KeyCode::Up));
        assert_eq!(
            ed.handle_key(plain(KeyCode::Enter)),
            EditorAction::Submit("two".into())
        );
        assert_eq!(ed.history().entries(), ["one", "two"]);
        press(&mut ed, &[plain(KeyCode::Up), plain(KeyCode::Up)]);
        ed.handle_key(plain(KeyCode::Enter));
        assert_eq!(ed.history().entries(), ["one", "two", "one"]);
        // The draft of an earlier walk does not come back after a submit.
        ed.handle_key(plain(KeyCode::Up));
        ed.handle_key(plain(KeyCode::Down));
        assert_eq!(shown(&ed), "|");
    }

    #[test]
    fn a_paste_keeps_newlines_and_drops_control_characters() {
        let mut ed = with_text("[]");
        ed.handle_key(plain(KeyCode::Left));
        ed.insert_str("a\r\nb\rc\u{1b}[31m\td");
        assert_eq!(shown(&ed), "[a\nb\nc[31m\td|]");
    }

    #[test]
    fn replace_range_swaps_text_and_puts_the_cursor_after_it() {
        let mut ed = with_text("see @ma now");
        ed.replace_range(4, 7, "@main.rs");
        assert_eq!(shown(&ed), "see @main.rs| now");
        ed.set_cursor(5);
        assert_eq!(ed.char_before_cursor(), Some('@'));
        // Out of range and mid-character indices are clamped.
        let mut ed = with_text("é");
        ed.replace_range(1, 99, "x");
        assert_eq!(shown(&ed), "x|");
    }

    #[test]
    fn render_wraps_after_spaces_with_the_prompt_on_the_first_row() {
        let ed = with_text("the quick brown fox");
        let (rows, cur) = rows(&ed, 12, 2);
        assert_eq!(rows, ["the quick ", "brown fox"]);
        assert_eq!(cur, (1, 9));
        let (rows, _) = super::tests::rows(&ed, 10, 0);
        assert_eq!(rows, ["the quick ", "brown fox"]);
    }

    #[test]
    fn render_breaks_a_word_longer_than_the_row() {
        let mut ed = with_text("abcdefghij");
        ed.set_cursor(4);
        let (rows, cur) = rows(&ed, 6, 2);
        assert_eq!(rows, ["abcd", "efghij"]);
        // At the seam the cursor is at the start of the lower row.
        assert_eq!(cur, (1, 0));
    }

    #[test]
    fn render_keeps_wide_characters_whole_and_counts_their_cells() {
        let ed = with_text("ab漢字cd");
        let (rows, cur) = rows(&ed, 5, 0);
        assert_eq!(rows, ["ab漢", "字cd"]);
        assert_eq!(cur, (1, 4));
        let ed = with_text("e\u{301}e\u{301}e\u{301}");
        let (rows, cur) = super::tests::rows(&ed, 2, 0);
        assert_eq!(rows, ["e\u{301}e\u{301}", "e\u{301}"]);
        assert_eq!(cur, (1, 1));
    }

    #[test]
    fn render_shows_lines_and_empty_lines_as_rows() {
        let mut ed = with_text("a\n\nb");
        let (r, cur) = rows(&ed, 10, 2);
        assert_eq!(r, ["a", "", "b"]);
        assert_eq!(cur, (2, 1));
        ed.clear();
        assert_eq!(rows(&ed, 10, 2), (vec![String::new()], (0, 0)));
    }

    #[test]
    fn render_shows_a_tab_as_four_spaces() {
        let ed = with_text("\tx");
        assert_eq!(rows(&ed, 20, 2), (vec!["    x".to_string()], (0, 5)));
    }

    #[test]
    fn a_cursor_after_a_full_row_gets_a_row_of_its_own() {
        let mut ed = with_text("abcd\nx");
        ed.set_cursor(4);
        assert_eq!(
            rows(&ed, 6, 2),
            (vec!["abcd".into(), "".into(), "x".into()], (1, 0))
        );
        ed.set_cursor(3);
        assert_eq!(rows(&ed, 6, 2), (vec!["abcd".into(), "x".into()], (0, 3)));
    }

    #[test]
    fn render_survives_widths_smaller_than_a_character() {
        let ed = with_text("漢字");
        // Each row holds one character that overflows it; the cursor after
        // the last full row gets a row of its own.
        assert_eq!(
            rows(&ed, 1, 2),
            (vec!["漢".into(), "字".into(), "".into()], (2, 0))
        );
    }

    /// A small deterministic generator, so a failure can be replayed.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) % n as u64) as usize
        }
    }

    #[test]
    fn any_key_sequence_keeps_the_cursor_valid_and_on_screen() {
        let chars = [
            'a', 'Z', ' ', '_', '漢', 'e', '\u{301}', '\u{200D}', '🇫', '\t', '\n',
        ];
        let keys = [
            plain(KeyCode::Left),
            plain(KeyCode::Right),
            plain(KeyCode::Up),
            plain(KeyCode::Down),
            plain(KeyCode::Home),
            plain(KeyCode::End),
            plain(KeyCode::Backspace),
            plain(KeyCode::Delete),
            key(KeyCode::Enter, KeyModifiers::ALT),
            key(KeyCode::Backspace, KeyModifiers::ALT),
            key(KeyCode::Left, KeyModifiers::CONTROL),
            key(KeyCode::Right, KeyModifiers::CONTROL),
            ctrl('a'),
            ctrl('e'),
            ctrl('k'),
            ctrl('u'),
            ctrl('w'),
            ctrl('y'),
            ctrl('d'),
            alt('b'),
            alt('f'),
            alt('d'),
        ];
        let mut rng = Lcg(7);
        for round in 0..200 {
            let mut ed = Editor::new(history(&["old", "older\nentry"]));
            for step in 0..60 {
                let k = if rng.next(3) == 0 {
                    keys[rng.next(keys.len())]
                } else {
                    plain(KeyCode::Char(chars[rng.next(chars.len())]))
                };
                ed.handle_key(k);
                assert!(ed.text().is_char_boundary(ed.cursor()), "{round}/{step}");
                let (width, prompt) = (1 + rng.next(12), rng.next(4));
                let (rows, (row, col)) = ed.render(width, prompt);
                assert!(row < rows.len(), "{round}/{step}: {rows:?} {row}");
                // The cursor is always on a cell of the row.
                let avail = if row == 0 {
                    width.saturating_sub(prompt).max(1)
                } else {
                    width
                };
                assert!(col < avail, "{round}/{step}: {col} in {avail}");
            }
        }
    }

    fn file_lines(path: &Path) -> Vec<String> {
        fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn the_history_is_appended_at_once_and_read_back_by_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/zerostack/history.jsonl");
        let mut ed = Editor::new(History::load(Some(path.clone())));
        typed(&mut ed, "one");
        ed.handle_key(plain(KeyCode::Enter));
        ed.insert_str("two\n\"quoted\"");
        ed.handle_key(plain(KeyCode::Enter));
        assert_eq!(file_lines(&path), [r#""one""#, r#""two\n\"quoted\"""#]);
        let again = History::load(Some(path.clone()));
        assert_eq!(again.entries(), ["one", "two\n\"quoted\""]);
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn random_keys_on_wide_and_combining_text_never_panic() {
        use KeyCode::*;
        let ctrl = |c| KeyEvent::new(Char(c), KeyModifiers::CONTROL);
        let alt = |c| KeyEvent::new(c, KeyModifiers::ALT);
        let keys: Vec<KeyEvent> = vec![
            plain(Left),
            plain(Right),
            plain(Up),
            plain(Down),
            plain(Home),
            plain(End),
            plain(Backspace),
            plain(Delete),
            plain(Tab),
            ctrl('a'),
            ctrl('e'),
            ctrl('b'),
            ctrl('f'),
            ctrl('k'),
            ctrl('u'),
            ctrl('w'),
            ctrl('y'),
            ctrl('j'),
            alt(Char('b')),
            alt(Char('f')),
            alt(Enter),
        ];
        let texts = [
            "日本語",
            "e\u{301}",
            "😀",
            " ",
            "\t",
            "a",
            "\u{1b}[2J",
            "\n",
            "ab cd",
        ];
        let mut seed: u64 = 11;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as usize) % n
        };
        let mut ed = Editor::new(history(&["older 日本", "old"]));
        for _ in 0..4000 {
            if next(3) == 0 {
                ed.insert_str(texts[next(texts.len())]);
            } else if let EditorAction::Submit(_) = ed.handle_key(keys[next(keys.len())]) {
                ed.clear();
            }
            let width = next(6);
            let (rows, (row, col)) = ed.render(width, next(3));
            assert!(
                row < rows.len().max(1),
                "cursor row {row} of {}",
                rows.len()
            );
            assert!(
                col <= width.max(2) + 2,
                "cursor column {col} at width {width}"
            );
            assert!(ed.text().is_char_boundary(ed.cursor()));
        }
    }

    #[test]
    fn an_in_memory_history_reads_the_file_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.jsonl");
        fs::write(&path, "\"old\"\n").unwrap();
        let mut h = History::load(Some(path.clone())).in_memory();
        h.push("secret");
        assert_eq!(h.entries(), ["old", "secret"]);
        assert_eq!(file_lines(&path), [r#""old""#]);
    }

    #[test]
    fn consecutive_duplicates_and_blank_entries_are_not_stored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.jsonl");
        let mut h = History::load(Some(path.clone()));
        for e in ["a", "a", "b", "  ", "a", "a"] {
            h.push(e);
        }
        assert_eq!(h.entries(), ["a", "b", "a"]);
        assert_eq!(file_lines(&path), [r#""a""#, r#""b""#, r#""a""#]);
    }

    #[test]
    fn two_instances_append_without_clobbering_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.jsonl");
        let mut first = History::load(Some(path.clone()));
        let mut second = History::load(Some(path.clone()));
        first.push("from the first");
        second.push("from the second");
        first.push("first again");
        assert_eq!(
            History::load(Some(path)).entries(),
            ["from the first", "from the second", "first again"]
        );
    }

    #[test]
    fn load_skips_lines_that_are_not_json_strings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.jsonl");
        let mut bytes = b"\"ok\"\nnot json\n{\"a\":1}\n42\n\xff\xfe\n\n\"torn".to_vec();
        bytes.splice(0..0, b"\"first\"\n".iter().copied());
        fs::write(&path, bytes).unwrap();
        assert_eq!(History::load(Some(path)).entries(), ["first", "ok"]);
    }

    #[test]
    fn load_keeps_the_newest_thousand_and_compacts_a_long_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.jsonl");
        let text: String = (0..1500).map(|i| format!("\"e{i}\"\n")).collect();
        fs::write(&path, &text).unwrap();
        let h = History::load(Some(path.clone()));
        assert_eq!(h.entries().len(), 1000);
        assert_eq!(h.entries()[0], "e500");
        assert_eq!(h.entries()[999], "e1499");
        // Under twice the limit the file is left alone ...
        assert_eq!(file_lines(&path).len(), 1500);
        // ... past it, it is cut back to what is kept.
        let text: String = (0..2001).map(|i| format!("\"e{i}\"\n")).collect();
        fs::write(&path, &text).unwrap();
        let h = History::load(Some(path.clone()));
        assert_eq!(h.entries()[0], "e1001");
        let lines = file_lines(&path);
        assert_eq!(lines.len(), 1000);
        assert_eq!(lines[0], r#""e1001""#);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn pushing_past_the_limit_drops_the_oldest_entry() {
        let mut h = History::default();
        for i in 0..1001 {
            h.push(&format!("e{i}"));
        }
        assert_eq!(h.entries().len(), 1000);
        assert_eq!(h.entries()[0], "e1");
    }

    #[test]
    fn a_missing_file_is_an_empty_history_and_a_failed_write_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            History::load(Some(dir.path().join("none.jsonl")))
                .entries()
                .is_empty()
        );
        // The "file" is a folder: the write fails, the entry stays in memory.
        let mut h = History::load(Some(dir.path().to_path_buf()));
        h.push("kept");
        assert_eq!(h.entries(), ["kept"]);
        // Its parent is a file: the folder cannot be made.
        let file = dir.path().join("plain");
        fs::write(&file, "").unwrap();
        let mut h = History::load(Some(file.join("history.jsonl")));
        h.push("kept");
        assert_eq!(h.entries(), ["kept"]);
    }

    #[test]
    fn the_history_path_is_in_the_state_folder() {
        let path = history_path();
        let state = zerostack::paths::state_dir().ok();
        assert_eq!(path, state.map(|d| d.join("history.jsonl")));
    }
}
