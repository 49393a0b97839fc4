//! Asking a person: through the front end's socket (`ZS_ASK_SOCKET`), else
//! on the terminal (`/dev/tty`, since stdin is the event pipe), else nobody,
//! and the caller applies the non-interactive policy.
//!
//! Every wait has a deadline (`ask_timeout_ms`): a front end that does not
//! answer in time, or a terminal left alone, counts as a denial. The socket
//! protocol is one JSON line each way per connection; docs/permissions.md
//! is its description, and the two move together.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The protocol version of the ask socket.
pub const ASK_VERSION: u32 = 1;

/// An answer line longer than this is not an answer.
const MAX_ANSWER: u64 = 64 * 1024;

/// Strings in the arguments sent with a request are cut to this many
/// characters: a `write` of a large file would otherwise be sent whole.
const MAX_ARG_CHARS: usize = 2000;

/// The request written to the socket.
#[derive(Debug, Clone, Serialize)]
pub struct Request {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub version: u32,
    pub call_id: String,
    pub tool: String,
    /// One line: the command, the path, the URL.
    pub summary: String,
    /// The arguments, long strings cut.
    pub arguments: Value,
    pub mode: String,
    /// The rule that asked, as text (`mode standard`, `ask bash "curl *"`).
    pub rule: String,
    pub reason: String,
    /// The patterns "allow always" would store; empty: not offered.
    pub always: Vec<AlwaysPattern>,
    /// How many times in a row this exact call came (doom-loop asks only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeats: Option<u32>,
    pub cwd: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlwaysPattern {
    pub tool: String,
    pub pattern: String,
}

/// The answer read from the socket.
#[derive(Debug, Clone, Deserialize)]
struct Reply {
    answer: String,
    #[serde(default)]
    note: Option<String>,
    /// Patterns to store instead of the suggested ones (allow_always).
    #[serde(default)]
    always: Option<Vec<AlwaysPattern>>,
}

/// What a person said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Once,
    /// Allow, and store these patterns in the allowlist.
    Always(Vec<AlwaysPattern>),
    /// Deny, with an optional note for the model.
    Deny(Option<String>),
}

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Socket,
    Tty,
}

impl Via {
    pub fn name(self) -> &'static str {
        match self {
            Via::Socket => "socket",
            Via::Tty => "tty",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Answered(Via, Answer),
    /// Asked, but no usable answer came in time: a denial.
    NoAnswer(Via, String),
    /// Nobody to ask.
    Nobody,
}

pub struct Asker {
    socket: Option<PathBuf>,
    socket_broken: bool,
    use_tty: bool,
    tty: Option<Tty>,
    tty_failed: bool,
    timeout: Duration,
}

struct Tty {
    out: std::fs::File,
    lines: mpsc::Receiver<String>,
}

impl Asker {
    pub fn new(socket: Option<PathBuf>, use_tty: bool, timeout: Duration) -> Asker {
        Asker {
            socket,
            socket_broken: false,
            use_tty,
            tty: None,
            tty_failed: false,
            timeout,
        }
    }

    /// Whether anyone could answer an ask at all.
    pub fn describe(&self) -> String {
        let mut who = Vec::new();
        if self.socket.is_some() {
            who.push("the front end (ZS_ASK_SOCKET)");
        }
        if self.use_tty {
            who.push("the terminal");
        }
        if who.is_empty() {
            "nobody".into()
        } else {
            who.join(", then ")
        }
    }

    pub fn ask(&mut self, req: &Request) -> Outcome {
        if let Some(path) = self.socket.clone()
            && !self.socket_broken
        {
            match UnixStream::connect(&path) {
                Ok(stream) => return self.over_socket(stream, req),
                Err(e) => {
                    // Said once; the next asks go straight on.
                    self.socket_broken = true;
                    zerostack::cli::warn(
                        "zs-perm",
                        &format!("cannot reach the ask socket '{}': {e}", path.display()),
                    );
                }
            }
        }
        if self.use_tty && !self.tty_failed {
            if self.tty.is_none() {
                self.tty = open_tty();
                self.tty_failed = self.tty.is_none();
            }
            if let Some(tty) = &mut self.tty {
                match prompt(tty, req, self.timeout) {
                    Some(o) => return o,
                    None => {
                        // The terminal closed: no more prompts there.
                        self.tty = None;
                        self.tty_failed = true;
                    }
                }
            }
        }
        Outcome::Nobody
    }

