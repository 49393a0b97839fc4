//! What the slash commands do. `commands.rs` owns the table and the
//! parser; a new command is a row there, a `Slash` variant, and an arm
//! here.

use crate::app::{App, Overlay, SessionDetails};
use crate::commands::{MODES, QueueCmd, SessionCmd, Slash, THINKING};
use crate::picker::{Item, Picker};
use std::path::Path;

/// Sessions the picker lists.
const SESSIONS_LISTED: usize = 50;

/// /compact as it stands in the queue.
pub const COMPACT: &str = "/compact";

impl App {
    pub fn slash(&mut self, cmd: Slash) {
        self.view.scroll_bottom();
        match cmd {
            Slash::Model(m) => self.set_option("model", m),
            Slash::Provider(p) => self.set_option("provider", p),
            Slash::Thinking(t) => match t {
                Some(t) if !THINKING.contains(&t.as_str()) => {
                    self.transcript.error(format!(
                        "/thinking takes off, low, medium or high, not '{t}'"
                    ));
                }
                t => self.set_option("thinking", t),
            },
            Slash::Prompt(Some(p)) => self.set_prompt(&p),
            Slash::Prompt(None) => self.open_prompt_picker(),
            Slash::Mode(Some(m)) => self.set_mode(&m),
            Slash::Mode(None) => {
                let items = MODES
                    .iter()
                    .map(|m| Item {
                        label: m.to_string(),
                        detail: mode_help(m).to_string(),
                    })
                    .collect();
                self.transcript
                    .notice(format!("mode: {}", self.status.mode));
                self.overlay = Overlay::Modes(Picker::new(items));
            }
            Slash::Clear => self.new_session(),
            Slash::Session(s) => self.session_cmd(s),
            Slash::Compact => self.compact(),
            Slash::Queue(q) => self.queue_cmd(q),
            Slash::Btw(q) => {
                if q.trim().is_empty() {
                    self.transcript.error("/btw needs a question");
                } else {
                    self.start_btw(q.trim());
                }
            }
            Slash::Export(path) => self.export(path.as_deref()),
            Slash::Help => self.help(),
            Slash::Quit => self.quit = true,
        }
    }

    /// /model, /provider, /thinking: set for the next runs, or show.
    fn set_option(&mut self, what: &str, value: Option<String>) {
        let slot = match what {
            "model" => &mut self.opts.model,
            "provider" => &mut self.opts.provider,
            _ => &mut self.opts.thinking,
        };
        match value {
            Some(v) => {
                *slot = Some(v.clone());
                self.transcript.notice(format!("{what}: {v}"));
            }
            None => {
                let shown = match what {
                    "model" => self.status.model.clone().unwrap_or_else(|| "(none)".into()),
                    "provider" => self.status.provider.clone(),
                    _ => slot.clone().unwrap_or_else(|| "the model's default".into()),
                };
                self.transcript.notice(format!("{what}: {shown}"));
            }
        }
        self.refresh_status();
    }

    pub fn set_mode(&mut self, mode: &str) {
        if !MODES.contains(&mode) {
            self.transcript.error(format!(
                "unknown mode '{mode}' (one of {})",
                MODES.join(", ")
            ));
            return;
        }
        self.opts.mode = Some(mode.to_string());
        self.transcript.notice(format!("mode: {mode}"));
        self.refresh_status();
    }

    pub fn set_prompt(&mut self, name: &str) {
        let known = self.prompt_names();
        if !known.is_empty() && !known.iter().any(|(n, _)| n == name) {
            let names: Vec<&str> = known.iter().map(|(n, _)| n.as_str()).collect();
            self.transcript.error(format!(
                "unknown prompt '{name}' (one of {})",
                names.join(", ")
            ));
            return;
        }
        self.opts.prompt = Some(name.to_string());
        self.transcript.notice(format!("prompt: {name}"));
        self.refresh_status();
    }

