//! The `write` tool: a whole file, created or replaced, atomically.
//!
//! Unlike the reference agent's create-only write, replacing is allowed (the
//! permission stage decides who may); the result says which happened, so a
//! model that meant to create a new file learns that it replaced one.

use crate::call::{Ctx, Outcome, args};
use crate::file::{self, count_lines, human_size};
use serde::Deserialize;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;

#[derive(Deserialize)]
struct Args {
    path: String,
    content: String,
}

pub fn run(v: Value, ctx: &Ctx) -> Result<Outcome, String> {
    let a: Args = args(v)?;
    let path = ctx.path(&a.path);
    let max = ctx.settings().max_file_bytes;
    if a.content.len() as u64 > max {
        return Err(format!(
            "content is {}, over the {} limit (tools.max_file_bytes)",
            human_size(a.content.len() as u64),
            human_size(max)
        ));
    }
    let old = std::fs::metadata(&path).ok();
    match &old {
        Some(m) if m.is_dir() => return Err(format!("'{}' is a directory, not a file", a.path)),
        Some(m) if !m.is_file() => return Err(format!("'{}' is not a regular file", a.path)),
        _ => {}
    }
    let what = format!(
        "{} line{}, {}",
        count_lines(&a.content),
        if count_lines(&a.content) == 1 {
            ""
        } else {
            "s"
        },
        human_size(a.content.len() as u64)
    );
    let (verb, done) = match &old {
        Some(m) => (
            "replace",
            format!(
                "Replaced '{}' ({what}; was {})",
                a.path,
                human_size(m.len())
            ),
        ),
        None => ("create", format!("Created '{}' ({what})", a.path)),
    };
    if ctx.env.dry_run {
        return Ok(Outcome::dry_run(format!(
            "would {verb} '{}' ({what})",
            a.path
        )));
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create the folder of '{}': {e}", a.path))?;
    }
    let mode = old.map(|m| m.permissions().mode());
    file::write_atomic(&path, a.content.as_bytes(), mode)
        .map_err(|e| format!("cannot write '{}': {e}", a.path))?;
    Ok(Outcome::ok(done))
}
