//! The filter: every line passes through unchanged and in order; after an
//! `assistant` line comes one `permission` line per tool call in it.
//!
//! A `permission` line arriving from upstream is dropped with a warning:
//! only this stage decides, and zs-tool acts on the decisions it sees, so a
//! forged or stale one must not reach it.
//!
//! The doom-loop history is kept in memory and written to the session
//! folder when a `round_end` line closes a round (before that line is
//! passed on, so the round's history is on disk when the round ends) and
//! at the end of input; only when a call changed it.

use crate::app::Setup;
use crate::args::{Args, Policy};
use crate::ask::{self, Answer, Asker, Outcome, Via};
use crate::decide::{By, Verdict};
use crate::policy::{Action, Mode};
use crate::state::{AllowEntry, History};
use serde::Deserialize;
use serde_json::{Map, Value};
use zerostack::cli;
use zerostack::error::Error;
use zerostack::lines::{Input, LineReader, Writer};
use zerostack::protocol::{Decision, Permission, ROUND_END};

/// Only what zs-perm needs of an assistant line; other fields are skipped.
#[derive(Deserialize)]
struct Msg {
    #[serde(default)]
    content: Vec<Block>,
}

#[derive(Deserialize)]
struct Block {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<Value>,
}

struct Filter<W: std::io::Write> {
    setup: Setup,
    out: Writer<W>,
    asker: Asker,
    policy: Policy,
    history: History,
    history_dirty: bool,
}

pub fn run(args: &Args, setup: Setup) -> Result<(), Error> {
    let socket = std::env::var_os("ZS_ASK_SOCKET")
        .filter(|s| !s.is_empty())
        .map(std::path::PathBuf::from);
    // An explicit --non-interactive means: never prompt on the terminal.
    let use_tty = args.non_interactive.is_none();
    let asker = Asker::new(socket, use_tty, setup.settings.ask_timeout);
    let history = match setup.store.load_history() {
        Ok(h) => h,
        Err(e) => {
            cli::warn("zs-perm", &format!("{e}; starting a new call history"));
            History::default()
        }
    };
    let mut f = Filter {
        setup,
        out: Writer::new(std::io::stdout().lock()),
        asker,
        policy: args.non_interactive.unwrap_or(Policy::Deny),
        history,
        history_dirty: false,
    };
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        // Rather than wait in silence for events a person will not type.
        cli::warn(
            "zs-perm",
            "reading NDJSON events on standard input (Ctrl-D ends; see zs-perm --help)",
        );
    }
    crate::interrupt::install()?;
    let result = f.run(std::io::stdin().lock());
    // Once per round, not per call: each round_end has saved what came
    // before it, and this saves what came after the last one (the whole
    // stream when the wrapper runs one process per round).
    f.save_history();
    match result {
        Ok(()) if crate::interrupt::interrupted() => Err(Error::new(
            zerostack::error::Kind::Interrupted,
            "interrupted",
        )),
        r => r,
    }
}

impl<W: std::io::Write> Filter<W> {
    fn run(&mut self, input: impl std::io::BufRead) -> Result<(), Error> {
        let mut bad = 0u64;
        for item in LineReader::new(input) {
            match item? {
                Input::Bad { no, error } => {
                    bad += 1;
                    self.out.bad_line("zs-perm", no, &error)?;
                }
                Input::Line { no, text } => match zerostack::protocol::line_type(&text) {
                    Ok(t) if t == "assistant" => {
                        self.out.pass(&text)?;
                        if let Err(e) = self.assistant(&text) {
                            if e.kind != zerostack::error::Kind::Input {
                                return Err(e);
                            }
                            bad += 1;
                            self.out.bad_line(
                                "zs-perm",
                                no,
                                &format!("line {no}: {}", e.message),
                            )?;
                        }
                    }
                    Ok(t) if t == ROUND_END => {
                        // The next process (or the wrapper, once the round
                        // is over) may read the history: it goes to disk
                        // before the round ends downstream.
                        self.save_history();
                        self.out.pass(&text)?;
                    }
                    Ok(t) if t == "permission" => cli::warn(
                        "zs-perm",
                        &format!(
                            "line {no}: dropped a permission event from upstream: only zs-perm decides"
                        ),
                    ),
                    Ok(_) => self.out.pass(&text)?,
                    Err(e) => {
                        bad += 1;
                        self.out
                            .bad_line("zs-perm", no, &format!("line {no}: {e}"))?;
                    }
                },
            }
        }
        if bad > 0 {
            return Err(Error::input(format!(
                "{bad} input line{} could not be used",
                if bad == 1 { "" } else { "s" }
            )));
        }
        Ok(())
    }

