//! zs-perm integration tests: the real binary, a hermetic home per test, a
//! project folder with symlinks in and out, and helpers to feed it calls.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod asking;
mod filter;
mod rounds;
mod table;

use common::{Home, ndjson, of_type};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Output;

/// A home with a project in it:
///
/// ```text
/// $HOME/proj/src/main.rs
/// $HOME/proj/inlink -> $HOME/proj/src      (a symlink that stays inside)
/// $HOME/proj/out    -> $HOME/outside       (a symlink that leaves)
/// $HOME/outside/x
/// $HOME/session/                           (ZS_SESSION_DIR)
/// ```
pub struct Project {
    pub home: Home,
}

impl Default for Project {
    fn default() -> Project {
        Project::new()
    }
}

impl Project {
    pub fn new() -> Project {
        let home = Home::new();
        let p = home.path();
        std::fs::create_dir_all(p.join("proj/src")).unwrap();
        std::fs::create_dir_all(p.join("proj/.git/hooks")).unwrap();
        std::fs::create_dir_all(p.join("outside")).unwrap();
        std::fs::create_dir_all(p.join("session")).unwrap();
        std::fs::write(p.join("proj/src/main.rs"), "fn main() {}\n").unwrap();
        std::fs::write(p.join("outside/x"), "x\n").unwrap();
        std::os::unix::fs::symlink(p.join("proj/src"), p.join("proj/inlink")).unwrap();
        std::os::unix::fs::symlink(p.join("outside"), p.join("proj/out")).unwrap();
        Project { home }
    }

    pub fn with_config(json: &str) -> Project {
        let p = Project::new();
        p.home.write_config(&p.expand(json));
        p
    }

    /// `$HOME` and `$PROJ` replaced by the real folders.
    pub fn expand(&self, s: &str) -> String {
        s.replace("$PROJ", &self.proj().to_string_lossy())
            .replace("$HOME", &self.home.path().to_string_lossy())
    }

    pub fn proj(&self) -> PathBuf {
        self.home.path().join("proj")
    }

    pub fn session(&self) -> PathBuf {
        self.home.path().join("session")
    }

    /// zs-perm run in the project, with the session folder set.
    pub fn cmd(&self) -> std::process::Command {
        let mut c = self.home.std_cmd("zs-perm");
        c.current_dir(self.proj())
            .env("ZS_SESSION_DIR", self.session());
        c
    }

    /// Runs zs-perm with `args`, feeding `input`; waits at most 20 s.
    pub fn run(&self, args: &[&str], input: &str) -> Output {
        run_with(self.cmd().args(args), input)
    }
}

/// Runs a prepared command with `input` on stdin, killing it after 20 s so
/// a hang fails the test instead of stalling the suite.
pub fn run_with(cmd: &mut std::process::Command, input: &str) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn zs-perm");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_string();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = match rx.recv_timeout(std::time::Duration::from_secs(20)) {
        Ok(o) => o.unwrap(),
        Err(_) => {
            let _ = std::process::Command::new("kill")
                .arg("-9")
                .arg(pid.to_string())
                .status();
            panic!("zs-perm did not finish within 20 s");
        }
    };
    writer.join().unwrap();
    out
}

/// One assistant line carrying `calls` as `(id, tool, arguments)`.
pub fn assistant(calls: &[(&str, &str, Value)]) -> String {
    let content: Vec<Value> = calls
        .iter()
        .map(|(id, name, args)| json!({"type": "tool_call", "id": id, "name": name, "arguments": args}))
        .collect();
    let line = json!({"type": "assistant", "content": content, "stop": "tool_calls", "usage": {}});
    format!("{line}\n")
}

/// The permission events of an output, by call id.
pub fn decisions(out: &Output) -> Vec<Value> {
    of_type(&ndjson(&out.stdout), "permission")
        .into_iter()
        .cloned()
        .collect()
}

pub fn decision_for<'a>(ds: &'a [Value], id: &str) -> &'a Value {
    ds.iter()
        .find(|d| d["call_id"] == id)
        .unwrap_or_else(|| panic!("no decision for {id} in {ds:#?}"))
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
