//! The `apply_patch` tool: the Codex patch envelope, all files or none.
//!
//! ```text
//! *** Begin Patch
//! *** Add File: PATH        then lines starting with '+'
//! *** Delete File: PATH
//! *** Update File: PATH
//! *** Move to: NEWPATH      (optional)
//! @@ CONTEXT                then ' ', '-' and '+' lines; '*** End of File'
//! *** End Patch
//! ```
//!
//! Every change is worked out in memory first; if any hunk does not apply,
//! nothing is written. Hunks are found the way Codex finds them: in order,
//! each after the previous one, exactly first, then ignoring trailing
//! whitespace, then all surrounding whitespace, then typographic quotes and
//! dashes. Files keep their CRLF line endings and byte-order mark. If a write
//! fails half-way, the files already written are put back.

use crate::call::{Ctx, Outcome, args};
use crate::file::{self, human_size};
use crate::{diff, matcher};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashSet;
use std::fmt::Write;
use std::path::PathBuf;

#[derive(Deserialize)]
struct Args {
    patch: String,
}

#[derive(Debug, PartialEq)]
enum Op {
    Add {
        path: String,
        content: String,
    },
    Delete {
        path: String,
    },
    Update {
        path: String,
        move_to: Option<String>,
        chunks: Vec<Chunk>,
    },
}

#[derive(Debug, Default, PartialEq)]
struct Chunk {
    /// The text after `@@`: a line to find before the hunk.
    context: Option<String>,
    old: Vec<String>,
    new: Vec<String>,
    /// For each line of `new`, the line of `old` it is the context copy
    /// of: context keeps the file's text, whitespace and all.
    from_old: Vec<Option<usize>>,
    /// `*** End of File` followed the hunk.
    eof: bool,
}

/// One file's planned change.
struct Change {
    /// As written in the patch.
    shown: String,
    path: PathBuf,
    kind: Kind,
}

enum Kind {
    /// New bytes for the file; `replaced` when it existed.
    Write {
        bytes: Vec<u8>,
        mode: Option<u32>,
        old_text: String,
        new_text: String,
        replaced: bool,
        moved_from: Option<(String, PathBuf)>,
    },
    Delete,
}

pub fn run(v: Value, ctx: &Ctx) -> Result<Outcome, String> {
    let a: Args = args(v)?;
    let ops = parse(&a.patch).map_err(|e| format!("invalid patch: {e}"))?;
    let changes = plan(&ops, ctx)?;
    let summary = summarize(&changes, ctx.settings().edit.max_diff_lines);
    if ctx.env.dry_run {
        return Ok(Outcome::dry_run(format!(
            "would apply the patch:\n{summary}"
        )));
    }
    commit(&changes)?;
    Ok(Outcome::ok(format!(
        "Applied the patch to {} file{}:\n{summary}",
        changes.len(),
        if changes.len() == 1 { "" } else { "s" }
    )))
}

