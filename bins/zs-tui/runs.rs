//! The app's children: a turn (the wrapper with --json, rendered as it
//! streams), a `!cmd` shell command (its output shown, then given to the
//! next prompt as context) and a /btw side question. Each start gets a new
//! number, and events of an older child are dropped.

use crate::app::{App, Child};
use crate::capped::{Capped, ceil_boundary, floor_boundary};
use crate::events::{self, Msg};
use crate::markdown::Markdown;
use crate::pipeline::{self, Run, RunEvent};
use crate::transcript::Kind;
use serde_json::Value;

/// Stderr lines kept per child, for the error when it fails, and the bytes
/// kept of each.
const STDERR_KEPT: usize = 5;
const STDERR_LINE: usize = 2048;
/// The most shell output given to the model, in bytes: the start and the
/// end are kept (errors and summaries tend to be at the end).
const SHELL_CONTEXT_HEAD: usize = 4 * 1024;
const SHELL_CONTEXT_TAIL: usize = 12 * 1024;

impl App {
    fn callback(&self, child: events::Child) -> impl Fn(RunEvent) + Send + Sync + 'static {
        let tx = self.tx.clone();
        move |ev| {
            let _ = tx.send(Msg::Run(child, ev));
        }
    }

    /// Runs the turn loop on `text`, with the output of earlier `!cmd`s in
    /// front of it.
    pub fn start_turn(&mut self, text: String) {
        self.transcript.user(&text);
        self.view.scroll_bottom();
        let mut prompt = String::new();
        for c in self.shell_context.drain(..) {
            prompt.push_str(&c);
            prompt.push_str("\n\n");
        }
        prompt.push_str(&text);
        let argv = pipeline::turn_argv(&self.bins.wrapper, &self.opts, &prompt);
        // The store in use (the throwaway one of --no-session) and the
        // ask socket.
        let mut env = self.sessions.env();
        if let Some(p) = &self.ask_path {
            env.push((pipeline::ASK_SOCKET_ENV.into(), p.clone().into_os_string()));
        }
        let id = self.next_id();
        match Run::start(
            &argv,
            &env,
            &self.cwd,
            self.callback(events::Child::Turn(id)),
        ) {
            Ok(run) => {
                self.turn = Some(Child::new(run, id, self.transcript.entries.len()));
            }
            Err(e) => {
                self.transcript
                    .error(format!("cannot run {}: {e}", self.bins.wrapper.display()));
            }
        }
    }

    /// Ctrl-C on a run: the whole process group gets SIGINT (SIGKILL after
    /// a grace period), the stages store what they have, the queue is
    /// dropped.
    pub fn interrupt_turn(&mut self) {
        if let Some(t) = &mut self.turn {
            t.interrupted = true;
            t.run.interrupt();
        }
        if !self.queue.is_empty() {
            let n = self.queue.len();
            self.queue.clear();
            self.transcript.notice(format!(
                "queue cleared ({n} prompt{})",
                if n == 1 { "" } else { "s" }
            ));
        }
    }

    pub fn child_event(&mut self, child: events::Child, ev: RunEvent) {
        match child {
            events::Child::Turn(id) if self.turn.as_ref().is_some_and(|t| t.id == id) => {
                self.turn_event(ev)
            }
            events::Child::Shell(id) if self.shell.as_ref().is_some_and(|t| t.id == id) => {
                self.shell_event(ev)
            }
            events::Child::Btw(id) if self.btw.as_ref().is_some_and(|t| t.id == id) => {
                self.btw_event(ev)
            }
            events::Child::Compact(id) if self.compact.as_ref().is_some_and(|t| t.id == id) => {
                self.compact_event(ev)
            }
            _ => {}
        }
    }

    fn turn_event(&mut self, ev: RunEvent) {
        match ev {
            RunEvent::Line(l) => {
                if let Some(t) = &mut self.turn
                    && zerostack::protocol::line_type(&l).is_ok_and(|k| k == "error")
                {
                    t.reported = true;
                }
                let a = self.transcript.apply(&l, false);
                self.applied(a);
            }
            RunEvent::Stderr(l) => keep_stderr(self.turn.as_mut().map(|c| &mut c.stderr), l),
            RunEvent::Exited(code) => {
                let Some(t) = self.turn.take() else { return };
                self.transcript.end_round();
                // The asks of this run can no longer be answered.
                self.dialog = None;
                self.asks.clear();
                match code {
                    Some(0) => {}
                    Some(130) | None if t.interrupted => {
                        self.transcript.notice("interrupted");
                    }
                    Some(130) => {
                        self.transcript.notice("interrupted");
                    }
                    None => {
                        self.transcript.error("the run was killed by a signal");
                    }
                    // The stage said why in an `error` event, already shown;
                    // the wrapper's own line would say it again, vaguer.
                    Some(_) if t.reported => {}
                    Some(n) => {
                        let msg = failure(&t.stderr)
                            .unwrap_or_else(|| format!("the run failed (exit {n})"));
                        self.transcript.error(msg);
                    }
                }
                self.refresh_stats();
                let stopped = t.interrupted || code == Some(130);
                if !stopped {
                    self.next_in_queue();
                }
            }
        }
    }

    /// Starts the oldest queued prompt, if nothing else runs.
    /// Starts the oldest queued prompt (or a queued /compact), if nothing
    /// else runs; one that cannot start (a /compact without a session)
    /// makes way for the next.
    pub fn next_in_queue(&mut self) {
        while !self.busy() && !self.queue.is_empty() {
            let next = self.queue.remove(0);
            if next == crate::slash::COMPACT {
                self.slash(crate::commands::Slash::Compact);
            } else {
                self.start_turn(next);
            }
        }
    }

    /// `!cmd`: run through the shell in the project folder; one at a time.
    pub fn start_shell(&mut self, cmd: &str) {
        if cmd.is_empty() {
            self.transcript
                .error("give a command after ! (e.g. !git status)");
            return;
        }
        if self.shell.is_some() {
            self.transcript
                .error("a shell command is still running (Ctrl-C stops it)");
            return;
        }
        let entry = self.transcript.push(Kind::Shell {
            cmd: cmd.to_string(),
            output: Capped::new(),
            code: None,
        });
        self.view.scroll_bottom();
        let id = self.next_id();
        match Run::start(
            &pipeline::shell_argv(cmd),
            &[],
            &self.cwd,
            self.callback(events::Child::Shell(id)),
        ) {
            Ok(run) => {
                self.shell = Some(Child::new(run, id, entry));
            }
            Err(e) => {
                if let Some(Kind::Shell { output, code, .. }) = self.transcript.get_mut(entry) {
                    output.push_str(&format!("cannot run the shell: {e}"));
                    *code = Some(Some(127));
                }
            }
        }
    }

    fn shell_event(&mut self, ev: RunEvent) {
        let Some(entry) = self.shell.as_ref().map(|s| s.entry) else {
            return;
        };
        match ev {
            RunEvent::Line(l) | RunEvent::Stderr(l) => {
                if let Some(Kind::Shell { output, .. }) = self.transcript.get_mut(entry) {
                    output.push_str(&l);
                    output.push_str("\n");
                }
            }
            RunEvent::Exited(c) => {
                self.shell = None;
                if let Some(Kind::Shell { cmd, output, code }) = self.transcript.get_mut(entry) {
                    *code = Some(c);
                    let ctx = shell_context(cmd, c, output);
                    self.shell_context.push(ctx);
                }
            }
        }
    }

    /// /btw: a side question on a fork of the context, answered inline by
    /// zs-chat alone and never recorded; it may run beside a turn.
    pub fn start_btw(&mut self, question: &str) {
        if self.btw.is_some() {
            self.transcript
                .error("a /btw question is still being answered (Esc cancels it)");
            return;
        }
        let Some(chat) = self.bins.zs_chat.clone() else {
            self.transcript
                .error("cannot find zs-chat beside zs-tui or in PATH, which /btw needs");
            return;
        };
        let entry = self.transcript.push(Kind::Btw {
            question: question.to_string(),
            answer: Markdown::new(),
            done: false,
            error: None,
        });
        self.view.scroll_bottom();
        let id = self.next_id();
        let args = pipeline::chat_args(&self.opts);
        match crate::btw::start(
            &self.sessions,
            &chat,
            self.opts.session.as_deref(),
            question,
            &args,
            self.callback(events::Child::Btw(id)),
        ) {
            Ok(run) => {
                self.btw = Some(Child::new(run, id, entry));
            }
            Err(e) => {
                if let Some(Kind::Btw { done, error, .. }) = self.transcript.get_mut(entry) {
                    *done = true;
                    *error = Some(format!("error: {e}"));
                }
            }
        }
    }

    /// Esc (or Ctrl-C with no run active) while /btw streams.
    pub fn cancel_btw(&mut self) {
        if let Some(b) = &mut self.btw {
            b.interrupted = true;
            b.run.interrupt();
        }
    }

    fn btw_event(&mut self, ev: RunEvent) {
        let Some(entry) = self.btw.as_ref().map(|b| b.entry) else {
            return;
        };
        match ev {
            RunEvent::Line(l) => {
                let Ok(v) = serde_json::from_str::<Value>(&l) else {
                    return;
                };
                let text = v.get("text").and_then(Value::as_str).unwrap_or("");
                let kind = v.get("type").and_then(Value::as_str).unwrap_or("");
                let Some(Kind::Btw { answer, error, .. }) = self.transcript.get_mut(entry) else {
                    return;
                };
                match kind {
                    "text_delta" => answer.push_str(text),
                    "assistant" => {
                        let full = btw_text(&v);
                        if full != answer.text() && !full.is_empty() {
                            let mut m = Markdown::new();
                            m.push_str(&full);
                            *answer = m;
                        }
                    }
                    "error" => {
                        let msg = v.get("message").and_then(Value::as_str).unwrap_or("failed");
                        *error = Some(format!("error: {msg}"));
                    }
                    _ => {}
                }
            }
            RunEvent::Stderr(l) => keep_stderr(self.btw.as_mut().map(|c| &mut c.stderr), l),
            RunEvent::Exited(code) => {
                let Some(b) = self.btw.take() else { return };
                if let Some(Kind::Btw {
                    done,
                    error,
                    answer,
                    ..
                }) = self.transcript.get_mut(entry)
                {
                    *done = true;
                    if b.interrupted || code == Some(130) {
                        *error = Some("cancelled".into());
                    } else if code != Some(0) && error.is_none() {
                        *error = Some(format!(
                            "error: {}",
                            failure(&b.stderr).unwrap_or_else(|| "no answer".into())
                        ));
                    } else if answer.text().trim().is_empty() && error.is_none() {
                        *error = Some("(no answer)".into());
                    }
                }
            }
        }
    }

    /// /compact as a child of its own, so Ctrl-C can stop it: `zs-session
    /// compact` summarizes through zs-chat and writes the `compaction`
    /// line, or nothing when there was nothing to compact.
    pub fn start_compact(&mut self, session: &str) {
        let args = pipeline::chat_args(&self.opts);
        let argv = self.sessions.compact_argv(session, &args);
        let env = self.sessions.env();
        let id = self.next_id();
        match Run::start(
            &argv,
            &env,
            &self.cwd,
            self.callback(events::Child::Compact(id)),
        ) {
            Ok(run) => {
                self.transcript.notice("compacting…");
                self.compact = Some(Child::new(run, id, usize::MAX));
            }
            Err(e) => {
                self.transcript
                    .error(format!("cannot run zs-session compact: {e}"));
            }
        }
    }

    fn compact_event(&mut self, ev: RunEvent) {
        match ev {
            RunEvent::Line(l) => {
                if let Some(c) = &mut self.compact
                    && zerostack::protocol::line_type(&l).is_ok_and(|k| k == "compaction")
                {
                    c.out = Some(l);
                }
            }
            RunEvent::Stderr(l) => keep_stderr(self.compact.as_mut().map(|c| &mut c.stderr), l),
            RunEvent::Exited(code) => {
                let Some(c) = self.compact.take() else { return };
                match code {
                    Some(0) if c.out.is_some() => {
                        self.transcript.notice("compacted");
                        self.refresh_stats();
                    }
                    Some(0) => {
                        self.transcript.notice("nothing to compact");
                    }
                    _ if c.interrupted || code == Some(130) => {
                        self.transcript.notice("compaction cancelled");
                    }
                    _ => {
                        let why = failure(&c.stderr).unwrap_or_else(|| match code {
                            Some(n) => format!("exit {n}"),
                            None => "killed by a signal".into(),
                        });
                        self.transcript.error(format!("compact: {why}"));
                    }
                }
                self.next_in_queue();
            }
        }
    }
}

