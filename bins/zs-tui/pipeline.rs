//! Child processes: the turn loop (the `zerostack` wrapper with --json),
//! `!cmd` shell commands and /btw side questions.
//!
//! Every child runs in a session of its own (setsid), so it leads a new
//! process group and has no controlling terminal: no stage can open
//! /dev/tty or draw over the screen, and one signal to the group reaches
//! every stage at once, the way a Ctrl-C at a shell prompt would. Its
//! stdout and stderr are read by one thread each, line by line, and handed
//! to a callback; once both end, the child is reaped and `Exited` comes
//! last. The main loop never blocks on a child.
//!
//! A group is only ever signalled while its leader is known not to have
//! been reaped (see `Shared`), so a recycled pid is never hit. Dropping a
//! `Run` kills the group, so no child outlives the app.

use std::ffi::{OsStr, OsString};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

/// How long an interrupted run has to wind down (stages flush, the session
/// is recorded) before its group is killed.
pub const INTERRUPT_GRACE: Duration = Duration::from_secs(3);

/// A line longer than this is cut (the rest, up to its LF, is dropped). The
/// protocol allows lines of 64 MiB, and a `tool_result` can be near that.
pub const MAX_LINE: usize = 64 << 20;

/// The environment variable zs-perm reads to reach the ask socket.
pub const ASK_SOCKET_ENV: &str = "ZS_ASK_SOCKET";

/// What a running child produced, delivered from reader threads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunEvent {
    /// One stdout line (NDJSON for the wrapper and zs-chat), without the LF.
    Line(String),
    /// One stderr line.
    Stderr(String),
    /// The child was reaped after both streams ended: its exit code, or None
    /// when a signal ended it.
    Exited(Option<i32>),
}

/// The settings a turn runs with; the slash commands change them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TurnOptions {
    pub session: Option<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub base_url: Option<String>,
    pub thinking: Option<String>,
    pub prompt: Option<String>,
    pub mode: Option<String>,
    pub no_context_files: bool,
    pub max_turns: Option<u32>,
    pub skip_permissions: bool,
}

/// A started child in its own session and process group.
#[derive(Debug)]
pub struct Run {
    pid: u32,
    shared: Arc<Shared>,
}

/// What the reaper thread and the signalling side share.
///
/// `reaped` turns true, under the lock, after the leader has exited (it is
/// a zombie, its pid still taken) and before it is reaped. Signals are sent
/// holding the lock and only while `reaped` is false, so they can never
/// reach a process that got the pid afterwards.
#[derive(Debug)]
struct Shared {
    pgid: i32,
    reaped: Mutex<bool>,
    done: Condvar,
    /// A SIGKILL timer is already waiting.
    killer: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, bool> {
        // A panic elsewhere while holding this lock leaves a plain bool:
        // still meaningful.
        self.reaped.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn signal(&self, sig: i32) {
        let reaped = self.lock();
        if !*reaped {
            sys::kill_group(self.pgid, sig);
        }
    }
}

type Callback = Arc<dyn Fn(RunEvent) + Send + Sync + 'static>;

impl Run {
    /// Starts `argv` in `cwd` with stdin from /dev/null and `env` added.
    pub fn start(
        argv: &[OsString],
        env: &[(OsString, OsString)],
        cwd: &Path,
        on_event: impl Fn(RunEvent) + Send + Sync + 'static,
    ) -> io::Result<Run> {
        Run::spawn(argv, env, cwd, None, Arc::new(on_event))
    }

    /// As `start`, with `input` written to the child's stdin (from a thread
    /// of its own) and stdin closed after it.
    pub fn start_with_input(
        argv: &[OsString],
        env: &[(OsString, OsString)],
        cwd: &Path,
        input: Vec<u8>,
        on_event: impl Fn(RunEvent) + Send + Sync + 'static,
    ) -> io::Result<Run> {
        Run::spawn(argv, env, cwd, Some(input), Arc::new(on_event))
    }