/// Parses the envelope. Errors name the patch line.
fn parse(patch: &str) -> Result<Vec<Op>, String> {
    let mut lines: Vec<&str> = patch.lines().collect();
    // Models sometimes wrap the patch in a heredoc or a code fence.
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    let mut first = lines.iter().position(|l| !l.trim().is_empty()).unwrap_or(0);
    if lines.len() > first + 1 {
        let (open, close) = (lines[first].trim(), lines[lines.len() - 1].trim());
        if (open.starts_with("<<") || open.starts_with("```"))
            && (close == "EOF" || close.starts_with("```") || close.ends_with("EOF"))
        {
            first += 1;
            lines.pop();
        }
    }
    let lines = &lines[first..];
    if lines.first().map(|l| l.trim()) != Some("*** Begin Patch") {
        return Err("the first line must be '*** Begin Patch'".into());
    }
    let end = match lines.iter().rposition(|l| l.trim() == "*** End Patch") {
        Some(e) if e > 0 => e,
        _ => return Err("the last line must be '*** End Patch'".into()),
    };
    let mut ops = Vec::new();
    let mut i = 1;
    // Patch line numbers in messages count from 1 at '*** Begin Patch'.
    while i < end {
        let line = lines[i].trim_end();
        let no = i + 1;
        if let Some(path) = header(line, "*** Add File:") {
            let mut content = String::new();
            i += 1;
            while i < end && !lines[i].starts_with("***") {
                let l = lines[i];
                match l.strip_prefix('+') {
                    Some(t) => content.push_str(t),
                    None if l.trim().is_empty() => {}
                    None => {
                        return Err(format!(
                            "line {}: the lines of an added file must start with '+'",
                            i + 1
                        ));
                    }
                }
                content.push('\n');
                i += 1;
            }
            ops.push(Op::Add { path, content });
        } else if let Some(path) = header(line, "*** Delete File:") {
            ops.push(Op::Delete { path });
            i += 1;
        } else if let Some(path) = header(line, "*** Update File:") {
            i += 1;
            let mut move_to = None;
            if i < end
                && let Some(to) = header(lines[i].trim_end(), "*** Move to:")
            {
                move_to = Some(to);
                i += 1;
            }
            let mut chunks: Vec<Chunk> = Vec::new();
            while i < end {
                let l = lines[i];
                let t = l.trim_end();
                if t.trim() == "*** End of File" {
                    match chunks.last_mut() {
                        Some(c) => c.eof = true,
                        None => {
                            return Err(format!(
                                "line {}: '*** End of File' before any hunk",
                                i + 1
                            ));
                        }
                    }
                    i += 1;
                    continue;
                }
                if t.starts_with("*** ") {
                    break;
                }
                if let Some(rest) = t.trim_start().strip_prefix("@@") {
                    chunks.push(Chunk {
                        context: hunk_context(rest),
                        ..Chunk::default()
                    });
                    i += 1;
                    continue;
                }
                // The first hunk may leave out its '@@' line.
                if chunks.is_empty() || chunks.last().is_some_and(|c| c.eof) {
                    chunks.push(Chunk::default());
                }
                let c = chunks.last_mut().ok_or("no hunk")?;
                let l = l.strip_suffix('\r').unwrap_or(l);
                // An empty line is an empty context line whose space was
                // lost.
                let context = l.strip_prefix(' ').or(l.is_empty().then_some(""));
                if let Some(t) = context {
                    c.from_old.push(Some(c.old.len()));
                    c.old.push(t.into());
                    c.new.push(t.into());
                } else if let Some(t) = l.strip_prefix('-') {
                    c.old.push(t.into());
                } else if let Some(t) = l.strip_prefix('+') {
                    c.from_old.push(None);
                    c.new.push(t.into());
                } else {
                    return Err(format!(
                        "line {}: a hunk line must start with ' ', '-' or '+', not {:?}",
                        i + 1,
                        crate::call::excerpt(l, 60)
                    ));
                }
                i += 1;
            }
            chunks.retain(|c| !(c.old.is_empty() && c.new.is_empty() && c.context.is_none()));
            if chunks.is_empty() && move_to.is_none() {
                return Err(format!("line {no}: '*** Update File: {path}' has no hunks"));
            }
            ops.push(Op::Update {
                path,
                move_to,
                chunks,
            });
        } else if line.trim().is_empty() {
            i += 1;
        } else {
            return Err(format!(
                "line {no}: expected '*** Add File:', '*** Update File:', '*** Delete File:' \
                 or '*** End Patch', not {:?}",
                crate::call::excerpt(line, 60)
            ));
        }
    }
    if ops.is_empty() {
        return Err("the patch changes no file".into());
    }
    Ok(ops)
}

/// The path after a `*** X File:` marker.
fn header(line: &str, marker: &str) -> Option<String> {
    let rest = line.trim_start().strip_prefix(marker)?.trim();
    if rest.is_empty() {
        None
    } else {
        Some(rest.to_string())
    }
}

