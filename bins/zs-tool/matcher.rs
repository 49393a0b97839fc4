//! Finding `old_string` in a file, for edit and multiedit.
//!
//! Models copy text from what they read and get whitespace wrong more often
//! than anything else, so matching goes in steps, each tried only when the
//! one before found nothing:
//!
//! 1. exact: the bytes as given;
//! 2. trailing whitespace: whole lines, each compared without its trailing
//!    spaces and tabs;
//! 3. whitespace and indentation: whole lines, each compared with runs of
//!    whitespace collapsed and the ends trimmed. `new_string` is then
//!    re-indented by the difference between the file's indentation and
//!    `old_string`'s.
//!
//! A step that finds several places is an error unless `replace_all` is set:
//! guessing which one was meant is how an agent corrupts a file. There is no
//! similarity-scored auto-apply; when nothing matches, the error shows the
//! most similar lines so the model can fix its `old_string`.

use std::collections::HashSet;
use std::fmt::Write;
use std::ops::Range;

/// How a match was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Exact,
    TrailingWhitespace,
    Indentation,
}

impl Strategy {
    /// A note for the result, empty for an exact match.
    pub fn note(self) -> &'static str {
        match self {
            Strategy::Exact => "",
            Strategy::TrailingWhitespace => " (matched ignoring trailing whitespace)",
            Strategy::Indentation => {
                " (matched ignoring whitespace differences; new_string re-indented to fit)"
            }
        }
    }
}

/// The places to change: byte ranges of the text and what goes there.
#[derive(Debug)]
pub struct Found {
    pub edits: Vec<(Range<usize>, String)>,
    pub strategy: Strategy,
}

/// Finds `old` in `text` (both with LF line endings).
pub fn find(text: &str, old: &str, new: &str, replace_all: bool) -> Result<Found, String> {
    if old.is_empty() {
        return Err("old_string is empty".into());
    }
    let exact: Vec<usize> = text.match_indices(old).map(|(i, _)| i).collect();
    if !exact.is_empty() {
        check_unique(text, &exact, replace_all)?;
        return Ok(Found {
            edits: exact
                .iter()
                .map(|&i| (i..i + old.len(), new.to_string()))
                .collect(),
            strategy: Strategy::Exact,
        });
    }
    let lines = Lines::new(text);
    let (old_lines, old_nl) = split_old(old);
    for strategy in [Strategy::TrailingWhitespace, Strategy::Indentation] {
        let norm: fn(&str) -> String = match strategy {
            Strategy::TrailingWhitespace => |s| s.trim_end().to_string(),
            _ => collapse,
        };
        let want: Vec<String> = old_lines.iter().map(|l| norm(l)).collect();
        let have: Vec<String> = lines.text.iter().map(|l| norm(l)).collect();
        let k = want.len();
        if k == 0 || k > have.len() {
            continue;
        }
        let starts: Vec<usize> = (0..=have.len() - k)
            .filter(|&s| have[s..s + k] == want[..])
            .collect();
        if starts.is_empty() {
            continue;
        }
        let offsets: Vec<usize> = starts.iter().map(|&s| lines.start[s]).collect();
        check_unique(text, &offsets, replace_all)?;
        let mut edits = Vec::new();
        for &s in &starts {
            let begin = lines.start[s];
            let last = s + k - 1;
            let mut end = lines.start[last] + lines.text[last].len();
            // old_string ended with a newline: the match takes the file's
            // newline after its last line too, so new_string (which should
            // end with one as well) lines up.
            if old_nl && end < text.len() {
                end += 1;
            }
            let replacement = if strategy == Strategy::Indentation {
                reindent(new, &old_lines, &lines.text[s..s + k])
            } else {
                new.to_string()
            };
            edits.push((begin..end, replacement));
        }
        return Ok(Found { edits, strategy });
    }
    Err(not_found(
        &lines,
        &old_lines,
        "old_string was not found in the file",
        "Copy old_string exactly from the file (read it again if it may have changed).",
    ))
}

