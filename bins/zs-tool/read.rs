//! The `read` tool: a text file as numbered lines, a page at a time.
//!
//! The header gives the file's line count and, when more remains, the
//! `offset` to continue from, so a model can page through a long file
//! without guessing. Lines are numbered `N<TAB>text`, the `cat -n` shape
//! models already know to strip before quoting a line back in an edit.

use crate::call::{Ctx, Outcome, args};
use crate::file;
use serde::Deserialize;
use serde_json::Value;
use std::fmt::Write;

#[derive(Deserialize)]
struct Args {
    path: String,
    offset: Option<u64>,
    limit: Option<u64>,
}

pub fn run(v: Value, ctx: &Ctx) -> Result<Outcome, String> {
    let a: Args = args(v)?;
    let path = ctx.path(&a.path);
    if ctx.env.dry_run {
        return Ok(Outcome::dry_run(format!("would read '{}'", a.path)));
    }
    if path.is_dir() {
        return Err(directory_hint(&path, &a.path));
    }
    let f = file::load(&path, &a.path, ctx.settings().max_file_bytes)?;
    let text = f.lf_text();
    let total = file::count_lines(&text);
    if total == 0 {
        return Ok(Outcome::ok(format!("File: {} (empty)", a.path)));
    }
    let offset = a.offset.unwrap_or(1).max(1) as usize;
    if offset > total {
        return Err(format!(
            "offset {offset} is past the end of '{}', which has {total} line{}",
            a.path,
            plural(total)
        ));
    }
    let s = &ctx.settings().read;
    let limit = a.limit.unwrap_or(s.max_lines).max(1) as usize;
    let last_wanted = total.min(offset.saturating_add(limit - 1));
    let width = last_wanted.to_string().len();
    let mut body = String::new();
    let mut shown_to = offset - 1;
    let mut cut_lines = 0;
    let mut hit_output_cap = false;
    for (i, line) in text.split('\n').enumerate().skip(offset - 1) {
        let no = i + 1;
        if no > last_wanted {
            break;
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        let (shown, cut) = cut_line(line, s.max_line_chars);
        let before = body.len();
        let _ = write!(body, "{no:>width$}\t{shown}");
        if cut > 0 {
            cut_lines += 1;
            let _ = write!(body, " [... line cut: {cut} more characters]");
        }
        body.push('\n');
        if body.len() > s.max_output_bytes && no > offset {
            body.truncate(before);
            hit_output_cap = true;
            break;
        }
        shown_to = no;
    }
    let mut header = format!("File: {} ({total} line{}", a.path, plural(total));
    if offset > 1 || shown_to < total {
        let _ = write!(header, "; showing {offset}-{shown_to}");
        if hit_output_cap {
            header.push_str(", output size limit reached");
        }
        if shown_to < total {
            let _ = write!(header, "; continue with offset={}", shown_to + 1);
        }
    }
    header.push(')');
    if cut_lines > 0 {
        let _ = write!(
            header,
            "\n({cut_lines} line{} longer than {} characters cut)",
            plural(cut_lines),
            s.max_line_chars
        );
    }
    Ok(Outcome::ok(format!("{header}\n{body}")))
}

/// The line cut to `max` characters, and how many characters were left out.
fn cut_line(line: &str, max: usize) -> (&str, usize) {
    match line.char_indices().nth(max) {
        Some((i, _)) => (&line[..i], line[i..].chars().count()),
        None => (line, 0),
    }
}

/// The error for a directory: what it holds and which tool lists it.
pub fn directory_hint(path: &std::path::Path, shown: &str) -> String {
    let mut names: Vec<String> = std::fs::read_dir(path)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| {
                    let mut n = e.file_name().to_string_lossy().into_owned();
                    if e.file_type().is_ok_and(|t| t.is_dir()) {
                        n.push('/');
                    }
                    n
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let count = names.len();
    let mut msg = format!(
        "'{shown}' is a directory, not a file; use list_dir to see what it holds ({count} entr{}",
        if count == 1 { "y" } else { "ies" }
    );
    if count > 0 {
        let more = count.saturating_sub(10);
        names.truncate(10);
        let _ = write!(msg, ": {}", names.join(", "));
        if more > 0 {
            let _ = write!(msg, ", and {more} more");
        }
    }
    msg.push(')');
    msg
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
