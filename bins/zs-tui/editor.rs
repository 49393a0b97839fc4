//! The prompt editor (stub: owned by the input helper).
use crate::style::Line;
use crossterm::event::KeyEvent;
use std::path::PathBuf;

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

/// Prompt history, one entry per submitted text, kept in a file.
#[derive(Debug, Default)]
pub struct History {
    entries: Vec<String>,
    path: Option<PathBuf>,
}

impl History {
    /// Loads the history file (`$XDG_STATE_HOME/zerostack/history.jsonl` in
    /// the app); a missing or unreadable file is an empty history.
    pub fn load(path: Option<PathBuf>) -> History {
        History {
            entries: Vec::new(),
            path,
        }
    }
    pub fn entries(&self) -> &[String] {
        &self.entries
    }
}

/// A multi-line text editor with emacs keys.
#[derive(Debug, Default)]
pub struct Editor {
    text: String,
    history: History,
}

impl Editor {
    pub fn new(history: History) -> Editor {
        Editor {
            text: String::new(),
            history,
        }
    }
    pub fn handle_key(&mut self, key: KeyEvent) -> EditorAction {
        let _ = key;
        EditorAction::Ignored
    }
    /// Inserts text at the cursor (a paste: newlines stay newlines).
    pub fn insert_str(&mut self, s: &str) {
        self.text.push_str(s);
    }
    pub fn text(&self) -> &str {
        &self.text
    }
    pub fn set_text(&mut self, s: &str) {
        self.text = s.to_string();
    }
    pub fn clear(&mut self) {
        self.text.clear();
    }
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
    pub fn history(&self) -> &History {
        &self.history
    }
    /// The editor's rows at `width` cells (the first row starts after a
    /// prompt of `prompt_width` cells) and the cursor as (row, column).
    pub fn render(&self, width: usize, prompt_width: usize) -> (Vec<Line>, (usize, usize)) {
        let _ = (width, prompt_width);
        (vec![Line::plain(self.text.clone())], (0, 0))
    }
}
