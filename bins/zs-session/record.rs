//! `zs-session record`: the tee at the end of a turn's pipeline. Every line
//! of stdin goes to stdout unchanged and in order; every persistent event
//! (`user`, `assistant`, `tool_result`, `compaction`, `session_meta`) is
//! appended to the session first, so what a later stage has seen is
//! already in the session.
//!
//! With `--progress`, a line per tool call and per outcome goes to stderr
//! (progress.rs), so `zerostack` shows what happens without parsing JSON;
//! with `--state FILE`, what the conversation now waits for (and whether
//! `compact --auto` would compact it) is written to FILE at the end, which
//! saves the wrapper a `state` and a `compact` process per round.
//!
//! SIGINT is ignored: a Ctrl-C reaches every stage of the pipeline, and the
//! stages before this one flush what they hold (a partial assistant
//! message, "interrupted" tool results) as they stop; this one keeps
//! reading until its input ends, so all of that is stored. SIGTERM keeps
//! its default and ends the process at once, as SIGKILL does: the session
//! stays valid either way, since each entry is one write.
//!
//! Durability is per round: each entry is written as it comes (a reader
//! sees it before any later stage does), and the round's entries are
//! synced to disk together when the input ends, with one `fdatasync`
//! rather than one per entry, which cost a round a tenth of its CPU. A
//! crash of the machine in the middle of a round may lose that round's
//! entries (or tear the last, which the next open repairs), never an
//! earlier entry; a crash of the process loses nothing.

use crate::commands::{Env, state_word};
use crate::compact;
use crate::entries::{STORED, type_of};
use crate::progress::Progress;
use crate::settings::Settings;
use crate::store::SessionRef;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use zerostack::config::Config;
use zerostack::error::{Error, Kind};
use zerostack::lines::{Input, LineReader, Writer};
use zerostack::protocol::Event;

/// What to do with one input line.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// A persistent event: store it.
    Store,
    /// Another event: pass it on only.
    Pass,
    /// Not a usable event: pass it on and report it.
    Bad(String),
}

/// Decides what happens to line `no`. Events to be stored are checked
/// whole, so a broken one never reaches the file (it would break every
/// later context).
pub fn judge(no: u64, text: &str) -> Verdict {
    let kind = match zerostack::protocol::line_type(text) {
        Ok(k) => k,
        Err(e) => return Verdict::Bad(format!("line {no}: {e}")),
    };
    if !STORED.contains(&kind.as_str()) {
        return Verdict::Pass;
    }
    let checked = if kind == "session_meta" {
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text).map(|_| ())
    } else {
        serde_json::from_str::<Event>(text).map(|_| ())
    };
    match checked {
        Ok(()) => Verdict::Store,
        Err(e) => Verdict::Bad(format!("line {no}: bad {kind} event, not stored: {e}")),
    }
}

/// Where and how to write the state at the end (`--state FILE`).
pub struct StateOut<'a> {
    pub path: &'a Path,
    pub env: &'a Env,
    pub config: &'a Config,
    pub settings: &'a Settings,
}

impl StateOut<'_> {
    /// Writes the state word, followed by ` compact` when the conversation
    /// waits for the model and `compact --auto` would compact it first.
    fn write(&self, s: &SessionRef) -> Result<(), Error> {
        let l = s.load()?;
        let word = state_word(&l, &s.id);
        let due = word == "model" && compact::due(&l, &s.id, self.env, self.config, self.settings)?;
        let line = format!("{word}{}\n", if due { " compact" } else { "" });
        write_over(self.path, line.as_bytes()).map_err(|e| {
            Error::failure(format!(
                "cannot write the state to '{}': {e}",
                self.path.display()
            ))
        })
    }
}

/// Writes `bytes` as the whole content of the file at `path`, over what it
/// held, cutting it only when it was longer. Not `fs::write`: on ext4,
/// closing a file that was truncated to nothing and written again starts a
/// writeback of it (the protection for programs that replace a file that
/// way), and the wrapper reads this file after every round.
fn write_over(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    file.write_all_at(bytes, 0)?;
    if file.metadata()?.len() > bytes.len() as u64 {
        file.set_len(bytes.len() as u64)?;
    }
    Ok(())
}

