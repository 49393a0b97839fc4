//! System prompts by name: the built-ins in prompts/*.md, embedded in the
//! binary, and the user's Markdown files that override them by name, from
//! `./.zerostack/prompts/` (the session's working directory) and then
//! `$XDG_CONFIG_HOME/zerostack/prompts/`. A first line `%%mode=NAME` sets
//! the permission mode; it is taken off the text the model sees. See
//! docs/prompts.md.

use std::path::{Path, PathBuf};
use zerostack::error::Error;

/// The built-in prompts, by name. `compaction` is the summarizer's prompt,
/// used by `compact` rather than offered as a mode of work.
pub const BUILTIN: &[(&str, &str)] = &[
    ("code", include_str!("../../prompts/code.md")),
    ("plan", include_str!("../../prompts/plan.md")),
    ("review", include_str!("../../prompts/review.md")),
    ("debug", include_str!("../../prompts/debug.md")),
    ("ask", include_str!("../../prompts/ask.md")),
    ("brainstorm", include_str!("../../prompts/brainstorm.md")),
    (
        "frontend-design",
        include_str!("../../prompts/frontend-design.md"),
    ),
    (
        "review-security",
        include_str!("../../prompts/review-security.md"),
    ),
    ("simplify", include_str!("../../prompts/simplify.md")),
    (
        "write-prompt",
        include_str!("../../prompts/write-prompt.md"),
    ),
    ("autoconfig", include_str!("../../prompts/autoconfig.md")),
    ("compaction", include_str!("../../prompts/compaction.md")),
];

/// The prompt a session gets when it names none.
pub const DEFAULT: &str = "code";

/// A prompt ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub name: String,
    /// The Markdown, without the `%%mode=` line.
    pub text: String,
    /// The permission mode its first line asks for.
    pub mode: Option<String>,
    /// `built-in` or the file it was read from.
    pub source: String,
}

/// Splits off a first-line `%%mode=NAME` directive (and one blank line
/// after it).
pub fn split_directive(raw: &str) -> (Option<String>, &str) {
    let raw = raw.strip_prefix('\u{feff}').unwrap_or(raw);
    let (first, rest) = raw.split_once('\n').unwrap_or((raw, ""));
    match first.trim_end_matches('\r').trim().strip_prefix("%%mode=") {
        Some(mode) if !mode.trim().is_empty() => {
            let rest = rest
                .strip_prefix("\r\n")
                .or_else(|| rest.strip_prefix('\n'))
                .unwrap_or(rest);
            (Some(mode.trim().to_string()), rest)
        }
        _ => (None, raw),
    }
}

/// The folders searched for user prompts, first match wins.
fn user_dirs(cwd: Option<&Path>) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(cwd) = cwd {
        dirs.push(cwd.join(".zerostack/prompts"));
    }
    if let Ok(c) = zerostack::paths::config_dir() {
        dirs.push(c.join("prompts"));
    }
    dirs
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        && !name.starts_with('.')
}

/// Loads prompt `name`, user files first. `cwd` is the session's working
/// directory, for `./.zerostack/prompts/`.
pub fn load(name: &str, cwd: Option<&Path>) -> Result<Prompt, Error> {
    if !valid_name(name) {
        return Err(Error::usage(format!(
            "bad prompt name '{name}': use letters, digits, '-', '_' and '.'"
        )));
    }
    for dir in user_dirs(cwd) {
        let path = dir.join(format!("{name}.md"));
        match std::fs::read_to_string(&path) {
            Ok(raw) => return Ok(build(name, &raw, path.display().to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Error::failure(format!(
                    "cannot read prompt '{}': {e}",
                    path.display()
                )));
            }
        }
    }
    match BUILTIN.iter().find(|(n, _)| *n == name) {
        Some((_, raw)) => Ok(build(name, raw, "built-in".into())),
        None => Err(Error::usage(format!(
            "unknown prompt '{name}' (known: {})",
            list(cwd)
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn build(name: &str, raw: &str, source: String) -> Prompt {
    let (mode, text) = split_directive(raw);
    Prompt {
        name: name.to_string(),
        text: text.trim_end().to_string(),
        mode,
        source,
    }
}

/// Every prompt name with where it comes from, sorted by name.
pub fn list(cwd: Option<&Path>) -> Vec<(String, String)> {
    let mut out: std::collections::BTreeMap<String, String> = BUILTIN
        .iter()
        .map(|(n, _)| (n.to_string(), "built-in".to_string()))
        .collect();
    // Later folders lose to earlier ones, so walk them backwards.
    for dir in user_dirs(cwd).iter().rev() {
        let Ok(rd) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let Some(stem) = p.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            if p.extension().is_some_and(|x| x == "md") && valid_name(stem) {
                out.insert(stem.to_string(), p.display().to_string());
            }
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directive_is_split_off() {
        assert_eq!(
            split_directive("%%mode=readonly\n\nHello\n"),
            (Some("readonly".into()), "Hello\n")
        );
        assert_eq!(
            split_directive("Hello\n%%mode=x\n"),
            (None, "Hello\n%%mode=x\n")
        );
        assert_eq!(split_directive("%%mode=\nHi"), (None, "%%mode=\nHi"));
        assert_eq!(split_directive("%%mode=plan"), (Some("plan".into()), ""));
    }

    #[test]
    fn every_builtin_loads_and_the_documented_modes_are_set() {
        for (name, raw) in BUILTIN {
            let p = build(name, raw, "built-in".into());
            assert!(!p.text.starts_with("%%"), "{name}");
            let lines = raw.lines().count();
            assert!((20..=80).contains(&lines), "{name}: {lines} lines");
        }
        let mode = |n: &str| {
            let (_, raw) = BUILTIN.iter().find(|(b, _)| *b == n).unwrap();
            split_directive(raw).0
        };
        assert_eq!(mode("plan").as_deref(), Some("planwrite"));
        assert_eq!(mode("review").as_deref(), Some("readonly"));
        assert_eq!(mode("ask").as_deref(), Some("readonly"));
        assert_eq!(mode("brainstorm").as_deref(), Some("readonly"));
        assert_eq!(mode("review-security").as_deref(), Some("readonly"));
        assert_eq!(mode("autoconfig").as_deref(), Some("standard"));
        assert_eq!(mode("code"), None);
    }

    #[test]
    fn names_cannot_escape_the_folder() {
        assert!(!valid_name("../x"));
        assert!(!valid_name(".hidden"));
        assert!(!valid_name(""));
        assert!(valid_name("review-security"));
    }

    #[test]
    fn a_user_file_overrides_a_builtin() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join(".zerostack/prompts");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("code.md"), "%%mode=yolo\nMine.\n").unwrap();
        let p = load("code", Some(t.path())).unwrap();
        assert_eq!(
            (p.text.as_str(), p.mode.as_deref()),
            ("Mine.", Some("yolo"))
        );
        assert!(p.source.ends_with("code.md"));
        assert!(
            list(Some(t.path()))
                .iter()
                .any(|(n, s)| n == "code" && s.ends_with("code.md"))
        );
        assert!(load("nope", Some(t.path())).is_err());
    }
}