    fn spawn(
        argv: &[OsString],
        env: &[(OsString, OsString)],
        cwd: &Path,
        input: Option<Vec<u8>>,
        on_event: Callback,
    ) -> io::Result<Run> {
        let Some((program, args)) = argv.split_first() else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "no command to run",
            ));
        };
        let mut cmd = Command::new(program);
        cmd.args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .current_dir(cwd)
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        sys::own_session(&mut cmd);
        let mut child = spawn(&mut cmd).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot run '{}': {e}", Path::new(program).display()),
            )
        })?;
        let pid = child.id();
        let shared = Arc::new(Shared {
            // setsid made the child the leader of a group numbered by its pid.
            pgid: i32::try_from(pid).unwrap_or(0),
            reaped: Mutex::new(false),
            done: Condvar::new(),
            killer: AtomicBool::new(false),
        });
        let run = Run {
            pid,
            shared: shared.clone(),
        };
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();

        // Any failure from here on would leave a child nobody reads or
        // reaps: kill its group and reap it before saying so.
        let fail = |child: &mut std::process::Child, e: io::Error| {
            run.kill();
            let _ = child.wait();
            e
        };
        if let (Some(mut w), Some(input)) = (stdin, input) {
            // Not joined: a child that exits without reading its input ends
            // the write with EPIPE (SIGPIPE is ignored in Rust programs).
            if let Err(e) = thread::Builder::new()
                .name("run-stdin".into())
                .spawn(move || {
                    let _ = w.write_all(&input);
                })
            {
                return Err(fail(&mut child, e));
            }
        }
        let err_reader = match stderr {
            Some(r) => {
                let cb = on_event.clone();
                match thread::Builder::new()
                    .name("run-stderr".into())
                    .spawn(move || read_lines(r, |l| cb(RunEvent::Stderr(l))))
                {
                    Ok(h) => Some(h),
                    Err(e) => return Err(fail(&mut child, e)),
                }
            }
            None => None,
        };
        let reaper = thread::Builder::new()
            .name("run-stdout".into())
            .spawn(move || {
                if let Some(r) = stdout {
                    read_lines(r, |l| on_event(RunEvent::Line(l)));
                }
                if let Some(h) = err_reader {
                    let _ = h.join();
                }
                // Wait for the exit without reaping, mark the run, then reap:
                // see `Shared`.
                sys::wait_exit(shared.pgid);
                *shared.lock() = true;
                let code = child.wait().ok().and_then(|s| s.code());
                shared.done.notify_all();
                on_event(RunEvent::Exited(code));
            });
        if let Err(e) = reaper {
            // The closure (and the child in it) is gone; the group is not.
            run.kill();
            return Err(e);
        }
        Ok(run)
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// SIGINT to the whole group, then SIGKILL if it is still there after a
    /// grace period. Returns at once.
    pub fn interrupt(&self) {
        self.interrupt_within(INTERRUPT_GRACE);
    }

    /// `interrupt` with a grace period of `grace`.
    pub fn interrupt_within(&self, grace: Duration) {
        self.shared.signal(sys::SIGINT);
        if self.shared.killer.swap(true, Ordering::SeqCst) {
            return;
        }
        let shared = self.shared.clone();
        let timer = thread::Builder::new()
            .name("run-kill".into())
            .spawn(move || {
                let reaped = shared.lock();
                let (reaped, _) = shared
                    .done
                    .wait_timeout_while(reaped, grace, |r| !*r)
                    .unwrap_or_else(|e| e.into_inner());
                if !*reaped {
                    // Still under the lock: the leader cannot be reaped
                    // between the check and the signal.
                    sys::kill_group(shared.pgid, sys::SIGKILL);
                }
            });
        if timer.is_err() {
            // No timer to wait with: the grace period is skipped.
            self.kill();
        }
    }

    /// SIGKILL to the whole group.
    pub fn kill(&self) {
        self.shared.signal(sys::SIGKILL);
    }

    /// Whether the child has exited and been reaped (`Exited` is on its way
    /// or delivered).
    pub fn finished(&self) -> bool {
        *self.shared.lock()
    }

    /// Waits up to `timeout` for the child to be reaped; whether it was.
    /// For quitting: `kill`, then a bounded wait.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        let reaped = self.shared.lock();
        let (reaped, _) = self
            .shared
            .done
            .wait_timeout_while(reaped, timeout, |r| !*r)
            .unwrap_or_else(|e| e.into_inner());
        *reaped
    }
}