/// The text after `@@`, unless it is a unified-diff range (`-1,3 +1,4 @@`),
/// which some models write and which says nothing about where the hunk is.
fn hunk_context(rest: &str) -> Option<String> {
    let t = rest.trim();
    if t.is_empty() {
        return None;
    }
    let looks_like_range = t.starts_with('-')
        && t.contains('+')
        && t.trim_end_matches('@')
            .trim()
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == ' ' || c == '-' || c == '+');
    if looks_like_range {
        return None;
    }
    Some(t.to_string())
}

/// Works out every file's new content, touching nothing.
fn plan(ops: &[Op], ctx: &Ctx) -> Result<Vec<Change>, String> {
    let max = ctx.settings().max_file_bytes;
    let mut seen = HashSet::new();
    let mut once = |p: &str| -> Result<(), String> {
        if seen.insert(ctx.path(p)) {
            Ok(())
        } else {
            Err(format!(
                "'{p}' appears twice in the patch; put all its changes in one section"
            ))
        }
    };
    let mut out = Vec::new();
    for op in ops {
        match op {
            Op::Add { path, content } => {
                once(path)?;
                let p = ctx.path(path);
                let old = match std::fs::metadata(&p) {
                    Ok(m) if m.is_dir() => {
                        return Err(format!("cannot add '{path}': it is a directory"));
                    }
                    Ok(m) if !m.is_file() => {
                        return Err(format!("cannot add '{path}': it is not a regular file"));
                    }
                    // The old text is only for the diff; a file that cannot
                    // be read as text shows as all new.
                    Ok(_) => file::load(&p, path, max).ok().map(|f| f.lf_text()),
                    Err(_) => None,
                };
                out.push(Change {
                    shown: path.clone(),
                    kind: Kind::Write {
                        bytes: content.clone().into_bytes(),
                        mode: None,
                        old_text: old.clone().unwrap_or_default(),
                        new_text: content.clone(),
                        replaced: p.exists(),
                        moved_from: None,
                    },
                    path: p,
                });
            }
            Op::Delete { path } => {
                once(path)?;
                let p = ctx.path(path);
                match std::fs::metadata(&p) {
                    Ok(m) if m.is_dir() => {
                        return Err(format!("cannot delete '{path}': it is a directory"));
                    }
                    Ok(m) if !m.is_file() => {
                        return Err(format!("cannot delete '{path}': it is not a regular file"));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        return Err(format!(
                            "cannot delete '{path}': {}",
                            file::open_error(&p, path, &e)
                        ));
                    }
                }
                out.push(Change {
                    shown: path.clone(),
                    path: p,
                    kind: Kind::Delete,
                });
            }
            Op::Update {
                path,
                move_to,
                chunks,
            } => {
                once(path)?;
                let p = ctx.path(path);
                let f = file::load(&p, path, max).map_err(|e| format!("cannot update: {e}"))?;
                let old_text = f.lf_text();
                let new_text = apply_chunks(&old_text, chunks)
                    .map_err(|e| format!("cannot update '{path}': {e}\nNothing was written."))?;
                let bytes = f.encode(&new_text);
                if bytes.len() as u64 > max {
                    return Err(format!(
                        "'{path}' would be {}, over the {} limit (tools.max_file_bytes)",
                        human_size(bytes.len() as u64),
                        human_size(max)
                    ));
                }
                let (shown, dest, moved_from) = match move_to {
                    Some(to) => {
                        once(to)?;
                        if ctx.path(to).is_dir() {
                            return Err(format!(
                                "cannot move '{path}' to '{to}': it is a directory"
                            ));
                        }
                        (to.clone(), ctx.path(to), Some((path.clone(), p.clone())))
                    }
                    None => (path.clone(), p.clone(), None),
                };
                out.push(Change {
                    shown,
                    kind: Kind::Write {
                        bytes,
                        mode: Some(f.mode),
                        old_text,
                        new_text,
                        replaced: true,
                        moved_from,
                    },
                    path: dest,
                });
            }
        }
    }
    Ok(out)
}

