//! Pickers that filter as you type: the command picker (`/`), the file
//! picker (`@`), the session picker (-r, /session), the model picker.
//!
//! `fuzzy_score` ranks a label against the query: its characters must
//! appear in order; matches that run together, start a word (after `/`,
//! `_`, `-`, `.`, a space, or a lower-to-upper case change) and short labels
//! score higher, gaps lower. It is case-insensitive unless the query holds
//! an upper-case letter. `Picker` keeps the items in score order (the
//! original order for an empty query, and for equal scores) and a selection;
//! `render` draws the rows that fit with the matched characters in bold.
//! `project_files` lists the files the `@` picker offers.

use crate::style::{Line, Role, Span, Style, Theme};
use crate::wrap;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ignore::WalkBuilder;
use std::cell::Cell;
use std::path::Path;

/// One choice: what is shown and matched, and a dim detail beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub label: String,
    pub detail: String,
}

impl Item {
    pub fn new(label: impl Into<String>, detail: impl Into<String>) -> Item {
        Item {
            label: label.into(),
            detail: detail.into(),
        }
    }
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

/// The rows PgUp/PgDn move by before the first render.
const DEFAULT_PAGE: usize = 10;

/// A list filtered by a fuzzy query, best matches first.
#[derive(Debug, Default)]
pub struct Picker {
    items: Vec<Item>,
    query: String,
    /// Indices into `items` of the matches, best first.
    matches: Vec<usize>,
    /// An index into `matches`.
    selected: usize,
    /// The first match shown, kept between renders so the list only
    /// scrolls when the selection leaves it.
    scroll: Cell<usize>,
    /// The height of the last render: a page for PgUp/PgDn.
    page: Cell<usize>,
}

impl Picker {
    pub fn new(items: Vec<Item>) -> Picker {
        Picker::with_query(items, "")
    }

    /// A picker opened on a query already typed (`/ses` in the editor opens
    /// the command picker filtered by it).
    pub fn with_query(items: Vec<Item>, query: &str) -> Picker {
        let mut p = Picker {
            items,
            ..Picker::default()
        };
        p.set_query(query);
        p
    }

    pub fn query(&self) -> &str {
        &self.query
    }

    /// Changes the query; the best match is selected.
    pub fn set_query(&mut self, q: &str) {
        self.query = q.to_string();
        self.refilter();
    }