/// A run is never left behind: dropping it (quitting, a panic unwinding
/// the app) kills its group unless it has ended already.
impl Drop for Run {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `cmd.spawn()`, tried again when exec fails with ETXTBSY: a file just
/// written (a script) stays "busy" while any process forked meanwhile, by
/// any thread, still holds the writing descriptor between its fork and its
/// exec. It goes away by itself within moments.
pub fn spawn(cmd: &mut Command) -> io::Result<std::process::Child> {
    let mut delay = Duration::from_millis(5);
    for _ in 0..8 {
        match cmd.spawn() {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {
                thread::sleep(delay);
                delay *= 2;
            }
            other => return other,
        }
    }
    cmd.spawn()
}

/// Reads `r` to its end, calling `each` per line: split on LF only, a
/// trailing CR dropped, invalid UTF-8 replaced, lines cut at `MAX_LINE`.
/// A last line without LF counts.
fn read_lines(r: impl Read, each: impl FnMut(String)) {
    read_lines_capped(r, MAX_LINE, each);
}

fn read_lines_capped(r: impl Read, cap: usize, mut each: impl FnMut(String)) {
    let mut r = BufReader::with_capacity(64 * 1024, r);
    let mut line: Vec<u8> = Vec::new();
    let mut pending = false;
    let mut emit = |line: &mut Vec<u8>| {
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        let bytes = std::mem::take(line);
        let text = match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        each(text);
    };
    loop {
        let buf = match r.fill_buf() {
            Ok([]) => break,
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let (part, used, end) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..i], i + 1, true),
            None => (buf, buf.len(), false),
        };
        let room = cap.saturating_sub(line.len());
        line.extend_from_slice(&part[..part.len().min(room)]);
        r.consume(used);
        pending = !end;
        if end {
            emit(&mut line);
        }
    }
    if pending {
        emit(&mut line);
    }
}

/// A zerostack binary: beside this executable, else on PATH.
pub fn find_bin(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok();
    let beside = exe.as_deref().and_then(Path::parent);
    find_in(beside, std::env::var_os("PATH").as_deref(), name)
}

/// `find_bin` with its places given: `dir` first, then each PATH entry.
fn find_in(dir: Option<&Path>, path: Option<&OsStr>, name: &str) -> Option<PathBuf> {
    if name.is_empty() || name.contains('/') {
        return None;
    }
    let beside = dir.map(|d| d.join(name)).filter(|p| is_executable(p));
    beside.or_else(|| {
        std::env::split_paths(path?)
            // An empty entry means the working folder: never a place to
            // pick up binaries from.
            .filter(|d| !d.as_os_str().is_empty())
            .map(|d| d.join(name))
            .find(|p| is_executable(p))
    })
}

