//! Pickers that filter as you type (stub: owned by the input helper).
use crate::style::Line;
use crossterm::event::KeyEvent;
use std::path::Path;

/// One choice: what is shown and matched, and a dim detail beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub label: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickerAction {
    Ignored,
    Changed,
    /// Enter (or Tab): the chosen item's label.
    Accept(String),
    /// Esc or Ctrl-G.
    Cancel,
}

/// A list filtered by a fuzzy query, best matches first.
#[derive(Debug, Default)]
pub struct Picker {
    items: Vec<Item>,
    query: String,
}

impl Picker {
    pub fn new(items: Vec<Item>) -> Picker {
        Picker {
            items,
            query: String::new(),
        }
    }
    pub fn query(&self) -> &str {
        &self.query
    }
    pub fn set_query(&mut self, q: &str) {
        self.query = q.to_string();
    }
    pub fn handle_key(&mut self, key: KeyEvent) -> PickerAction {
        let _ = key;
        PickerAction::Ignored
    }
    /// The items that match, in order.
    pub fn matches(&self) -> Vec<&Item> {
        self.items.iter().collect()
    }
    /// At most `height` rows, the selection highlighted.
    pub fn render(&self, width: usize, height: usize) -> Vec<Line> {
        let _ = (width, height);
        Vec::new()
    }
}

/// A fuzzy match score (higher is better), or None when `query`'s
/// characters do not all appear in order in `candidate`.
pub fn fuzzy_score(query: &str, candidate: &str) -> Option<i64> {
    let _ = (query, candidate);
    None
}

/// The project's files under `root`, relative, gitignore-aware, at most
/// `limit` of them.
pub fn project_files(root: &Path, limit: usize) -> Vec<String> {
    let _ = (root, limit);
    Vec::new()
}
