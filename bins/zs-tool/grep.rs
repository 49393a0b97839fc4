//! The `grep` tool: a regex over the files of a tree, ripgrep-style.
//!
//! The walk (walk.rs) gives the file list, which is sorted so the answer is
//! the same on every run. Worker threads then take files in that order and
//! search each one whole: the regex runs over the file's bytes (its literal
//! prefilters skip most of the text), and only lines with a match are
//! located and numbered. A match that runs across a line break counts only
//! if its line matches on its own, as in a line-oriented grep. Results are
//! put back in file order as they arrive; once the cap is reached, workers
//! only count, so the result can say exactly how much was left out.

use crate::call::{Ctx, Outcome, args};
use crate::file::{BINARY_PROBE, human_size};
use crate::walk;
use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;
use serde_json::Value;
use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Deserialize)]
struct Args {
    pattern: String,
    path: Option<String>,
    include: Option<String>,
    context: Option<u64>,
    ignore_case: Option<bool>,
}

/// What searching one file gave.
enum Found {
    Nothing,
    Binary,
    TooLarge,
    Unreadable,
    Hits {
        /// Matching lines in the file.
        count: usize,
        /// Output lines (`true` for a matching line), with `--` between
        /// context groups; empty when the output was already full.
        lines: Vec<(bool, String)>,
    },
}

struct Search<'a> {
    re: Regex,
    context: usize,
    max_line_chars: usize,
    max_file_bytes: u64,
    ctx: &'a Ctx<'a>,
}

pub fn run(v: Value, ctx: &Ctx) -> Result<Outcome, String> {
    let a: Args = args(v)?;
    let s = &ctx.settings().grep;
    let re = RegexBuilder::new(&a.pattern)
        .case_insensitive(a.ignore_case.unwrap_or(false))
        .multi_line(true)
        .crlf(true)
        .build()
        .map_err(|e| format!("invalid regular expression: {e}"))?;
    let (root, shown) = walk::root(ctx, a.path.as_deref())?;
    let include = a.include.as_deref().map(walk::Glob::new).transpose()?;
    let mut notes = String::new();
    let want = a.context.unwrap_or(0) as usize;
    let context = want.min(s.max_context);
    if want > context {
        let _ = writeln!(notes, "[context lowered to the maximum of {context}]");
    }
    if ctx.env.dry_run {
        return Ok(Outcome::dry_run(format!(
            "would search '{shown}' for /{}/",
            a.pattern
        )));
    }
    let single = root.is_file();
    if !single && !root.is_dir() {
        return Err(format!("'{shown}' is neither a regular file nor a folder"));
    }
    let search = Search {
        re,
        context,
        max_line_chars: s.max_line_chars,
        max_file_bytes: s.max_file_bytes,
        ctx,
    };
    let mut report = Report::new(s.max_results, s.max_output_bytes, context > 0);
    if single {
        let mut buf = Vec::new();
        let found = search.file(&root, &walk::display(ctx, &root), &mut buf, true);
        match found {
            Found::Binary => {
                return Err(format!(
                    "'{shown}' is a binary file; grep skips binary files"
                ));
            }
            Found::TooLarge => {
                return Err(format!(
                    "'{shown}' is over the {} limit of grep (tools.grep.max_file_bytes)",
                    human_size(s.max_file_bytes)
                ));
            }
            Found::Unreadable => return Err(format!("cannot read '{shown}'")),
            other => report.add(other),
        }
    } else {
        search.tree(&root, include.as_ref(), &mut report);
    }
    Ok(Outcome::ok(report.finish(&a.pattern, &shown, notes)))
}

