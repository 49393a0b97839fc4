//! `zs-session context`: what zs-chat reads for the next model call. One
//! `system` line (the prompt, the project's context files, the working
//! directory, date and platform), an optional `tools` line, then the
//! replayed conversation (see history.rs), with tool outputs over the
//! threshold trimmed to their head and tail and kept in full in the
//! session folder. With `--follow` (commands.rs) it writes one for every
//! line of its input, each ended by a `round_end` line.

use crate::clock;
use crate::entries::Kind;
use crate::history::{INTERRUPTED_TEXT, Item, Replay};
use crate::project;
use crate::prompts::Prompt;
use crate::settings::Settings;
use serde_json::{Map, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use zerostack::cli::warn;
use zerostack::error::Error;
use zerostack::protocol::{Event, System, ToolResult};

/// The context files of `cwd`, in the order they are given to the model:
/// the global AGENTS.md in the config folder, then AGENTS.md and CLAUDE.md
/// in every folder from the repository root down to `cwd` (general before
/// specific, so the nearest instructions come last and weigh most), then
/// ARCHITECTURE.md from the same folders. Without a repository only `cwd`
/// itself is searched. A file seen twice (a symlink, a copy) is given once;
/// everything together stops at `max_bytes`.
pub fn context_files(cwd: &Path, max_bytes: usize) -> Vec<(PathBuf, String)> {
    let root = project::git_root(cwd);
    let mut dirs: Vec<&Path> = match &root {
        Some(r) => cwd.ancestors().take_while(|d| d.starts_with(r)).collect(),
        None => vec![cwd],
    };
    dirs.reverse();
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Ok(c) = zerostack::paths::config_dir() {
        candidates.push(c.join("AGENTS.md"));
    }
    for d in &dirs {
        candidates.push(d.join("AGENTS.md"));
        candidates.push(d.join("CLAUDE.md"));
    }
    for d in &dirs {
        candidates.push(d.join("ARCHITECTURE.md"));
    }
    let mut out: Vec<(PathBuf, String)> = Vec::new();
    // Files already given, by device and inode: one stat per candidate
    // finds a symlink or a hard link to one of them, where resolving each
    // path costs a readlink per component, and most candidates are absent.
    let mut seen: Vec<(u64, u64)> = Vec::new();
    let mut left = max_bytes;
    for path in candidates {
        use std::os::unix::fs::MetadataExt;
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        let id = (meta.dev(), meta.ino());
        if seen.contains(&id) || !meta.is_file() {
            continue;
        }
        seen.push(id);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let text = text.trim().to_string();
        if text.is_empty() || out.iter().any(|(_, t)| *t == text) {
            continue;
        }
        if left == 0 {
            warn(
                "zs-session",
                &format!(
                    "'{}' left out: context files are limited to {max_bytes} bytes",
                    path.display()
                ),
            );
            continue;
        }
        let text = if text.len() > left {
            let mut cut = left;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            format!(
                "{}\n\n[... cut here: context files are limited to {max_bytes} bytes]",
                &text[..cut]
            )
        } else {
            text
        };
        left = left.saturating_sub(text.len());
        out.push((path, text));
    }
    out
}

/// The system text: the prompt, the context files, then the environment.
pub fn system_text(
    prompt: &Prompt,
    files: &[(PathBuf, String)],
    cwd: &Path,
    now_secs: u64,
) -> String {
    let mut s = prompt.text.trim_end().to_string();
    if !files.is_empty() {
        s.push_str(
            "\n\n# Project instructions\n\nThese files from the project and the user's configuration hold instructions and notes for this work. Follow them; where they disagree, the later, more specific file wins.",
        );
        for (path, text) in files {
            s.push_str(&format!("\n\n## {}\n\n{text}", path.display()));
        }
    }
    s.push_str("\n\n# Environment\n\n");
    s.push_str(&format!("- Working directory: {}\n", cwd.display()));
    if let Some(root) = project::git_root(cwd) {
        s.push_str(&format!("- Repository root: {} (git)\n", root.display()));
    }
    s.push_str(&format!("- Date: {}\n", clock::date(now_secs)));
    s.push_str(&format!(
        "- Platform: {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    ));
    s
}

/// Writes the context: the system line, the tools line if given, then the
/// conversation. Entries go out as stored, except tool results over the
/// trim threshold. The caller flushes `out` (`context --follow` adds its
/// `round_end` line first).
pub fn write<W: Write>(
    out: &mut W,
    system: &str,
    tools_line: Option<&str>,
    replay: &Replay,
    settings: &Settings,
    dir: &Path,
) -> Result<(), Error> {
    let sys = serde_json::to_string(&Event::System(System {
        text: system.to_string(),
        extra: Map::new(),
    }))
    .map_err(|e| Error::failure(format!("cannot encode the system line: {e}")))?;
    writeln!(out, "{sys}")?;
    if let Some(t) = tools_line {
        writeln!(out, "{t}")?;
    }
    for item in &replay.items {
        match item {
            Item::Entry {
                no,
                kind: Kind::ToolResult,
                line,
            } if line.len() > settings.trim_chars => match trim(line, *no, settings, dir) {
                Some(t) => writeln!(out, "{t}")?,
                None => writeln!(out, "{line}")?,
            },
            Item::Entry { line, .. } => writeln!(out, "{line}")?,
            Item::Interrupted { call_id, name } => {
                writeln!(out, "{}", interrupted_line(call_id, name))?;
            }
        }
    }
    Ok(())
}

/// The synthesized result of a call that never got one. `interrupted`
/// marks it as not stored.
pub fn interrupted_line(call_id: &str, name: &str) -> String {
    let mut extra = Map::new();
    extra.insert("interrupted".into(), Value::Bool(true));
    serde_json::to_string(&Event::ToolResult(ToolResult {
        call_id: call_id.to_string(),
        name: name.to_string(),
        content: INTERRUPTED_TEXT.to_string(),
        is_error: true,
        extra,
    }))
    .unwrap_or_default()
}

/// The text of a trimmed output: head, a note with the path, tail. `None`
/// when `content` is within the threshold.
pub fn trim_text(content: &str, settings: &Settings, full: Option<&Path>) -> Option<String> {
    let n = content.chars().count();
    if n <= settings.trim_chars {
        return None;
    }
    let head_end = content
        .char_indices()
        .nth(settings.trim_head)
        .map_or(content.len(), |(i, _)| i);
    let tail_start = content
        .char_indices()
        .nth(n - settings.trim_tail)
        .map_or(content.len(), |(i, _)| i);
    let omitted = n - settings.trim_head - settings.trim_tail;
    let note = match full {
        Some(p) => format!(
            "[... {omitted} characters omitted; the full output ({n} characters) is in {} ...]",
            p.display()
        ),
        None => format!("[... {omitted} characters omitted ...]"),
    };
    Some(format!(
        "{}\n\n{note}\n\n{}",
        &content[..head_end],
        &content[tail_start..]
    ))
}

/// Trims one stored tool result line, saving its full text first. `None`
/// when it needs no trimming or cannot be read (it then goes out as is).
fn trim(line: &str, no: usize, settings: &Settings, dir: &Path) -> Option<String> {
    let Ok(Event::ToolResult(mut r)) = serde_json::from_str::<Event>(line) else {
        return None;
    };
    if r.content.chars().count() <= settings.trim_chars {
        return None;
    }
    let full = match save_full(&r.call_id, no, &r.content, dir) {
        Ok(p) => Some(p),
        Err(e) => {
            warn(
                "zs-session",
                &format!("cannot save the full output of '{}': {e}", r.call_id),
            );
            None
        }
    };
    r.content = trim_text(&r.content, settings, full.as_deref())?;
    serde_json::to_string(&Event::ToolResult(r)).ok()
}

/// Writes `content` to `<dir>/outputs/<call_id>.txt` unless it is already
/// there. A file of that name holding something else (a provider that
/// reuses call ids) sends it to `<call_id>-<entry>.txt` instead. Written
/// to a temporary name and renamed, so a reader never sees half a file.
fn save_full(call_id: &str, no: usize, content: &str, dir: &Path) -> std::io::Result<PathBuf> {
    let outputs = dir.join("outputs");
    let safe = safe_name(call_id);
    for name in [format!("{safe}.txt"), format!("{safe}-{no}.txt")] {
        let p = outputs.join(&name);
        match std::fs::metadata(&p) {
            Ok(m) if m.len() == content.len() as u64 => return Ok(p),
            Ok(_) => continue,
            Err(_) => {
                std::fs::create_dir_all(&outputs)?;
                let tmp = outputs.join(format!(".{name}.{}.tmp", std::process::id()));
                std::fs::write(&tmp, content)?;
                std::fs::rename(&tmp, &p)?;
                return Ok(p);
            }
        }
    }
    Err(std::io::Error::other(
        "two outputs already use this call id",
    ))
}

/// A call id as a file name: safe characters kept, anything else replaced,
/// with a hash of the original when something was replaced, so two ids
/// never map to one name.
pub fn safe_name(id: &str) -> String {
    let mut s: String = id
        .chars()
        .take(100)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s != id || s.is_empty() {
        s.push_str(&format!("-{:08x}", project::fnv1a(id.as_bytes()) >> 32));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(chars: usize, head: usize, tail: usize) -> Settings {
        Settings {
            trim_chars: chars,
            trim_head: head,
            trim_tail: tail,
            ..Settings::default()
        }
    }

    #[test]
    fn trimming_keeps_head_and_tail_on_char_boundaries() {
        let s = settings(10, 2, 3);
        assert_eq!(trim_text("short", &s, None), None);
        let t = trim_text("ééabcdefghijklmnoxyz", &s, Some(Path::new("/o/c1.txt"))).unwrap();
        assert!(t.starts_with("éé\n\n[... 15 characters omitted; the full output (20 characters) is in /o/c1.txt ...]"), "{t}");
        assert!(t.ends_with("\n\nxyz"), "{t}");
    }

    #[test]
    fn safe_names_never_collide() {
        assert_eq!(safe_name("toolu_01-AB"), "toolu_01-AB");
        assert_ne!(safe_name("a/b"), safe_name("a_b"));
        assert!(safe_name("../x").starts_with("___x-"));
    }

    #[test]
    fn the_system_text_has_prompt_files_and_environment_in_order() {
        let p = Prompt {
            name: "code".into(),
            text: "PROMPT".into(),
            mode: None,
            source: "built-in".into(),
        };
        let files = vec![(PathBuf::from("/r/AGENTS.md"), "AG".to_string())];
        let s = system_text(&p, &files, Path::new("/nowhere/x"), 0);
        let at = |needle: &str| s.find(needle).unwrap_or_else(|| panic!("{needle} in {s}"));
        assert!(at("PROMPT") < at("## /r/AGENTS.md"));
        assert!(at("AG\n") < at("Working directory: /nowhere/x"));
        assert!(s.contains("- Date: 1970-01-01"));
        assert!(s.contains(&format!("- Platform: {}", std::env::consts::OS)));
    }

    #[test]
    fn context_files_run_from_the_root_down_and_skip_copies() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        let sub = root.join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::create_dir(root.join(".git")).unwrap();
        std::fs::write(root.join("AGENTS.md"), "root agents").unwrap();
        std::fs::write(root.join("CLAUDE.md"), "root agents").unwrap();
        std::fs::write(root.join("ARCHITECTURE.md"), "arch").unwrap();
        std::fs::write(sub.join("CLAUDE.md"), "sub claude").unwrap();
        let files = context_files(&sub, 1 << 20);
        let texts: Vec<&str> = files.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts, ["root agents", "sub claude", "arch"]);
        let cut = context_files(&sub, 12);
        assert_eq!(cut.len(), 2);
        assert!(cut[1].1.starts_with("s\n\n[... cut here"), "{:?}", cut[1]);
    }
}
