//! `zs-session compact`: replaces the older part of the conversation with a
//! summary, so a long session fits the model's context window.
//!
//! The conversation since the last compaction is cut at a message boundary
//! (a user or assistant message, never between a call and its results),
//! keeping at least `keep_recent_tokens` of the most recent messages
//! verbatim. The older part goes to zs-chat as a transcript with the
//! `compaction` prompt; its answer becomes a `compaction` entry naming the
//! first entry kept. Nothing is deleted: `context` starts from the latest
//! compaction, and the file keeps everything. With `--auto` it does all
//! this only when the context estimate passes the window minus a reserve.

use crate::args::CompactArgs;
use crate::clock;
use crate::commands::{Env, lock_wait, settings, system_for};
use crate::context::trim_text;
use crate::entries::{Kind, Loaded, Meta};
use crate::history::{self, Item};
use crate::prompts;
use crate::settings::Settings;
use crate::stats::context_tokens;
use serde::Serialize;
use serde_json::Map;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use zerostack::cli::warn;
use zerostack::config::Config;
use zerostack::error::{Error, Kind as ErrorKind};
use zerostack::protocol::{Assistant, Block, Event, Usage};

/// The stored `compaction` entry, `type` first.
#[derive(Serialize)]
struct CompactionOut<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    summary: &'a str,
    /// The first entry kept verbatim after the summary.
    first_kept: usize,
    tokens_before: u64,
    tokens_after: u64,
    /// The summary call's own usage and model, for `stats`.
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<&'a Usage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<&'a str>,
    at: String,
}

/// Where to cut `items`: the index of the first item kept. Candidates are
/// user and assistant messages after the first real message (the summary
/// must cover something besides an earlier summary); the latest one that
/// keeps at least `keep` tokens wins. `None` when the whole conversation
/// fits in `keep`: there is nothing old enough to summarize.
pub fn choose_cut(items: &[Item], keep: u64) -> Option<usize> {
    let first = match items.first() {
        Some(Item::Entry {
            kind: Kind::Compaction,
            ..
        }) => 1,
        _ => 0,
    };
    let mut kept = 0u64;
    for i in (first + 1..items.len()).rev() {
        kept += history::estimate(&items[i..=i]);
        let boundary = matches!(
            items[i],
            Item::Entry {
                kind: Kind::User | Kind::Assistant,
                ..
            }
        );
        if !boundary {
            continue;
        }
        if kept >= keep {
            return Some(i);
        }
    }
    None
}

/// Keeps `s` to `max` characters: its head and tail.
fn shorten(s: &str, max: usize) -> String {
    if max < 8 {
        return s.chars().take(max).collect();
    }
    let settings = Settings {
        trim_chars: max,
        trim_head: max / 4,
        trim_tail: max - max / 4 - 1,
        ..Settings::default()
    };
    trim_text(s, &settings, None).unwrap_or_else(|| s.to_string())
}

/// The summarizer's user message: the older part of the conversation as a
/// transcript, then any extra instructions. The summary request is the one
/// place history is flattened to text: the summarizer gets no tools, and
/// some providers refuse tool calls in a request without tools.
pub fn transcript(items: &[Item], tool_chars: usize, instructions: Option<&str>) -> String {
    let mut t = String::from(
        "Summarize the conversation below, following your instructions.\n\n<conversation>\n",
    );
    for item in items {
        let line = match item {
            Item::Entry { line, .. } => line,
            Item::Interrupted { name, call_id } => {
                t.push_str(&format!(
                    "\n[tool result: {name} ({call_id}), interrupted]\n"
                ));
                continue;
            }
        };
        match serde_json::from_str::<Event>(line) {
            Ok(Event::User(u)) => t.push_str(&format!("\n[user]\n{}\n", u.text)),
            Ok(Event::Compaction(c)) => {
                t.push_str(&format!(
                    "\n[summary of the earlier conversation]\n{}\n",
                    c.summary
                ));
            }
            Ok(Event::Assistant(a)) => {
                t.push_str("\n[assistant]\n");
                for b in &a.content {
                    match b {
                        Block::Text(x) => t.push_str(&format!("{}\n", x.text)),
                        Block::ToolCall(c) => t.push_str(&format!(
                            "[tool call: {} ({}) {}]\n",
                            c.name,
                            c.id,
                            shorten(&c.arguments.to_string(), tool_chars)
                        )),
                        Block::Reasoning(_) => {}
                    }
                }
            }
            Ok(Event::ToolResult(r)) => t.push_str(&format!(
                "\n[tool result: {} ({}){}]\n{}\n",
                r.name,
                r.call_id,
                if r.is_error { ", error" } else { "" },
                shorten(&r.content, tool_chars)
            )),
            _ => {}
        }
    }
    t.push_str("</conversation>\n");
    if let Some(i) = instructions.filter(|i| !i.trim().is_empty()) {
        t.push_str(&format!("\nAlso: {}\n", i.trim()));
    }
    t
}