    /// `zs-session prompt --list`: a name and where it comes from per line.
    fn prompt_names(&self) -> Vec<(String, String)> {
        let out = std::process::Command::new(&self.bins.zs_session)
            .args(["prompt", "--list"])
            .envs(self.sessions.env())
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output();
        let Ok(out) = out else { return Vec::new() };
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let mut parts = l.splitn(2, '\t');
                let name = parts.next()?.trim();
                (!name.is_empty()).then(|| {
                    (
                        name.to_string(),
                        parts.next().unwrap_or("").trim().to_string(),
                    )
                })
            })
            .collect()
    }

    fn open_prompt_picker(&mut self) {
        self.transcript
            .notice(format!("prompt: {}", self.status.prompt));
        let items = self
            .prompt_names()
            .into_iter()
            .map(|(label, detail)| Item { label, detail })
            .collect();
        self.overlay = Overlay::Prompts(Picker::new(items));
    }

    /// /clear: the next prompt starts a new session.
    fn new_session(&mut self) {
        if self.turn.is_some() {
            self.transcript
                .error("a run is active: Ctrl-C it first, then /clear");
            return;
        }
        self.opts.session = None;
        self.session = SessionDetails::default();
        self.status.context = None;
        self.status.cost = None;
        self.status.cost_unknown = false;
        self.clear_transcript();
        self.shell_context.clear();
        self.view.scroll_bottom();
        self.refresh_status();
        self.transcript
            .notice("new session: the next prompt starts it");
    }

    fn session_cmd(&mut self, cmd: SessionCmd) {
        match cmd {
            SessionCmd::List => self.open_session_picker(),
            SessionCmd::Load(r) => match self.sessions.resolve(&r) {
                Ok(id) => self.load_session(&id),
                Err(e) => {
                    self.transcript.error(e);
                }
            },
            SessionCmd::Rename(name) => {
                let Some(id) = self.need_session() else {
                    return;
                };
                match self.sessions.rename(&id, &name) {
                    Ok(()) => {
                        self.session.name = Some(name.clone());
                        self.refresh_status();
                        self.transcript.notice(format!("session: {name}"));
                    }
                    Err(e) => {
                        self.transcript.error(e);
                    }
                }
            }
            SessionCmd::Fork => {
                let Some(id) = self.need_session() else {
                    return;
                };
                if self.turn.is_some() {
                    self.transcript
                        .error("a run is active: fork when it has ended");
                    return;
                }
                match self.sessions.fork(&id) {
                    Ok(new) => {
                        self.opts.session = Some(new.clone());
                        self.session.id = Some(new.clone());
                        self.session.name = None;
                        self.refresh_status();
                        self.transcript
                            .notice(format!("session: {new} (a fork of {id})"));
                    }
                    Err(e) => {
                        self.transcript.error(e);
                    }
                }
            }
        }
    }

    /// Empties the transcript; a `!cmd` or /btw still running writes no
    /// more into it (their entries are gone).
    fn clear_transcript(&mut self) {
        self.transcript.clear();
        for c in [&mut self.shell, &mut self.btw].into_iter().flatten() {
            c.entry = usize::MAX;
        }
    }

    fn need_session(&mut self) -> Option<String> {
        let id = self.opts.session.clone();
        if id.is_none() {
            self.transcript
                .error("no session yet: it starts with the first prompt");
        }
        id
    }

    pub fn open_session_picker(&mut self) {
        match self.sessions.list(SESSIONS_LISTED) {
            Ok(list) if list.is_empty() => {
                self.transcript.notice("no sessions in this project yet");
            }
            Ok(list) => {
                // The label is what the query matches: the id, the name
                // and the first message, so `/session` then `fix login`
                // finds it. Picking takes the id, its first word.
                let items = list
                    .into_iter()
                    .map(|s| {
                        let mut label = s.id;
                        if let Some(n) = &s.name {
                            label.push_str(&format!("  [{n}]"));
                        }
                        if !s.title.is_empty() {
                            label.push_str("  ");
                            label.push_str(&s.title);
                        }
                        Item {
                            label,
                            detail: s.updated,
                        }
                    })
                    .collect();
                self.overlay = Overlay::Sessions(Picker::new(items));
            }
            Err(e) => {
                self.transcript.error(e);
            }
        }
    }

    /// Shows a stored session and makes later runs continue it.
    pub fn load_session(&mut self, id: &str) {
        if self.turn.is_some() {
            self.transcript
                .error("a run is active: Ctrl-C it first, then load");
            return;
        }
        let lines = match self.sessions.lines(id) {
            Ok(l) => l,
            Err(e) => {
                self.transcript.error(e);
                return;
            }
        };
        self.clear_transcript();
        self.shell_context.clear();
        self.session = SessionDetails::default();
        self.status.context = None;
        self.status.cost = None;
        self.status.cost_unknown = false;
        for l in &lines {
            let a = self.transcript.apply(l, true);
            self.applied(a);
        }
        self.transcript.end_round();
        self.opts.session = Some(id.to_string());
        self.session.id = Some(id.to_string());
        self.refresh_status();
        self.refresh_stats();
        let shown = self.session.name.clone().unwrap_or_else(|| id.to_string());
        self.transcript.notice(format!("session: {shown}"));
        self.view.scroll_bottom();
    }

    /// /compact: a child process, since it calls the model.
    /// While a run is active it waits in the queue, like a prompt (the
    /// run may be the one that starts the session).
    fn compact(&mut self) {
        if self.compact.is_some() {
            self.transcript.error("a /compact is running already");
            return;
        }
        if self.turn.is_some() {
            self.queue.push(COMPACT.to_string());
            return;
        }
        let Some(id) = self.need_session() else {
            return;
        };
        self.start_compact(&id);
    }

    fn queue_cmd(&mut self, q: QueueCmd) {
        match q {
            QueueCmd::List if self.queue.is_empty() => {
                self.transcript.notice("the queue is empty");
            }
            QueueCmd::List => {
                let rows: Vec<String> = self
                    .queue
                    .iter()
                    .enumerate()
                    .map(|(i, p)| format!("{}. {}", i + 1, p.replace('\n', " ")))
                    .collect();
                self.transcript.notice(rows.join("\n"));
            }
            QueueCmd::Clear => {
                let n = self.queue.len();
                self.queue.clear();
                self.transcript.notice(format!(
                    "queue cleared ({n} prompt{})",
                    if n == 1 { "" } else { "s" }
                ));
            }
            QueueCmd::Pop => match self.queue.pop() {
                Some(p) => {
                    self.transcript
                        .notice(format!("removed from the queue: {}", p.replace('\n', " ")));
                }
                None => {
                    self.transcript.notice("the queue is empty");
                }
            },
        }
    }

    fn export(&mut self, path: Option<&str>) {
        let Some(id) = self.need_session() else {
            return;
        };
        let path = path.map(|p| self.cwd.join(zerostack::paths::expand_tilde(p)));
        match self.sessions.export(&id, path.as_deref().map(Path::new)) {
            Ok(p) => {
                self.transcript
                    .notice(format!("exported to {}", p.display()));
            }
            Err(e) => {
                self.transcript.error(e);
            }
        }
    }

    fn help(&mut self) {
        let mut rows = vec!["commands:".to_string()];
        rows.extend(
            crate::commands::help_text()
                .into_iter()
                .map(|r| format!("  {r}")),
        );
        rows.push(String::new());
        rows.extend(crate::args::KEYS.lines().map(str::to_string));
        self.transcript.notice(rows.join("\n"));
    }
}

fn mode_help(mode: &str) -> &'static str {
    match mode {
        "restrictive" => "ask for every call",
        "readonly" => "allow reads, deny everything else",
        "guarded" => "allow reads, ask for everything else",
        "standard" => "allow known-safe calls, ask for the rest",
        "yolo" => "allow everything but destructive commands",
        "planwrite" => "read anything, write only plan files",
        _ => "",
    }
}
