//! The `bash` tool: one command, in its own process group, bounded in time
//! and in output.
//!
//! The command runs as `bash -c COMMAND` (through the sandbox seam in
//! sandbox.rs) with stdin from /dev/null and stdout and stderr on one pipe,
//! so their lines interleave as a terminal would show them. It leads a new
//! process group, which keeps a terminal's Ctrl-C away from it and lets
//! zs-tool stop it and everything it started: on timeout, on interrupt, when
//! stdout goes away, and, for background jobs left behind, when the shell
//! exits. Stopping is TERM to the group, then KILL after a grace period.
//!
//! Output is streamed to the caller as it comes and captured within a
//! budget (capture.rs); the result gives the exit code.

use crate::call::{Ctx, Outcome, args};
use crate::capture::{Capture, Live};
use crate::{sandbox, sys};
use serde::Deserialize;
use serde_json::Value;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{ExitStatus, Stdio};
use std::sync::mpsc::{RecvTimeoutError, sync_channel};
use std::time::{Duration, Instant};

#[derive(Deserialize)]
struct Args {
    command: String,
    timeout: Option<u64>,
    workdir: Option<String>,
}

enum Event {
    Output(Vec<u8>),
    Eof,
    Exited(std::io::Result<ExitStatus>),
}

/// Why a command was stopped.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stop {
    TimedOut,
    Interrupted,
    OutputClosed,
}

/// After KILL, how long to wait for the pipe to close before giving up on
/// output held open by a process that left the group (setsid).
const ABANDON_AFTER: Duration = Duration::from_millis(500);
/// How often the loop looks at the clock and the cancel flag.
const TICK: Duration = Duration::from_millis(25);

