//! The application: its state, the event loop and the keys.
//!
//! One thread reads the terminal, the child processes' reader threads and
//! the ask server send what they get, and everything arrives on one
//! channel. The main thread blocks on it, handles what came and whatever
//! else is already queued, then draws once. There is no timer: an idle
//! zs-tui is blocked in `recv` and uses no CPU.
//!
//! Keys and the mouse live in `keys.rs`, runs, shell commands and /btw in
//! `runs.rs`, the slash commands in `slash.rs`: all more `impl App`.

use crate::args::{self, Args, Start};
use crate::ask::{Ask, AskServer};
use crate::dialog::Dialog;
use crate::editor::{Editor, History};
use crate::events::{self, Msg};
use crate::picker::Picker;
use crate::pipeline::{Run, TurnOptions};
use crate::select::Selection;
use crate::sessions::Sessions;
use crate::status::Status;
use crate::style::{Line, Role, Theme};
use crate::term::{self, Term};
use crate::transcript::{Applied, Transcript};
use crate::view::{Chrome, View};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;
use zerostack::config::Config;
use zerostack::error::{Error, Kind};

/// Rows a picker shows.
const PICKER_ROWS: usize = 10;
/// How long quitting waits for an interrupted run to record its session.
const QUIT_WAIT: Duration = Duration::from_secs(5);

/// What an open picker is for.
#[derive(Debug)]
pub enum Overlay {
    None,
    /// `/` on an empty prompt: the query is the editor's text.
    Commands(Picker),
    /// `@`: the chosen path replaces the `@` at byte `at` of the editor.
    Files {
        picker: Picker,
        at: usize,
    },
    Sessions(Picker),
    Modes(Picker),
    Prompts(Picker),
}

impl Overlay {
    pub fn picker_mut(&mut self) -> Option<&mut Picker> {
        match self {
            Overlay::None => None,
            Overlay::Commands(p)
            | Overlay::Files { picker: p, .. }
            | Overlay::Sessions(p)
            | Overlay::Modes(p)
            | Overlay::Prompts(p) => Some(p),
        }
    }

    fn title(&self) -> &'static str {
        match self {
            Overlay::None => "",
            Overlay::Commands(_) => "commands",
            Overlay::Files { .. } => "files",
            Overlay::Sessions(_) => "sessions",
            Overlay::Modes(_) => "permission mode",
            Overlay::Prompts(_) => "prompt",
        }
    }
}

/// The session's details as stored (its header with later changes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionDetails {
    pub id: Option<String>,
    pub name: Option<String>,
    pub model: Option<String>,
    pub provider: Option<String>,
    pub prompt: Option<String>,
    pub mode: Option<String>,
}

impl SessionDetails {
    /// Takes the fields a `session` header or `session_meta` line sets.
    pub fn update(&mut self, m: &Map<String, Value>) {
        let get = |k: &str| m.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
        if let Some(id) = get("id") {
            self.id = Some(id.to_string());
        }
        for (k, slot) in [
            ("name", &mut self.name),
            ("model", &mut self.model),
            ("provider", &mut self.provider),
            ("prompt", &mut self.prompt),
            ("mode", &mut self.mode),
        ] {
            match m.get(k) {
                Some(Value::String(s)) if !s.is_empty() => *slot = Some(s.clone()),
                Some(Value::Null) => *slot = None,
                _ => {}
            }
        }
    }
}

/// The binaries zs-tui drives.
#[derive(Debug, Clone)]
pub struct Bins {
    pub wrapper: PathBuf,
    pub zs_session: PathBuf,
    pub zs_chat: Option<PathBuf>,
}

/// A child of the app: the process and what the app keeps about it.
#[derive(Debug)]
pub struct Child {
    pub run: Run,
    pub id: u64,
    /// The transcript entry it writes into (shell and /btw).
    pub entry: usize,
    /// The last lines of its stderr, for the error when it fails.
    pub stderr: Vec<String>,
    /// The user cancelled it.
    pub interrupted: bool,
    /// It reported an `error` event: its failure is on screen already.
    pub reported: bool,
    /// What it wrote on stdout that the app keeps (the compaction line).
    pub out: Option<String>,
}