/// Applies found edits to `text`. The ranges do not overlap (they come from
/// non-overlapping matches).
pub fn apply(text: &str, edits: &[(Range<usize>, String)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut sorted: Vec<&(Range<usize>, String)> = edits.iter().collect();
    sorted.sort_by_key(|e| e.0.start);
    for (r, s) in sorted {
        if r.start < at {
            continue;
        }
        out.push_str(&text[at..r.start]);
        out.push_str(s);
        at = r.end;
    }
    out.push_str(&text[at..]);
    out
}

fn check_unique(text: &str, offsets: &[usize], replace_all: bool) -> Result<(), String> {
    if offsets.len() > 1 && !replace_all {
        let nums: Vec<String> = offsets
            .iter()
            .map(|&o| line_of(text, o).to_string())
            .collect();
        return Err(format!(
            "old_string matches {} places (lines {}); include more surrounding lines to pick one, \
             or set replace_all to change every one",
            offsets.len(),
            nums.join(", ")
        ));
    }
    Ok(())
}

/// 1-based line number of byte offset `at`.
pub fn line_of(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The file's lines and where each starts.
struct Lines<'a> {
    text: Vec<&'a str>,
    start: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Lines<'a> {
        let mut l = Lines {
            text: Vec::new(),
            start: Vec::new(),
        };
        let mut at = 0;
        for line in text.split('\n') {
            l.text.push(line);
            l.start.push(at);
            at += line.len() + 1;
        }
        // A final newline does not start another line.
        if text.ends_with('\n') {
            l.text.pop();
            l.start.pop();
        }
        l
    }
}

/// old_string's lines, and whether it ended with a newline.
fn split_old(old: &str) -> (Vec<&str>, bool) {
    match old.strip_suffix('\n') {
        Some(rest) => (rest.split('\n').collect(), true),
        None => (old.split('\n').collect(), false),
    }
}

/// Whitespace runs made one space, ends trimmed.
fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

fn indent_of(s: &str) -> &str {
    &s[..s.len() - s.trim_start().len()]
}

/// Width of an indentation, a tab counting 4.
fn width(indent: &str) -> usize {
    indent.chars().map(|c| if c == '\t' { 4 } else { 1 }).sum()
}

/// Shifts `new`'s lines by the difference between the file's indentation
/// and old_string's, measured on the first non-blank line, and writes the
/// indentation in the file's style (tabs or spaces).
fn reindent(new: &str, old_lines: &[&str], file_lines: &[&str]) -> String {
    let Some(j) = old_lines.iter().position(|l| !l.trim().is_empty()) else {
        return new.to_string();
    };
    let (oi, fi) = (indent_of(old_lines[j]), indent_of(file_lines[j]));
    if oi == fi {
        return new.to_string();
    }
    let tabs = fi.contains('\t')
        || (fi.is_empty() && file_lines.iter().any(|l| indent_of(l).starts_with('\t')));
    let delta = width(fi) as isize - width(oi) as isize;
    let mut out = String::with_capacity(new.len() + 64);
    for (n, line) in new.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        if line.trim().is_empty() {
            out.push_str(line);
            continue;
        }
        let w = (width(indent_of(line)) as isize + delta).max(0) as usize;
        if tabs {
            out.push_str(&"\t".repeat(w / 4));
            out.push_str(&" ".repeat(w % 4));
        } else {
            out.push_str(&" ".repeat(w));
        }
        out.push_str(line.trim_start());
    }
    out
}

/// Character bigrams of a trimmed line, for a cheap similarity.
fn bigrams(s: &str) -> HashSet<(char, char)> {
    let c: Vec<char> = s.trim().chars().take(300).collect();
    c.windows(2).map(|w| (w[0], w[1])).collect()
}

/// Dice similarity of two bigram sets, 0 to 1.
fn dice(a: &HashSet<(char, char)>, b: &HashSet<(char, char)>) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let common = a.intersection(b).count();
    2.0 * common as f64 / (a.len() + b.len()) as f64
}

/// The message for lines of `text` that were looked for and not found:
/// `base`, then the most similar window of the file, numbered as read
/// shows it, then `advice`.
pub fn closest(text: &str, wanted: &[&str], base: &str, advice: &str) -> String {
    not_found(&Lines::new(text), wanted, base, advice)
}

