//! Shared by the harnesses that run the whole agent, tests/zerostack and
//! tests/zs_tui: a scenario (the scripted model server, a hermetic home
//! whose config points the `openai-compatible` provider at it, a project
//! folder that is a git repository), zs-* calls in it, what the model
//! received, and readers for the chat messages of a request.
//!
//! A harness includes it with `#[path = "../common/agent.rs"] mod agent;`;
//! it uses the crate's `common` and `mock` modules.
#![allow(dead_code)]

use crate::common::{Home, bin, ndjson};
use crate::mock::script::{Call, Reply, Script};
use crate::mock::server::{MockServer, Recorded};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The model the config names.
pub const MODEL: &str = "mock-model";

/// The wrapper script in the source tree.
pub fn wrapper() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("bins/zerostack")
}

/// The folder of the built binaries.
pub fn bin_dir() -> PathBuf {
    bin("zs-chat").parent().expect("target dir").to_path_buf()
}

/// One scenario: a mock server, a home, a project, a config.
pub struct Scenario {
    pub home: Home,
    pub mock: MockServer,
    /// The config written before each run; tests may change it.
    pub config: Value,
    /// The project the agent runs in (a git repository, unless git is
    /// missing: then a plain folder, which is a project too).
    pub project: PathBuf,
}

impl Scenario {
    pub fn new(replies: Vec<Reply>) -> Scenario {
        let mock = MockServer::start(Script {
            replies,
            repeat_last: false,
        });
        // Generous timeouts: CI runs every test crate at once on two cores.
        let config = json!({
            "provider": "openai-compatible",
            "model": MODEL,
            "providers": {
                "openai-compatible": {
                    "base_url": format!("{}/v1", mock.url()),
                    "timeouts": {"connect_ms": 2000, "first_byte_ms": 20000, "idle_ms": 20000},
                },
            },
            "retry": {"max_attempts": 1, "initial_delay_ms": 10, "max_delay_ms": 50},
        });
        let home = Home::new();
        let project = home.path().join("project");
        std::fs::create_dir_all(&project).expect("project dir");
        // Without the developer's git config: nothing of theirs applies.
        let git = Command::new("git")
            .args(["init", "-q"])
            .current_dir(&project)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", home.path())
            .status();
        if !matches!(git, Ok(s) if s.success()) {
            eprintln!("note: git init failed; the project is a plain folder");
        }
        Scenario {
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

    /// Writes the config into the home's config folder.
    pub fn write_config(&self) {
        self.home.write_config(&self.config.to_string());
    }

    /// A zs-* binary with this home, run in the project, the built
    /// binaries first in PATH.
    pub fn zs(&self, name: &str, args: &[&str]) -> Output {
        let path = format!(
            "{}:{}",
            bin_dir().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        self.home
            .std_cmd(name)
            .args(args)
            .env("PATH", path)
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

// --- replies and requests --------------------------------------------------------

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

/// A reply with one bash call.
pub fn bash(id: &str, command: &str) -> Reply {
    call(id, "bash", json!({ "command": command }))
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

/// Checks session `id` through zs-session: its context reads, and every
/// tool call in it has exactly one result, in order. Returns the context
/// lines.
pub fn assert_calls_answered(t: &Scenario, id: &str) -> Vec<Value> {
    let ctx = ndjson(t.session(&["context", id]).as_bytes());
    let mut calls = Vec::new();
    let mut results = Vec::new();
    for e in &ctx {
        if e["type"] == "assistant" {
            for b in e["content"].as_array().into_iter().flatten() {
                if b["type"] == "tool_call" {
                    calls.push(b["id"].as_str().unwrap_or_default().to_string());
                }
            }
        } else if e["type"] == "tool_result" {
            results.push(e["call_id"].as_str().unwrap_or_default().to_string());
        }
    }
    assert_eq!(calls, results, "every call has one result, in order");
    ctx
}
