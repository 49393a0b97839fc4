//! The ask socket zs-perm connects to (`ZS_ASK_SOCKET`; protocol in
//! docs/permissions.md) (stub: owned by the backend helper).
use serde_json::Value;
use std::io;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlwaysPattern {
    pub tool: String,
    pub pattern: String,
}

/// A question from zs-perm.
#[derive(Debug, Clone, PartialEq)]
pub struct AskRequest {
    pub call_id: String,
    pub tool: String,
    pub summary: String,
    pub reason: String,
    pub rule: String,
    pub mode: String,
    pub arguments: Value,
    /// What "allow always" would store; empty: not offered.
    pub always: Vec<AlwaysPattern>,
    pub repeats: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AskAnswer {
    Once,
    Always,
    Deny(Option<String>),
}

/// A pending question; dropping it unanswered denies.
#[derive(Debug)]
pub struct Ask {
    pub request: AskRequest,
}

impl Ask {
    pub fn answer(self, answer: AskAnswer) {
        let _ = answer;
    }
}

/// The listening socket; dropping it removes the socket file.
#[derive(Debug)]
pub struct AskServer {
    path: PathBuf,
}

impl AskServer {
    /// Listens on a new socket in `dir`; every question goes to `on_ask`.
    pub fn start(
        dir: &Path,
        on_ask: impl Fn(Ask) + Send + Sync + 'static,
    ) -> io::Result<AskServer> {
        let _ = on_ask;
        Ok(AskServer {
            path: dir.join("ask.sock"),
        })
    }
    pub fn path(&self) -> &Path {
        &self.path
    }
}