/// The zs-chat to run: `$ZS_CHAT`, else the one beside this binary, else
/// `zs-chat` from PATH.
fn chat_path() -> PathBuf {
    if let Some(p) = std::env::var_os("ZS_CHAT").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    if let Ok(me) = std::env::current_exe()
        && let Some(dir) = me.parent()
    {
        let beside = dir.join("zs-chat");
        if beside.is_file() {
            return beside;
        }
    }
    PathBuf::from("zs-chat")
}

/// Runs zs-chat on `input` and returns its assistant message.
fn summarize(input: &str, args: &[String]) -> Result<Assistant, Error> {
    let path = chat_path();
    let mut child = Command::new(&path)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| Error::upstream(format!("cannot run '{}': {e}", path.display())))?;
    // zs-chat reads its whole input before it writes, so writing all of it
    // first cannot deadlock. A write error means it exited early; its exit
    // status says why.
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    let mut assistant = None;
    let mut error = None;
    if let Some(stdout) = child.stdout.take() {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            match serde_json::from_str::<Event>(&line) {
                Ok(Event::Assistant(a)) => assistant = Some(a),
                Ok(Event::Error(e)) => error = Some(e.message),
                _ => {}
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| Error::upstream(format!("cannot wait for zs-chat: {e}")))?;
    let why = error.map(|m| format!(": {m}")).unwrap_or_default();
    if !status.success() {
        if status.code().is_none() || status.code() == Some(130) {
            return Err(Error::new(ErrorKind::Interrupted, "interrupted"));
        }
        return Err(Error::upstream(format!(
            "the summary failed: zs-chat {status}{why}"
        )));
    }
    match assistant {
        Some(a) if !a.text().trim().is_empty() => Ok(a),
        _ => Err(Error::upstream(format!(
            "the summary failed: zs-chat wrote no summary{why}"
        ))),
    }
}

/// zs-chat's arguments: the session's model and provider, unless the
/// arguments after `--` name their own (a front end that switched model),
/// then those arguments.
pub fn chat_args(model: Option<&str>, provider: Option<&str>, extra: &[String]) -> Vec<String> {
    let names = |flag: &str| {
        extra
            .iter()
            .any(|a| a == flag || a.starts_with(&format!("{flag}=")))
    };
    let mut args = Vec::new();
    if let Some(m) = model.filter(|_| !names("--model")) {
        args.extend(["--model".to_string(), m.to_string()]);
    }
    if let Some(p) = provider.filter(|_| !names("--provider")) {
        args.extend(["--provider".to_string(), p.to_string()]);
    }
    args.extend(extra.iter().cloned());
    args
}

/// The value of `flag` in `args` (`--flag V` or `--flag=V`), the last one.
fn flag_value(args: &[String], flag: &str) -> Option<String> {
    let mut found = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == flag {
            found = it.next().cloned();
        } else if let Some(v) = a.strip_prefix(flag).and_then(|r| r.strip_prefix('=')) {
            found = Some(v.to_string());
        }
    }
    found
}