    fn save_history(&mut self) {
        if self.history_dirty {
            self.history_dirty = false;
            if let Err(e) = self.setup.store.save_history(&self.history) {
                cli::warn("zs-perm", &e);
            }
        }
    }

    /// Decisions for the tool calls of one assistant line. An error of kind
    /// input is about the line; others stop the stage.
    fn assistant(&mut self, text: &str) -> Result<(), Error> {
        let msg: Msg = serde_json::from_str(text)
            .map_err(|e| Error::input(format!("not a valid assistant message: {e}")))?;
        let mut missing_id = false;
        for b in msg.content.iter().filter(|b| b.kind == "tool_call") {
            let Some(id) = &b.id else {
                missing_id = true;
                continue;
            };
            let args = b.arguments.clone().unwrap_or(Value::Null);
            let p = match &b.name {
                Some(name) if !name.is_empty() => self.call(id, name, &args)?,
                _ => permission(
                    id,
                    Verdict {
                        action: Action::Deny,
                        by: By::Policy,
                        rule: "arguments must be checkable".into(),
                        reason: "cannot check this call: it names no tool".into(),
                    },
                    Map::new(),
                ),
            };
            self.out.emit(&zerostack::protocol::Event::Permission(p))?;
        }
        if missing_id {
            return Err(Error::input(
                "a tool call has no id, so it gets no decision",
            ));
        }
        Ok(())
    }

    /// The decision on one call: rules and mode, the doom-loop guard, then
    /// asking when needed.
    fn call(&mut self, id: &str, tool: &str, args: &Value) -> Result<Permission, Error> {
        let outcome = self.setup.engine().decide(tool, args, false);
        let mut v = outcome.verdict;
        let mut always = outcome.always;
        let mut extra = Map::new();
        extra.insert("mode".into(), Value::from(self.setup.mode.name()));
        // After a Ctrl-C nothing runs, whatever the mode or the flags say;
        // the call is not counted for the doom-loop guard either.
        if crate::interrupt::interrupted() {
            v = Verdict {
                action: Action::Deny,
                by: By::Policy,
                rule: v.rule,
                reason: crate::interrupt::REASON.into(),
            };
            return Ok(permission(id, v, extra));
        }
        if self.setup.skip {
            return Ok(permission(id, v, extra));
        }
        let doom = self.setup.settings.doom;
        let mut repeated = None;
        let repeats = if doom.threshold > 0 {
            self.history_dirty = true;
            self.history.record(tool, args)
        } else {
            0
        };
        if doom.threshold > 0 && repeats >= doom.threshold {
            repeated = Some(repeats);
            extra.insert("repeats".into(), Value::from(repeats));
            let note = format!(
                "this exact {tool} call has now been made {repeats} times in a row; repeating it will likely give the same result, so try something else"
            );
            if v.action == Action::Allow && doom.action != Action::Allow {
                v = Verdict {
                    action: doom.action,
                    by: By::DoomLoop,
                    rule: format!(
                        "doom_loop {} ({} in a row)",
                        doom.action.name(),
                        doom.threshold
                    ),
                    reason: note,
                };
                // The call itself was allowed; nothing to store.
                always.clear();
            } else {
                v.reason = format!("{}; {note}", v.reason);
            }
        }
        if v.action == Action::Ask {
            v = self.ask(id, tool, args, (v, always, repeated), &mut extra)?;
        }
        Ok(permission(id, v, extra))
    }