/// A regular file (after symlinks) with an execute bit.
fn is_executable(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The wrapper's argv for one prompt: `zerostack -p --json --quiet
/// --non-interactive deny [--session ID] [flags] -- PROMPT`.
pub fn turn_argv(wrapper: &Path, opts: &TurnOptions, prompt: &str) -> Vec<OsString> {
    let mut v: Vec<OsString> = vec![wrapper.into()];
    let mut push = |s: &str| v.push(s.into());
    for a in ["-p", "--json", "--quiet", "--non-interactive", "deny"] {
        push(a);
    }
    for (flag, val) in [
        ("--session", &opts.session),
        ("--provider", &opts.provider),
        ("--model", &opts.model),
        ("--base-url", &opts.base_url),
        ("--thinking", &opts.thinking),
        ("--prompt", &opts.prompt),
        ("--mode", &opts.mode),
    ] {
        if let Some(val) = val {
            push(flag);
            push(val);
        }
    }
    if opts.no_context_files {
        push("-n");
    }
    if let Some(n) = opts.max_turns {
        push("--max-turns");
        push(&n.to_string());
    }
    if opts.skip_permissions {
        push("--dangerously-skip-permissions");
    }
    push("--");
    push(prompt);
    v
}

/// zs-chat's model flags for `opts`, as the wrapper passes them (for
/// /compact and /btw, which call zs-chat without the wrapper).
pub fn chat_args(opts: &TurnOptions) -> Vec<String> {
    let mut v = Vec::new();
    for (flag, val) in [
        ("--provider", &opts.provider),
        ("--model", &opts.model),
        ("--base-url", &opts.base_url),
        ("--thinking", &opts.thinking),
    ] {
        if let Some(val) = val {
            v.push(flag.to_string());
            v.push(val.clone());
        }
    }
    v
}

/// The argv of `!cmd`: `$SHELL -c CMD` when $SHELL is an absolute path,
/// else `/bin/sh -c CMD`.
pub fn shell_argv(cmd: &str) -> Vec<OsString> {
    shell_argv_with(std::env::var_os("SHELL").as_deref(), cmd)
}

fn shell_argv_with(shell: Option<&OsStr>, cmd: &str) -> Vec<OsString> {
    let shell = shell
        .filter(|s| Path::new(s).is_absolute())
        .map_or_else(|| OsString::from("/bin/sh"), OsStr::to_os_string);
    vec![shell, "-c".into(), cmd.into()]
}

/// The session id from the wrapper's first --json line (`{"type":"session",
/// "id":...}`); None for any other line.
pub fn session_header_id(line: &str) -> Option<String> {
    if !line.contains("\"session\"") {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    if v.get("type")?.as_str()? != "session" {
        return None;
    }
    Some(v.get("id")?.as_str()?.to_string())
}

/// The libc calls std does not wrap: a new session for the child, signals
/// to a process group, and a wait that leaves the child unreaped.
mod sys {
    use std::os::unix::process::CommandExt;
    use std::process::Command;

    pub use libc::{SIGINT, SIGKILL};

    /// Makes the child call setsid(2) before exec: a new session and group,
    /// no controlling terminal. Signals the front end ignores are reset, so
    /// the wrapper's traps work (a shell cannot trap what it started with
    /// ignored).
    #[allow(unsafe_code)]
    pub fn own_session(cmd: &mut Command) {
        // SAFETY: the closure runs in the child between fork and exec and
        // calls only async-signal-safe functions (setsid, signal); it
        // touches no memory shared with the parent.
        unsafe {
            cmd.pre_exec(|| {
                for sig in [libc::SIGINT, libc::SIGQUIT, libc::SIGTERM, libc::SIGHUP] {
                    libc::signal(sig, libc::SIG_DFL);
                }
                if libc::setsid() == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }

    /// Sends `sig` to group `pgid`. Groups 0 and 1 are refused: `kill(0)`
    /// would signal our own group, `kill(-1)` everything we may signal.
    pub fn kill_group(pgid: i32, sig: i32) -> bool {
        u32::try_from(pgid).is_ok_and(|p| zerostack::procgroup::kill_group(p, sig))
    }

    /// Blocks until child `pid` has exited, leaving it a zombie (WNOWAIT):
    /// its pid stays taken until `Child::wait` reaps it.
    #[allow(unsafe_code)]
    pub fn wait_exit(pid: i32) {
        if pid <= 0 {
            return;
        }
        loop {
            // SAFETY: siginfo_t is plain data, valid when zeroed; waitid
            // writes into it and keeps no pointer.
            let rc = unsafe {
                let mut info: libc::siginfo_t = std::mem::zeroed();
                libc::waitid(
                    libc::P_PID,
                    pid as libc::id_t,
                    &mut info,
                    libc::WEXITED | libc::WNOWAIT,
                )
            };
            if rc == 0 || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted
            {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Instant;

    /// Generous: these waits end as soon as the event comes.
    const WAIT: Duration = Duration::from_secs(20);

    fn sh(script: &str) -> Vec<OsString> {
        vec!["/bin/sh".into(), "-c".into(), script.into()]
    }

    fn start(argv: &[OsString]) -> (Run, mpsc::Receiver<RunEvent>) {
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        let run = Run::start(argv, &[], Path::new("."), move |e| {
            let _ = tx.lock().unwrap().send(e);
        })
        .unwrap();
        (run, rx)
    }

    /// Every event up to and including `Exited`.
    fn collect(rx: &mpsc::Receiver<RunEvent>) -> Vec<RunEvent> {
        let mut all = Vec::new();
        loop {
            let e = rx.recv_timeout(WAIT).expect("the run should end");
            let last = matches!(e, RunEvent::Exited(_));
            all.push(e);
            if last {
                return all;
            }
        }
    }

    /// Waits for the line `want` on stdout, so a test knows the child is
    /// past its setup.
    fn wait_line(rx: &mpsc::Receiver<RunEvent>, want: &str) {
        loop {
            match rx.recv_timeout(WAIT).expect("the line should come") {
                RunEvent::Line(l) if l == want => return,
                RunEvent::Exited(c) => panic!("exited ({c:?}) before {want:?}"),
                _ => {}
            }
        }
    }

    fn alive(pid: i32) -> bool {
        // /proc says whether it exists and is not a zombie.
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
            let state = s
                .rfind(')')
                .and_then(|i| s[i + 1..].split_whitespace().next());
            state != Some("Z")
        })
    }

    #[test]
    fn lines_of_both_streams_come_in_order_and_exited_comes_last() {
        let (_run, rx) = start(&sh(
            "echo one; echo e1 >&2; printf 'two\\r\\n'; echo e2 >&2; printf 'no newline'; exit 3",
        ));
        let all = collect(&rx);
        let out: Vec<_> = all
            .iter()
            .filter_map(|e| match e {
                RunEvent::Line(l) => Some(l.as_str()),
                _ => None,
            })
            .collect();
        let err: Vec<_> = all
            .iter()
            .filter_map(|e| match e {
                RunEvent::Stderr(l) => Some(l.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(out, ["one", "two", "no newline"]);
        assert_eq!(err, ["e1", "e2"]);
        assert_eq!(all.last(), Some(&RunEvent::Exited(Some(3))));
        assert_eq!(all.len(), 6);
    }

    #[test]
    fn invalid_utf8_is_replaced_and_u2028_is_data() {
        let (_run, rx) = start(&sh("printf 'a\\377b\\n'; printf 'x\\342\\200\\250y\\n'"));
        let all = collect(&rx);
        assert_eq!(
            all,
            [
                RunEvent::Line("a\u{FFFD}b".into()),
                RunEvent::Line("x\u{2028}y".into()),
                RunEvent::Exited(Some(0)),
            ]
        );
    }

    #[test]
    fn a_long_line_is_cut_and_the_next_line_survives() {
        let mut got = Vec::new();
        let input = format!("{}\nnext\n", "x".repeat(100));
        read_lines_capped(input.as_bytes(), 10, |l| got.push(l));
        assert_eq!(got, ["x".repeat(10), "next".to_string()]);
        let mut got = Vec::new();
        read_lines_capped(&b"\n\nend"[..], 10, |l| got.push(l));
        assert_eq!(got, ["", "", "end"]);
    }

    #[test]
    fn env_and_cwd_reach_the_child_and_stdin_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        let _run = Run::start(
            &sh("echo \"$ZS_X\"; pwd; cat; echo end"),
            &[("ZS_X".into(), "hello".into())],
            dir.path(),
            move |e| {
                let _ = tx.lock().unwrap().send(e);
            },
        )
        .unwrap();
        let all = collect(&rx);
        let real = dir.path().canonicalize().unwrap();
        assert_eq!(
            all,
            [
                RunEvent::Line("hello".into()),
                RunEvent::Line(real.display().to_string()),
                RunEvent::Line("end".into()),
                RunEvent::Exited(Some(0)),
            ]
        );
    }

    #[test]
    fn input_is_written_to_stdin_and_closed() {
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        let _run = Run::start_with_input(
            &sh("cat; echo done"),
            &[],
            Path::new("."),
            b"l1\nl2\n".to_vec(),
            move |e| {
                let _ = tx.lock().unwrap().send(e);
            },
        )
        .unwrap();
        assert_eq!(
            collect(&rx),
            [
                RunEvent::Line("l1".into()),
                RunEvent::Line("l2".into()),
                RunEvent::Line("done".into()),
                RunEvent::Exited(Some(0)),
            ]
        );
    }

    #[test]
    fn the_child_leads_its_own_session_and_group() {
        // ps-free: /proc/self/stat of the shell gives its pgrp and session.
        let (run, rx) = start(&sh("cat /proc/$$/stat"));
        let all = collect(&rx);
        let RunEvent::Line(stat) = &all[0] else {
            panic!("no stat line: {all:?}")
        };
        let rest = &stat[stat.rfind(')').unwrap() + 1..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        // state ppid pgrp session tty_nr
        let pid = run.pid().to_string();
        assert_eq!(f[2], pid, "pgrp");
        assert_eq!(f[3], pid, "session");
        assert_eq!(f[4], "0", "no controlling terminal");
    }

    #[test]
    fn a_run_ended_by_a_signal_exits_with_none() {
        let (_run, rx) = start(&sh("kill -TERM $$; sleep 5"));
        assert_eq!(collect(&rx).last(), Some(&RunEvent::Exited(None)));
    }

    #[test]
    fn a_missing_program_is_a_clear_error() {
        let err = Run::start(
            &["/nonexistent/zs-nothing".into()],
            &[],
            Path::new("."),
            |_| {},
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("cannot run '/nonexistent/zs-nothing'")
        );
        let err = Run::start(&[], &[], Path::new("."), |_| {}).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn interrupt_reaches_a_grandchild_in_the_group() {
        // The grandchild (an inner shell that prints its pid, then becomes
        // `sleep`) keeps stdout open, so the run ends only when it is gone
        // too. It runs in the foreground: a non-interactive shell starts
        // `&` jobs with SIGINT ignored.
        let (run, rx) = start(&sh("sh -c 'echo $$; exec sleep 300'; echo unreachable"));
        let grandchild: i32 = loop {
            match rx.recv_timeout(WAIT).unwrap() {
                RunEvent::Line(l) => break l.parse().unwrap(),
                RunEvent::Exited(c) => panic!("exited early: {c:?}"),
                _ => {}
            }
        };
        assert!(alive(grandchild));
        // A grace period longer than the wait below: SIGINT alone must end
        // the run.
        run.interrupt_within(WAIT * 3);
        let all = collect(&rx);
        assert!(!all.contains(&RunEvent::Line("unreachable".into())));
        assert_eq!(all.last(), Some(&RunEvent::Exited(None)));
        assert!(run.finished());
        // Its stdout closes a moment before it turns into a zombie; a
        // bounded wait for that.
        let deadline = Instant::now() + WAIT;
        while alive(grandchild) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
        assert!(!alive(grandchild), "the sleep outlived the interrupt");
    }

    #[test]
    fn a_child_that_ignores_sigint_is_killed_after_the_grace_period() {
        let (run, rx) = start(&sh("trap '' INT; echo ready; while :; do sleep 1; done"));
        wait_line(&rx, "ready");
        let asked = Instant::now();
        run.interrupt_within(Duration::from_millis(200));
        // A second interrupt arms no second timer and does no harm.
        run.interrupt_within(Duration::from_millis(200));
        let all = collect(&rx);
        assert_eq!(all.last(), Some(&RunEvent::Exited(None)));
        // Not a timing assertion on speed: the kill must not come before
        // the grace period it was given.
        assert!(asked.elapsed() >= Duration::from_millis(200));
    }

    #[test]
    fn kill_is_immediate_idempotent_and_harmless_after_the_end() {
        let (run, rx) = start(&sh("echo ready; sleep 300"));
        wait_line(&rx, "ready");
        assert!(!run.finished());
        assert!(!run.wait_timeout(Duration::from_millis(1)));
        run.kill();
        run.kill();
        assert_eq!(collect(&rx).last(), Some(&RunEvent::Exited(None)));
        assert!(run.wait_timeout(WAIT));
        // Reaped: these must signal nothing (the pid may be anyone's now).
        run.kill();
        run.interrupt();
    }

    #[test]
    fn dropping_a_run_kills_its_group() {
        let (run, rx) = start(&sh("sh -c 'echo $$; exec sleep 300'"));
        let grandchild: i32 = loop {
            match rx.recv_timeout(WAIT).unwrap() {
                RunEvent::Line(l) => break l.parse().unwrap(),
                RunEvent::Exited(c) => panic!("exited early: {c:?}"),
                _ => {}
            }
        };
        drop(run);
        assert_eq!(collect(&rx).last(), Some(&RunEvent::Exited(None)));
        let deadline = Instant::now() + WAIT;
        while alive(grandchild) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
        assert!(!alive(grandchild), "the sleep outlived its run");
    }

    #[test]
    fn find_in_takes_executable_files_beside_first_then_path() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let c = tempfile::tempdir().unwrap();
        let mk = |dir: &Path, mode: u32| {
            let p = dir.join("zs-x");
            std::fs::write(&p, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
            p
        };
        // a: not executable; b: a folder of that name; c: the right one.
        mk(a.path(), 0o644);
        std::fs::create_dir(b.path().join("zs-x")).unwrap();
        let good = mk(c.path(), 0o755);
        let path = std::env::join_paths([a.path(), b.path(), c.path()]).unwrap();
        assert_eq!(find_in(None, Some(&path), "zs-x"), Some(good.clone()));
        assert_eq!(
            find_in(Some(a.path()), Some(&path), "zs-x"),
            Some(good.clone())
        );
        let beside = tempfile::tempdir().unwrap();
        let first = mk(beside.path(), 0o700);
        assert_eq!(
            find_in(Some(beside.path()), Some(&path), "zs-x"),
            Some(first)
        );
        assert_eq!(find_in(None, Some(&path), "zs-y"), None);
        assert_eq!(find_in(None, None, "zs-x"), None);
        assert_eq!(find_in(Some(c.path()), None, "../zs-x"), None);
        assert_eq!(find_in(Some(c.path()), None, ""), None);
    }

    #[test]
    fn find_bin_finds_this_executable_beside_itself() {
        let me = std::env::current_exe().unwrap();
        let name = me.file_name().unwrap().to_str().unwrap();
        assert_eq!(find_bin(name), Some(me.clone()));
    }

    fn strs(v: &[OsString]) -> Vec<&str> {
        v.iter().map(|s| s.to_str().unwrap()).collect()
    }

    #[test]
    fn turn_argv_of_a_new_session_has_only_the_fixed_flags() {
        let v = turn_argv(
            Path::new("/x/zerostack"),
            &TurnOptions::default(),
            "hi there",
        );
        assert_eq!(
            strs(&v),
            [
                "/x/zerostack",
                "-p",
                "--json",
                "--quiet",
                "--non-interactive",
                "deny",
                "--",
                "hi there"
            ]
        );
    }

    #[test]
    fn turn_argv_carries_every_option_in_order() {
        let opts = TurnOptions {
            session: Some("s1".into()),
            provider: Some("anthropic".into()),
            model: Some("m-1".into()),
            base_url: Some("http://127.0.0.1:9/v1".into()),
            thinking: Some("high".into()),
            prompt: Some("plan".into()),
            mode: Some("guarded".into()),
            no_context_files: true,
            max_turns: Some(7),
            skip_permissions: true,
        };
        let v = turn_argv(Path::new("zerostack"), &opts, "-starts with a dash");
        assert_eq!(
            strs(&v),
            [
                "zerostack",
                "-p",
                "--json",
                "--quiet",
                "--non-interactive",
                "deny",
                "--session",
                "s1",
                "--provider",
                "anthropic",
                "--model",
                "m-1",
                "--base-url",
                "http://127.0.0.1:9/v1",
                "--thinking",
                "high",
                "--prompt",
                "plan",
                "--mode",
                "guarded",
                "-n",
                "--max-turns",
                "7",
                "--dangerously-skip-permissions",
                "--",
                "-starts with a dash"
            ]
        );
    }

    #[test]
    fn turn_argv_with_a_session_and_a_mode_only() {
        let opts = TurnOptions {
            session: Some("20260101-000000-abcd".into()),
            mode: Some("yolo".into()),
            max_turns: Some(0),
            ..TurnOptions::default()
        };
        let v = turn_argv(Path::new("zerostack"), &opts, "");
        assert_eq!(
            strs(&v)[6..],
            [
                "--session",
                "20260101-000000-abcd",
                "--mode",
                "yolo",
                "--max-turns",
                "0",
                "--",
                ""
            ]
        );
    }

    #[test]
    fn turn_argv_uses_only_flags_the_wrapper_knows() {
        // The wrapper's option parser lists every flag it takes; a flag
        // turn_argv writes that is not there would make every run fail.
        let wrapper = concat!(env!("CARGO_MANIFEST_DIR"), "/bins/zerostack");
        let text = std::fs::read_to_string(wrapper).unwrap();
        let opts = TurnOptions {
            session: Some("s".into()),
            provider: Some("p".into()),
            model: Some("m".into()),
            base_url: Some("u".into()),
            thinking: Some("t".into()),
            prompt: Some("n".into()),
            mode: Some("standard".into()),
            no_context_files: true,
            max_turns: Some(1),
            skip_permissions: true,
        };
        for a in turn_argv(Path::new("z"), &opts, "x") {
            let a = a.to_str().unwrap();
            if a.starts_with('-') && a != "--" {
                assert!(
                    text.contains(&format!("{a})")) || text.contains(&format!("{a} |")),
                    "the wrapper has no case for {a}"
                );
            }
        }
    }

    #[test]
    fn chat_args_are_the_model_flags_only() {
        let opts = TurnOptions {
            session: Some("s".into()),
            model: Some("m".into()),
            thinking: Some("low".into()),
            mode: Some("yolo".into()),
            ..TurnOptions::default()
        };
        assert_eq!(chat_args(&opts), ["--model", "m", "--thinking", "low"]);
        assert!(chat_args(&TurnOptions::default()).is_empty());
    }

    #[test]
    fn shell_argv_takes_an_absolute_shell_else_bin_sh() {
        let cmd = "ls | wc -l";
        assert_eq!(
            strs(&shell_argv_with(Some(OsStr::new("/bin/bash")), cmd)),
            ["/bin/bash", "-c", cmd]
        );
        assert_eq!(
            strs(&shell_argv_with(Some(OsStr::new("bash")), cmd)),
            ["/bin/sh", "-c", cmd]
        );
        assert_eq!(strs(&shell_argv_with(None, cmd)), ["/bin/sh", "-c", cmd]);
    }

    #[test]
    fn a_shell_command_runs_through_shell_argv() {
        let (_run, rx) = start(&shell_argv_with(None, "echo a; echo b >&2; exit 2"));
        let all = collect(&rx);
        assert!(all.contains(&RunEvent::Line("a".into())));
        assert!(all.contains(&RunEvent::Stderr("b".into())));
        assert_eq!(all.last(), Some(&RunEvent::Exited(Some(2))));
    }

    #[test]
    fn session_header_id_reads_only_session_lines() {
        assert_eq!(
            session_header_id(r#"{"type":"session","version":1,"id":"20260101-000000-abcd"}"#),
            Some("20260101-000000-abcd".into())
        );
        assert_eq!(
            session_header_id(r#"{"type":"user","text":"\"session\""}"#),
            None
        );
        assert_eq!(session_header_id(r#"{"type":"session"}"#), None);
        assert_eq!(session_header_id("not json \"session\""), None);
    }
}