/// Records stdin into `s`; with `progress`, also writes progress lines on
/// stderr (see progress.rs); with `state`, writes the state at the end.
pub fn run(
    s: &SessionRef,
    lock_wait: Duration,
    progress: bool,
    state: Option<StateOut>,
) -> Result<(), Error> {
    // Registered before anything else, so an early Ctrl-C does not kill us.
    // The flag is never read: the handler only replaces the default action.
    let sigint = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&sigint))
        .map_err(|e| Error::failure(format!("cannot handle SIGINT: {e}")))?;
    let (mut app, _) = s.open_writer(lock_wait)?;
    if std::io::stdin().is_terminal() {
        zerostack::cli::warn(
            "zs-session",
            "record reads protocol lines from stdin (a terminal here); end with Ctrl-D",
        );
    }
    let mut reader = LineReader::new(std::io::stdin().lock());
    let mut out = Writer::new(std::io::stdout().lock());
    // When the reader of stdout goes away, recording goes on: storing the
    // stream is this stage's first job.
    let mut out_open = true;
    let send = |r: Result<(), Error>, out_open: &mut bool| match r {
        Err(e) if e.kind == Kind::BrokenPipe => {
            *out_open = false;
            Ok(())
        }
        other => other,
    };
    let mut progress = progress.then(|| Progress::new(std::io::stderr()));
    let mut bad = 0u64;
    while let Some(item) = reader
        .next_line()
        .map_err(|e| Error::failure(format!("cannot read stdin: {e}")))?
    {
        match item {
            Input::Line { no, text } => {
                let verdict = judge(no, &text);
                if verdict == Verdict::Store {
                    app.append_unsynced(&text)?;
                }
                if out_open {
                    send(out.pass(&text), &mut out_open)?;
                }
                if let Some(p) = &mut progress
                    && let Ok(kind) = type_of(&text)
                {
                    p.see(&kind, &text);
                }
                if let Verdict::Bad(msg) = verdict {
                    bad += 1;
                    if out_open {
                        send(out.bad_line("zs-session", no, &msg), &mut out_open)?;
                    }
                }
            }
            Input::Bad { no, error } => {
                bad += 1;
                if out_open {
                    send(out.bad_line("zs-session", no, &error), &mut out_open)?;
                }
            }
        }
    }
    // One fdatasync for the round, not one per entry (see the module doc).
    app.sync()?;
    if let Some(end) = state {
        // What `zs-session state` would print, and whether `compact --auto`
        // has work, without two more processes: the wrapper asks after
        // every round.
        end.write(s)?;
    }
    if bad > 0 {
        return Err(Error::input(format!(
            "{bad} bad input line{} (passed on, not stored)",
            if bad == 1 { "" } else { "s" }
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persistent_events_are_stored_and_others_passed() {
        assert_eq!(judge(1, r#"{"type":"user","text":"hi"}"#), Verdict::Store);
        assert_eq!(
            judge(
                1,
                r#"{"type":"tool_result","call_id":"c","name":"n","content":"x"}"#
            ),
            Verdict::Store
        );
        assert_eq!(
            judge(1, r#"{"type":"session_meta","name":"n"}"#),
            Verdict::Store
        );
        assert_eq!(
            judge(1, r#"{"type":"text_delta","text":"x"}"#),
            Verdict::Pass
        );
        assert_eq!(judge(1, r#"{"type":"system","text":"x"}"#), Verdict::Pass);
        assert_eq!(
            judge(1, r#"{"type":"session","version":1,"id":"x"}"#),
            Verdict::Pass
        );
    }

    #[test]
    fn the_state_file_is_written_over_and_cut_to_its_new_content() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("state");
        write_over(&path, b"model compact\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "model compact\n");
        write_over(&path, b"user\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "user\n");
        write_over(&path, b"interrupted\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "interrupted\n");
    }

    #[test]
    fn broken_lines_are_bad_and_never_stored() {
        assert!(matches!(judge(3, "hello"), Verdict::Bad(m) if m.starts_with("line 3:")));
        assert!(
            matches!(judge(4, r#"{"type":"user"}"#), Verdict::Bad(m) if m.contains("not stored"))
        );
        assert!(matches!(
            judge(5, r#"{"type":"assistant","content":"x","stop":"end"}"#),
            Verdict::Bad(_)
        ));
    }
}