/// The window of the model the next call uses: one named after `--`, else
/// the session's, else the configured default.
fn window(config: &Config, settings: &Settings, meta: &Meta, chat_args: &[String]) -> u64 {
    let model = flag_value(chat_args, "--model")
        .or(meta.model.clone())
        .or(config.model.clone());
    settings.window(config, model.as_deref())
}

/// Whether `--auto` compacts: it is on, and the context plus the reserve
/// passes the window.
fn over(settings: &Settings, before: u64, window: u64) -> bool {
    settings.auto_compact && before.saturating_add(settings.compact_reserve) > window
}

/// Whether `compact --auto` (without arguments for zs-chat) would compact
/// `l` now: over the window, with something old enough to summarize.
pub fn due(
    l: &Loaded,
    id: &str,
    env: &Env,
    config: &Config,
    settings: &Settings,
) -> Result<bool, Error> {
    if !settings.auto_compact {
        return Ok(false);
    }
    let (system, _) = system_for(l, env, settings, None, true)?;
    let replay = history::replay(l, id);
    let before = context_tokens(&system, &replay);
    Ok(
        over(settings, before, window(config, settings, &l.meta(), &[]))
            && choose_cut(&replay.items, settings.keep_recent_tokens).is_some(),
    )
}

pub fn run(env: &Env, a: CompactArgs) -> Result<(), Error> {
    let s = env.resolve(&a.s.session)?;
    let (config, settings) = settings()?;
    let l = s.load()?;
    let meta = l.meta();
    let (system, cwd) = system_for(&l, env, &settings, None, true)?;
    let replay = history::replay(&l, &s.id);
    let before = context_tokens(&system, &replay);
    let window = window(&config, &settings, &meta, &a.chat_args);
    if a.auto && !over(&settings, before, window) {
        return Ok(());
    }
    let keep = a.keep_recent.unwrap_or(settings.keep_recent_tokens);
    let Some(cut) = choose_cut(&replay.items, keep) else {
        if !a.auto {
            warn(
                "zs-session",
                &format!(
                    "session '{}': nothing to compact: the conversation fits in the {keep} tokens kept verbatim (see --keep-recent)",
                    s.id
                ),
            );
        }
        return Ok(());
    };
    let Some(first_kept) = replay.items[cut].no() else {
        return Err(Error::failure("the cut fell on a synthesized result"));
    };
    let prompt = prompts::load("compaction", Some(&cwd))?;
    let request = transcript(
        &replay.items[..cut],
        settings.summary_tool_chars,
        a.instructions.as_deref(),
    );
    let mut input = String::new();
    for ev in [
        Event::System(zerostack::protocol::System {
            text: prompt.text,
            extra: Map::new(),
        }),
        Event::User(zerostack::protocol::User {
            text: request,
            extra: Map::new(),
        }),
    ] {
        input.push_str(&serde_json::to_string(&ev).map_err(|e| Error::failure(e.to_string()))?);
        input.push('\n');
    }
    let args = chat_args(
        meta.model.as_deref(),
        meta.provider.as_deref(),
        &a.chat_args,
    );
    let reply = summarize(&input, &args)?;
    let summary = reply.text().trim().to_string();
    let summary_event = Event::Compaction(zerostack::protocol::Compaction {
        summary: summary.clone(),
        extra: Map::new(),
    });
    // From the same base as `before` (the provider's count when there is
    // one): the summarized messages go, the summary comes.
    let after = before.saturating_sub(history::estimate(&replay.items[..cut]))
        + zerostack::tokens::estimate(&serde_json::to_string(&summary_event).unwrap_or_default());
    let line = serde_json::to_string(&CompactionOut {
        kind: "compaction",
        summary: &summary,
        first_kept,
        tokens_before: before,
        tokens_after: after,
        usage: Some(&reply.usage),
        model: reply.model.as_deref(),
        at: clock::now_rfc3339(),
    })
    .map_err(|e| Error::failure(format!("cannot encode the compaction: {e}")))?;
    // The lock is taken only now, not across the model call: entries
    // appended meanwhile come after the cut and are kept anyway.
    let (mut app, _) = s.open_writer(lock_wait(&settings))?;
    app.append(&line)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entries::parse;

    fn items(lines: &[&str]) -> (crate::entries::Loaded, usize) {
        let mut text = String::from("{\"type\":\"session\",\"version\":1,\"id\":\"s\"}\n");
        for l in lines {
            text.push_str(l);
            text.push('\n');
        }
        (parse(text, "s").unwrap(), lines.len())
    }

    const U: &str = r#"{"type":"user","text":"a question of some length"}"#;
    const C: &str = r#"{"type":"assistant","content":[{"type":"tool_call","id":"c1","name":"read","arguments":{"path":"x"}}],"stop":"tool_calls"}"#;
    const R: &str = r#"{"type":"tool_result","call_id":"c1","name":"read","content":"file text"}"#;
    const E: &str =
        r#"{"type":"assistant","content":[{"type":"text","text":"an answer"}],"stop":"end"}"#;

    #[test]
    fn the_cut_falls_on_a_message_boundary_keeping_the_budget() {
        let (l, _) = items(&[U, C, R, E, U, C, R, E]);
        let r = history::replay(&l, "s");
        // A tiny budget keeps only the last message.
        assert_eq!(choose_cut(&r.items, 1), Some(7));
        // A budget of the last three messages cannot cut between the call
        // at 6 and its result at 7: it moves back to the call.
        let three = history::estimate(&r.items[5..]);
        assert_eq!(choose_cut(&r.items, three), Some(5));
        // A budget larger than everything leaves nothing to summarize.
        assert_eq!(choose_cut(&r.items, 1_000_000), None);
        let (l, _) = items(&[U]);
        assert_eq!(choose_cut(&history::replay(&l, "s").items, 1), None);
    }

    #[test]
    fn arguments_after_the_dashes_override_the_sessions_model() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            chat_args(Some("m1"), Some("p1"), &s(&["--thinking", "low"])),
            s(&["--model", "m1", "--provider", "p1", "--thinking", "low"])
        );
        assert_eq!(
            chat_args(Some("m1"), Some("p1"), &s(&["--model=m2"])),
            s(&["--provider", "p1", "--model=m2"])
        );
        assert_eq!(
            chat_args(Some("m1"), None, &s(&["--provider", "p2", "--model", "m2"])),
            s(&["--provider", "p2", "--model", "m2"])
        );
        assert_eq!(
            flag_value(&s(&["--model", "a", "--model=b"]), "--model"),
            Some("b".into())
        );
        assert_eq!(flag_value(&s(&["--models", "a"]), "--model"), None);
    }

    #[test]
    fn an_earlier_summary_alone_is_not_worth_a_summary() {
        let (l, _) = items(&[
            U,
            E,
            r#"{"type":"compaction","summary":"s","first_kept":3}"#,
            U,
        ]);
        let r = history::replay(&l, "s");
        assert_eq!(r.items.len(), 2);
        assert_eq!(choose_cut(&r.items, 1), None);
    }

    #[test]
    fn the_transcript_names_every_message_and_shortens_outputs() {
        let big = format!(
            r#"{{"type":"tool_result","call_id":"c1","name":"read","content":"{}","is_error":true}}"#,
            "x".repeat(500)
        );
        let (l, _) = items(&[U, C, &big, E]);
        let r = history::replay(&l, "s");
        let t = transcript(&r.items, 100, Some("keep the numbers"));
        assert!(t.contains("[user]\na question of some length\n"), "{t}");
        assert!(t.contains("[tool call: read (c1) {\"path\":\"x\"}]"), "{t}");
        assert!(t.contains("[tool result: read (c1), error]\nxxxxxxxxxxxxxxxxxxxxxxxxx\n\n[... 401 characters omitted ...]"), "{t}");
        assert!(t.contains("[assistant]\nan answer\n"), "{t}");
        assert!(
            t.ends_with("</conversation>\n\nAlso: keep the numbers\n"),
            "{t}"
        );
    }
}