impl Child {
    pub fn new(run: Run, id: u64, entry: usize) -> Child {
        Child {
            run,
            id,
            entry,
            stderr: Vec::new(),
            interrupted: false,
            reported: false,
            out: None,
        }
    }
}

pub struct App {
    pub theme: Theme,
    pub config: Config,
    pub cwd: PathBuf,
    pub bins: Bins,
    pub sessions: Sessions,
    /// The flags and slash-command choices the next run uses.
    pub opts: TurnOptions,
    pub session: SessionDetails,
    pub status: Status,
    pub transcript: Transcript,
    pub view: View,
    pub editor: Editor,
    pub overlay: Overlay,
    pub dialog: Option<Dialog>,
    pub asks: Vec<Ask>,
    pub turn: Option<Child>,
    pub btw: Option<Child>,
    pub shell: Option<Child>,
    /// A /compact in progress.
    pub compact: Option<Child>,
    /// `!cmd` outputs for the next prompt.
    pub shell_context: Vec<String>,
    /// Prompts typed while a run was active, in order.
    pub queue: Vec<String>,
    pub next_id: u64,
    /// The first Ctrl-C on an idle empty prompt was pressed.
    pub quit_armed: bool,
    pub selection: Option<Selection>,
    pub quit: bool,
    /// The signal that ends the app, if one did.
    pub signal: Option<i32>,
    pub tx: Sender<Msg>,
    pub ask_path: Option<PathBuf>,
    /// Private folder for the ask socket and $EDITOR files.
    pub scratch: PathBuf,
    pub size: (u16, u16),
}

/// zs-tui's main.
pub fn run() -> Result<(), Error> {
    let args: Args = zerostack::cli::parse_args()?;
    let start = args.start()?;
    let opts = args.turn_options()?;
    args::check_terminal()?;
    let config = Config::load()?;
    let bins = find_bins()?;
    let cwd = std::env::current_dir()
        .map_err(|e| Error::failure(format!("cannot read the working folder: {e}")))?;
    let sessions = match &bins.zs_chat {
        Some(c) => Sessions::new(&bins.zs_session).with_chat(c),
        None => Sessions::new(&bins.zs_session),
    };
    // A session named on the command line is found before the screen
    // changes, so a wrong name is a plain error (exit 2), as in the wrapper.
    let first = match &start {
        Start::Last => Some(sessions.resolve("@last").map_err(|_| {
            Error::usage("no session to continue in this project (see zs-session list)")
        })?),
        Start::Session(r) => Some(sessions.resolve(r).map_err(Error::usage)?),
        Start::New | Start::Pick => None,
    };

    let scratch = Scratch::create()?;
    // --no-session: every child that reaches the store gets a throwaway
    // one in the scratch folder, removed with it at the end.
    let (sessions, history) = {
        let history = History::load(crate::editor::history_path());
        if args.no_session {
            let data = scratch.0.join("data");
            std::fs::create_dir(&data)
                .map_err(|e| Error::failure(format!("cannot create '{}': {e}", data.display())))?;
            (sessions.with_data_home(&data), history.in_memory())
        } else {
            (sessions, history)
        }
    };
    let (tx, rx) = channel();
    let ask_tx = tx.clone();
    let server = AskServer::start(&scratch.0, move |ask| {
        let _ = ask_tx.send(Msg::Ask(ask));
    })
    .map_err(|e| Error::failure(format!("cannot serve permission asks: {e}")))?;

    term::install_panic_hook();
    let mut term = Term::start(args.inline)
        .map_err(|e| Error::failure(format!("cannot set up the terminal: {e}")))?;
    events::spawn_signals(tx.clone())
        .map_err(|e| Error::failure(format!("cannot watch signals: {e}")))?;
    let resume = events::spawn_term_reader(tx.clone())
        .map_err(|e| Error::failure(format!("cannot read the terminal: {e}")))?;

    let theme = Theme::new(args.color());
    let mut app = App {
        theme,
        config,
        cwd,
        bins,
        sessions,
        opts,
        session: SessionDetails::default(),
        status: Status::default(),
        transcript: Transcript::new(theme),
        view: View::default(),
        editor: Editor::new(history),
        overlay: Overlay::None,
        dialog: None,
        asks: Vec::new(),
        turn: None,
        btw: None,
        shell: None,
        compact: None,
        shell_context: Vec::new(),
        queue: Vec::new(),
        next_id: 0,
        quit_armed: false,
        selection: None,
        quit: false,
        signal: None,
        tx,
        ask_path: Some(server.path().to_path_buf()),
        scratch: scratch.0.clone(),
        size: term.size(),
    };
    app.refresh_status();
    if let Some(id) = first {
        app.load_session(&id);
    } else if start == Start::Pick {
        app.open_session_picker();
    }
    if let Some(p) = args.initial_prompt() {
        app.submit(p);
    }
    let result = app.main_loop(&mut term, &rx, &resume);
    app.shutdown();
    let rest = app.unfinished_rows();
    let _ = term.finish(&rest);
    drop(term);
    drop(server);
    drop(scratch);
    result?;
    match app.signal {
        Some(s) => Err(Error::new(
            Kind::Interrupted,
            format!("stopped by {}", signal_name(s)),
        )),
        None => Ok(()),
    }
}

