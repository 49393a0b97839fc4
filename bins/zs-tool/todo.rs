//! The `todo_write` and `todo_read` tools: the session's task list.
//!
//! A zs-tool process lives for one round, or for the rounds of one prompt
//! when the wrapper keeps the stages up, so the list lives in a file, read
//! again by every call (nothing of it is kept between calls):
//! `$ZS_SESSION_DIR/todo.json` when the session set that folder up, else
//! one file per project folder under `$XDG_STATE_HOME/zerostack/todo/`.
//! todo_write replaces the whole list, as models expect from the common
//! agents; both tools answer with the list as a checklist.

use crate::call::{Ctx, Outcome, args};
use crate::file;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt::Write;
use std::path::Path;

#[derive(Serialize, Deserialize)]
struct Todo {
    content: String,
    status: String,
    priority: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct List {
    todos: Vec<Todo>,
}

/// The task-list file name for a project folder without a session: the
/// folder's name and a hash of its whole path, so two projects of the same
/// name keep two lists.
pub fn project_file_name(cwd: &Path) -> String {
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in cwd.as_os_str().as_encoded_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let name: String = cwd
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    format!("{name}-{h:016x}.json")
}

fn file_path<'a>(ctx: &'a Ctx) -> Result<&'a Path, String> {
    ctx.env.dirs.todo.as_deref().ok_or_else(|| {
        "there is no place for the task list: set ZS_SESSION_DIR, or HOME or XDG_STATE_HOME"
            .to_string()
    })
}

pub fn run_write(v: Value, ctx: &Ctx) -> Result<Outcome, String> {
    let list: List = args(v)?;
    if ctx.env.dry_run {
        return Ok(Outcome::dry_run(format!(
            "would save {} task{}",
            list.todos.len(),
            if list.todos.len() == 1 { "" } else { "s" }
        )));
    }
    let path = file_path(ctx)?;
    let json = serde_json::to_vec_pretty(&list).map_err(|e| format!("cannot encode: {e}"))?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create '{}': {e}", parent.display()))?;
    }
    file::write_atomic(path, &json, None)
        .map_err(|e| format!("cannot save the task list to '{}': {e}", path.display()))?;
    Ok(Outcome::ok(render(&list)))
}

pub fn run_read(_v: Value, ctx: &Ctx) -> Result<Outcome, String> {
    if ctx.env.dry_run {
        return Ok(Outcome::dry_run("would show the task list"));
    }
    let path = file_path(ctx)?;
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Outcome::ok("No tasks yet; todo_write creates the list."));
        }
        Err(e) => return Err(format!("cannot read '{}': {e}", path.display())),
    };
    let list: List = serde_json::from_str(&text)
        .map_err(|e| format!("the task list '{}' is damaged: {e}", path.display()))?;
    Ok(Outcome::ok(render(&list)))
}

fn render(list: &List) -> String {
    if list.todos.is_empty() {
        return "The task list is empty.".into();
    }
    let count = |s: &str| list.todos.iter().filter(|t| t.status == s).count();
    let mut parts = Vec::new();
    for (status, label) in [
        ("completed", "completed"),
        ("in_progress", "in progress"),
        ("pending", "pending"),
        ("cancelled", "cancelled"),
    ] {
        let n = count(status);
        if n > 0 {
            parts.push(format!("{n} {label}"));
        }
    }
    let mut out = format!(
        "{} task{} ({})\n",
        list.todos.len(),
        if list.todos.len() == 1 { "" } else { "s" },
        parts.join(", ")
    );
    for t in &list.todos {
        let mark = match t.status.as_str() {
            "completed" => "[x]",
            "in_progress" => "[~]",
            "cancelled" => "[-]",
            _ => "[ ]",
        };
        let _ = writeln!(out, "{mark} {} ({})", t.content, t.priority);
    }
    out
}
