//! The wrapper's test harness: a scripted model server, a hermetic home
//! whose config points the `openai-compatible` provider at it, a temporary
//! project (a git repository), and a way to run `bins/zerostack` with the
//! built binaries first in PATH.
//!
//! ```ignore
//! let t = Agent::new(vec![Reply::text("Hello")]);
//! let run = t.run(&["-p", "hi"], "");
//! run.assert_code(0);
//! assert_eq!(run.stdout, "Hello\n");
//! ```
//!
//! Every run is bounded ([`RUN_TIMEOUT`]) and starts in a session of its
//! own without a controlling terminal (through `setsid` when there is
//! one), so no ask ever waits on the developer's terminal, and a test can
//! signal the wrapper's whole process group.
#![allow(dead_code)]

#[path = "../common/agent.rs"]
mod agent;

use crate::common::ndjson;
pub use crate::common::{signal, signal_group, wait_for};
pub use agent::{
    Scenario as Agent, assert_calls_answered, bin_dir, call, call_ids, content_text, tool_messages,
    user_texts, wrapper,
};
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

/// The longest any one run of the wrapper may take before the test fails.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// PATH with the built binaries first.
pub fn path_var() -> String {
    format!(
        "{}:{}",
        agent::bin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// `setsid`, when the system has it: runs are detached from any terminal.
fn setsid() -> Option<&'static str> {
    ["/usr/bin/setsid", "/bin/setsid"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

impl Agent {
    /// The wrapper with `args`, the config written, a scrubbed environment,
    /// run in the project. stdin, stdout and stderr are left to the caller.
    pub fn command(&self, args: &[&str]) -> Command {
        self.command_of(&wrapper(), args)
    }

    /// [`Agent::command`] with another copy of the wrapper, which looks
    /// for the binaries beside itself first.
    pub fn command_of(&self, wrapper: &Path, args: &[&str]) -> Command {
        self.write_config();
        let mut c = match setsid() {
            Some(s) => {
                let mut c = Command::new(s);
                c.arg(wrapper);
                c
            }
            None => {
                use std::os::unix::process::CommandExt;
                let mut c = Command::new(wrapper);
                c.process_group(0);
                c
            }
        };
        c.args(args)
            .env_clear()
            .env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path().join("config"))
            .env("XDG_DATA_HOME", self.home.path().join("data"))
            .env("XDG_CACHE_HOME", self.home.path().join("cache"))
            .env("XDG_STATE_HOME", self.home.path().join("state"))
            .env("TMPDIR", self.home.path())
            .env("PATH", path_var())
            .env("LANG", "C.UTF-8")
            .env("OPENAI_COMPATIBLE_API_KEY", "sk-zs-wrapper-test")
            .current_dir(&self.project);
        c
    }

    /// The wrapper with `args` on a terminal of its own, through script(1)
    /// (util-linux, on every Debian system): its stdin and /dev/tty are a
    /// pseudo-terminal fed from this command's stdin.
    pub fn command_on_tty(&self, args: &[&str]) -> Command {
        let script = ["/usr/bin/script", "/bin/script"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect("script(1) from util-linux is needed for the terminal tests");
        let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
        let mut line = quote(&wrapper().to_string_lossy());
        for a in args {
            line.push(' ');
            line.push_str(&quote(a));
        }
        let c = self.command(&[]);
        let mut s = Command::new(script);
        s.args(["-qec", &line, "/dev/null"]);
        s.env_clear();
        for (k, v) in c.get_envs() {
            if let Some(v) = v {
                s.env(k, v);
            }
        }
        s.current_dir(&self.project);
        s
    }

    /// Runs the wrapper with `args` and `stdin`, bounded by [`RUN_TIMEOUT`].
    pub fn run(&self, args: &[&str], stdin: &str) -> Run {
        let mut c = self.command(args);
        run_bounded(&mut c, stdin)
    }

    /// Starts the wrapper with `stdin` written and closed; stdout and
    /// stderr piped. Its pid is its process group's id.
    pub fn spawn(&self, args: &[&str], stdin: &str) -> Child {
        crate::common::spawn_fed(&mut self.command(args), stdin, "zerostack").0
    }
}

/// The outcome of one run.
#[derive(Debug)]
pub struct Run {
    /// The exit code; None when killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    pub fn assert_code(&self, code: i32) {
        assert_eq!(self.code, Some(code), "exit code:\n{}", self.dump());
    }

    /// stdout parsed as NDJSON.
    pub fn events(&self) -> Vec<Value> {
        ndjson(self.stdout.as_bytes())
    }

    pub fn dump(&self) -> String {
        format!(
            "code: {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `cmd` with `stdin`, killing it and failing the test after
/// [`RUN_TIMEOUT`].
pub fn run_bounded(cmd: &mut Command, stdin: &str) -> Run {
    let (code, stdout, stderr, elapsed) =
        crate::common::run_fed(cmd, stdin, RUN_TIMEOUT, "zerostack");
    Run {
        code,
        stdout,
        stderr,
        elapsed,
    }
}

/// Waits for a zerostack `child` at most `limit`; past it the child's
/// process group is killed (tests/common).
pub fn wait_bounded(child: &mut Child, limit: Duration) -> (Option<i32>, String, String) {
    crate::common::wait_bounded(child, limit, "zerostack")
}

/// Pids of processes whose command line is exactly `argv`.
pub fn pids_of(argv: &[&str]) -> Vec<u32> {
    let want: Vec<u8> = argv
        .iter()
        .flat_map(|a| a.bytes().chain(std::iter::once(0)))
        .collect();
    processes()
        .into_iter()
        .filter(|(_, cmd)| *cmd == want)
        .map(|(pid, _)| pid)
        .collect()
}

/// Pids whose command line (arguments joined by NULs) contains `needle`
/// and whose first argument ends with `exe`.
pub fn pids_running(exe: &str, needle: &str) -> Vec<u32> {
    processes()
        .into_iter()
        .filter(|(_, cmd)| {
            let text = String::from_utf8_lossy(cmd).replace('\0', " ");
            let first = text.split(' ').next().unwrap_or_default().to_string();
            first.ends_with(exe) && text.contains(needle)
        })
        .map(|(pid, _)| pid)
        .collect()
}

fn processes() -> Vec<(u32, Vec<u8>)> {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
            Some((pid, cmd))
        })
        .collect()
}