fn not_found(lines: &Lines, old_lines: &[&str], base: &str, advice: &str) -> String {
    let k = old_lines.len().max(1);
    let n = lines.text.len();
    if n == 0 {
        return format!("{base} (the file is empty)");
    }
    let want: Vec<_> = old_lines.iter().map(|l| bigrams(l)).collect();
    let have: Vec<_> = lines.text.iter().map(|l| bigrams(l)).collect();
    let k = k.min(n);
    // Scoring every window costs n * k; instead rank the file's lines
    // against old_string's longest line, and score whole windows only
    // around the best 50 of them.
    let anchor = (0..want.len()).max_by_key(|&i| want[i].len()).unwrap_or(0);
    let mut ranked: Vec<(f64, usize)> = have
        .iter()
        .enumerate()
        .map(|(i, h)| (dice(&want[anchor], h), i))
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut best = (0.0f64, 0usize);
    for &(_, i) in ranked.iter().take(50) {
        let s = i.saturating_sub(anchor).min(n - k);
        let score = (0..k)
            .map(|j| dice(&want[j.min(want.len() - 1)], &have[s + j]))
            .sum::<f64>()
            / k as f64;
        if score > best.0 + 1e-9 || (score > best.0 - 1e-9 && s < best.1) {
            best = (score, s);
        }
    }
    if best.0 < 0.5 {
        return format!("{base}, and nothing in the file is similar; read the file again");
    }
    let (s, show) = (best.1, k.min(12));
    let width = (s + show).to_string().len();
    let mut msg = format!(
        "{base}. The most similar text is at line{} {}{} ({:.0}% similar):\n",
        if k == 1 { "" } else { "s" },
        s + 1,
        if k == 1 {
            String::new()
        } else {
            format!("-{}", s + k)
        },
        best.0 * 100.0
    );
    for i in s..s + show {
        let _ = writeln!(msg, "{:>width$}\t{}", i + 1, lines.text[i]);
    }
    if show < k {
        let _ = writeln!(msg, "...");
    }
    msg.push_str(advice);
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, old: &str, new: &str, all: bool) -> Result<(String, Strategy), String> {
        let f = find(text, old, new, all)?;
        Ok((apply(text, &f.edits), f.strategy))
    }

    #[test]
    fn exact_first() {
        let (t, s) = run("a\nb\nc\n", "b\n", "B\n", false).unwrap();
        assert_eq!((t.as_str(), s), ("a\nB\nc\n", Strategy::Exact));
    }

    #[test]
    fn trailing_whitespace_is_tolerated() {
        let (t, s) = run(
            "fn x() {  \n  y();\n}\n",
            "fn x() {\n  y();",
            "fn z() {\n  y();",
            false,
        )
        .unwrap();
        assert_eq!(t, "fn z() {\n  y();\n}\n");
        assert_eq!(s, Strategy::TrailingWhitespace);
    }

    #[test]
    fn indentation_is_tolerated_and_new_string_reindented() {
        let text = "impl A {\n        fn x() {\n            y();\n        }\n}\n";
        let (t, s) = run(
            text,
            "fn x() {\n    y();\n}",
            "fn x() {\n    z();\n}",
            false,
        )
        .unwrap();
        assert_eq!(s, Strategy::Indentation);
        assert_eq!(
            t,
            "impl A {\n        fn x() {\n            z();\n        }\n}\n"
        );
    }

    #[test]
    fn tabs_in_the_file_stay_tabs() {
        let text = "func a() {\n\tif x {\n\t\treturn\n\t}\n}\n";
        let (t, _) = run(
            text,
            "    if x {\n        return\n    }",
            "    if y {\n        return\n    }",
            false,
        )
        .unwrap();
        assert_eq!(t, "func a() {\n\tif y {\n\t\treturn\n\t}\n}\n");
    }

    #[test]
    fn ambiguous_lists_every_line() {
        let e = run("x\ny\nx\nx\n", "x", "z", false).unwrap_err();
        assert!(e.contains("3 places (lines 1, 3, 4)"), "{e}");
        let (t, _) = run("x\ny\nx\n", "x", "z", true).unwrap();
        assert_eq!(t, "z\ny\nz\n");
    }

    #[test]
    fn not_found_shows_the_closest_lines() {
        let text = "alpha\nfn compute_total(items: &[u32]) -> u32 {\n    items.iter().sum()\n}\n";
        let e = run(
            text,
            "fn compute_totals(items: &[u32]) -> u64 {",
            "x",
            false,
        )
        .unwrap_err();
        assert!(e.contains("line 2 ("), "{e}");
        assert!(e.contains("2\tfn compute_total(items"), "{e}");
        let e = run(text, "zzzz qqqq", "x", false).unwrap_err();
        assert!(e.contains("nothing in the file is similar"), "{e}");
    }

    #[test]
    fn a_deleted_block_takes_its_newline() {
        let (t, s) = run("a\n  b  \nc\n", "  b\n", "", false).unwrap();
        assert_eq!((t.as_str(), s), ("a\nc\n", Strategy::TrailingWhitespace));
    }
}