/// Applies an Update section's hunks to LF text.
fn apply_chunks(text: &str, chunks: &[Chunk]) -> Result<String, String> {
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    // A final newline leaves an empty last element; it is put back below.
    let ends_nl = text.ends_with('\n') || text.is_empty();
    if ends_nl {
        lines.pop();
    }
    let mut replacements: Vec<(usize, usize, Vec<String>)> = Vec::new();
    let mut at = 0;
    for (n, c) in chunks.iter().enumerate() {
        let which = if chunks.len() > 1 {
            format!("hunk {} of {}", n + 1, chunks.len())
        } else {
            "the hunk".to_string()
        };
        if let Some(ctx_line) = &c.context {
            match seek(&lines, std::slice::from_ref(ctx_line), at, false) {
                Some(i) => at = i + 1,
                None => {
                    return Err(matcher::closest(
                        text,
                        &[ctx_line.as_str()],
                        &format!("{which}: its '@@ {ctx_line}' line was not found"),
                        "Give the @@ line exactly as it is in the file.",
                    ));
                }
            }
        }
        if c.old.is_empty() {
            // A pure addition goes after the @@ line, or at the end.
            let pos = if c.context.is_some() { at } else { lines.len() };
            replacements.push((pos, 0, c.new.clone()));
            continue;
        }
        let mut old: &[String] = &c.old;
        let mut new: &[String] = &c.new;
        let mut found = seek(&lines, old, at, c.eof);
        // A hunk that ends with an empty line may mean the end of file.
        if found.is_none() && old.last().is_some_and(String::is_empty) {
            old = &old[..old.len() - 1];
            if new.last().is_some_and(String::is_empty) {
                new = &new[..new.len() - 1];
            }
            found = seek(&lines, old, at, c.eof);
        }
        let Some(start) = found else {
            let wanted: Vec<&str> = c.old.iter().map(String::as_str).collect();
            return Err(matcher::closest(
                text,
                &wanted,
                &format!("{which}: its context and '-' lines were not found in the file"),
                "Read the file again and give its lines exactly.",
            ));
        };
        let new: Vec<String> = new
            .iter()
            .zip(&c.from_old)
            .map(|(n, from)| match from {
                Some(i) if *i < old.len() => lines.get(start + i).unwrap_or(n).clone(),
                _ => n.clone(),
            })
            .collect();
        replacements.push((start, old.len(), new));
        at = start + old.len();
    }
    // Later hunks first, so earlier indices stay valid.
    replacements.sort_by_key(|r| std::cmp::Reverse((r.0, r.1)));
    for (start, len, new) in replacements {
        lines.splice(start..start + len, new);
    }
    let mut out = lines.join("\n");
    if !lines.is_empty() {
        out.push('\n');
    }
    Ok(out)
}

/// Where `pattern` starts in `lines` at or after `from`, trying exact, then
/// looser comparisons. With `eof`, the end of the file is tried first.
fn seek(lines: &[String], pattern: &[String], from: usize, eof: bool) -> Option<usize> {
    if pattern.is_empty() {
        return Some(from.min(lines.len()));
    }
    if pattern.len() > lines.len() {
        return None;
    }
    let last = lines.len() - pattern.len();
    let norms: [fn(&str) -> String; 4] = [
        |s| s.to_string(),
        |s| s.trim_end().to_string(),
        |s| s.trim().to_string(),
        |s| normalize_punctuation(s.trim()),
    ];
    for norm in norms {
        let want: Vec<String> = pattern.iter().map(|p| norm(p)).collect();
        let hit = |i: usize| (0..want.len()).all(|k| norm(&lines[i + k]) == want[k]);
        if eof && last >= from && hit(last) {
            return Some(last);
        }
        if let Some(i) = (from.min(last + 1)..=last).find(|&i| hit(i)) {
            return Some(i);
        }
    }
    None
}