    fn over_socket(&self, stream: UnixStream, req: &Request) -> Outcome {
        let deadline = Instant::now() + self.timeout;
        let fail = |why: String| Outcome::NoAnswer(Via::Socket, why);
        let mut line = match serde_json::to_vec(req) {
            Ok(l) => l,
            Err(e) => return fail(format!("cannot encode the request: {e}")),
        };
        line.push(b'\n');
        let mut w = &stream;
        if stream.set_write_timeout(Some(self.timeout)).is_err()
            || w.write_all(&line).and_then(|()| w.flush()).is_err()
        {
            return fail("the front end did not take the question".into());
        }
        let mut reader = BufReader::new((&stream).take(MAX_ANSWER));
        let mut buf = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return fail(format!(
                    "no answer from the front end within {} ms (ask_timeout_ms)",
                    self.timeout.as_millis()
                ));
            }
            if crate::interrupt::interrupted() {
                return fail(crate::interrupt::REASON.into());
            }
            // In slices, so an interrupt ends the wait at once.
            if stream
                .set_read_timeout(Some(left.min(crate::interrupt::POLL)))
                .is_err()
            {
                return fail("cannot wait on the ask socket".into());
            }
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) => {
                    if buf.is_empty() {
                        return fail("the front end closed the socket without answering".into());
                    }
                    break;
                }
                Ok(_) if buf.ends_with(b"\n") => break,
                Ok(_) => {
                    if buf.len() as u64 >= MAX_ANSWER {
                        return fail("the answer is too long".into());
                    }
                }
                // A slice ran out; the top of the loop decides whether the
                // whole wait did.
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return fail(format!("cannot read the answer: {e}")),
            }
        }
        let reply: Reply = match serde_json::from_slice(&buf) {
            Ok(r) => r,
            Err(e) => return fail(format!("the answer is not valid: {e}")),
        };
        let answer = match reply.answer.as_str() {
            "allow_once" => Answer::Once,
            "allow_always" => Answer::Always(reply.always.unwrap_or_else(|| req.always.clone())),
            "deny" => Answer::Deny(reply.note.filter(|n| !n.trim().is_empty())),
            other => return fail(format!("unknown answer \"{other}\"")),
        };
        Outcome::Answered(Via::Socket, answer)
    }
}

/// Opens the controlling terminal, with a thread reading its lines so a
/// wait can time out without unsafe code.
fn open_tty() -> Option<Tty> {
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .ok()?;
    let reader = f.try_clone().ok()?;
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("tty".into())
        .spawn(move || {
            let mut r = BufReader::new(reader);
            loop {
                let mut line = String::new();
                match r.read_line(&mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        if tx.send(line.trim().to_string()).is_err() {
                            return;
                        }
                    }
                }
            }
        })
        .ok()?;
    Some(Tty { out: f, lines: rx })
}

/// Asks on the terminal. `None` when the terminal went away.
fn prompt(tty: &mut Tty, req: &Request, timeout: Duration) -> Option<Outcome> {
    let deadline = Instant::now() + timeout;
    // Whatever was typed before the question is not its answer.
    while tty.lines.try_recv().is_ok() {}
    let always = if req.always.is_empty() {
        String::new()
    } else {
        let pats: Vec<String> = req
            .always
            .iter()
            .map(|a| format!("{} {:?}", a.tool, a.pattern))
            .collect();
        format!("  [a] allow always ({})", pats.join(", "))
    };
    let what = if req.summary.is_empty() {
        req.tool.clone()
    } else {
        format!("{}: {}", req.tool, req.summary)
    };
    let text = format!(
        "\nzs-perm: permission needed for {what}\n  {}\n  [y] allow once{always}  [n] deny  [d] deny with a note\n> ",
        req.reason
    );
    tty.out.write_all(text.as_bytes()).ok()?;
    tty.out.flush().ok()?;
    let mut wait_note = false;
    loop {
        if crate::interrupt::interrupted() {
            let _ = tty.out.write_all(b"\n(interrupted: denied)\n");
            return Some(Outcome::NoAnswer(Via::Tty, crate::interrupt::REASON.into()));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        // In slices, so an interrupt ends the wait at once.
        let line = match tty.lines.recv_timeout(left.min(crate::interrupt::POLL)) {
            Ok(l) => l,
            Err(mpsc::RecvTimeoutError::Timeout) if !left.is_zero() => continue,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = tty.out.write_all(b"\n(no answer in time: denied)\n");
                return Some(Outcome::NoAnswer(
                    Via::Tty,
                    format!(
                        "no answer on the terminal within {} ms (ask_timeout_ms)",
                        timeout.as_millis()
                    ),
                ));
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => return None,
        };
        if wait_note {
            let note = (!line.is_empty()).then_some(line);
            return Some(Outcome::Answered(Via::Tty, Answer::Deny(note)));
        }
        let answer = match line.to_ascii_lowercase().as_str() {
            "y" | "yes" => Answer::Once,
            "a" | "always" if !req.always.is_empty() => Answer::Always(req.always.clone()),
            "n" | "no" => Answer::Deny(None),
            "d" => {
                wait_note = true;
                let _ = tty.out.write_all(b"note for the model: ");
                let _ = tty.out.flush();
                continue;
            }
            _ => {
                let _ = tty.out.write_all(b"answer y, n or d (or a when offered): ");
                let _ = tty.out.flush();
                continue;
            }
        };
        return Some(Outcome::Answered(Via::Tty, answer));
    }
}

/// The arguments with long strings cut, for a request.
pub fn abbreviate(v: &Value) -> Value {
    match v {
        Value::String(s) if s.chars().count() > MAX_ARG_CHARS => {
            let cut: String = s.chars().take(MAX_ARG_CHARS).collect();
            Value::String(format!("{cut}… ({} characters in all)", s.chars().count()))
        }
        Value::Array(a) => Value::Array(a.iter().map(abbreviate).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), abbreviate(v))).collect())
        }
        other => other.clone(),
    }
}
