//! Shared by the integration-test crates: paths of the built binaries, a
//! hermetic command builder, signals, bounded waits, a child fed its whole
//! stdin and waited for ([`run_fed`]), and a child kept up and fed line by
//! line ([`Live`]). Each test crate includes this file with
//! `#[path = "../common/mod.rs"] mod common;`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Path of a built binary of this package.
pub fn bin(name: &str) -> PathBuf {
    // env! needs a literal, hence the match.
    PathBuf::from(match name {
        "zs-chat" => env!("CARGO_BIN_EXE_zs-chat"),
        "zs-tool" => env!("CARGO_BIN_EXE_zs-tool"),
        "zs-perm" => env!("CARGO_BIN_EXE_zs-perm"),
        "zs-session" => env!("CARGO_BIN_EXE_zs-session"),
        "zs-tui" => env!("CARGO_BIN_EXE_zs-tui"),
        other => panic!("no such binary: {other}"),
    })
}

/// A clean home per test: HOME and the XDG folders point into a temporary
/// folder that lives as long as this value, and the environment is cleared
/// so no real key or config leaks into a test.
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Home {
        Home {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The config folder (`$XDG_CONFIG_HOME/zerostack`), created.
    pub fn config_dir(&self) -> PathBuf {
        let d = self.path().join("config/zerostack");
        std::fs::create_dir_all(&d).expect("config dir");
        d
    }

    /// Writes `config.json` in the config folder.
    pub fn write_config(&self, json: &str) {
        std::fs::write(self.config_dir().join("config.json"), json).expect("write config");
    }

    /// A command for `name` with a scrubbed environment, run in the home.
    pub fn cmd(&self, name: &str) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.std_cmd(name))
    }

    /// Like [`Home::cmd`] but a plain std Command, for tests that need to
    /// signal or stream the child.
    pub fn std_cmd(&self, name: &str) -> std::process::Command {
        let mut c = std::process::Command::new(bin(name));
        c.env_clear()
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path().join("config"))
            .env("XDG_DATA_HOME", self.path().join("data"))
            .env("XDG_CACHE_HOME", self.path().join("cache"))
            .env("XDG_STATE_HOME", self.path().join("state"))
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("LANG", "C.UTF-8")
            .current_dir(self.path());
        c
    }
}

/// Parses NDJSON output into values; panics with the line on bad JSON.
pub fn ndjson(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(out)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad output line {l:?}: {e}")))
        .collect()
}

/// The events of one `type` in `events`.
pub fn of_type<'a>(events: &'a [serde_json::Value], t: &str) -> Vec<&'a serde_json::Value> {
    events.iter().filter(|e| e["type"] == t).collect()
}

/// Sends `sig` (a name: INT, KILL) to process group `pgid`, with kill(1):
/// the package denies unsafe code, so no libc::kill here. A pid that leads
/// no group is a quiet no-op.
pub fn signal_group(pgid: u32, sig: &str) {
    let _ = std::process::Command::new("kill")
        .args([&format!("-{sig}"), "--", &format!("-{pgid}")])
        .stderr(std::process::Stdio::null())
        .status();
}

/// Sends `sig` (a name: INT, KILL) to one process, with kill(1).
pub fn signal(pid: u32, sig: &str) {
    let _ = std::process::Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status();
}