    fn ask(
        &mut self,
        id: &str,
        tool: &str,
        args: &Value,
        // The verdict that asks, what "always" would store, and how many
        // times in a row the call came (for a doom-loop ask).
        (v, always, repeats): (Verdict, Vec<(String, String)>, Option<u32>),
        extra: &mut Map<String, Value>,
    ) -> Result<Verdict, Error> {
        let req = ask::Request {
            kind: "ask",
            version: ask::ASK_VERSION,
            call_id: id.to_string(),
            tool: tool.to_string(),
            summary: summary(tool, args),
            arguments: ask::abbreviate(args),
            mode: self.setup.mode.name().to_string(),
            rule: v.rule.clone(),
            reason: v.reason.clone(),
            always: always
                .iter()
                .map(|(t, p)| ask::AlwaysPattern {
                    tool: t.clone(),
                    pattern: p.clone(),
                })
                .collect(),
            repeats,
            cwd: self.setup.root.dir.to_string_lossy().into_owned(),
        };
        match self.asker.ask(&req) {
            Outcome::Answered(via, answer) => {
                extra.insert("asked".into(), Value::from(via.name()));
                Ok(self.answered(via, answer, v, extra))
            }
            Outcome::NoAnswer(via, why) => {
                extra.insert("asked".into(), Value::from(via.name()));
                Ok(Verdict {
                    action: Action::Deny,
                    by: By::Policy,
                    rule: v.rule,
                    reason: format!("{}; asked, but {why}, which counts as a denial", v.reason),
                })
            }
            Outcome::Nobody => {
                extra.insert("asked".into(), Value::from("policy"));
                self.policy_verdict(id, tool, args, v, &req.always)
            }
        }
    }

    fn answered(
        &mut self,
        via: Via,
        answer: Answer,
        v: Verdict,
        extra: &mut Map<String, Value>,
    ) -> Verdict {
        let on = match via {
            Via::Socket => "the front end",
            Via::Tty => "the terminal",
        };
        match answer {
            Answer::Once => Verdict {
                action: Action::Allow,
                by: By::User,
                rule: v.rule,
                reason: format!("allowed once on {on} ({})", v.reason),
            },
            Answer::Always(pats) => {
                let entries: Vec<AllowEntry> = pats
                    .iter()
                    .map(|p| AllowEntry {
                        tool: p.tool.clone(),
                        pattern: p.pattern.clone(),
                    })
                    .collect();
                if !entries.is_empty() {
                    if let Err(e) = self.setup.store.add_allowlist(&entries) {
                        cli::warn("zs-perm", &e);
                    }
                    self.setup.add_entries(&entries);
                    extra.insert(
                        "always".into(),
                        Value::Array(
                            entries
                                .iter()
                                .map(|e| serde_json::json!({"tool": e.tool, "pattern": e.pattern}))
                                .collect(),
                        ),
                    );
                }
                Verdict {
                    action: Action::Allow,
                    by: By::User,
                    rule: v.rule,
                    reason: format!("allowed for the session on {on} ({})", v.reason),
                }
            }
            Answer::Deny(note) => {
                let reason = match &note {
                    Some(n) => {
                        extra.insert("note".into(), Value::from(n.clone()));
                        format!("denied on {on}: {n}")
                    }
                    None => format!("denied on {on} ({})", v.reason),
                };
                Verdict {
                    action: Action::Deny,
                    by: By::User,
                    rule: v.rule,
                    reason,
                }
            }
        }
    }

