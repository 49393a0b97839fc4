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

use crate::common::{Home, bin, ndjson};
use crate::mock::script::{Call, Reply, Script};
use crate::mock::server::{MockServer, Recorded};
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The longest any one run of the wrapper may take before the test fails.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// The wrapper script in the source tree.
pub fn wrapper() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("bins/zerostack")
}

/// PATH with the built binaries first.
pub fn path_var() -> String {
    let dir = bin("zs-chat").parent().expect("target dir").to_path_buf();
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// `setsid`, when the system has it: runs are detached from any terminal.
fn setsid() -> Option<&'static str> {
    ["/usr/bin/setsid", "/bin/setsid"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

/// One scenario: a mock server, a home, a project, a config.
pub struct Agent {
    pub home: Home,
    pub mock: MockServer,
    /// The config written before each run; tests may change it.
    pub config: Value,
    /// The project the wrapper runs in (a git repository).
    pub project: PathBuf,
}

impl Agent {
    pub fn new(replies: Vec<Reply>) -> Agent {
        let mock = MockServer::start(Script {
            replies,
            repeat_last: false,
        });
        let config = json!({
            "provider": "openai-compatible",
            "model": "mock-model",
            "providers": {
                "openai-compatible": {
                    "base_url": format!("{}/v1", mock.url()),
                    "timeouts": {"connect_ms": 2000, "first_byte_ms": 10000, "idle_ms": 10000},
                },
            },
            "retry": {"max_attempts": 1, "initial_delay_ms": 10, "max_delay_ms": 50},
        });
        let home = Home::new();
        let project = home.path().join("project");
        std::fs::create_dir_all(&project).expect("project dir");
        let git = Command::new("git")
            .args(["init", "-q"])
            .current_dir(&project)
            .status();
        if !matches!(git, Ok(s) if s.success()) {
            // Without git the folder itself is the project: fine for these tests.
            eprintln!("note: git init failed; the project is a plain folder");
        }
        Agent {
            home,
            mock,
            config,
            project,
        }
    }

    /// A path in the project.
    pub fn file(&self, rel: &str) -> PathBuf {
        self.project.join(rel)
    }

    /// The wrapper with `args`, the config written, a scrubbed environment,
    /// run in the project. stdin, stdout and stderr are left to the caller.
    pub fn command(&self, args: &[&str]) -> Command {
        self.home.write_config(&self.config.to_string());
        let mut c = match setsid() {
            Some(s) => {
                let mut c = Command::new(s);
                c.arg(wrapper());
                c
            }
            None => {
                use std::os::unix::process::CommandExt;
                let mut c = Command::new(wrapper());
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
    /// (None when the system has no `script`): its stdin and /dev/tty are
    /// a pseudo-terminal fed from this command's stdin.
    pub fn command_on_tty(&self, args: &[&str]) -> Option<Command> {
        let script = ["/usr/bin/script", "/bin/script"]
            .into_iter()
            .find(|p| Path::new(p).exists())?;
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
        Some(s)
    }

    /// Runs the wrapper with `args` and `stdin`, bounded by [`RUN_TIMEOUT`].
    pub fn run(&self, args: &[&str], stdin: &str) -> Run {
        let mut c = self.command(args);
        run_bounded(&mut c, stdin)
    }

    /// Starts the wrapper with `stdin` written and closed; stdout and
    /// stderr piped. Its pid is its process group's id.
    pub fn spawn(&self, args: &[&str], stdin: &str) -> Child {
        let mut c = self.command(args);
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("spawn zerostack");
        let mut input = child.stdin.take().expect("stdin");
        let data = stdin.as_bytes().to_vec();
        std::thread::spawn(move || {
            let _ = input.write_all(&data);
        });
        child
    }

    /// A zs-* binary with the same home, run in the project.
    pub fn zs(&self, name: &str, args: &[&str]) -> std::process::Output {
        self.home
            .std_cmd(name)
            .args(args)
            .env("PATH", path_var())
            .current_dir(&self.project)
            .stdin(Stdio::null())
            .output()
            .expect("run a zs binary")
    }

    /// The stdout of a successful `zs-session ARGS`.
    pub fn session(&self, args: &[&str]) -> String {
        let out = self.zs("zs-session", args);
        assert!(
            out.status.success(),
            "zs-session {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    /// The id of this project's newest session.
    pub fn last_session(&self) -> String {
        self.session(&["get", "@last", "id"]).trim().to_string()
    }

    /// Every request the mock received.
    pub fn requests(&self) -> Vec<Recorded> {
        self.mock.requests()
    }

    /// The chat messages of request `n` (from 0).
    pub fn messages(&self, n: usize) -> Vec<Value> {
        let reqs = self.requests();
        assert!(n < reqs.len(), "no request {n}: {} requests", reqs.len());
        reqs[n].body["messages"]
            .as_array()
            .expect("messages")
            .clone()
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
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn");
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.as_bytes().to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let (code, stdout, stderr) = wait_bounded(&mut child, RUN_TIMEOUT);
    let _ = writer.join();
    Run {
        code,
        stdout,
        stderr,
        elapsed: start.elapsed(),
    }
}

/// Waits for a zerostack `child` at most `limit`; past it the child's
/// process group is killed (tests/common).
pub fn wait_bounded(child: &mut Child, limit: Duration) -> (Option<i32>, String, String) {
    crate::common::wait_bounded(child, limit, "zerostack")
}

pub use crate::common::signal_group;

/// Sends `sig` to one process.
pub fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status();
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

/// Waits until `f` holds, failing the test after `limit`.
pub fn wait_for(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A reply with one tool call.
pub fn call(id: &str, name: &str, args: Value) -> Reply {
    calls(&[(id, name, args)])
}

/// A reply with several tool calls.
pub fn calls(list: &[(&str, &str, Value)]) -> Reply {
    Reply {
        tool_calls: list
            .iter()
            .map(|(id, name, args)| Call {
                id: id.to_string(),
                name: name.to_string(),
                arguments: args.clone(),
            })
            .collect(),
        ..Reply::default()
    }
}

/// The `role: tool` messages of a request: (tool_call_id, content).
pub fn tool_messages(messages: &[Value]) -> Vec<(String, String)> {
    messages
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| {
            (
                m["tool_call_id"].as_str().unwrap_or_default().to_string(),
                content_text(&m["content"]),
            )
        })
        .collect()
}

/// A message's content as text (a string, or the text of its parts).
pub fn content_text(c: &Value) -> String {
    match c {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}

/// The texts of the `role: user` messages of a request.
pub fn user_texts(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .filter(|m| m["role"] == "user")
        .map(|m| content_text(&m["content"]))
        .collect()
}

/// The tool call ids of the assistant messages of a request.
pub fn call_ids(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .filter(|m| m["role"] == "assistant")
        .flat_map(|m| m["tool_calls"].as_array().cloned().unwrap_or_default())
        .map(|c| c["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Checks the session's context: every tool call has exactly one result.
/// Returns the context lines.
pub fn assert_calls_answered(t: &Agent, id: &str) -> Vec<Value> {
    let ctx = ndjson(t.session(&["context", id]).as_bytes());
    let mut calls = Vec::new();
    let mut results = Vec::new();
    for e in &ctx {
        if e["type"] == "assistant" {
            for b in e["content"].as_array().into_iter().flatten() {
                if b["type"] == "tool_call" {
                    calls.push(b["id"].as_str().unwrap().to_string());
                }
            }
        } else if e["type"] == "tool_result" {
            results.push(e["call_id"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(calls, results, "every call has one result, in order");
    ctx
}