fn signal_name(s: i32) -> &'static str {
    match s {
        signal_hook::consts::SIGTERM => "SIGTERM",
        signal_hook::consts::SIGHUP => "SIGHUP",
        signal_hook::consts::SIGINT => "SIGINT",
        signal_hook::consts::SIGQUIT => "SIGQUIT",
        _ => "a signal",
    }
}

/// The wrapper and zs-session are needed for anything to work; zs-chat
/// only for /btw and /compact.
fn find_bins() -> Result<Bins, Error> {
    let need = |name: &str| {
        crate::pipeline::find_bin(name).ok_or_else(|| {
            Error::failure(format!(
                "cannot find {name} beside zs-tui or in PATH (see scripts/install.sh)"
            ))
        })
    };
    Ok(Bins {
        wrapper: need("zerostack")?,
        zs_session: need("zs-session")?,
        zs_chat: crate::pipeline::find_bin("zs-chat"),
    })
}

/// A private folder (mode 0700) for the ask socket, $EDITOR files and the
/// throwaway store of --no-session, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn create() -> Result<Scratch, Error> {
        use std::os::unix::fs::DirBuilderExt;
        let base = std::env::var_os("XDG_RUNTIME_DIR")
            .filter(|d| !d.is_empty() && Path::new(d).is_dir())
            .or_else(|| std::env::var_os("TMPDIR").filter(|d| !d.is_empty()))
            .map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let mut last = None;
        for attempt in 0..16u32 {
            let dir = base.join(format!(
                "zs-tui.{}.{:x}",
                std::process::id(),
                nanos.wrapping_add(attempt)
            ));
            match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => return Ok(Scratch(dir)),
                Err(e) => last = Some(e),
            }
        }
        Err(Error::failure(format!(
            "cannot create a private folder in '{}': {}",
            base.display(),
            last.map_or_else(|| "unknown error".to_string(), |e| e.to_string())
        )))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl App {
    fn main_loop(
        &mut self,
        term: &mut Term,
        rx: &Receiver<Msg>,
        resume: &Sender<()>,
    ) -> Result<(), Error> {
        self.draw(term)?;
        while !self.quit {
            let Ok(msg) = rx.recv() else { break };
            self.handle(msg, term, resume);
            while !self.quit {
                match rx.try_recv() {
                    Ok(m) => self.handle(m, term, resume),
                    Err(_) => break,
                }
            }
            if !self.quit {
                self.draw(term)?;
            }
        }
        Ok(())
    }

    fn handle(&mut self, msg: Msg, term: &mut Term, resume: &Sender<()>) {
        match msg {
            Msg::Term(ev) => {
                let pause = events::pauses_reader(&ev);
                self.term_event(ev, term);
                if pause {
                    let _ = resume.send(());
                }
            }
            Msg::TermGone(e) => {
                self.transcript
                    .error(format!("cannot read the terminal: {e}"));
                self.quit = true;
            }
            Msg::Run(child, ev) => self.child_event(child, ev),
            Msg::Ask(ask) => self.on_ask(ask),
            Msg::Signal(s) => {
                self.signal = Some(s);
                self.quit = true;
            }
            // The reader thread is not paused here (no key came): the
            // terminal is not asked where its cursor is on the way back.
            Msg::Stop => self.suspend(term, false),
        }
    }

    pub fn draw(&mut self, term: &mut Term) -> Result<(), Error> {
        let (w, h) = term.size();
        self.size = (w, h);
        let width = usize::from(w);
        if term.is_inline() {
            // Finished entries go into the terminal's scrollback, in order.
            while self.transcript.committed < self.transcript.entries.len()
                && self.transcript.entries[self.transcript.committed]
                    .kind
                    .finished()
            {
                let rows = self
                    .transcript
                    .rows(self.transcript.committed, width)
                    .to_vec();
                term.commit(&rows).map_err(draw_error)?;
                self.transcript.committed += 1;
            }
        }
        self.status.queue = self.queue.len();
        self.status.running = self.turn.is_some();
        // The transcript and view are moved out for the frame, so the
        // rest of the app can be read beside them.
        let mut transcript = std::mem::replace(&mut self.transcript, Transcript::new(self.theme));
        let mut view = std::mem::take(&mut self.view);
        let frame = {
            let chrome = self.chrome(width, usize::from(h));
            if term.is_inline() {
                view.compose_live(&mut transcript, chrome, w, h, &self.theme)
            } else {
                view.compose(
                    &mut transcript,
                    chrome,
                    self.selection.as_ref(),
                    w,
                    h,
                    &self.theme,
                )
            }
        };
        self.transcript = transcript;
        self.view = view;
        term.draw(&frame).map_err(draw_error)
    }

    /// Everything on screen but the transcript (a function of the fields
    /// it reads, so the transcript and view can be borrowed beside it).
    fn chrome<'a>(&'a self, width: usize, height: usize) -> Chrome<'a> {
        let status = self.status.line(width, &self.theme);
        let (overlay, input, prompt, cursor) = if let Some(d) = &self.dialog {
            let rows = d.render(width, &self.theme, self.asks.len());
            match d.note_row(&self.theme) {
                Some((row, col)) => (rows, vec![row], false, Some((0, col))),
                None => (rows, Vec::new(), false, None),
            }
        } else {
            let (rows, cursor) = self.editor.render(width.saturating_sub(2).max(1), 0);
            let overlay = self.overlay_rows(width, height);
            (overlay, rows, true, Some(cursor))
        };
        Chrome {
            queued: &self.queue,
            overlay,
            input,
            prompt,
            cursor,
            status,
        }
    }

    fn overlay_rows(&self, width: usize, height: usize) -> Vec<Line> {
        let title = self.overlay.title();
        let picker = match &self.overlay {
            Overlay::None => return Vec::new(),
            Overlay::Commands(p)
            | Overlay::Files { picker: p, .. }
            | Overlay::Sessions(p)
            | Overlay::Modes(p)
            | Overlay::Prompts(p) => p,
        };
        let rows_h = PICKER_ROWS.min(height.saturating_sub(4).max(1));
        let head = match &self.overlay {
            // The command picker's query is the prompt itself.
            Overlay::Commands(_) => format!("── {title} "),
            _ => format!("── {title}: {}▏", picker.query()),
        };
        let mut rows = vec![Line::styled(head, self.theme.style(Role::DialogBorder))];
        rows.extend(picker.render(width, rows_h));
        rows
    }

    /// The entries inline mode has not printed yet (at the end).
    fn unfinished_rows(&mut self) -> Vec<Line> {
        let width = usize::from(self.size.0);
        let mut rows = Vec::new();
        for i in self.transcript.committed..self.transcript.entries.len() {
            rows.extend(self.transcript.rows(i, width).iter().cloned());
        }
        self.transcript.committed = self.transcript.entries.len();
        rows
    }

    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Enter on a non-empty prompt.
    pub fn submit(&mut self, text: String) {
        let trimmed = text.trim();
        // `/etc/hosts looks odd` is a prompt, not a command.
        if crate::commands::looks_like_command(trimmed) {
            match crate::commands::parse(trimmed) {
                Ok(cmd) => self.slash(cmd),
                Err(e) => {
                    self.transcript.error(e);
                }
            }
        } else if let Some(cmd) = trimmed.strip_prefix('!') {
            self.start_shell(cmd.trim());
        } else if self.busy() {
            self.queue.push(text);
        } else {
            self.start_turn(text);
        }
    }

    /// A run or a /compact is going on: prompts wait in the queue.
    pub fn busy(&self) -> bool {
        self.turn.is_some() || self.compact.is_some()
    }

    /// The model, provider, prompt and mode the next run will use, for the
    /// status bar: the flags (and slash commands), else the session, else
    /// the config.
    pub fn refresh_status(&mut self) {
        let o = &self.opts;
        let s = &self.session;
        let provider = o
            .provider
            .clone()
            .or_else(|| s.provider.clone())
            .unwrap_or_else(|| self.config.provider_name(None));
        let resolved = self.config.resolve_provider(&provider).ok();
        let model = o
            .model
            .clone()
            // A provider chosen alone takes its own default model.
            .or_else(|| o.provider.is_none().then(|| s.model.clone()).flatten())
            .or_else(|| {
                resolved
                    .as_ref()
                    .and_then(|p| self.config.model_name(None, p))
            });
        let prompt = o
            .prompt
            .clone()
            .or_else(|| s.prompt.clone())
            .unwrap_or_else(|| "code".into());
        let mode = if o.skip_permissions {
            "no checks".to_string()
        } else {
            o.mode
                .clone()
                .or_else(|| s.mode.clone())
                .or_else(|| std::env::var("ZS_PERM_MODE").ok().filter(|m| !m.is_empty()))
                .or_else(|| {
                    self.config
                        .section("permissions")
                        .and_then(|p| p.get("mode"))
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .unwrap_or_else(|| "standard".into())
        };
        self.status.window = crate::status::window(&self.config, model.as_deref());
        self.status.model = model;
        self.status.provider = provider;
        self.status.prompt = prompt;
        self.status.mode = mode;
        self.status.session = s.name.clone().or_else(|| s.id.clone());
    }

    /// Context use and cost as zs-session counts them, after a run or a
    /// load.
    pub fn refresh_stats(&mut self) {
        let Some(id) = self.opts.session.clone() else {
            return;
        };
        if let Ok(st) = self.sessions.stats(&id) {
            // The window stays the one of the model the next run uses
            // (zs-session knows only the model a session recorded).
            if st.context_tokens > 0 {
                self.status.context = Some(st.context_tokens);
            }
            self.status.cost_unknown = !st.cost_complete;
            self.status.cost = st.cost;
        }
    }

    /// Applies what a stream line said beyond the transcript.
    pub fn applied(&mut self, a: Applied) {
        match a {
            Applied::None => {}
            Applied::Session(m) | Applied::Meta(m) => {
                self.session.update(&m);
                if let Some(id) = &self.session.id {
                    self.opts.session = Some(id.clone());
                }
                self.refresh_status();
            }
            Applied::Usage {
                usage,
                model,
                provider: _,
            } => {
                let m = model.or_else(|| self.status.model.clone());
                self.status.add_usage(&usage, m.as_deref(), &self.config);
            }
        }
    }

    /// Quitting: a run is interrupted and given a bounded time to record
    /// the session; other children are killed.
    fn shutdown(&mut self) {
        self.dialog = None;
        self.asks.clear();
        if let Some(t) = &self.turn {
            t.run.interrupt();
            if !t.run.wait_timeout(QUIT_WAIT) {
                t.run.kill();
            }
        }
        for c in [&self.btw, &self.shell, &self.compact]
            .into_iter()
            .flatten()
        {
            c.run.kill();
        }
    }
}

fn draw_error(e: std::io::Error) -> Error {
    Error::failure(format!("cannot draw on the terminal: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_details_follow_the_header_and_its_changes() {
        let mut d = SessionDetails::default();
        let m = |s: &str| serde_json::from_str::<Map<String, Value>>(s).unwrap();
        d.update(&m(
            r#"{"type":"session","id":"s1","model":"m1","provider":"p","mode":"","name":null}"#,
        ));
        assert_eq!(d.id.as_deref(), Some("s1"));
        assert_eq!(d.model.as_deref(), Some("m1"));
        assert_eq!(d.mode, None);
        d.update(&m(r#"{"type":"session_meta","name":"fix","model":null}"#));
        assert_eq!(d.name.as_deref(), Some("fix"));
        assert_eq!(d.model, None);
        assert_eq!(d.id.as_deref(), Some("s1"));
    }
}