/// Typographic dashes, quotes and spaces as their ASCII forms.
fn normalize_punctuation(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
            '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}' => '\'',
            '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{201f}' => '"',
            '\u{00a0}' | '\u{2002}'..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}' => ' ',
            c => c,
        })
        .collect()
}

/// One line per file (`A`, `M`, `D`, `R old -> new`), then the diffs.
fn summarize(changes: &[Change], max_diff_lines: usize) -> String {
    let mut out = String::new();
    for c in changes {
        let _ = match &c.kind {
            Kind::Delete => writeln!(out, "D {}", c.shown),
            Kind::Write {
                moved_from: Some((from, _)),
                ..
            } => writeln!(out, "R {from} -> {}", c.shown),
            Kind::Write { replaced: true, .. } => writeln!(out, "M {}", c.shown),
            Kind::Write { .. } => writeln!(out, "A {}", c.shown),
        };
    }
    let mut budget = max_diff_lines;
    for c in changes {
        if let Kind::Write {
            old_text, new_text, ..
        } = &c.kind
        {
            if budget == 0 {
                out.push_str("... (more diffs not shown)\n");
                break;
            }
            let d = diff::unified(&c.shown, old_text, new_text, budget);
            budget = budget.saturating_sub(d.lines().count());
            out.push_str(&d);
        }
    }
    out
}

/// What a path held before the patch, to put it back.
struct Backup {
    path: PathBuf,
    before: Option<(Vec<u8>, u32)>,
}