/// Keeps a child's stderr `line` among its last ones (`kept`).
fn keep_stderr(kept: Option<&mut Vec<String>>, mut line: String) {
    if let Some(kept) = kept
        && !line.trim().is_empty()
    {
        if kept.len() == STDERR_KEPT {
            kept.remove(0);
        }
        // An error message is a line; whatever is longer is not worth more.
        line.truncate(floor_boundary(&line, STDERR_LINE));
        kept.push(line);
    }
}

/// The message of a failed child from its last stderr line, without the
/// program's own `name: error: ` prefix (the row says `error: `).
fn failure(stderr: &[String]) -> Option<String> {
    let last = stderr.last()?;
    let mut s = last.trim();
    if let Some((head, rest)) = s.split_once(": ")
        && !head.contains(' ')
    {
        s = rest;
    }
    let s = s.strip_prefix("error: ").unwrap_or(s);
    Some(s.to_string())
}

/// The text of a zs-chat `assistant` line.
fn btw_text(v: &Value) -> String {
    let mut s = String::new();
    for b in v
        .get("content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if b.get("type").and_then(Value::as_str) == Some("text")
            && let Some(t) = b.get("text").and_then(Value::as_str)
        {
            s.push_str(t);
        }
    }
    s
}

/// What the next prompt is told about a `!cmd`: the command, its exit code
/// and its output, cut in the middle past 16 KB.
pub fn shell_context(cmd: &str, code: Option<i32>, output: &Capped) -> String {
    let status = match code {
        Some(n) => format!("exit {n}"),
        None => "killed by a signal".into(),
    };
    let text = output.text();
    // The kept text starts with the output's start and ends with its end
    // (what the transcript dropped is in the middle, cut here too).
    let out = if output.seen() > SHELL_CONTEXT_HEAD + SHELL_CONTEXT_TAIL {
        let head = floor_boundary(&text, SHELL_CONTEXT_HEAD);
        let tail = ceil_boundary(&text, text.len().saturating_sub(SHELL_CONTEXT_TAIL));
        let kept = head + (text.len() - tail);
        format!(
            "{}\n[... {} bytes cut ...]\n{}",
            &text[..head],
            output.seen().saturating_sub(kept),
            &text[tail..]
        )
    } else {
        text.into_owned()
    };
    let out = out.strip_suffix('\n').unwrap_or(&out);
    // A fence longer than any backtick run in the output keeps it closed.
    let mut fence = "```".to_string();
    while out.contains(fence.as_str()) {
        fence.push('`');
    }
    format!("I ran `{cmd}` ({status}):\n{fence}\n{out}\n{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_output_becomes_context() {
        assert_eq!(
            shell_context("ls", Some(0), &Capped::from("a\nb\n")),
            "I ran `ls` (exit 0):\n```\na\nb\n```"
        );
        let c = shell_context("cat x.md", Some(1), &Capped::from("```rust\nfn\n```\n"));
        assert!(c.starts_with("I ran `cat x.md` (exit 1):\n````\n"), "{c}");
        assert!(c.ends_with("\n````"), "{c}");
    }

    #[test]
    fn long_shell_output_is_cut_in_the_middle() {
        let out = format!("{}{}", "a".repeat(10_000), "é".repeat(10_000));
        let c = shell_context("x", None, &Capped::from(out.as_str()));
        assert!(c.contains("(killed by a signal)"));
        assert!(c.contains(&format!("[... {} bytes cut ...]", 30_000 - 16 * 1024)));
        assert!(c.len() < 17 * 1024, "{}", c.len());
        assert!(c.trim_end_matches("\n```").ends_with('é'));
        // Longer than the transcript keeps: the count is of the whole.
        let mut big = Capped::from("START\n");
        for _ in 0..100_000 {
            big.push_str("0123456789\n");
        }
        big.push_str("END\n");
        let c = shell_context("x", Some(0), &big);
        assert!(c.contains("\nSTART\n0123456789\n"), "{}", &c[..60]);
        assert!(c.ends_with("0123456789\nEND\n```"));
        assert!(c.contains(&format!("[... {} bytes cut ...]", big.seen() - 16 * 1024)));
        assert!(!c.contains("not kept"));
    }

    #[test]
    fn stderr_keeps_the_last_lines_each_cut_short() {
        let mut kept = Vec::new();
        for i in 0..8 {
            keep_stderr(Some(&mut kept), format!("line {i}"));
        }
        keep_stderr(Some(&mut kept), "   ".into());
        assert_eq!(kept, ["line 3", "line 4", "line 5", "line 6", "line 7"]);
        keep_stderr(Some(&mut kept), "é".repeat(10_000));
        let last = kept.last().unwrap();
        assert!(last.len() <= STDERR_LINE && last.len() > STDERR_LINE - 2);
        keep_stderr(None, "nobody keeps it".into());
    }

    #[test]
    fn failures_read_from_the_last_stderr_line() {
        let lines = vec![
            "noise".to_string(),
            "zerostack: error: the model call failed (zs-chat exit 4)".to_string(),
        ];
        assert_eq!(
            failure(&lines).as_deref(),
            Some("the model call failed (zs-chat exit 4)")
        );
        assert_eq!(
            failure(&["zs-session: error: no session 'x'".to_string()]).as_deref(),
            Some("no session 'x'")
        );
        assert_eq!(failure(&[]), None);
    }
}