impl Search<'_> {
    /// Searches every file under `root` while walking it, on the walker's
    /// threads, then adds the results to `report` in path order.
    ///
    /// Matching lines are kept only up to a budget, so a pattern that
    /// matches everywhere cannot fill memory; a file whose lines were not
    /// kept but which the report reaches is searched again. With few
    /// matches (the usual case) every file is read once.
    fn tree(&self, root: &Path, include: Option<&walk::Glob>, report: &mut Report) {
        let kept = AtomicUsize::new(0);
        let budget = report.max_results.saturating_mul(10);
        let mut b = walk::builder(root, true);
        let mut found = walk::each_file(&mut b, self.ctx, |buf, e| {
            if include.is_some_and(|g| !g.is_match(root, e.path())) {
                return None;
            }
            let want = kept.load(Ordering::Relaxed) < budget;
            let shown = if want {
                walk::display(self.ctx, e.path())
            } else {
                String::new()
            };
            let f = self.file(e.path(), &shown, buf, want);
            match &f {
                Found::Hits { lines, .. } => {
                    kept.fetch_add(lines.len(), Ordering::Relaxed);
                }
                Found::TooLarge => {}
                _ => return None,
            }
            Some((e.into_path(), f))
        });
        found.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut buf = Vec::new();
        for (path, f) in found {
            let f = match f {
                Found::Hits { lines, .. } if lines.is_empty() && !report.full() => {
                    self.file(&path, &walk::display(self.ctx, &path), &mut buf, true)
                }
                f => f,
            };
            report.add(f);
        }
    }

    /// Searches one file. `buf` is reused between files.
    fn file(&self, path: &Path, shown: &str, buf: &mut Vec<u8>, want_lines: bool) -> Found {
        buf.clear();
        let Ok(f) = std::fs::File::open(path) else {
            return Found::Unreadable;
        };
        if f.take(self.max_file_bytes + 1).read_to_end(buf).is_err() {
            return Found::Unreadable;
        }
        if buf.len() as u64 > self.max_file_bytes {
            return Found::TooLarge;
        }
        if buf[..buf.len().min(BINARY_PROBE)].contains(&0) {
            return Found::Binary;
        }
        let hits = self.lines(buf);
        if hits.is_empty() {
            return Found::Nothing;
        }
        let lines = if want_lines {
            self.render(shown, buf, &hits)
        } else {
            Vec::new()
        };
        Found::Hits {
            count: hits.len(),
            lines,
        }
    }

    /// The matching lines of `buf`: (start, end without the newline, line
    /// number from 1).
    fn lines(&self, buf: &[u8]) -> Vec<(usize, usize, usize)> {
        let mut hits = Vec::new();
        let len = buf.len();
        // `pos` is always the start of a line.
        let mut pos = 0;
        let mut line_no = 1;
        let mut counted_to = 0;
        while pos <= len {
            let Some(m) = self.re.find_at(buf, pos) else {
                break;
            };
            let start = m.start();
            let ls = buf[pos..start]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(pos, |i| pos + i + 1);
            // Past the last line break there is no further line.
            if ls == len && (len == 0 || buf[len - 1] == b'\n') {
                break;
            }
            let le = buf[start..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(len, |i| start + i);
            if m.end() <= le || self.re.is_match(&buf[ls..le]) {
                line_no += buf[counted_to..ls].iter().filter(|&&b| b == b'\n').count();
                counted_to = ls;
                hits.push((ls, le, line_no));
            }
            pos = le + 1;
        }
        hits
    }

    /// Output lines for the hits, with context around them.
    fn render(
        &self,
        shown: &str,
        buf: &[u8],
        hits: &[(usize, usize, usize)],
    ) -> Vec<(bool, String)> {
        let mut out = Vec::new();
        if self.context == 0 {
            for &(s, e, no) in hits {
                out.push((true, format!("{shown}:{no}:{}", self.text(&buf[s..e]))));
            }
            return out;
        }
        let starts: Vec<usize> = std::iter::once(0)
            .chain(
                buf.iter()
                    .enumerate()
                    .filter(|&(i, &b)| b == b'\n' && i + 1 < buf.len())
                    .map(|(i, _)| i + 1),
            )
            .collect();
        let line = |i: usize| -> &[u8] {
            let s = starts[i];
            let e = starts
                .get(i + 1)
                .map_or(buf.len() - usize::from(buf.ends_with(b"\n")), |&n| n - 1);
            &buf[s..e]
        };
        let n = starts.len();
        let matched: std::collections::HashSet<usize> = hits.iter().map(|h| h.2 - 1).collect();
        // The first line not shown yet; a gap before the next group gets a
        // separator.
        let mut next = 0;
        for &(_, _, no) in hits {
            let i = no - 1;
            let lo = i.saturating_sub(self.context);
            let hi = (i + self.context).min(n - 1);
            if next > 0 && lo > next {
                out.push((false, "--".to_string()));
            }
            for j in lo.max(next)..=hi {
                let is_match = matched.contains(&j);
                let sep = if is_match { ':' } else { '-' };
                out.push((
                    is_match,
                    format!("{shown}{sep}{}{sep}{}", j + 1, self.text(line(j))),
                ));
            }
            next = next.max(hi + 1);
        }
        out
    }

    /// A line as shown: without a trailing CR, cut to the line limit.
    fn text(&self, line: &[u8]) -> String {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let s = String::from_utf8_lossy(line);
        match s.char_indices().nth(self.max_line_chars) {
            Some((i, _)) => format!("{} [... line cut]", &s[..i]),
            None => s.into_owned(),
        }
    }
}