    /// Nobody could be asked: the non-interactive policy answers. A denial
    /// says which rule asked and what would allow the call.
    fn policy_verdict(
        &mut self,
        id: &str,
        tool: &str,
        args: &Value,
        v: Verdict,
        always: &[ask::AlwaysPattern],
    ) -> Result<Verdict, Error> {
        let flag = format!("--non-interactive {}", self.policy.name());
        match self.policy {
            Policy::Allow => Ok(Verdict {
                action: Action::Allow,
                by: By::Policy,
                rule: v.rule,
                reason: format!("{}; nobody to ask, allowed by {flag}", v.reason),
            }),
            Policy::Deny | Policy::Fail => {
                let hint = self.what_would_allow(tool, args, &v, always);
                let reason = format!(
                    "{} (rule: {}); nobody could be asked ({}), so {flag} denied it; {hint}",
                    v.reason,
                    v.rule,
                    if self.asker.describe() == "nobody" {
                        "no ZS_ASK_SOCKET and no terminal prompt".to_string()
                    } else {
                        format!("{} did not answer", self.asker.describe())
                    }
                );
                if self.policy == Policy::Fail {
                    let p = permission(
                        id,
                        Verdict {
                            action: Action::Deny,
                            by: By::Policy,
                            rule: v.rule.clone(),
                            reason: reason.clone(),
                        },
                        Map::new(),
                    );
                    self.out.emit(&zerostack::protocol::Event::Permission(p))?;
                    return Err(Error::failure(format!(
                        "call {id} ({tool}) needs approval and --non-interactive fail is set: {reason}"
                    )));
                }
                Ok(Verdict {
                    action: Action::Deny,
                    by: By::Policy,
                    rule: v.rule,
                    reason,
                })
            }
        }
    }

    /// Names the flags and rules that would let the call through.
    fn what_would_allow(
        &self,
        tool: &str,
        args: &Value,
        v: &Verdict,
        always: &[ask::AlwaysPattern],
    ) -> String {
        let mut ways = Vec::new();
        if v.by != By::DoomLoop {
            for (mode, flag) in [(Mode::Standard, "--mode standard"), (Mode::Yolo, "--yolo")] {
                if mode != self.setup.mode
                    && self
                        .setup
                        .engine_in(mode)
                        .decide(tool, args, false)
                        .verdict
                        .action
                        == Action::Allow
                {
                    ways.push(flag.to_string());
                    break;
                }
            }
        }
        ways.push("--non-interactive allow".to_string());
        if let Some(a) = always.first()
            && v.by != By::DoomLoop
        {
            ways.push(format!(
                "the config rule {}",
                serde_json::json!({"tool": a.tool, "pattern": a.pattern, "action": "allow"})
            ));
        }
        if ways.len() == 1 && v.by != By::DoomLoop {
            ways.push("--dangerously-skip-permissions".into());
        }
        format!("to allow it use {}", ways.join(", or "))
    }
}

fn permission(id: &str, v: Verdict, extra: Map<String, Value>) -> Permission {
    Permission {
        call_id: id.to_string(),
        decision: if v.action == Action::Allow {
            Decision::Allow
        } else {
            Decision::Deny
        },
        by: v.by.name().to_string(),
        rule: Some(v.rule),
        reason: Some(v.reason),
        extra,
    }
}

/// One line saying what the call does, for a prompt.
pub fn summary(tool: &str, args: &Value) -> String {
    let s = |k: &str| args.get(k).and_then(Value::as_str).map(str::to_string);
    let text = match tool {
        "bash" => s("command"),
        "read" | "write" | "edit" | "multiedit" => s("path"),
        "grep" => {
            s("pattern").map(|p| format!("{p} in {}", s("path").unwrap_or_else(|| ".".into())))
        }
        "find_files" => s("pattern"),
        "list_dir" => Some(s("path").unwrap_or_else(|| ".".into())),
        "apply_patch" => s("patch").map(|p| crate::subject::patch_paths(&p).join(", ")),
        "webfetch" => s("url"),
        "websearch" => s("query"),
        _ => None,
    }
    .unwrap_or_else(|| {
        let t = args.to_string();
        if t == "null" || t == "{}" {
            String::new()
        } else {
            t
        }
    });
    let one_line = text.replace('\n', "⏎");
    if one_line.chars().count() > 300 {
        let cut: String = one_line.chars().take(300).collect();
        format!("{cut}…")
    } else {
        one_line
    }
}
