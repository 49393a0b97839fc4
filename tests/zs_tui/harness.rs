//! The zs-tui test harness: per test, a hermetic home, the scripted model
//! server, a project folder (a git repository) and a tmux server of its own
//! that runs zs-tui in a pane of a fixed size, so a test can type keys and
//! read the screen as a person would.
//!
//! ```ignore
//! let mut t = Tui::new(vec![Reply::text("Hello")]);
//! t.start(&[]);
//! t.submit("hi");
//! let screen = t.wait_for("Hello");
//! assert!(screen.status().contains("mock-model"));
//! ```
//!
//! The tmux server lives in the home (`TMUX_TMPDIR`), under a socket name
//! of its own, and is killed on Drop together with whatever zs-tui started,
//! even when the test panics. zs-tui runs with a scrubbed environment
//! (`env -i`): the built binaries and `bins/zerostack` come first in PATH.
//! Every wait is bounded ([`WAIT`]) and fails with the last screen shown.
#![allow(dead_code)]

#[path = "../common/agent.rs"]
mod agent;

pub use crate::common::signal as kill;
use crate::common::{bin, ndjson};
use crate::mock::script::Reply;
use crate::mock::server::Recorded;
pub use agent::{
    MODEL, Scenario, assert_calls_answered as assert_session_valid, bash, call, call_ids,
    tool_messages, user_texts, wrapper,
};
use serde_json::{Value, json};
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The longest any wait for the screen, a file or a process may take.
pub const WAIT: Duration = Duration::from_secs(30);
/// How often the screen is read while waiting.
const POLL: Duration = Duration::from_millis(50);
/// The pane's size unless a test asks for another.
pub const WIDTH: u16 = 100;
pub const HEIGHT: u16 = 30;
/// The API key zs-tui's runs see; it must never reach the screen.
pub const KEY: &str = "sk-zs-tui-test-4c1d";
/// The context window the config gives the model (with prices), so the
/// status bar can show the percentage used and the cost.
pub const CONTEXT_WINDOW: u64 = 100_000;

/// The tmux session (and window) name inside each test's server.
const SESSION: &str = "t";

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// PATH for zs-tui and everything it starts: the built binaries, then the
/// wrapper's folder, then the system.
pub fn path_var() -> String {
    let bins = wrapper().parent().expect("bins dir").to_path_buf();
    format!(
        "{}:{}:/usr/bin:/bin",
        agent::bin_dir().display(),
        bins.display()
    )
}

/// Quotes `s` for sh.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// One scenario (the mock server, a home, a project, the config) and the
/// tmux server once [`Tui::start`] ran. The scenario's fields and methods
/// are the Tui's own (Deref).
pub struct Tui {
    pub scenario: Scenario,
    /// Variables added to zs-tui's environment (after the defaults).
    pub env: Vec<(String, String)>,
    socket: String,
    /// Where the pane's shell writes the program's exit status.
    status_file: PathBuf,
    started: bool,
}

impl Deref for Tui {
    type Target = Scenario;
    fn deref(&self) -> &Scenario {
        &self.scenario
    }
}

impl DerefMut for Tui {
    fn deref_mut(&mut self) -> &mut Scenario {
        &mut self.scenario
    }
}

impl Tui {
    pub fn new(replies: Vec<Reply>) -> Tui {
        let mut scenario = Scenario::new(replies);
        scenario.config["models"] = json!({
            MODEL: {
                "context_window": CONTEXT_WINDOW,
                "pricing": {"input": 1.0, "output": 2.0},
            },
        });
        assert!(
            scenario.project.join(".git").is_dir(),
            "git init in the project failed"
        );
        Tui {
            scenario,
            env: Vec::new(),
            socket: String::new(),
            status_file: PathBuf::new(),
            started: false,
        }
    }