/// The result text, built in file order within the caps.
struct Report {
    max_results: usize,
    max_bytes: usize,
    separate_files: bool,
    out: String,
    shown: usize,
    total: usize,
    files: usize,
    files_shown: usize,
    too_large: usize,
    stopped: bool,
}

impl Report {
    fn new(max_results: usize, max_bytes: usize, separate_files: bool) -> Report {
        Report {
            max_results,
            max_bytes,
            separate_files,
            out: String::new(),
            shown: 0,
            total: 0,
            files: 0,
            files_shown: 0,
            too_large: 0,
            stopped: false,
        }
    }

    fn full(&self) -> bool {
        self.stopped
    }

    fn add(&mut self, f: Found) {
        let (count, lines) = match f {
            Found::Hits { count, lines } => (count, lines),
            Found::TooLarge => {
                self.too_large += 1;
                return;
            }
            _ => return,
        };
        self.total += count;
        self.files += 1;
        if self.stopped {
            return;
        }
        // Only a file met after the output was full comes without lines.
        if lines.is_empty() {
            self.stopped = true;
            return;
        }
        self.files_shown += 1;
        if self.separate_files && !self.out.is_empty() {
            self.out.push_str("--\n");
        }
        for (is_match, l) in lines {
            if is_match
                && (self.shown >= self.max_results || self.out.len() + l.len() > self.max_bytes)
            {
                self.stopped = true;
                break;
            }
            if is_match {
                self.shown += 1;
            }
            self.out.push_str(&l);
            self.out.push('\n');
        }
        if self.shown >= self.max_results {
            self.stopped = true;
        }
    }

    fn finish(mut self, pattern: &str, shown_path: &str, notes: String) -> String {
        let mut out = notes;
        if self.total == 0 {
            let _ = writeln!(out, "no matches for /{pattern}/ in '{shown_path}'");
        } else {
            out.push_str(&self.out);
            if self.shown < self.total {
                let _ = writeln!(
                    out,
                    "[showing {} of {} matching lines ({} of {} files); {} more not shown; \
                     narrow the pattern or the path, or use include]",
                    self.shown,
                    self.total,
                    self.files_shown,
                    self.files,
                    self.total - self.shown
                );
            }
        }
        if self.too_large > 0 {
            let _ = writeln!(
                out,
                "[{} file{} over the size limit skipped]",
                self.too_large,
                if self.too_large == 1 { "" } else { "s" }
            );
        }
        self.out.clear();
        out
    }
}