    /// Replaces the items (a list that arrives later); the query stays and
    /// the best match is selected.
    pub fn set_items(&mut self, items: Vec<Item>) {
        self.items = items;
        self.refilter();
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> PickerAction {
        if key.kind == KeyEventKind::Release {
            return PickerAction::Ignored;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        let page = match self.page.get() {
            0 => DEFAULT_PAGE,
            rows => rows,
        };
        match key.code {
            KeyCode::Enter | KeyCode::Tab => {
                return match self.selected() {
                    Some(item) => PickerAction::Accept(item.label.clone()),
                    None => PickerAction::Ignored,
                };
            }
            KeyCode::Esc => return PickerAction::Cancel,
            KeyCode::Up => self.select_by(-1),
            KeyCode::Down => self.select_by(1),
            KeyCode::PageUp => self.select_by(-(page as isize)),
            KeyCode::PageDown => self.select_by(page as isize),
            KeyCode::Backspace if self.query.is_empty() => return PickerAction::Ignored,
            KeyCode::Backspace => {
                self.query.pop();
                self.refilter();
            }
            KeyCode::Char(c) if ctrl && !alt => match c.to_ascii_lowercase() {
                'p' => self.select_by(-1),
                'n' => self.select_by(1),
                'g' => return PickerAction::Cancel,
                'u' => {
                    self.query.clear();
                    self.refilter();
                }
                _ => return PickerAction::Ignored,
            },
            KeyCode::Char(c) if !ctrl && !alt && !c.is_control() => {
                self.query.push(c);
                self.refilter();
            }
            _ => return PickerAction::Ignored,
        }
        PickerAction::Changed
    }

    /// The items that match, in order.
    pub fn matches(&self) -> Vec<&Item> {
        self.matches.iter().map(|&i| &self.items[i]).collect()
    }

    /// The selected item, None when nothing matches.
    pub fn selected(&self) -> Option<&Item> {
        self.matches.get(self.selected).map(|&i| &self.items[i])
    }

    /// At most `height` rows, the selection highlighted: the label (its
    /// matched characters bold) then the detail, dim, cut to `width` cells.
    /// When nothing matches, one dim row says so.
    pub fn render(&self, width: usize, height: usize) -> Vec<Line> {
        self.page.set(height);
        if width == 0 || height == 0 {
            return Vec::new();
        }
        let theme = Theme::new(false);
        if self.matches.is_empty() {
            let mut line = Line::default();
            push_cut(&mut line, "no matches", theme.style(Role::Notice), width);
            return vec![line];
        }
        let mut top = self.scroll.get().min(self.selected);
        if self.selected >= top + height {
            top = self.selected + 1 - height;
        }
        top = top.min(self.matches.len().saturating_sub(height));
        self.scroll.set(top);
        let end = (top + height).min(self.matches.len());
        (top..end)
            .map(|n| {
                let item = &self.items[self.matches[n]];
                let base = if n == self.selected {
                    theme.style(Role::Selection)
                } else {
                    Style::default()
                };
                let hits = fuzzy_match(&self.query, &item.label).map_or(Vec::new(), |m| m.1);
                row(item, &hits, base, width)
            })
            .collect()
    }

    fn select_by(&mut self, delta: isize) {
        let last = self.matches.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    fn refilter(&mut self) {
        let mut matcher = Matcher::new(&self.query);
        let mut scored: Vec<(i64, usize)> = self
            .items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| matcher.score(&item.label).map(|s| (s, i)))
            .collect();
        // A stable sort: equal scores keep the items' order.
        scored.sort_by_key(|&(score, _)| std::cmp::Reverse(score));
        self.matches = scored.into_iter().map(|(_, i)| i).collect();
        self.selected = 0;
        self.scroll.set(0);
    }
}

/// One picker row: the label with its `hits` (character indices) in bold,
/// two spaces and the dim detail when there is room, padded to `width` when
/// it is the selection so the bar spans the row.
fn row(item: &Item, hits: &[usize], base: Style, width: usize) -> Line {
    let mut line = Line::default();
    let bold = Style { bold: true, ..base };
    let label_cells: usize = item.label.chars().map(|c| char_width(shown(c))).sum();
    let mut used = 0;
    let mut hits = hits.iter().peekable();
    for (i, c) in item.label.chars().enumerate() {
        let hit = hits.next_if_eq(&&i).is_some();
        let c = shown(c);
        let w = char_width(c);
        // Keep a cell for the ellipsis when the label is cut.
        if used + w > width || (label_cells > width && used + w + 1 > width) {
            push_span(&mut line, "…", base);
            used += 1;
            break;
        }
        push_span(
            &mut line,
            c.encode_utf8(&mut [0; 4]),
            if hit { bold } else { base },
        );
        used += w;
    }
    if !item.detail.is_empty() && used + 3 <= width {
        push_span(&mut line, "  ", base);
        used += 2 + push_cut(
            &mut line,
            &item.detail,
            Style { dim: true, ..base },
            width - used - 2,
        );
    }
    if base != Style::default() && used < width {
        push_span(&mut line, &" ".repeat(width - used), base);
    }
    line
}

/// Appends `text` in `style`, cut to `width` cells with an ellipsis;
/// returns the cells used.
fn push_cut(line: &mut Line, text: &str, style: Style, width: usize) -> usize {
    let full = text.chars().map(|c| char_width(shown(c))).sum::<usize>() <= width;
    let mut used = 0;
    let mut out = String::new();
    for c in text.chars().map(shown) {
        let w = char_width(c);
        if used + w > width || (!full && used + w + 1 > width) {
            if width > used {
                out.push('…');
                used += 1;
            }
            break;
        }
        out.push(c);
        used += w;
    }
    push_span(line, &out, style);
    used
}

/// Adds text to the line, in the last span when the style is the same.
fn push_span(line: &mut Line, text: &str, style: Style) {
    match line.spans.last_mut() {
        Some(last) if last.style == style => last.text.push_str(text),
        _ => line.spans.push(Span::new(text, style)),
    }
}

/// A control character (a newline in a file name) would break the row.
fn shown(c: char) -> char {
    if c.is_control() { '?' } else { c }
}

fn char_width(c: char) -> usize {
    wrap::width(c.encode_utf8(&mut [0; 4]))
}

const SCORE_MATCH: i64 = 16;
/// A match right after the previous one: a substring beats a scatter.
const BONUS_CONSECUTIVE: i64 = 24;
/// A match at the start of the label or of a path component.
const BONUS_START: i64 = 24;
/// A match after `_`, `-`, `.` or a space.
const BONUS_WORD: i64 = 20;
/// A match at a lower-to-upper case change, or after other punctuation.
const BONUS_CAMEL: i64 = 16;
/// Each character skipped between two matches.
const PENALTY_GAP: i64 = 2;
/// A score that no alignment reaches: "no match here".
const NONE: i64 = i64::MIN / 4;

/// A fuzzy match score (higher is better), or None when `query`'s
/// characters do not all appear in order in `candidate`. An empty query
/// matches everything with a score of 0.
pub fn fuzzy_score(query: &str, candidate: &str) -> Option<i64> {
    Matcher::new(query).score(candidate)
}

/// The score and the character indices in `candidate` of the best
/// alignment of `query` (the one `fuzzy_score` scores).
pub fn fuzzy_match(query: &str, candidate: &str) -> Option<(i64, Vec<usize>)> {
    let mut m = Matcher::new(query);
    let score = m.score(candidate)?;
    Some((score, m.positions()))
}

/// A query scored against many candidates with the same buffers: a
/// keystroke in the file picker scores every file.
struct Matcher {
    query: Vec<char>,
    sensitive: bool,
    chars: Vec<char>,
    folded: Vec<char>,
    bonus: Vec<i64>,
    /// `table[i * m + j]`: the best alignment of `query[..=i]` with
    /// `query[i]` at `j`, for the last candidate of `m` characters.
    table: Vec<i64>,
    /// Where the best alignment of the last candidate ends.
    end: usize,
}

impl Matcher {
    fn new(query: &str) -> Matcher {
        let sensitive = query.chars().any(char::is_uppercase);
        let mut m = Matcher {
            query: Vec::new(),
            sensitive,
            chars: Vec::new(),
            folded: Vec::new(),
            bonus: Vec::new(),
            table: Vec::new(),
            end: 0,
        };
        m.query = query.chars().map(|c| fold(sensitive, c)).collect();
        m
    }

    fn score(&mut self, candidate: &str) -> Option<i64> {
        self.end = 0;
        self.chars.clear();
        if self.query.is_empty() {
            return Some(0);
        }
        // A cheap in-order check first: most candidates do not match.
        let sensitive = self.sensitive;
        let mut rest = candidate.chars().map(|c| fold(sensitive, c));
        if !self.query.iter().all(|&q| rest.any(|c| c == q)) {
            return None;
        }
        self.chars.extend(candidate.chars());
        self.folded.clear();
        self.folded
            .extend(self.chars.iter().map(|&c| fold(sensitive, c)));
        let (n, m) = (self.query.len(), self.chars.len());
        self.bonus.clear();
        self.bonus.extend(
            (0..m).map(|j| position_bonus(j.checked_sub(1).map(|p| self.chars[p]), self.chars[j])),
        );
        let table = &mut self.table;
        table.clear();
        table.resize(n * m, NONE);
        for (i, &q) in self.query.iter().enumerate() {
            // The best of table[i-1][k] - gap * (j - 1 - k) for k <= j - 2.
            let mut gapped = NONE;
            for j in i..m {
                if i > 0 && j >= 2 {
                    gapped = gapped.max(table[(i - 1) * m + j - 2]) - PENALTY_GAP;
                }
                if self.folded[j] != q {
                    continue;
                }
                let here = SCORE_MATCH + self.bonus[j];
                table[i * m + j] = if i == 0 {
                    here
                } else {
                    let run = table[(i - 1) * m + j - 1] + BONUS_CONSECUTIVE;
                    here + run.max(gapped)
                };
            }
        }
        let (end, best) = table[(n - 1) * m..]
            .iter()
            .enumerate()
            .max_by_key(|&(j, &s)| (s, std::cmp::Reverse(j)))
            .map(|(j, &s)| (j, s))?;
        if best <= NONE / 2 {
            return None;
        }
        self.end = end;
        // Shorter labels first among equal matches.
        Some(best - m as i64 / 2)
    }

    /// The character indices of the best alignment of the last candidate
    /// `score` matched, found by walking the table back.
    fn positions(&self) -> Vec<usize> {
        let (n, m) = (self.query.len(), self.chars.len());
        if n == 0 || m == 0 {
            return Vec::new();
        }
        let t = &self.table;
        let mut j = self.end;
        let mut hits = vec![j];
        for i in (1..n).rev() {
            let here = t[i * m + j] - SCORE_MATCH - self.bonus[j];
            let k = if t[(i - 1) * m + j - 1] + BONUS_CONSECUTIVE == here {
                Some(j - 1)
            } else {
                (0..j - 1)
                    .rev()
                    .find(|&k| t[(i - 1) * m + k] - PENALTY_GAP * (j - 1 - k) as i64 == here)
            };
            // Every step of a real alignment has a predecessor.
            let Some(k) = k else { break };
            hits.push(k);
            j = k;
        }
        hits.reverse();
        hits
    }
}

/// `c` as compared: itself in a case-sensitive match, else lower case.
fn fold(sensitive: bool, c: char) -> char {
    if sensitive {
        c
    } else if c.is_ascii() {
        c.to_ascii_lowercase()
    } else {
        c.to_lowercase().next().unwrap_or(c)
    }
}

/// What matching `c` (after `prev`) is worth beyond the match itself.
fn position_bonus(prev: Option<char>, c: char) -> i64 {
    match prev {
        None | Some('/') => BONUS_START,
        Some('_' | '-' | '.' | ' ') => BONUS_WORD,
        Some(p) if p.is_lowercase() && c.is_uppercase() => BONUS_CAMEL,
        Some(p) if !p.is_alphanumeric() && c.is_alphanumeric() => BONUS_CAMEL,
        _ => 0,
    }
}

/// The project's files under `root`, relative, gitignore-aware, at most
/// `limit` of them.
///
/// `.gitignore` (also outside a git repository), `.ignore` and git's
/// excludes are honoured; hidden files and folders are skipped, and so is
/// `.git`. The walk stops at `limit` files (taken in name order, folder by
/// folder), which are returned sorted. Paths that are not UTF-8 are left
/// out, as they could not be inserted into a prompt.
pub fn project_files(root: &Path, limit: usize) -> Vec<String> {
    let mut files = Vec::new();
    if limit == 0 {
        return files;
    }
    let walk = WalkBuilder::new(root)
        .hidden(true)
        .require_git(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|e| e.file_name() != ".git")
        .build();
    for entry in walk.flatten() {
        let is_file = match entry.file_type() {
            Some(t) if t.is_file() => true,
            // A link to a file is offered, a link to a folder is not walked.
            Some(t) if t.is_symlink() => entry.path().is_file(),
            _ => false,
        };
        if !is_file {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(root) else {
            continue;
        };
        if let Some(rel) = rel.to_str() {
            files.push(rel.to_string());
            if files.len() == limit {
                break;
            }
        }
    }
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }
    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }
    fn items(labels: &[&str]) -> Vec<Item> {
        labels.iter().map(|l| Item::new(*l, "")).collect()
    }
    fn labels(p: &Picker) -> Vec<&str> {
        p.matches().iter().map(|i| i.label.as_str()).collect()
    }
    /// The labels in the order `query` ranks them.
    fn ranked<'a>(query: &str, candidates: &[&'a str]) -> Vec<&'a str> {
        let mut v: Vec<(i64, &str)> = candidates
            .iter()
            .filter_map(|c| fuzzy_score(query, c).map(|s| (s, *c)))
            .collect();
        v.sort_by_key(|&(score, _)| std::cmp::Reverse(score));
        v.into_iter().map(|(_, c)| c).collect()
    }
    fn texts(lines: &[Line]) -> Vec<String> {
        lines.iter().map(Line::text).collect()
    }

    #[test]
    fn a_match_needs_every_query_character_in_order() {
        assert!(fuzzy_score("abc", "a_b_c").is_some());
        assert!(fuzzy_score("abc", "acb").is_none());
        assert!(fuzzy_score("abcd", "abc").is_none());
        assert!(fuzzy_score("x", "").is_none());
        assert_eq!(fuzzy_score("", "anything"), Some(0));
    }

    #[test]
    fn matching_ignores_case_unless_the_query_has_a_capital() {
        assert!(fuzzy_score("readme", "README.md").is_some());
        assert!(fuzzy_score("ReadMe", "README.md").is_none());
        assert!(fuzzy_score("README", "README.md").is_some());
        assert!(fuzzy_score("Émile", "émile").is_none());
        assert!(fuzzy_score("émile", "ÉMILE").is_some());
    }

    #[test]
    fn a_substring_beats_a_scatter() {
        assert_eq!(ranked("abc", &["a_b_c", "x_abc"]), ["x_abc", "a_b_c"]);
        assert_eq!(
            ranked("main", &["m_a_i_n.rs", "src/main.rs"]),
            ["src/main.rs", "m_a_i_n.rs"]
        );
    }

    #[test]
    fn word_starts_and_path_components_score_higher() {
        assert_eq!(
            ranked("main", &["src/domain.rs", "src/main.rs"]),
            ["src/main.rs", "src/domain.rs"]
        );
        assert_eq!(ranked("fb", &["fab", "foo_bar"]), ["foo_bar", "fab"]);
        assert_eq!(ranked("fb", &["fab", "foo-bar"]), ["foo-bar", "fab"]);
        assert_eq!(ranked("fb", &["fab", "foo.bar"]), ["foo.bar", "fab"]);
        assert_eq!(ranked("fb", &["fab", "fooBar"]), ["fooBar", "fab"]);
        assert_eq!(
            ranked("zt", &["bins/lazyt", "bins/zs-tui"]),
            ["bins/zs-tui", "bins/lazyt"]
        );
    }

    #[test]
    fn the_shorter_label_wins_among_equal_matches() {
        assert_eq!(
            ranked("editor", &["editor_tests.rs", "editor.rs"]),
            ["editor.rs", "editor_tests.rs"]
        );
    }

    #[test]
    fn the_best_alignment_is_found_not_the_first() {
        // The first `a` and `b` are far apart; the later ones run together.
        assert_eq!(fuzzy_match("ab", "a____ab").map(|m| m.1), Some(vec![5, 6]));
        assert_eq!(
            fuzzy_match("tuied", "bins/zs-tui/editor.rs").map(|m| m.1),
            Some(vec![8, 9, 10, 12, 13])
        );
    }

    #[test]
    fn the_matched_positions_spell_the_query_and_carry_its_score() {
        let alphabet: Vec<char> = "ab_/.A漢".chars().collect();
        let mut seed = 11u64;
        let mut pick = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) % n as u64) as usize
        };
        for _ in 0..2000 {
            let cand: String = (0..pick(12))
                .map(|_| alphabet[pick(alphabet.len())])
                .collect();
            let query: String = (0..1 + pick(3))
                .map(|_| alphabet[pick(alphabet.len())])
                .collect();
            let Some((score, hits)) = fuzzy_match(&query, &cand) else {
                continue;
            };
            assert_eq!(fuzzy_score(&query, &cand), Some(score));
            let chars: Vec<char> = cand.chars().collect();
            let sensitive = query.chars().any(char::is_uppercase);
            let got: String = hits.iter().map(|&i| chars[i]).collect();
            if sensitive {
                assert_eq!(got, query, "{query} in {cand}");
            } else {
                assert_eq!(
                    got.to_lowercase(),
                    query.to_lowercase(),
                    "{query} in {cand}"
                );
            }
            assert!(hits.windows(2).all(|w| w[0] < w[1]), "{query} in {cand}");
        }
    }

    #[test]
    fn an_empty_query_keeps_the_original_order() {
        let p = Picker::new(items(&["zeta", "alpha", "mid"]));
        assert_eq!(labels(&p), ["zeta", "alpha", "mid"]);
        assert_eq!(p.selected().unwrap().label, "zeta");
    }

    #[test]
    fn equal_scores_keep_the_original_order() {
        let p = Picker::with_query(items(&["b/x.rs", "a/x.rs", "c/x.rs"]), "x");
        assert_eq!(labels(&p), ["b/x.rs", "a/x.rs", "c/x.rs"]);
    }

    #[test]
    fn typing_filters_and_selects_the_best_match() {
        let mut p = Picker::new(items(&["/model", "/mode", "/session", "/help"]));
        for c in "ses".chars() {
            assert_eq!(p.handle_key(key(KeyCode::Char(c))), PickerAction::Changed);
        }
        assert_eq!(p.query(), "ses");
        assert_eq!(labels(&p), ["/session"]);
        for _ in 0..3 {
            assert_eq!(p.handle_key(key(KeyCode::Backspace)), PickerAction::Changed);
        }
        assert_eq!(labels(&p), ["/model", "/mode", "/session", "/help"]);
        p.handle_key(key(KeyCode::Char('m')));
        p.handle_key(key(KeyCode::Char('o')));
        // The shorter of two equal matches first.
        assert_eq!(labels(&p), ["/mode", "/model"]);
        assert_eq!(p.handle_key(ctrl('u')), PickerAction::Changed);
        assert_eq!(p.query(), "");
        assert_eq!(labels(&p).len(), 4);
        // Backspace on an empty query is the app's (it may close the picker).
        assert_eq!(p.handle_key(key(KeyCode::Backspace)), PickerAction::Ignored);
    }

    #[test]
    fn the_selection_moves_and_stops_at_the_ends() {
        let mut p = Picker::new(items(&["a", "b", "c"]));
        p.handle_key(key(KeyCode::Up));
        assert_eq!(p.selected().unwrap().label, "a");
        p.handle_key(key(KeyCode::Down));
        p.handle_key(ctrl('n'));
        assert_eq!(p.selected().unwrap().label, "c");
        p.handle_key(key(KeyCode::Down));
        assert_eq!(p.selected().unwrap().label, "c");
        p.handle_key(ctrl('p'));
        assert_eq!(p.selected().unwrap().label, "b");
    }

    #[test]
    fn page_keys_move_by_the_rendered_height() {
        let names: Vec<String> = (0..20).map(|i| format!("item{i:02}")).collect();
        let mut p = Picker::new(names.iter().map(|n| Item::new(n, "")).collect());
        p.render(20, 5);
        p.handle_key(key(KeyCode::PageDown));
        assert_eq!(p.selected().unwrap().label, "item05");
        p.handle_key(key(KeyCode::PageDown));
        p.handle_key(key(KeyCode::PageDown));
        p.handle_key(key(KeyCode::PageDown));
        p.handle_key(key(KeyCode::PageDown));
        assert_eq!(p.selected().unwrap().label, "item19");
        p.handle_key(key(KeyCode::PageUp));
        assert_eq!(p.selected().unwrap().label, "item14");
        // Before any render, a page is ten rows.
        let mut p = Picker::new(names.iter().map(|n| Item::new(n, "")).collect());
        p.handle_key(key(KeyCode::PageDown));
        assert_eq!(p.selected().unwrap().label, "item10");
    }

    #[test]
    fn enter_and_tab_accept_the_selection_and_esc_or_ctrl_g_cancel() {
        let mut p = Picker::new(items(&["/model", "/mode"]));
        p.handle_key(key(KeyCode::Down));
        assert_eq!(
            p.handle_key(key(KeyCode::Enter)),
            PickerAction::Accept("/mode".into())
        );
        assert_eq!(
            p.handle_key(key(KeyCode::Tab)),
            PickerAction::Accept("/mode".into())
        );
        assert_eq!(p.handle_key(key(KeyCode::Esc)), PickerAction::Cancel);
        assert_eq!(p.handle_key(ctrl('g')), PickerAction::Cancel);
    }

    #[test]
    fn enter_with_nothing_matching_is_ignored() {
        let mut p = Picker::with_query(items(&["/model"]), "zz");
        assert!(p.matches().is_empty());
        assert_eq!(p.handle_key(key(KeyCode::Enter)), PickerAction::Ignored);
        assert_eq!(
            Picker::new(Vec::new()).handle_key(key(KeyCode::Tab)),
            PickerAction::Ignored
        );
    }

    #[test]
    fn other_keys_are_the_apps() {
        let mut p = Picker::new(items(&["a"]));
        for k in [ctrl('c'), ctrl('x'), key(KeyCode::Left), key(KeyCode::F(2))] {
            assert_eq!(p.handle_key(k), PickerAction::Ignored, "{k:?}");
        }
        let mut release = key(KeyCode::Char('a'));
        release.kind = KeyEventKind::Release;
        assert_eq!(p.handle_key(release), PickerAction::Ignored);
        assert_eq!(p.query(), "");
    }

    #[test]
    fn render_shows_label_and_dim_detail_and_highlights_the_selection() {
        let p = Picker::new(vec![
            Item::new("/model", "[ID]  switch the model"),
            Item::new("/help", "the commands"),
        ]);
        let rows = p.render(32, 5);
        assert_eq!(
            texts(&rows),
            ["/model  [ID]  switch the model  ", "/help  the commands"]
        );
        let sel = Theme::new(false).style(Role::Selection);
        let dim_sel = Style { dim: true, ..sel };
        assert_eq!(
            rows[0].spans,
            [
                Span::new("/model  ", sel),
                Span::new("[ID]  switch the model", dim_sel),
                Span::new("  ", sel)
            ]
        );
        let dim = Style {
            dim: true,
            ..Style::default()
        };
        assert_eq!(
            rows[1].spans,
            [
                Span::new("/help  ", Style::default()),
                Span::new("the commands", dim)
            ]
        );
    }

    #[test]
    fn render_puts_the_matched_characters_in_bold() {
        let p = Picker::with_query(items(&["src/main.rs"]), "mn");
        let rows = p.render(20, 3);
        let bold: String = rows[0]
            .spans
            .iter()
            .filter(|s| s.style.bold)
            .map(|s| s.text.as_str())
            .collect();
        assert_eq!(bold, "mn");
        assert_eq!(rows[0].text().trim_end(), "src/main.rs");
    }

    #[test]
    fn render_cuts_long_rows_with_an_ellipsis_counting_wide_characters() {
        let p = Picker::new(vec![
            Item::new("漢字漢字漢字", ""),
            Item::new("short", "a long detail here"),
            Item::new("tiny", "x"),
        ]);
        assert_eq!(
            texts(&p.render(7, 5)),
            ["漢字漢…", "short", "tiny  x"].map(String::from)
        );
        assert_eq!(
            texts(&p.render(12, 5)),
            ["漢字漢字漢字", "short  a lo…", "tiny  x"].map(String::from)
        );
        assert_eq!(texts(&p.render(1, 1)), ["…"]);
    }

    #[test]
    fn render_never_shows_a_control_character() {
        let p = Picker::new(items(&["bad\nname", "tab\there"]));
        assert_eq!(
            texts(&p.render(8, 2)),
            ["bad?name", "tab?here"].map(String::from)
        );
    }

    #[test]
    fn render_scrolls_only_as_far_as_the_selection_needs() {
        let mut p = Picker::new(items(&["a", "b", "c", "d", "e", "f"]));
        let shown = |p: &Picker| -> Vec<String> {
            texts(&p.render(3, 3))
                .iter()
                .map(|s| s.trim_end().to_string())
                .collect()
        };
        assert_eq!(shown(&p), ["a", "b", "c"]);
        for _ in 0..4 {
            p.handle_key(key(KeyCode::Down));
        }
        assert_eq!(shown(&p), ["c", "d", "e"]);
        // Moving up inside the visible rows does not scroll.
        p.handle_key(key(KeyCode::Up));
        p.handle_key(key(KeyCode::Up));
        assert_eq!(shown(&p), ["c", "d", "e"]);
        p.handle_key(key(KeyCode::Up));
        assert_eq!(shown(&p), ["b", "c", "d"]);
        assert!(p.render(3, 3)[0].spans[0].style.reverse);
        // A new query starts at the top again.
        p.handle_key(key(KeyCode::Char('f')));
        assert_eq!(shown(&p), ["f"]);
    }

    #[test]
    fn render_says_when_nothing_matches_and_draws_nothing_without_room() {
        let p = Picker::with_query(items(&["a"]), "zz");
        let rows = p.render(20, 4);
        assert_eq!(texts(&rows), ["no matches"]);
        assert!(rows[0].spans[0].style.dim);
        assert!(p.render(0, 4).is_empty());
        assert!(Picker::new(items(&["a"])).render(10, 0).is_empty());
    }

    #[test]
    fn set_items_refilters_with_the_query_kept() {
        let mut p = Picker::with_query(Vec::new(), "rs");
        assert!(p.matches().is_empty());
        p.set_items(items(&["a.md", "b.rs"]));
        assert_eq!(labels(&p), ["b.rs"]);
        assert_eq!(p.query(), "rs");
    }

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let p = dir.path().join(path);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, text).unwrap();
        }
        dir
    }

    #[test]
    fn project_files_lists_files_sorted_and_relative() {
        let dir = tree(&[
            ("src/main.rs", ""),
            ("README.md", ""),
            ("src/a/b.rs", ""),
            ("Cargo.toml", ""),
        ]);
        fs::create_dir(dir.path().join("empty")).unwrap();
        assert_eq!(
            project_files(dir.path(), 100),
            ["Cargo.toml", "README.md", "src/a/b.rs", "src/main.rs"]
        );
    }

    #[test]
    fn project_files_honours_gitignore_and_skips_hidden_files_and_git() {
        let dir = tree(&[
            (".gitignore", "target/\n*.log\n"),
            ("target/debug/zs", ""),
            ("run.log", ""),
            ("keep.rs", ""),
            (".env", "SECRET=1"),
            (".hidden/x.rs", ""),
            (".git/config", ""),
            ("sub/.gitignore", "local.txt\n"),
            ("sub/local.txt", ""),
            ("sub/other.txt", ""),
        ]);
        assert_eq!(project_files(dir.path(), 100), ["keep.rs", "sub/other.txt"]);
    }

    #[test]
    fn project_files_stops_at_the_limit() {
        let dir = tree(&[("a", ""), ("b", ""), ("c/d", ""), ("e", "")]);
        assert_eq!(project_files(dir.path(), 3), ["a", "b", "c/d"]);
        assert!(project_files(dir.path(), 0).is_empty());
        assert!(project_files(&dir.path().join("missing"), 10).is_empty());
    }

    #[test]
    fn project_files_offers_links_to_files_but_not_to_folders() {
        let dir = tree(&[("real/f.txt", "")]);
        std::os::unix::fs::symlink("real/f.txt", dir.path().join("link.txt")).unwrap();
        std::os::unix::fs::symlink("real", dir.path().join("linkdir")).unwrap();
        assert_eq!(project_files(dir.path(), 10), ["link.txt", "real/f.txt"]);
    }
}
