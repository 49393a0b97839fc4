//! Shared by the integration-test crates: paths of the built binaries and a
//! hermetic command builder. Each test crate includes this file with
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
    stdin: &str,
    what: &str,
) -> (std::process::Child, std::thread::JoinHandle<()>) {
    use std::io::Write;
    use std::process::Stdio;
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {what}: {e}"));
    let mut input = child.stdin.take().expect("stdin piped");
    let data = stdin.as_bytes().to_vec();
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
