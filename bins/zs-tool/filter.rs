//! Filter mode: the event stream in, the same stream plus tool results out.
//!
//! Every input line is passed through at once, unchanged and in order. Each
//! `assistant` message with tool calls is queued until every one of its
//! calls has a `permission` decision (zs-perm writes them right after the
//! message); then its calls run and their results are written, in call
//! order, before the next input line is looked at. Read-only calls that
//! stand next to each other run in parallel; calls that write or execute
//! run alone, in order, so a read after an edit sees the edit.
//!
//! A `round_end` line closes a round when the stages stay up across the
//! rounds of a prompt: before it is passed on, every queued call is settled
//! as at the end of input (a call still without a decision gets its "never
//! approved" result; no decision for it can come any more), so a round's
//! results always come before its `round_end`. Then reading goes on; what
//! zs-tool remembers about a round (the ids of its calls) is forgotten, as
//! the next round's call ids may repeat the last one's.
//!
//! A `tool_result` already in the input for a call zs-tool runs in the same
//! round (a recorded session being replayed) is dropped: the new result
//! replaces it, so every call still has exactly one result.
//!
//! A reader thread feeds a bounded channel, so the main loop can wait for
//! input and for a signal at the same time, and memory stays bounded while
//! a long command runs.

use crate::call::{self, Env};
use crate::signals;
use crate::spec::{self, Effect};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{HashSet, VecDeque};
use std::io::{BufRead, Write};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Mutex, MutexGuard};
use zerostack::error::{Error, Kind};
use zerostack::lines::{Input, LineReader, Writer};
use zerostack::protocol::{self, Decision, Event, Permission, ToolCall, ToolOutput, ToolResult};

const SOURCE: &str = "zs-tool";

enum Msg {
    Line(Input),
    End,
    Failed(String),
    Signal,
}

/// A call waiting for its decision.
struct Slot {
    call: ToolCall,
    decision: Option<Permission>,
}

/// What ends the wait for decisions: after it, a call without one is
/// settled with a refusal that names it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Close {
    /// Decisions may still come: only fully decided messages run.
    Open,
    /// A `round_end` line: the round's decisions have all passed.
    Round,
    /// The end of input, or an interrupt (nothing waits any more).
    Input,
}

struct Filter<'a> {
    env: &'a Env,
    check: bool,
    out: Mutex<Writer<Box<dyn Write + Send>>>,
    /// Messages whose calls have not all run, oldest first.
    queue: VecDeque<Vec<Slot>>,
    /// Ids of calls run or queued in this round, to drop recorded results
    /// for them.
    seen: HashSet<String>,
    /// Counted over the whole input, across rounds.
    bad_lines: u64,
}

/// Runs the filter until the end of input or an interrupt. `check` false
/// is `--no-permission-check`.
pub fn run(
    env: &Env,
    check: bool,
    input: Box<dyn BufRead + Send>,
    output: Box<dyn Write + Send>,
) -> Result<(), Error> {
    let (tx, rx) = sync_channel::<Msg>(64);
    let reader_tx = tx.clone();
    std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || read_input(input, reader_tx))
        .map_err(|e| Error::failure(format!("cannot start the reader thread: {e}")))?;
    // The flag is what stops work; the message only wakes a waiting loop,
    // so a full channel may drop it.
    signals::install(env.cancel.clone(), move || {
        let _ = tx.try_send(Msg::Signal);
    })?;
    let mut f = Filter {
        env,
        check,
        out: Mutex::new(Writer::new(output)),
        queue: VecDeque::new(),
        seen: HashSet::new(),
        bad_lines: 0,
    };
    f.main_loop(&rx)
}

fn read_input(input: Box<dyn BufRead + Send>, tx: std::sync::mpsc::SyncSender<Msg>) {
    let mut r = LineReader::new(input);
    loop {
        let msg = match r.next_line() {
            Ok(Some(i)) => Msg::Line(i),
            Ok(None) => Msg::End,
            Err(e) => Msg::Failed(e.to_string()),
        };
        let last = !matches!(msg, Msg::Line(_));
        if tx.send(msg).is_err() || last {
            return;
        }
    }
}

