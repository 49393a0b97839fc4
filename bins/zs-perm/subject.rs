//! What a tool call touches: its paths, its shell commands, its URL or
//! query. Each is judged on its own and the call gets the strictest verdict.
//!
//! The tool set is zs-tool's (`zs-tool schema`); MCP tools arrive named
//! `mcp__<server>__<tool>` and subagents as `task`. A call whose arguments
//! cannot be read is not guessed at: it is denied, saying what is missing.

use crate::commands::{self, Analyzed};
use crate::resolve::{self, Resolved, Root};
use serde_json::Value;
use std::path::PathBuf;

/// Tools grouped by what the modes say about them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// read, grep, find_files, list_dir
    Read,
    /// write, edit, multiedit, apply_patch
    Write,
    Bash,
    /// todo_read, todo_write
    Todo,
    /// webfetch, websearch
    Web,
    /// mcp__<server>__<tool>
    Mcp,
    /// task (subagents)
    Task,
    Unknown,
}

impl Family {
    pub fn of(tool: &str) -> Family {
        match tool {
            "read" | "grep" | "find_files" | "list_dir" => Family::Read,
            "write" | "edit" | "multiedit" | "apply_patch" => Family::Write,
            "bash" => Family::Bash,
            "todo_read" | "todo_write" => Family::Todo,
            "webfetch" | "websearch" => Family::Web,
            "task" => Family::Task,
            t if t.starts_with("mcp__") && t.len() > 5 => Family::Mcp,
            _ => Family::Unknown,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Family::Read => "read",
            Family::Write => "write",
            Family::Bash => "bash",
            Family::Todo => "todo",
            Family::Web => "web",
            Family::Mcp => "mcp",
            Family::Task => "task",
            Family::Unknown => "unknown tool",
        }
    }
}

/// One thing a call touches.
#[derive(Debug, Clone)]
pub enum Subject {
    /// A path; `dir` when the tool takes a folder (list_dir, grep, ...).
    Path {
        given: String,
        res: Resolved,
        write: bool,
        dir: bool,
    },
    /// One simple command of a `bash` call.
    Command(Analyzed),
    /// A URL (webfetch) or a query (websearch).
    Text(String),
    /// The call as a whole, for tools without a subject.
    Whole,
}

impl Subject {
    /// A short form for messages: the path as given, the command, the URL.
    pub fn show(&self) -> String {
        match self {
            Subject::Path { given, .. } => given.clone(),
            Subject::Command(a) => a.text.clone(),
            Subject::Text(t) => t.clone(),
            Subject::Whole => String::new(),
        }
    }
}

fn str_arg<'a>(args: &'a Value, tool: &str, key: &str) -> Result<&'a str, String> {
    match args.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(format!("{tool}: \"{key}\" must be a string")),
        None => Err(format!("{tool}: the \"{key}\" argument is missing")),
    }
}

fn opt_str<'a>(args: &'a Value, tool: &str, key: &str) -> Result<Option<&'a str>, String> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("{tool}: \"{key}\" must be a string")),
    }
}

fn path(root: &Root, given: &str, write: bool, dir: bool) -> Subject {
    Subject::Path {
        given: given.to_string(),
        res: resolve::resolve(root, &root.dir, given),
        write,
        dir,
    }
}

/// The subjects of a call, or why its arguments cannot be checked.
pub fn subjects(
    tool: &str,
    args: &Value,
    root: &Root,
    env: &commands::Env,
) -> Result<Vec<Subject>, String> {
    // A call without arguments is a call with none.
    let empty = Value::Object(serde_json::Map::new());
    let args = if args.is_null() { &empty } else { args };
    let family = Family::of(tool);
    let needs_object = matches!(
        family,
        Family::Read | Family::Write | Family::Bash | Family::Web
    );
    if needs_object && !args.is_object() {
        return Err(format!("{tool}: the arguments are not a JSON object"));
    }
    Ok(match tool {
        "read" => vec![path(root, str_arg(args, tool, "path")?, false, false)],
        "write" | "edit" | "multiedit" => {
            vec![path(root, str_arg(args, tool, "path")?, true, false)]
        }
        "apply_patch" => {
            let patch = str_arg(args, tool, "patch")?;
            let files = patch_paths(patch);
            if files.is_empty() {
                return Err("apply_patch: the patch names no file (*** Add File:, *** Update File:, *** Delete File:)".into());
            }
            files.iter().map(|f| path(root, f, true, false)).collect()
        }
        "grep" | "list_dir" => {
            vec![path(
                root,
                opt_str(args, tool, "path")?.unwrap_or("."),
                false,
                true,
            )]
        }
        "find_files" => {
            let base = opt_str(args, tool, "path")?.unwrap_or(".");
            let mut v = vec![path(root, base, false, true)];
            // A pattern that climbs out (`../../**`) or is absolute names
            // another folder than `path`.
            if let Some(p) = opt_str(args, tool, "pattern")?
                && (p.starts_with('/') || p.starts_with('~') || p.split('/').any(|s| s == ".."))
            {
                let stem: String = p
                    .split('/')
                    .take_while(|s| !s.contains(['*', '?', '[', '{']))
                    .collect::<Vec<_>>()
                    .join("/");
                let joined = if p.starts_with('/') || p.starts_with('~') {
                    stem
                } else {
                    format!("{base}/{stem}")
                };
                v.push(path(root, &joined, false, true));
            }
            v
        }
        "bash" => {
            let command = str_arg(args, tool, "command")?;
            let mut v = Vec::new();
            let base: PathBuf = match opt_str(args, tool, "workdir")? {
                Some(w) => {
                    let s = path(root, w, false, true);
                    let abs = match &s {
                        Subject::Path { res, .. } => PathBuf::from(&res.abs),
                        _ => root.dir.clone(),
                    };
                    v.push(s);
                    abs
                }
                None => root.dir.clone(),
            };
            v.extend(
                commands::analyze(command, &base, env)
                    .into_iter()
                    .map(Subject::Command),
            );
            v
        }
        "webfetch" => vec![Subject::Text(str_arg(args, tool, "url")?.to_string())],
        "websearch" => vec![Subject::Text(str_arg(args, tool, "query")?.to_string())],
        _ => vec![Subject::Whole],
    })
}

/// Every file a Codex-style patch touches.
pub fn patch_paths(patch: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in patch.lines() {
        let line = line.trim_end_matches('\r');
        for head in [
            "*** Add File:",
            "*** Update File:",
            "*** Delete File:",
            "*** Move to:",
        ] {
            if let Some(p) = line.strip_prefix(head) {
                let p = p.trim();
                if !p.is_empty() && !out.iter().any(|o| o == p) {
                    out.push(p.to_string());
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_paths_finds_every_file() {
        let p = "*** Begin Patch\n*** Update File: a.rs\n@@\n-x\n+y\n*** Move to: ../b.rs\n*** Add File: c.rs\n+z\n*** Delete File: /etc/d\n*** End Patch\n";
        assert_eq!(patch_paths(p), ["a.rs", "../b.rs", "c.rs", "/etc/d"]);
    }

    #[test]
    fn families() {
        assert_eq!(Family::of("mcp__github__create_issue"), Family::Mcp);
        assert_eq!(Family::of("mcp__"), Family::Unknown);
        assert_eq!(Family::of("todo_write"), Family::Todo);
        assert_eq!(Family::of("frobnicate"), Family::Unknown);
    }
}