/// Waits until `f` holds, failing the test after `limit` with `what`.
pub fn wait_for(what: &str, limit: std::time::Duration, mut f: impl FnMut() -> bool) {
    let end = std::time::Instant::now() + limit;
    while !f() {
        assert!(
            std::time::Instant::now() < end,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Starts `cmd` with stdout and stderr piped and `stdin` written to it from
/// a thread, then closed (a thread, so a child that writes before it reads
/// cannot deadlock against this writer). `what` names it in a failure.
pub fn spawn_fed(
    cmd: &mut std::process::Command,
    stdin: impl AsRef<[u8]>,
    what: &str,
) -> (std::process::Child, std::thread::JoinHandle<()>) {
    use std::io::Write;
    use std::process::Stdio;
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {what}: {e}"));
    let mut input = child.stdin.take().expect("stdin piped");
    let data = stdin.as_ref().to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    (child, writer)
}

/// Runs `cmd` fed `stdin` ([`spawn_fed`]) to its end, bounded by `limit`
/// ([`wait_bounded`]): its exit code, stdout, stderr and how long it ran.
pub fn run_fed(
    cmd: &mut std::process::Command,
    stdin: &str,
    limit: std::time::Duration,
    what: &str,
) -> (Option<i32>, String, String, std::time::Duration) {
    let start = std::time::Instant::now();
    let (mut child, writer) = spawn_fed(cmd, stdin, what);
    let (code, stdout, stderr) = wait_bounded(&mut child, limit, what);
    let _ = writer.join();
    (code, stdout, stderr, start.elapsed())
}

/// Waits for `child` (stdout and stderr piped) at most `limit`, reading both
/// meanwhile. Past the limit it kills the child and its process group (when
/// it leads one) and fails the test, naming `what` and showing the output.
pub fn wait_bounded(
    child: &mut std::process::Child,
    limit: std::time::Duration,
    what: &str,
) -> (Option<i32>, String, String) {
    use std::io::Read;
    use std::time::{Duration, Instant};
    let mut out = child.stdout.take().expect("stdout piped");
    let mut err = child.stderr.take().expect("stderr piped");
    let out_t = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let text = |t: std::thread::JoinHandle<Vec<u8>>| {
        String::from_utf8_lossy(&t.join().unwrap_or_default()).into_owned()
    };
    let end = Instant::now() + limit;
    let status = loop {
        match child.try_wait().expect("wait") {
            Some(s) => break s,
            None if Instant::now() >= end => {
                signal_group(child.id(), "KILL");
                let _ = child.kill();
                let _ = child.wait();
                let (out, err) = (text(out_t), text(err_t));
                panic!("{what} ran longer than {limit:?}\n--- stdout\n{out}--- stderr\n{err}");
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    (status.code(), text(out_t), text(err_t))
}

/// A child that stays up while the test feeds it: stdin piped and kept open
/// until [`Live::close`], each stdout line forwarded over a channel by a
/// thread as it is written, stderr read by another thread for the end. The
/// stages of a prompt stay up across its rounds; this is how a test drives
/// one round after another and watches each answer come while stdin is
/// still open. Every wait is bounded by the limit given at the start; a
/// child still running when the value is dropped (a test that failed part
/// way) is killed, with its process group when it leads one.
pub struct Live {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    out: std::sync::mpsc::Receiver<String>,
    err: Option<std::thread::JoinHandle<String>>,
    /// Every stdout line received so far, taken by the test or not.
    seen: Vec<String>,
    /// How many of `seen` the test has taken ([`Live::line`], [`Live::until`]).
    taken: usize,
    what: String,
    limit: std::time::Duration,
    start: std::time::Instant,
}

/// How a [`Live`] child ended.
#[derive(Debug)]
pub struct Ended {
    pub status: std::process::ExitStatus,
    /// Every stdout line, from the first.
    pub lines: Vec<String>,
    /// The stdout lines the test had not taken before the end.
    pub rest: Vec<String>,
    pub stderr: String,
    /// From the start to the exit.
    pub elapsed: std::time::Duration,
}

impl Live {
    /// Starts `cmd` (set up as the test needs: arguments, environment, a
    /// process group) with stdin, stdout and stderr piped. `what` names it
    /// in a failure; `limit` bounds every wait.
    pub fn start(cmd: &mut std::process::Command, what: &str, limit: std::time::Duration) -> Live {
        use std::io::{BufRead, Read};
        use std::process::Stdio;
        let start = std::time::Instant::now();
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {what}: {e}"));
        let stdout = child.stdout.take().expect("stdout piped");
        let (tx, out) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut stderr = child.stderr.take().expect("stderr piped");
        let err = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        Live {
            stdin: child.stdin.take(),
            child,
            out,
            err: Some(err),
            seen: Vec::new(),
            taken: 0,
            what: what.to_string(),
            limit,
            start,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Writes `text` to stdin as it is, and flushes; stdin stays open.
    pub fn send(&mut self, text: &str) {
        use std::io::Write;
        let what = &self.what;
        let stdin = self
            .stdin
            .as_mut()
            .unwrap_or_else(|| panic!("{what}: stdin already closed"));
        stdin
            .write_all(text.as_bytes())
            .and_then(|()| stdin.flush())
            .unwrap_or_else(|e| panic!("{what}: write to stdin: {e}"));
    }

    /// Writes each of `lines` and a newline after it, then flushes.
    pub fn send_lines<L: std::fmt::Display>(&mut self, lines: &[L]) {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        self.send(&text);
    }

    /// Closes stdin: the end of input.
    pub fn close(&mut self) {
        drop(self.stdin.take());
    }

    /// Whether the child has not exited yet.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    /// Moves a line from the reading thread into `seen`, waiting until
    /// `deadline`; fails the test past it or when stdout has ended.
    fn receive(&mut self, deadline: std::time::Instant, waiting_for: &str) {
        use std::sync::mpsc::RecvTimeoutError;
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match self.out.recv_timeout(left) {
            Ok(l) => self.seen.push(l),
            Err(e) => {
                self.kill();
                let why = match e {
                    RecvTimeoutError::Timeout => format!("not within {:?}", self.limit),
                    RecvTimeoutError::Disconnected => match self.child.try_wait() {
                        Ok(Some(status)) => format!("stdout ended ({status})"),
                        _ => "stdout ended".to_string(),
                    },
                };
                panic!(
                    "{}: {waiting_for}: {why}\n--- stdout so far\n{}",
                    self.what,
                    self.seen.join("\n")
                );
            }
        }
    }

    /// The next stdout line not taken yet, waited for up to the limit.
    pub fn line(&mut self) -> String {
        if self.taken == self.seen.len() {
            let deadline = std::time::Instant::now() + self.limit;
            self.receive(deadline, "the next line");
        }
        self.taken += 1;
        self.seen[self.taken - 1].clone()
    }

    /// The next `n` lines ([`Live::line`]: each within the limit).
    pub fn next(&mut self, n: usize) -> Vec<String> {
        (0..n).map(|_| self.line()).collect()
    }

    /// The lines not taken yet up to and including the first that `f`
    /// accepts, all within the limit.
    pub fn until(&mut self, f: impl Fn(&str) -> bool) -> Vec<String> {
        let deadline = std::time::Instant::now() + self.limit;
        let from = self.taken;
        loop {
            if self.taken == self.seen.len() {
                self.receive(deadline, "a matching line");
            }
            self.taken += 1;
            if f(&self.seen[self.taken - 1]) {
                return self.seen[from..self.taken].to_vec();
            }
        }
    }

    /// Every stdout line written so far (taken or not).
    pub fn lines(&mut self) -> &[String] {
        while let Ok(l) = self.out.try_recv() {
            self.seen.push(l);
        }
        &self.seen
    }

    /// Waits, up to the limit, until `n` of the stdout lines so far are
    /// JSON of type `t`; none is taken.
    pub fn wait_for_type(&mut self, t: &str, n: usize) {
        let deadline = std::time::Instant::now() + self.limit;
        let of_t =
            |l: &String| serde_json::from_str::<serde_json::Value>(l).is_ok_and(|v| v["type"] == t);
        while self.lines().iter().filter(|l| of_t(l)).count() < n {
            self.receive(deadline, &format!("{n} line(s) of type {t}"));
        }
    }

    /// Closes stdin and waits for the exit ([`Live::wait`]).
    pub fn finish(mut self) -> Ended {
        self.close();
        self.wait()
    }

    /// Waits for the exit with stdin left as it is, then for stdout and
    /// stderr to end, all within the limit; past it the child is killed
    /// and the test fails.
    pub fn wait(mut self) -> Ended {
        use std::sync::mpsc::RecvTimeoutError;
        use std::time::{Duration, Instant};
        let deadline = Instant::now() + self.limit;
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                break s;
            }
            if Instant::now() >= deadline {
                self.kill();
                let out = self.lines().join("\n");
                panic!(
                    "{} did not exit within {:?}\n--- stdout\n{out}",
                    self.what, self.limit
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let elapsed = self.start.elapsed();
        // The pipes end with the child, unless something it started holds
        // them: bounded too.
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.out.recv_timeout(left) {
                Ok(l) => self.seen.push(l),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    panic!("{}: stdout still open after the exit", self.what)
                }
            }
        }
        let err = self.err.take().expect("stderr not read yet");
        while !err.is_finished() {
            assert!(
                Instant::now() < deadline,
                "{}: stderr still open after the exit",
                self.what
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        Ended {
            status,
            rest: self.seen[self.taken..].to_vec(),
            lines: std::mem::take(&mut self.seen),
            stderr: err.join().unwrap_or_default(),
            elapsed,
        }
    }

    /// Kills the child (and its process group when it leads one) if it
    /// still runs, and reaps it.
    pub fn kill(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            signal_group(self.child.id(), "KILL");
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        // A test that failed part way leaves no process behind.
        self.kill();
    }
}