impl Filter<'_> {
    fn main_loop(&mut self, rx: &Receiver<Msg>) -> Result<(), Error> {
        let mut failure = None;
        loop {
            let msg = rx.recv().unwrap_or(Msg::End);
            if signals::again() {
                return self.interrupted();
            }
            match msg {
                Msg::Line(Input::Line { no, text }) => self.line(no, &text)?,
                Msg::Line(Input::Bad { no, error }) => self.bad(no, &error)?,
                Msg::Signal => {}
                Msg::End => break,
                Msg::Failed(e) => {
                    failure = Some(Error::failure(format!("cannot read stdin: {e}")));
                    break;
                }
            }
            // Once interrupted, nothing runs: calls get their "interrupted"
            // results without waiting for decisions, and the stream goes on
            // passing through (round_end lines too) until upstream ends it.
            self.run_ready(if self.cancelled() {
                Close::Input
            } else {
                Close::Open
            })?;
        }
        // End of input: no decision will come any more.
        self.run_ready(Close::Input)?;
        if self.cancelled() {
            return self.interrupted();
        }
        if let Some(e) = failure {
            return Err(e);
        }
        if self.bad_lines > 0 {
            return Err(Error::input(format!(
                "{} input line{} could not be read",
                self.bad_lines,
                if self.bad_lines == 1 { "" } else { "s" }
            )));
        }
        Ok(())
    }

    fn cancelled(&self) -> bool {
        self.env.cancel.load(Ordering::SeqCst)
    }

    fn out(&self) -> MutexGuard<'_, Writer<Box<dyn Write + Send>>> {
        // A panic while holding the lock leaves the writer usable.
        self.out.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn bad(&mut self, no: u64, msg: &str) -> Result<(), Error> {
        self.bad_lines += 1;
        self.out().bad_line(SOURCE, no, msg)
    }

    fn line(&mut self, no: u64, text: &str) -> Result<(), Error> {
        let kind = match protocol::line_type(text) {
            Ok(k) => k,
            Err(e) => return self.bad(no, &format!("line {no}: {e}")),
        };
        match kind.as_str() {
            "tool_result" => {
                #[derive(Deserialize)]
                struct Id {
                    call_id: String,
                }
                match serde_json::from_str::<Id>(text) {
                    Ok(r) if self.seen.contains(&r.call_id) => Ok(()),
                    _ => self.out().pass(text),
                }
            }
            "assistant" => {
                self.out().pass(text)?;
                self.assistant(no, text)
            }
            protocol::ROUND_END => {
                // The round's results first, then the line that closes it:
                // the recorder syncs and reports the round when it sees it.
                self.run_ready(Close::Round)?;
                self.seen.clear();
                self.out().pass(text)
            }
            "permission" => {
                self.out().pass(text)?;
                match serde_json::from_str::<Permission>(text) {
                    Ok(p) => {
                        self.decide(p);
                        Ok(())
                    }
                    Err(e) => self.bad(no, &format!("line {no}: bad permission event: {e}")),
                }
            }
            _ => self.out().pass(text),
        }
    }

    /// Queues the tool calls of an assistant message.
    fn assistant(&mut self, no: u64, text: &str) -> Result<(), Error> {
        #[derive(Deserialize)]
        struct Message {
            #[serde(default)]
            content: Vec<Value>,
        }
        let m: Message = match serde_json::from_str(text) {
            Ok(m) => m,
            Err(e) => return self.bad(no, &format!("line {no}: bad assistant event: {e}")),
        };
        let mut slots = Vec::new();
        for block in &m.content {
            if block.get("type").and_then(Value::as_str) != Some("tool_call") {
                continue;
            }
            let Some(id) = block.get("id").and_then(Value::as_str) else {
                self.bad(
                    no,
                    &format!("line {no}: a tool_call block has no string \"id\""),
                )?;
                continue;
            };
            let call = ToolCall {
                id: id.to_string(),
                name: block
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                arguments: block.get("arguments").cloned().unwrap_or(Value::Null),
                signature: None,
            };
            self.seen.insert(call.id.clone());
            slots.push(Slot {
                call,
                decision: None,
            });
        }
        if !slots.is_empty() {
            self.queue.push_back(slots);
        }
        Ok(())
    }

    /// Records a decision on the first queued call with its id that has none.
    fn decide(&mut self, p: Permission) {
        let slot = self
            .queue
            .iter_mut()
            .flat_map(|m| m.iter_mut())
            .find(|s| s.call.id == p.call_id && s.decision.is_none());
        if let Some(s) = slot {
            s.decision = Some(p);
        }
    }

    /// Runs the queued messages at the head whose calls are all decided
    /// (all of them at the end of a round or of the input).
    fn run_ready(&mut self, close: Close) -> Result<(), Error> {
        while let Some(m) = self.queue.front() {
            let ready =
                close != Close::Open || !self.check || m.iter().all(|s| s.decision.is_some());
            if !ready {
                break;
            }
            let Some(m) = self.queue.pop_front() else {
                break;
            };
            self.run_message(&m, close)?;
        }
        Ok(())
    }

    /// Why a call may not run, or `None` when it may. `close` says what
    /// ended the wait for a decision that never came.
    fn refusal(&self, s: &Slot, close: Close) -> Option<String> {
        if self.cancelled() {
            return Some("not run: zs-tool was interrupted".into());
        }
        if !self.check {
            return None;
        }
        match &s.decision {
            Some(p) if p.decision == Decision::Allow => None,
            Some(p) => {
                let mut msg = "permission denied".to_string();
                match &p.rule {
                    Some(r) => msg.push_str(&format!(" by rule '{r}'")),
                    None if !p.by.is_empty() => msg.push_str(&format!(" by {}", p.by)),
                    None => {}
                }
                if let Some(r) = p.reason.as_deref().filter(|r| !r.is_empty()) {
                    msg.push_str(&format!(": {r}"));
                }
                Some(msg)
            }
            None => Some(format!(
                "not run: the call was never approved (no permission decision arrived before \
                 the end of {}; zs-perm decides, or --no-permission-check turns checks off)",
                if close == Close::Round {
                    "its round"
                } else {
                    "input"
                }
            )),
        }
    }

    fn parallel(&self, s: &Slot) -> bool {
        spec::find(&s.call.name).is_some_and(|t| t.effect == Effect::Read)
    }

    /// Runs one message's calls and writes their results in call order.
    fn run_message(&self, slots: &[Slot], close: Close) -> Result<(), Error> {
        let mut i = 0;
        while i < slots.len() {
            if let Some(why) = self.refusal(&slots[i], close) {
                self.emit(call::refuse(&slots[i].call, why))?;
                i += 1;
                continue;
            }
            let mut j = i + 1;
            if self.parallel(&slots[i]) {
                while j < slots.len()
                    && j - i < self.env.settings.max_parallel.max(1)
                    && self.refusal(&slots[j], close).is_none()
                    && self.parallel(&slots[j])
                {
                    j += 1;
                }
            }
            if j == i + 1 {
                let result = self.run_one(&slots[i].call);
                self.emit(result)?;
            } else {
                let results: Vec<ToolResult> = std::thread::scope(|scope| {
                    let handles: Vec<_> = slots[i..j]
                        .iter()
                        .map(|s| scope.spawn(|| call::run(self.env, &s.call, None)))
                        .collect();
                    handles
                        .into_iter()
                        .zip(&slots[i..j])
                        .map(|(h, s)| {
                            h.join().unwrap_or_else(|_| {
                                call::refuse(
                                    &s.call,
                                    "internal error: the call's thread failed".into(),
                                )
                            })
                        })
                        .collect()
                });
                for r in results {
                    self.emit(r)?;
                }
            }
            i = j;
        }
        Ok(())
    }

    /// Runs one call, streaming its output as `tool_output` events.
    fn run_one(&self, c: &ToolCall) -> ToolResult {
        let stream = |text: &str| -> bool {
            self.out()
                .emit(&Event::ToolOutput(ToolOutput {
                    call_id: c.id.clone(),
                    text: text.to_string(),
                }))
                .is_ok()
        };
        call::run(self.env, c, Some(&stream))
    }

    fn emit(&self, r: ToolResult) -> Result<(), Error> {
        self.out().emit(&Event::ToolResult(r))
    }

    /// Writes an "interrupted" result for every call not yet run, then
    /// ends the run with the interrupted status.
    fn interrupted(&mut self) -> Result<(), Error> {
        while let Some(m) = self.queue.pop_front() {
            for s in &m {
                self.emit(call::refuse(
                    &s.call,
                    "not run: zs-tool was interrupted".into(),
                ))?;
            }
        }
        Err(Error::new(Kind::Interrupted, "interrupted"))
    }
}
