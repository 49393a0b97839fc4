//! `zs-session export` and `import`: a session out as Markdown for people
//! or as its raw lines for tools, and a JSONL stream in as a new session.
//!
//! An import takes a session export (`export --jsonl`), or any captured
//! pipeline transcript: it keeps the persistent events, skips transient
//! ones (deltas, permissions, status) and the `system` and `tools` lines,
//! and refuses the whole stream if a line is not a valid event, so a
//! broken file never becomes a broken session.

use crate::args::{ExportArgs, ImportArgs};
use crate::commands::{Env, header_fields, lock_wait, print_new, real_dir, settings};
use crate::context::trim_text;
use crate::entries::{Loaded, STORED, typed_line};
use crate::record::{Verdict, judge};
use crate::{clock, prompts};
use serde_json::{Map, Value, json};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use zerostack::cli::warn;
use zerostack::error::Error;
use zerostack::protocol::{Block, Event, VERSION};

/// A code fence longer than any run of backticks in `text`.
fn fence(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

fn fenced(out: &mut String, lang: &str, text: &str) {
    let f = fence(text);
    out.push_str(&format!(
        "{f}{lang}\n{}\n{f}\n\n",
        text.trim_end_matches('\n')
    ));
}

/// The session as Markdown: a title and its details, then every message.
/// Tool calls are fenced JSON, results fenced text trimmed like the
/// context trims them; reasoning is left out.
pub fn markdown(l: &Loaded, trim: &crate::settings::Settings) -> String {
    let meta = l.meta();
    let mut md = format!(
        "# {}\n\n",
        meta.name
            .as_deref()
            .unwrap_or(&format!("Session {}", meta.id))
    );
    let mut detail = |k: &str, v: Option<&str>| {
        if let Some(v) = v {
            md.push_str(&format!("- {k}: {v}\n"));
        }
    };
    detail("id", Some(&meta.id));
    detail("created", Some(&meta.created));
    detail("model", meta.model.as_deref());
    detail("provider", meta.provider.as_deref());
    detail("prompt", meta.prompt.as_deref());
    detail("working directory", meta.cwd.as_deref());
    md.push('\n');
    for e in &l.entries {
        let Ok(ev) = serde_json::from_str::<Event>(l.line(e)) else {
            continue;
        };
        match ev {
            Event::User(u) => md.push_str(&format!("## User\n\n{}\n\n", u.text.trim_end())),
            Event::Assistant(a) => {
                md.push_str("## Assistant\n\n");
                for b in &a.content {
                    match b {
                        Block::Text(t) if !t.text.trim().is_empty() => {
                            md.push_str(&format!("{}\n\n", t.text.trim_end()));
                        }
                        Block::ToolCall(c) => {
                            md.push_str(&format!("**Tool call** `{}` ({})\n\n", c.name, c.id));
                            let args = serde_json::to_string_pretty(&c.arguments)
                                .unwrap_or_else(|_| c.arguments.to_string());
                            fenced(&mut md, "json", &args);
                        }
                        _ => {}
                    }
                }
            }
            Event::ToolResult(r) => {
                md.push_str(&format!(
                    "**Result** of `{}` ({}){}\n\n",
                    r.name,
                    r.call_id,
                    if r.is_error { ", an error" } else { "" }
                ));
                let text = trim_text(&r.content, trim, None).unwrap_or(r.content);
                fenced(&mut md, "", &text);
            }
            Event::Compaction(c) => {
                md.push_str(&format!(
                    "## Summary of the conversation so far\n\n{}\n\n",
                    c.summary.trim_end()
                ));
            }
            _ => {}
        }
    }
    md.truncate(md.trim_end().len());
    md.push('\n');
    md
}

pub fn export(env: &Env, a: ExportArgs) -> Result<(), Error> {
    let s = env.resolve(&a.s.session)?;
    let l = s.load()?;
    let text = if a.jsonl {
        let mut t = format!("{}\n", l.header_line());
        for e in &l.entries {
            t.push_str(l.line(e));
            t.push('\n');
        }
        t
    } else {
        let (_, settings) = settings()?;
        markdown(&l, &settings)
    };
    match &a.output {
        Some(p) => std::fs::write(p, text)
            .map_err(|e| Error::failure(format!("cannot write '{}': {e}", p.display())))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(())
}

/// A checked import: the header fields to carry over and the entries.
#[derive(Debug, Default, PartialEq)]
pub struct Parsed {
    pub header: Option<Map<String, Value>>,
    pub entries: Vec<String>,
    /// Lines left out (transient events, system, tools).
    pub skipped: usize,
}

/// Checks a JSONL stream and picks its entries. `compaction` entries have
/// their `first_kept` renumbered for the lines left out, so they keep
/// pointing at the same message.
pub fn parse_stream(text: &str) -> Result<Parsed, Error> {
    let mut p = Parsed::default();
    // Source entry numbers (line numbers, after a header) of what is kept.
    let mut kept_src: Vec<usize> = Vec::new();
    let mut header_lines = 0;
    for (i, raw) in text.split('\n').enumerate() {
        let no = i + 1;
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let kind = zerostack::protocol::line_type(line)
            .map_err(|e| Error::input(format!("line {no}: {e}")))?;
        if kind == "session" {
            if no == 1 {
                let h: Map<String, Value> = serde_json::from_str(line)
                    .map_err(|e| Error::input(format!("line 1: bad session header: {e}")))?;
                let v = h.get("version").and_then(Value::as_u64).unwrap_or(0);
                if v > u64::from(VERSION) {
                    return Err(Error::input(format!(
                        "the stream was written with protocol version {v}; this zs-session reads version {VERSION} and older"
                    )));
                }
                p.header = Some(h);
                header_lines = 1;
            } else {
                p.skipped += 1;
            }
            continue;
        }
        if !STORED.contains(&kind.as_str()) {
            p.skipped += 1;
            continue;
        }
        if let Verdict::Bad(msg) = judge(no as u64, line) {
            return Err(Error::input(msg));
        }
        p.entries.push(line.to_string());
        kept_src.push(no - header_lines);
    }
    for (i, line) in p.entries.iter_mut().enumerate() {
        if crate::entries::type_of(line).as_deref() != Ok("compaction") {
            continue;
        }
        let Ok(mut m) = serde_json::from_str::<Map<String, Value>>(line) else {
            continue;
        };
        let Some(first) = m.get("first_kept").and_then(Value::as_u64) else {
            continue;
        };
        // The first kept line at or after the old target; never past the
        // compaction itself.
        let new = kept_src
            .iter()
            .position(|&src| src as u64 >= first)
            .map_or(i + 1, |j| (j + 1).min(i + 1));
        if new as u64 != first {
            m.insert("first_kept".into(), json!(new));
            *line = typed_line("compaction", &m);
        }
    }
    Ok(p)
}

pub fn import(env: &Env, a: ImportArgs) -> Result<(), Error> {
    let text = if a.file == Path::new("-") {
        let mut t = String::new();
        std::io::stdin()
            .read_to_string(&mut t)
            .map_err(|e| Error::input(format!("cannot read stdin: {e}")))?;
        t
    } else {
        std::fs::read_to_string(&a.file)
            .map_err(|e| Error::usage(format!("cannot read '{}': {e}", a.file.display())))?
    };
    let parsed = parse_stream(&text)?;
    let h = parsed.header.unwrap_or_default();
    let get = |k: &str| h.get(k).and_then(Value::as_str).map(str::to_string);
    let cwd = match (&a.cwd, get("cwd")) {
        (Some(c), _) => real_dir(c)?,
        (None, Some(c)) if Path::new(&c).is_dir() => PathBuf::from(c),
        _ => env.cwd.clone(),
    };
    let prompt = get("prompt").unwrap_or_else(|| prompts::DEFAULT.to_string());
    if prompts::load(&prompt, Some(&cwd)).is_err() {
        warn(
            "zs-session",
            &format!(
                "the stream's prompt '{prompt}' is not known here; `context --prompt` can choose another"
            ),
        );
    }
    let name = a.name.clone().or_else(|| get("name"));
    let mut fields = header_fields(
        &cwd,
        get("model").as_deref(),
        get("provider").as_deref(),
        &prompt,
        get("mode").as_deref(),
        name.as_deref(),
    );
    if let Some(id) = get("id") {
        fields.insert("imported_from".into(), json!(id));
    }
    fields.insert("created".into(), json!(clock::now_rfc3339()));
    let (s, header) = env.store.create(&cwd, &fields)?;
    let (_, settings) = settings()?;
    let (mut app, _) = s.open_writer(lock_wait(&settings))?;
    for line in &parsed.entries {
        // A name set by a rename in the stream would override --name.
        if a.name.is_some() && crate::entries::type_of(line).as_deref() == Ok("session_meta") {
            let mut m: Map<String, Value> = serde_json::from_str(line).unwrap_or_default();
            m.remove("name");
            app.append(&typed_line("session_meta", &m))?;
        } else {
            app.append(line)?;
        }
    }
    if parsed.skipped > 0 {
        warn(
            "zs-session",
            &format!(
                "{} line{} left out (transient events, system and tools lines)",
                parsed.skipped,
                if parsed.skipped == 1 { "" } else { "s" }
            ),
        );
    }
    print_new(&header, &s.id, a.print_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_outgrow_the_backticks_inside() {
        assert_eq!(fence("plain"), "```");
        assert_eq!(fence("a ```` b"), "`````");
    }

    #[test]
    fn a_stream_keeps_persistent_events_and_renumbers_compactions() {
        let text = [
            r#"{"type":"session","version":1,"id":"old","model":"m"}"#,
            r#"{"type":"user","text":"a"}"#,
            r#"{"type":"text_delta","text":"x"}"#,
            r#"{"type":"assistant","content":[{"type":"text","text":"b"}],"stop":"end"}"#,
            r#"{"type":"user","text":"c"}"#,
            r#"{"type":"compaction","summary":"s","first_kept":4}"#,
        ]
        .join("\n");
        let p = parse_stream(&text).unwrap();
        assert_eq!(p.skipped, 1);
        assert_eq!(p.entries.len(), 4);
        assert_eq!(p.header.unwrap()["id"], "old");
        // Entry 4 of the source (the second user message) is entry 3 now.
        let c: Value = serde_json::from_str(&p.entries[3]).unwrap();
        assert_eq!(c["first_kept"], 3);
        assert!(p.entries[3].starts_with(r#"{"type":"compaction""#));
    }

    #[test]
    fn a_bad_line_or_a_newer_version_refuses_the_whole_stream() {
        let e = parse_stream("{\"type\":\"user\",\"text\":\"a\"}\nnope\n").unwrap_err();
        assert!(e.message.starts_with("line 2:"), "{}", e.message);
        let e = parse_stream("{\"type\":\"user\"}\n").unwrap_err();
        assert!(e.message.contains("line 1"), "{}", e.message);
        let e = parse_stream("{\"type\":\"session\",\"version\":9,\"id\":\"x\"}\n").unwrap_err();
        assert!(e.message.contains("version 9"), "{}", e.message);
    }
}