pub fn run(v: Value, ctx: &Ctx) -> Result<Outcome, String> {
    let a: Args = args(v)?;
    let s = &ctx.settings().bash;
    let mut notes = Vec::new();
    let mut timeout_ms = a.timeout.unwrap_or(s.timeout_ms);
    if timeout_ms > s.max_timeout_ms {
        notes.push(format!(
            "timeout lowered to the maximum of {} ms",
            s.max_timeout_ms
        ));
        timeout_ms = s.max_timeout_ms;
    }
    if a.command.trim().is_empty() {
        return Err("command is empty".into());
    }
    let workdir = match &a.workdir {
        Some(w) => {
            let p = ctx.path(w);
            if !p.is_dir() {
                return Err(if p.exists() {
                    format!("workdir '{w}' is not a folder")
                } else {
                    format!("workdir '{w}' does not exist")
                });
            }
            p
        }
        None => ctx.env.cwd.clone(),
    };
    if ctx.env.dry_run {
        return Ok(Outcome::dry_run(format!(
            "would run in '{}' with a timeout of {timeout_ms} ms: {}",
            a.workdir.as_deref().unwrap_or("."),
            a.command
        )));
    }
    let (mut reader, writer) = std::io::pipe().map_err(|e| format!("cannot create a pipe: {e}"))?;
    let mut cmd = sandbox::command(&s.shell, &a.command, &workdir);
    cmd.stdin(Stdio::null())
        .stdout(
            writer
                .try_clone()
                .map_err(|e| format!("cannot create a pipe: {e}"))?,
        )
        .stderr(writer)
        .process_group(0)
        // Nothing can answer a pager or a password prompt.
        .env("PAGER", "cat")
        .env("GIT_PAGER", "cat")
        .env("GIT_TERMINAL_PROMPT", "0");
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start '{}': {e}", s.shell))?;
    // The Command holds the pipe's write ends; without dropping it, the
    // reader would never see end of file.
    drop(cmd);
    let pgid = child.id();

    let (tx, rx) = sync_channel::<Event>(16);
    let out_tx = tx.clone();
    std::thread::Builder::new()
        .name("bash-output".into())
        .spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if out_tx.send(Event::Output(buf[..n].to_vec())).is_err() {
                            return;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            let _ = out_tx.send(Event::Eof);
        })
        .map_err(|e| format!("cannot start a reader thread: {e}"))?;
    std::thread::Builder::new()
        .name("bash-wait".into())
        .spawn(move || {
            let _ = tx.send(Event::Exited(child.wait()));
        })
        .map_err(|e| format!("cannot start a waiter thread: {e}"))?;

    let spill = ctx
        .env
        .dirs
        .outputs
        .join(format!("{}-{}.txt", safe_name(ctx.call_id), unique()));
    let mut capture = Capture::new(s.max_output_bytes, s.max_output_lines, spill);
    let mut live = Live::new(s.max_output_bytes, s.max_output_lines);
    let mut stream_ok = true;
    let deadline = start + Duration::from_millis(timeout_ms);
    let grace = Duration::from_millis(s.kill_grace_ms);
    let mut exited: Option<std::io::Result<ExitStatus>> = None;
    let mut eof = false;
    let mut stop: Option<Stop> = None;
    let mut term_at: Option<Instant> = None;
    let mut kill_at: Option<Instant> = None;
    loop {
        if exited.is_some() && eof {
            break;
        }
        let now = Instant::now();
        if stop.is_none() {
            stop = if ctx.cancelled() {
                Some(Stop::Interrupted)
            } else if now >= deadline {
                Some(Stop::TimedOut)
            } else if !stream_ok {
                Some(Stop::OutputClosed)
            } else {
                None
            };
        }
        // Stop the group when asked to, or when the shell has exited but
        // something it started still holds the output pipe.
        if term_at.is_none() && (stop.is_some() || exited.is_some()) {
            sys::kill_group(pgid, sys::SIGTERM);
            term_at = Some(now);
        }
        if let (Some(t), None) = (term_at, kill_at)
            && now >= t + grace
        {
            sys::kill_group(pgid, sys::SIGKILL);
            kill_at = Some(now);
        }
        // After KILL: stop waiting for a pipe held by a process that left
        // the group, or for a shell stuck in the kernel.
        if let Some(k) = kill_at
            && now >= k + ABANDON_AFTER
            && (exited.is_some() || now >= k + 10 * ABANDON_AFTER)
        {
            break;
        }
        let wait = if stop.is_none() && term_at.is_none() {
            TICK.min(deadline.saturating_duration_since(now))
        } else {
            TICK
        };
        match rx.recv_timeout(wait.max(Duration::from_millis(1))) {
            Ok(Event::Output(chunk)) => {
                capture.push(&chunk);
                if let Some(stream) = ctx.stream
                    && stream_ok
                    && let Some(text) = live.next(&chunk)
                    && !text.is_empty()
                {
                    stream_ok = stream(&text);
                }
            }
            Ok(Event::Eof) => eof = true,
            Ok(Event::Exited(st)) => exited = Some(st),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    // Background jobs that closed their output do not hold the pipe; stop
    // them too, so nothing outlives the call.
    if kill_at.is_none() && sys::group_alive(pgid) {
        sys::kill_group(pgid, sys::SIGTERM);
        let until = Instant::now() + grace;
        while Instant::now() < until && sys::group_alive(pgid) {
            std::thread::sleep(Duration::from_millis(10));
        }
        sys::kill_group(pgid, sys::SIGKILL);
    }

    let captured = capture.finish();
    let mut text = captured.text;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    let status = match exited {
        Some(Ok(st)) => Some(st),
        Some(Err(e)) => {
            notes.push(format!("cannot get the exit status: {e}"));
            None
        }
        None => None,
    };
    let code = status.and_then(|s| s.code());
    let mut is_error = false;
    match stop {
        Some(Stop::TimedOut) => {
            is_error = true;
            text.push_str(&format!(
                "[timed out after {timeout_ms} ms; the command and its process group were stopped]\n"
            ));
        }
        Some(Stop::Interrupted) => {
            is_error = true;
            text.push_str("[interrupted; the command and its process group were stopped]\n");
        }
        Some(Stop::OutputClosed) => {
            is_error = true;
            text.push_str("[stopped: zs-tool's output was closed]\n");
        }
        None => match (code, status.and_then(|s| s.signal())) {
            (Some(0), _) => {}
            (Some(c), _) => text.push_str(&format!("[exit code {c}]\n")),
            (None, Some(sig)) => text.push_str(&format!("[killed by signal {sig}]\n")),
            (None, None) => {}
        },
    }
    for n in notes {
        text.push_str(&format!("[note: {n}]\n"));
    }
    if text.is_empty() {
        text.push_str("(no output)\n");
    }
    let mut o = Outcome {
        content: text,
        is_error,
        extra: Default::default(),
    }
    .with("exit_code", code.map_or(Value::Null, Value::from));
    if let Some(p) = captured.full_output {
        o = o.with("full_output", p.to_string_lossy().into_owned());
    }
    match stop {
        Some(Stop::TimedOut) => o = o.with("timed_out", true),
        Some(Stop::Interrupted) => o = o.with("interrupted", true),
        _ => {}
    }
    Ok(o)
}

/// A call id made safe as part of a file name.
fn safe_name(id: &str) -> String {
    let s: String = id
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() { "call".into() } else { s }
}

/// Distinguishes outputs of calls with the same id (replays, `call`).
fn unique() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    format!("{t}-{}", std::process::id())
}