    /// Writes a file in the project, creating its folders.
    pub fn write_file(&self, rel: &str, text: &str) {
        let p = self.file(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write project file");
    }

    /// Adds a variable to zs-tui's environment (before [`Tui::start`]).
    pub fn set_env(&mut self, k: &str, v: &str) {
        self.env.push((k.to_string(), v.to_string()));
    }

    /// The scrubbed environment zs-tui runs with, as `K=V` words.
    pub fn env_words(&self) -> Vec<String> {
        let h = self.home.path().display().to_string();
        let mut env = vec![
            format!("HOME={h}"),
            format!("XDG_CONFIG_HOME={h}/config"),
            format!("XDG_DATA_HOME={h}/data"),
            format!("XDG_CACHE_HOME={h}/cache"),
            format!("XDG_STATE_HOME={h}/state"),
            format!("TMPDIR={h}"),
            format!("PATH={}", path_var()),
            "TERM=xterm-256color".to_string(),
            "LANG=C.UTF-8".to_string(),
            format!("OPENAI_COMPATIBLE_API_KEY={KEY}"),
        ];
        for (k, v) in &self.env {
            env.push(format!("{k}={v}"));
        }
        env
    }

    /// Starts zs-tui with `args` in a WIDTH x HEIGHT pane and waits for its
    /// prompt.
    pub fn start(&mut self, args: &[&str]) -> Screen {
        self.launch(&bin("zs-tui"), args, "", WIDTH, HEIGHT);
        self.wait_ready()
    }

    /// Starts `program` with `args` in a `w` x `h` pane, after the shell
    /// code `before` (which may print something first). Does not wait.
    pub fn launch(&mut self, program: &Path, args: &[&str], before: &str, w: u16, h: u16) {
        self.launch_with(program, args, before, false, w, h);
    }

    /// Like [`Tui::launch`], but the shell stays once `program` exited:
    /// it writes `[exited N]` and waits, so what the program left on the
    /// screen can be read from a live pane (tmux may blank a dead pane's
    /// screen when the program used the alternate screen).
    ///
    /// In both, the program runs under a shell that writes its exit status
    /// to a file: tmux 3.3 sometimes never reaps a pane's process, and
    /// then has no status to give.
    pub fn launch_in_shell(&mut self, program: &Path, args: &[&str], before: &str, w: u16, h: u16) {
        self.launch_with(program, args, before, true, w, h);
    }

    fn launch_with(
        &mut self,
        program: &Path,
        args: &[&str],
        before: &str,
        keep_shell: bool,
        w: u16,
        h: u16,
    ) {
        assert!(!self.started, "zs-tui already started in this test");
        // A server of its own per launch: a stopped one may still be
        // removing its socket.
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        self.socket = format!("zs-tui-{}-{n}", std::process::id());
        self.status_file = self.home.path().join(format!("exit-status-{n}"));
        self.write_config();
        let conf = self.home.path().join("tmux.conf");
        // status off: the pane is the whole window, so its last row is the
        // app's. remain-on-exit: the screen stays readable after the end.
        // set-clipboard on: an application's OSC 52 lands in a tmux buffer.
        std::fs::write(
            &conf,
            "set -g status off\nset -g remain-on-exit on\nset -g set-clipboard on\n\
             set -g history-limit 0\nset -g escape-time 0\n",
        )
        .expect("tmux.conf");
        let mut line = String::new();
        if !before.is_empty() {
            line.push_str(before);
            line.push_str("; ");
        }
        line.push_str(&format!(
            "cd {} && env -i",
            sh_quote(&self.project.display().to_string()),
        ));
        for w in self.env_words() {
            line.push(' ');
            line.push_str(&sh_quote(&w));
        }
        line.push(' ');
        line.push_str(&sh_quote(&program.display().to_string()));
        for a in args {
            line.push(' ');
            line.push_str(&sh_quote(a));
        }
        // Written whole, then renamed: a reader never sees half of it.
        let status = sh_quote(&self.status_file.display().to_string());
        line.push_str(&format!(
            "; s=$?; echo $s > {status}.tmp && mv {status}.tmp {status}"
        ));
        if keep_shell {
            line.push_str("; echo \"[exited $s]\"; exec sleep 3600");
        }
        let (w, h) = (w.to_string(), h.to_string());
        self.started = true;
        let out = self.tmux_raw(&[
            "-f",
            &conf.display().to_string(),
            "new-session",
            "-d",
            "-s",
            SESSION,
            "-x",
            &w,
            "-y",
            &h,
            &line,
        ]);
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Waits for the input prompt: a row starting with `> `.
    pub fn wait_ready(&self) -> Screen {
        self.wait_until("the input prompt `> `", |s| s.input_row().is_some())
    }

    /// Runs tmux on this test's server; fails the test when tmux fails.
    pub fn tmux(&self, args: &[&str]) -> String {
        let out = self.tmux_raw(args);
        assert!(
            out.status.success(),
            "tmux {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn tmux_raw(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-u")
            .args(["-L", &self.socket])
            .args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", self.home.path())
            .env("TMUX_TMPDIR", self.home.path())
            .env("LANG", "C.UTF-8")
            .stdin(Stdio::null())
            .output()
            .expect("run tmux (is it installed?)")
    }

    /// Types `text` literally (no key names).
    pub fn send_text(&self, text: &str) {
        if text.is_empty() {
            return;
        }
        // tmux reads an argument ending in ';' as a command separator, so
        // a trailing ';' goes as a byte of its own.
        match text.strip_suffix(';') {
            Some(head) => {
                self.send_text(head);
                self.tmux(&["send-keys", "-t", SESSION, "-H", "3b"]);
            }
            None => {
                self.tmux(&["send-keys", "-t", SESSION, "-l", "--", text]);
            }
        }
    }

    /// Presses named keys in order: `Enter`, `C-c`, `Escape`, `PageUp`,
    /// `M-Enter`, `Up`, ... (tmux's names; an unknown name would be typed
    /// as text, so only names tmux knows belong here).
    pub fn send_keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", SESSION];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Sends raw bytes to the pane, as a terminal would (mouse reports).
    pub fn send_bytes(&self, bytes: &[u8]) {
        let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let mut args = vec!["send-keys", "-t", SESSION, "-H"];
        args.extend(hex.iter().map(String::as_str));
        self.tmux(&args);
    }

    /// Types `text` and presses Enter.
    pub fn submit(&self, text: &str) {
        self.send_text(text);
        self.send_keys(&["Enter"]);
    }

    /// A mouse event in SGR encoding at cell (`col`, `row`), both from 0:
    /// `button` 0 left, 32 left drag, 64 wheel up, 65 wheel down.
    pub fn mouse(&self, button: u8, col: u16, row: u16, release: bool) {
        let end = if release { 'm' } else { 'M' };
        let seq = format!("\x1b[<{button};{};{}{end}", col + 1, row + 1);
        self.send_bytes(seq.as_bytes());
    }

    /// The screen as text, one row per line.
    pub fn screen(&self) -> Screen {
        let text = self.tmux(&["capture-pane", "-p", "-t", SESSION]);
        Screen::new(&text)
    }

    /// The screen with its styles as escape sequences (capture-pane -e).
    pub fn styled(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-e", "-t", SESSION])
    }

    /// Waits until `pred` holds for the screen; fails after [`WAIT`] with
    /// the last screen.
    pub fn wait_until(&self, what: &str, pred: impl Fn(&Screen) -> bool) -> Screen {
        let end = Instant::now() + WAIT;
        // Once the program ended, what it (or the shell after it) wrote
        // last gets a moment to reach the screen, then the wait fails.
        let mut ended: Option<(i32, Instant)> = None;
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            match ended {
                None => {
                    ended = self
                        .exit_status()
                        .map(|c| (c, Instant::now() + Duration::from_secs(1)))
                }
                Some((code, last)) if Instant::now() >= last => {
                    panic!("zs-tui exited (status {code}) while waiting for {what}\n{s}");
                }
                Some(_) => {}
            }
            if Instant::now() >= end {
                panic!("timed out after {WAIT:?} waiting for {what}\n{s}");
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits until the screen shows `text`.
    pub fn wait_for(&self, text: &str) -> Screen {
        self.wait_until(&format!("{text:?} on screen"), |s| s.contains(text))
    }

    /// Waits until the screen no longer shows `text`.
    pub fn wait_gone(&self, text: &str) -> Screen {
        self.wait_until(&format!("{text:?} to leave the screen"), |s| {
            !s.contains(text)
        })
    }

    /// Waits until no run is active (the status bar drops `running`).
    pub fn wait_idle(&self) -> Screen {
        self.wait_until("the run to end (no `running` in the status bar)", |s| {
            !s.status().contains("running")
        })
    }

    /// Resizes the pane (its window) to `w` x `h`.
    pub fn resize(&self, w: u16, h: u16) {
        self.tmux(&[
            "resize-window",
            "-t",
            SESSION,
            "-x",
            &w.to_string(),
            "-y",
            &h.to_string(),
        ]);
    }

    /// The pane's size as tmux sees it.
    pub fn pane_size(&self) -> (u16, u16) {
        let s = self.tmux(&[
            "display-message",
            "-p",
            "-t",
            SESSION,
            "#{pane_width} #{pane_height}",
        ]);
        let mut it = s.split_whitespace().map(|n| n.parse().expect("number"));
        (it.next().expect("width"), it.next().expect("height"))
    }

    /// The pid of the pane's process: the shell that runs the program.
    pub fn pane_pid(&self) -> u32 {
        self.tmux(&["display-message", "-p", "-t", SESSION, "#{pane_pid}"])
            .trim()
            .parse()
            .expect("pane pid")
    }

    /// The program's exit status once it ended, else None; a program
    /// ended by a signal counts as 128 + the signal, as in sh.
    pub fn exit_status(&self) -> Option<i32> {
        let text = std::fs::read_to_string(&self.status_file).ok()?;
        text.trim().parse().ok()
    }

    /// The program's pid: the child of the pane's shell.
    pub fn app_pid(&self) -> u32 {
        let shell = self.pane_pid();
        let mut kids = Vec::new();
        wait_for_cond("the pane's program", || {
            kids = children(shell);
            kids.len() == 1
        });
        kids[0]
    }

    /// Waits until the pane's process exits; its status.
    pub fn wait_exit(&self) -> i32 {
        let end = Instant::now() + WAIT;
        loop {
            if let Some(code) = self.exit_status() {
                return code;
            }
            if Instant::now() >= end {
                panic!(
                    "timed out after {WAIT:?} waiting for zs-tui to exit\n{}",
                    self.screen()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// tmux's newest paste buffer (what an OSC 52 copy set), if any.
    pub fn clipboard(&self) -> Option<String> {
        let out = self.tmux_raw(&["show-buffer"]);
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Puts `text` in a tmux buffer and pastes it into the pane, bracketed
    /// when the application asked for bracketed paste.
    pub fn paste(&self, text: &str) {
        self.tmux(&["set-buffer", "-b", "zs-paste", "--", text]);
        self.tmux(&["paste-buffer", "-p", "-b", "zs-paste", "-t", SESSION]);
    }

    // --- sessions, the request log ------------------------------------------

    /// The ids of this project's sessions, newest first.
    pub fn sessions(&self) -> Vec<String> {
        let out = self.zs("zs-session", &["list", "--json"]);
        if !out.status.success() {
            return Vec::new();
        }
        ndjson(&out.stdout)
            .iter()
            .filter_map(|s| s["id"].as_str().map(str::to_string))
            .collect()
    }

    /// The session's stored lines (`zs-session show`).
    pub fn stored(&self, id: &str) -> Vec<Value> {
        ndjson(self.session(&["show", id]).as_bytes())
    }

    /// The `user` texts stored in the session, in order.
    pub fn stored_user_texts(&self, id: &str) -> Vec<String> {
        self.stored(id)
            .iter()
            .filter(|e| e["type"] == "user")
            .map(|e| e["text"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Runs the wrapper headless (`zerostack ARGS`) in the project, with
    /// no terminal, bounded; its exit code and stdout.
    pub fn headless(&self, args: &[&str]) -> (Option<i32>, String) {
        self.write_config();
        let mut c = Command::new("/usr/bin/setsid");
        c.arg(wrapper()).args(args).env_clear();
        for w in self.env_words() {
            let (k, v) = w.split_once('=').expect("K=V");
            c.env(k, v);
        }
        c.current_dir(&self.project)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("spawn zerostack");
        let (code, out, err) =
            crate::common::wait_bounded(&mut child, Duration::from_secs(60), "zerostack");
        assert_eq!(code, Some(0), "zerostack {args:?}: {err}");
        (code, out)
    }

    /// Waits until the mock received at least `n` requests; them.
    pub fn wait_requests(&self, n: usize) -> Vec<Recorded> {
        let got = self.mock.wait_requests(n, WAIT);
        assert!(
            got.len() >= n,
            "waited for {n} requests, got {}\n{}",
            got.len(),
            self.screen()
        );
        got
    }
}

impl Tui {
    /// Ends zs-tui, what it started, and the tmux server, so the test may
    /// launch again (with the same home, project and mock).
    pub fn stop(&mut self) {
        if !self.started {
            return;
        }
        // What zs-tui started runs in sessions of its own, out of reach of
        // the SIGHUP tmux sends the pane: kill that tree first. Only while
        // the pane lives: the pid of a dead pane may name another process
        // by now.
        let out = self.tmux_raw(&[
            "display-message",
            "-p",
            "-t",
            SESSION,
            "#{pane_dead} #{pane_pid}",
        ]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if let Some(("0", pid)) = text.trim().split_once(' ')
            && let Ok(pid) = pid.parse::<u32>()
        {
            for p in descendants(pid) {
                kill(p, "KILL");
            }
            kill(pid, "KILL");
        }
        let _ = self.tmux_raw(&["kill-server"]);
        self.started = false;
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        self.stop();
    }
}

// --- the screen ----------------------------------------------------------------

/// One capture of the pane: its rows, trailing spaces trimmed.
#[derive(Clone, PartialEq, Eq)]
pub struct Screen {
    pub rows: Vec<String>,
}

impl Screen {
    pub fn new(text: &str) -> Screen {
        Screen {
            rows: text.lines().map(|l| l.trim_end().to_string()).collect(),
        }
    }

    /// Every row joined with newlines.
    pub fn text(&self) -> String {
        self.rows.join("\n")
    }

    pub fn contains(&self, s: &str) -> bool {
        self.rows.iter().any(|r| r.contains(s))
    }

    /// The index of the first row holding `s`.
    pub fn find(&self, s: &str) -> Option<usize> {
        self.rows.iter().position(|r| r.contains(s))
    }

    /// The first row holding `s`.
    pub fn row_with(&self, s: &str) -> Option<&str> {
        self.rows.iter().find(|r| r.contains(s)).map(String::as_str)
    }

    /// The first row starting with `prefix`.
    pub fn row_starting(&self, prefix: &str) -> Option<&str> {
        self.rows
            .iter()
            .find(|r| r.starts_with(prefix))
            .map(String::as_str)
    }

    /// The first row that starts with `prefix` after its indentation (a
    /// tool row: `… bash sleep 6`, `✓ bash ls`).
    pub fn row_indented(&self, prefix: &str) -> Option<&str> {
        self.rows
            .iter()
            .find(|r| r.trim_start().starts_with(prefix))
            .map(String::as_str)
    }

    /// How many rows start with `prefix`.
    pub fn count_starting(&self, prefix: &str) -> usize {
        self.rows.iter().filter(|r| r.starts_with(prefix)).count()
    }

    /// The last row: the status bar.
    pub fn status(&self) -> &str {
        self.rows.last().map(String::as_str).unwrap_or_default()
    }

    /// The index of the editor's first row (`> `), searching from the
    /// bottom so transcript text cannot be taken for it.
    pub fn input_index(&self) -> Option<usize> {
        self.rows
            .iter()
            .rposition(|r| r.starts_with("> ") || r == ">")
    }

    /// The editor's first row, without the `> ` prompt.
    pub fn input_row(&self) -> Option<&str> {
        self.input_index()
            .map(|i| self.rows[i].strip_prefix("> ").unwrap_or_default())
    }

    /// The editor's text: its first row and the continuation rows (two
    /// spaces) below it, before the status bar, joined with newlines.
    pub fn input_text(&self) -> Option<String> {
        let i = self.input_index()?;
        let mut out = vec![self.rows[i].strip_prefix("> ").unwrap_or_default()];
        for r in &self.rows[i + 1..self.rows.len().saturating_sub(1)] {
            match r.strip_prefix("  ") {
                Some(rest) => out.push(rest),
                None => break,
            }
        }
        Some(out.join("\n"))
    }
}

impl fmt::Display for Screen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "--- screen ({} rows)", self.rows.len())?;
        for (i, r) in self.rows.iter().enumerate() {
            writeln!(f, "{i:2}|{r}")?;
        }
        writeln!(f, "---")
    }
}

impl fmt::Debug for Screen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The cells `s` takes on screen (wide characters take 2).
pub fn cells(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

// --- processes -----------------------------------------------------------------

/// `(pid, ppid, state)` of every process.
fn processes() -> Vec<(u32, u32, char)> {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            // The command name may hold spaces and parentheses: the
            // fields after the last ')' are state, ppid, ...
            let rest = &stat[stat.rfind(')')? + 2..];
            let mut f = rest.split_whitespace();
            let state = f.next()?.chars().next()?;
            let ppid = f.next()?.parse().ok()?;
            Some((pid, ppid, state))
        })
        .collect()
}

/// Every descendant of `root` (children first found first).
pub fn descendants(root: u32) -> Vec<u32> {
    let all = processes();
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(p) = stack.pop() {
        for &(pid, ppid, _) in &all {
            if ppid == p && !out.contains(&pid) {
                out.push(pid);
                stack.push(pid);
            }
        }
    }
    out
}

/// The running descendants of `root` whose command name is `comm`.
pub fn descendants_named(root: u32, comm: &str) -> Vec<u32> {
    descendants(root)
        .into_iter()
        .filter(|p| {
            alive(*p)
                && std::fs::read_to_string(format!("/proc/{p}/comm"))
                    .is_ok_and(|c| c.trim_end() == comm)
        })
        .collect()
}

/// The children of `pid`.
pub fn children(pid: u32) -> Vec<u32> {
    processes()
        .into_iter()
        .filter(|&(_, ppid, _)| ppid == pid)
        .map(|(p, _, _)| p)
        .collect()
}

/// Whether `pid` is running: it exists and is not a zombie (a killed
/// process whose parent is gone may stay a zombie where init does not
/// reap).
pub fn alive(pid: u32) -> bool {
    processes()
        .into_iter()
        .any(|(p, _, state)| p == pid && state != 'Z' && state != 'X')
}

/// Waits until `f` holds, failing the test after [`WAIT`].
pub fn wait_for_cond(what: &str, f: impl FnMut() -> bool) {
    crate::common::wait_for(what, WAIT, f);
}
