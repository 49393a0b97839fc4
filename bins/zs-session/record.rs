//! `zs-session record`: the tee at the end of a turn's pipeline. Every line
//! of stdin goes to stdout unchanged and in order; every persistent event
//! (`user`, `assistant`, `tool_result`, `compaction`, `session_meta`) is
//! appended to the session first, so what a later stage has seen is
//! already in the session.
//!
//! The stages may stay up for all the rounds of a prompt, each round closed
//! by a `round_end` line. At a `round_end` this stage syncs the round's
//! entries, lets go of the writer lock (so `append` and `compact` can write
//! between rounds), passes the line on, and then, with `--state`, writes
//! the state line. It takes the lock again before it stores the next entry,
//! waiting for it as on open, and picks up whatever another writer did
//! meanwhile (a torn tail is repaired, numbering goes on from the real end;
//! see store.rs). A stream without `round_end` is one round that ends with
//! the input.
//!
//! With `--progress`, a line per tool call and per outcome goes to stderr
//! (progress.rs), so `zerostack` shows what happens without parsing JSON;
//! with `--state FILE`, what the conversation now waits for (and whether
//! `compact --auto` would compact it) is appended to FILE as one line per
//! round: at each `round_end`, and at the end of input only when no
//! `round_end` came at all (the stream was one round). In a stream of
//! rounds, lines after the last `round_end` are a round cut short (a stage
//! failed or was interrupted) and get no state line, so the wrapper never
//! takes an unfinished round for a finished one. That saves the wrapper a
//! `state` and a `compact` process per round.
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
//! synced to disk together at its `round_end` (or when the input ends),
//! with one `fdatasync` rather than one per entry, which cost a round a
//! tenth of its CPU. A crash of the machine in the middle of a round may
//! lose that round's entries (or tear the last, which the next open
//! repairs), never an earlier round's; a crash of the process loses
//! nothing.

use crate::commands::{Env, state_word};
use crate::compact;
use crate::entries::{STORED, type_of};
use crate::progress::Progress;
use crate::settings::Settings;
use crate::store::SessionRef;
use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use zerostack::config::Config;
use zerostack::error::{Error, Kind};
use zerostack::lines::{Input, LineReader, Writer};
use zerostack::protocol::{Event, ROUND_END};

/// What to do with one input line.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// A persistent event: store it.
    Store,
    /// Another event: pass it on only.
    Pass,
    /// Not a usable event: pass it on and report it.
    Bad(String),
    /// `round_end`: the round is over; pass it on, then close the round.
    RoundEnd,
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
        return if kind == ROUND_END {
            Verdict::RoundEnd
        } else {
            Verdict::Pass
        };
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

/// Where and how to write the state (`--state FILE`).
pub struct StateOut<'a> {
    pub path: &'a Path,
    pub env: &'a Env,
    pub config: &'a Config,
    pub settings: &'a Settings,
}

impl<'a> StateOut<'a> {
    /// Opens FILE once, for the whole run: created if missing, appended to
    /// (in the wrapper's use it is a pipe that the driver reads).
    fn open(self) -> Result<StateFile<'a>, Error> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path)
            .map_err(|e| {
                Error::failure(format!(
                    "cannot open the state file '{}': {e}",
                    self.path.display()
                ))
            })?;
        Ok(StateFile {
            how: self,
            file: Some(file),
        })
    }
}

/// The open `--state` file.
struct StateFile<'a> {
    how: StateOut<'a>,
    /// `None` once its reader has gone.
    file: Option<File>,
}

impl StateFile<'_> {
    /// Appends the state word, followed by ` compact` when the conversation
    /// waits for the model and `compact --auto` would compact it first.
    fn write(&mut self, s: &SessionRef) -> Result<(), Error> {
        let Some(file) = &mut self.file else {
            return Ok(());
        };
        let h = &self.how;
        let l = s.load()?;
        let word = state_word(&l, &s.id);
        let due = word == "model" && compact::due(&l, &s.id, h.env, h.config, h.settings)?;
        let line = format!("{word}{}\n", if due { " compact" } else { "" });
        if !append_line(file, &line).map_err(|e| {
            Error::failure(format!(
                "cannot write the state to '{}': {e}",
                h.path.display()
            ))
        })? {
            self.file = None;
        }
        Ok(())
    }
}

/// Writes `line` to `file` with one `write` (a line this short reaches a
/// pipe whole) and flushes it. False when the file is a pipe whose reader
/// has gone: nobody waits for the line, which is not an error.
fn append_line(file: &mut impl Write, line: &str) -> std::io::Result<bool> {
    match file.write_all(line.as_bytes()).and_then(|()| file.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e),
    }
}

/// Records stdin into `s`; with `progress`, also writes progress lines on
/// stderr (see progress.rs); with `state`, appends the state to its file
/// at every `round_end`, or at the end when no `round_end` came.
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
    let mut state = state.map(StateOut::open).transpose()?;
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
    // Whether a round_end came: then the end of input closes no round (what
    // came after the last one was cut short); without one, the whole input
    // was one round, as before rounds existed.
    let mut rounds = false;
    while let Some(item) = reader
        .next_line()
        .map_err(|e| Error::failure(format!("cannot read stdin: {e}")))?
    {
        match item {
            Input::Line { no, text } => {
                let verdict = judge(no, &text);
                if verdict == Verdict::RoundEnd {
                    // The order the driver relies on: when the state line
                    // comes, the round is stored and synced, the lock is
                    // free and round_end has left by stdout.
                    app.release()?;
                    if out_open {
                        send(out.pass(&text), &mut out_open)?;
                    }
                    if let Some(st) = &mut state {
                        st.write(s)?;
                    }
                    rounds = true;
                    continue;
                }
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
    if !rounds && let Some(st) = &mut state {
        // The input was one round: its state, as at a round_end.
        st.write(s)?;
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
    fn round_end_closes_a_round_and_is_never_stored() {
        assert_eq!(judge(7, r#"{"type":"round_end"}"#), Verdict::RoundEnd);
        assert_eq!(
            judge(7, zerostack::protocol::ROUND_END_LINE),
            Verdict::RoundEnd
        );
        // Fields it does not know do not change what it is.
        assert_eq!(
            judge(7, r#"{"type":"round_end","round":2}"#),
            Verdict::RoundEnd
        );
        assert_eq!(judge(7, r#"{"type":"round_ended"}"#), Verdict::Pass);
    }

    #[test]
    fn state_lines_are_appended_one_per_write() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("state");
        std::fs::write(&path, "earlier\n").unwrap();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        assert!(append_line(&mut f, "model\n").unwrap());
        assert!(append_line(&mut f, "user\n").unwrap());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "earlier\nmodel\nuser\n"
        );
        // Each line is one write: a writer that counts them sees two.
        struct Count(Vec<Vec<u8>>);
        impl Write for Count {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.push(b.to_vec());
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut c = Count(Vec::new());
        append_line(&mut c, "model compact\n").unwrap();
        assert_eq!(c.0, [b"model compact\n".to_vec()]);
    }

    #[test]
    fn a_state_pipe_without_reader_is_not_an_error() {
        let (reader, mut writer) = std::io::pipe().unwrap();
        drop(reader);
        // SIGPIPE is ignored in the binary (zerostack::cli::start), and by
        // the test harness, so the write fails with EPIPE.
        assert!(!append_line(&mut writer, "user\n").unwrap());
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::from_raw_os_error(28))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        assert!(append_line(&mut Full, "user\n").is_err());
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