/// Writes every change; on a failure, restores what was already changed.
fn commit(changes: &[Change]) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mut backups: Vec<Backup> = Vec::new();
    let save = |p: &PathBuf, backups: &mut Vec<Backup>| {
        let before = std::fs::read(p).ok().map(|b| {
            (
                b,
                std::fs::metadata(p)
                    .map(|m| m.permissions().mode())
                    .unwrap_or(0o644),
            )
        });
        backups.push(Backup {
            path: p.clone(),
            before,
        });
    };
    let mut result = Ok(());
    for c in changes {
        save(&c.path, &mut backups);
        let r = match &c.kind {
            Kind::Delete => std::fs::remove_file(&c.path)
                .map_err(|e| format!("cannot delete '{}': {e}", c.shown)),
            Kind::Write {
                bytes,
                mode,
                moved_from,
                ..
            } => {
                let mut r = match c.path.parent() {
                    Some(parent) => std::fs::create_dir_all(parent)
                        .map_err(|e| format!("cannot create the folder of '{}': {e}", c.shown)),
                    None => Ok(()),
                };
                if r.is_ok() {
                    r = file::write_atomic(&c.path, bytes, *mode)
                        .map_err(|e| format!("cannot write '{}': {e}", c.shown));
                }
                if r.is_ok()
                    && let Some((from, from_path)) = moved_from
                    && *from_path != c.path
                {
                    save(from_path, &mut backups);
                    r = std::fs::remove_file(from_path)
                        .map_err(|e| format!("cannot remove '{from}' after moving it: {e}"));
                }
                r
            }
        };
        if let Err(e) = r {
            result = Err(e);
            break;
        }
    }
    if let Err(e) = result {
        let mut restored = true;
        for b in backups.iter().rev() {
            let ok = match &b.before {
                Some((bytes, mode)) => file::write_atomic(&b.path, bytes, Some(*mode)).is_ok(),
                None => !b.path.exists() || std::fs::remove_file(&b.path).is_ok(),
            };
            restored &= ok;
        }
        return Err(if restored {
            format!("{e}; the files already changed were restored, so nothing was written")
        } else {
            format!("{e}; restoring the files already changed also failed, check them")
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(patch: &str) -> Vec<Chunk> {
        match parse(patch).unwrap().pop().unwrap() {
            Op::Update { chunks, .. } => chunks,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parses_every_kind_of_section() {
        let p = "*** Begin Patch\n*** Add File: a.txt\n+x\n+y\n*** Delete File: b.txt\n*** Update File: c.txt\n*** Move to: d.txt\n@@ fn main\n ctx\n-old\n+new\n*** End of File\n*** End Patch\n";
        let ops = parse(p).unwrap();
        assert_eq!(
            ops[0],
            Op::Add {
                path: "a.txt".into(),
                content: "x\ny\n".into()
            }
        );
        assert_eq!(
            ops[1],
            Op::Delete {
                path: "b.txt".into()
            }
        );
        let Op::Update {
            path,
            move_to,
            chunks,
        } = &ops[2]
        else {
            panic!()
        };
        assert_eq!(
            (path.as_str(), move_to.as_deref()),
            ("c.txt", Some("d.txt"))
        );
        assert_eq!(chunks[0].context.as_deref(), Some("fn main"));
        assert_eq!(chunks[0].old, vec!["ctx", "old"]);
        assert_eq!(chunks[0].new, vec!["ctx", "new"]);
        assert!(chunks[0].eof);
    }

    #[test]
    fn tolerates_a_heredoc_wrapper_and_a_missing_first_at_line() {
        let c =
            chunks("<<'EOF'\n*** Begin Patch\n*** Update File: a\n-x\n+y\n*** End Patch\nEOF\n");
        assert_eq!(
            (c[0].old.clone(), c[0].new.clone()),
            (vec!["x".into()], vec!["y".into()])
        );
    }

    #[test]
    fn parse_errors_name_the_line() {
        let e = parse("*** Begin Patch\n*** Frobnicate File: a\n*** End Patch").unwrap_err();
        assert!(e.starts_with("line 2:"), "{e}");
        let e = parse("*** Begin Patch\n*** Update File: a\n@@\nbad\n*** End Patch").unwrap_err();
        assert!(e.starts_with("line 4:"), "{e}");
        assert!(parse("*** Update File: a\n").is_err());
        assert!(parse("*** Begin Patch\n*** Add File: a\n+x\n").is_err());
    }

    #[test]
    fn hunks_apply_in_order_with_fuzz() {
        let text = "fn a() {\n    one();\n}\nfn b() {\n    one();  \n}\n";
        let c = chunks(
            "*** Begin Patch\n*** Update File: f\n@@ fn b() {\n-    one();\n+    two();\n*** End Patch",
        );
        assert_eq!(
            apply_chunks(text, &c).unwrap(),
            "fn a() {\n    one();\n}\nfn b() {\n    two();\n}\n"
        );
    }

    #[test]
    fn end_of_file_anchors_at_the_end() {
        let text = "x\ny\nx\n";
        let c = chunks(
            "*** Begin Patch\n*** Update File: f\n@@\n-x\n+z\n*** End of File\n*** End Patch",
        );
        assert_eq!(apply_chunks(text, &c).unwrap(), "x\ny\nz\n");
    }

    #[test]
    fn a_missing_hunk_is_an_error_with_the_closest_lines() {
        let c = chunks(
            "*** Begin Patch\n*** Update File: f\n@@\n-let total = compute(items);\n+x\n*** End Patch",
        );
        let e = apply_chunks("a\nlet total = compute(item);\nb\n", &c).unwrap_err();
        assert!(e.contains("not found"), "{e}");
        assert!(e.contains("2\tlet total = compute(item);"), "{e}");
    }

    #[test]
    fn typographic_punctuation_matches_ascii() {
        let c =
            chunks("*** Begin Patch\n*** Update File: f\n@@\n-say(\"hi\") - ok\n+x\n*** End Patch");
        assert_eq!(
            apply_chunks("say(\u{201c}hi\u{201d}) \u{2013} ok\n", &c).unwrap(),
            "x\n"
        );
    }
}
