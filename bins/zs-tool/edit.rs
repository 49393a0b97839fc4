//! The `edit` and `multiedit` tools: replace text in one file, all or
//! nothing, and show the change as a short unified diff.
//!
//! The file is edited as LF text without its byte-order mark; both are put
//! back on save, so a CRLF file stays CRLF. Matching is in matcher.rs.

use crate::call::{Ctx, Outcome, args};
use crate::file::{self, TextFile};
use crate::{diff, matcher};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct EditArgs {
    path: String,
    #[serde(flatten)]
    edit: Change,
}

#[derive(Deserialize)]
struct MultiArgs {
    path: String,
    edits: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    old_string: String,
    new_string: String,
    #[serde(default)]
    replace_all: bool,
}

pub fn run_edit(v: Value, ctx: &Ctx) -> Result<Outcome, String> {
    let a: EditArgs = args(v)?;
    apply(ctx, &a.path, &[a.edit], false)
}

pub fn run_multi(v: Value, ctx: &Ctx) -> Result<Outcome, String> {
    let a: MultiArgs = args(v)?;
    apply(ctx, &a.path, &a.edits, true)
}

fn apply(ctx: &Ctx, shown: &str, edits: &[Change], multi: bool) -> Result<Outcome, String> {
    let path = ctx.path(shown);
    let max = ctx.settings().max_file_bytes;
    // Which edit failed, for multiedit's messages.
    let which = |i: usize| {
        if multi {
            format!("edit {} of {}: ", i + 1, edits.len())
        } else {
            String::new()
        }
    };
    for (i, e) in edits.iter().enumerate() {
        if e.old_string == e.new_string {
            return Err(format!(
                "{}old_string and new_string are the same; nothing would change",
                which(i)
            ));
        }
    }
    let creating = !path.exists() && edits.first().is_some_and(|e| e.old_string.is_empty());
    let (original, lf_old) = if creating {
        let f = TextFile {
            text: String::new(),
            bom: false,
            crlf: false,
            mode: 0,
        };
        (f, String::new())
    } else {
        if path.is_dir() {
            return Err(format!("'{shown}' is a directory, not a file"));
        }
        let f = file::load(&path, shown, max)?;
        let t = f.lf_text();
        (f, t)
    };
    let mut text = lf_old.clone();
    let mut replacements = 0;
    let mut notes: Vec<String> = Vec::new();
    for (i, e) in edits.iter().enumerate() {
        let old = e.old_string.replace("\r\n", "\n");
        let new = e.new_string.replace("\r\n", "\n");
        if old.is_empty() {
            if text.is_empty() {
                text = new;
                replacements += 1;
                continue;
            }
            return Err(format!(
                "{}old_string is empty, which only creates a new file, and '{shown}' is not empty; \
                 give the text to replace, or use write to replace the whole file",
                which(i)
            ));
        }
        let found = matcher::find(&text, &old, &new, e.replace_all)
            .map_err(|m| format!("{}{m}", which(i)))?;
        replacements += found.edits.len();
        let note = found.strategy.note();
        if !note.is_empty() {
            notes.push(format!("{}{}", which(i), note.trim()));
        }
        text = matcher::apply(&text, &found.edits);
    }
    if text == lf_old && !creating {
        return Err("the edit leaves the file unchanged".into());
    }
    let bytes = original.encode(&text);
    if bytes.len() as u64 > max {
        return Err(format!(
            "the edited file would be {}, over the {} limit (tools.max_file_bytes)",
            file::human_size(bytes.len() as u64),
            file::human_size(max)
        ));
    }
    let diff = diff::unified(shown, &lf_old, &text, ctx.settings().edit.max_diff_lines);
    let (verb, what) = if creating {
        ("create", format!("'{shown}'"))
    } else {
        (
            "edit",
            format!(
                "'{shown}': {replacements} replacement{}{}",
                if replacements == 1 { "" } else { "s" },
                if multi {
                    format!(" in {} edits", edits.len())
                } else {
                    String::new()
                }
            ),
        )
    };
    let mut body = String::new();
    for n in &notes {
        body.push_str(n);
        body.push('\n');
    }
    body.push_str(&diff);
    if ctx.env.dry_run {
        return Ok(Outcome::dry_run(format!("would {verb} {what}\n{body}")));
    }
    if creating && let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create the folder of '{shown}': {e}"))?;
    }
    let mode = if creating { None } else { Some(original.mode) };
    file::write_atomic(&path, &bytes, mode).map_err(|e| format!("cannot write '{shown}': {e}"))?;
    let done = if creating { "Created" } else { "Edited" };
    Ok(Outcome::ok(format!("{done} {what}\n{body}")))
}
