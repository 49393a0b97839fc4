//! Child processes: the turn loop (the `zerostack` wrapper with --json),
//! `!cmd` shell commands and /btw side questions (stub: owned by the
//! backend helper).
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

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
}

impl Run {
    /// Starts `argv` in `cwd` with stdin from /dev/null and `env` added.
    pub fn start(
        argv: &[OsString],
        env: &[(OsString, OsString)],
        cwd: &Path,
        on_event: impl Fn(RunEvent) + Send + Sync + 'static,
    ) -> io::Result<Run> {
        let _ = (argv, env, cwd, on_event);
        Err(io::Error::other("not built yet"))
    }
    pub fn pid(&self) -> u32 {
        self.pid
    }
    /// SIGINT to the whole group, then SIGKILL if it is still there after a
    /// grace period. Returns at once.
    pub fn interrupt(&self) {}
    /// SIGKILL to the whole group.
    pub fn kill(&self) {}
}

/// A zerostack binary: beside this executable, else on PATH.
pub fn find_bin(name: &str) -> Option<PathBuf> {
    let _ = name;
    None
}

/// The wrapper's argv for one prompt: `zerostack -p --json --quiet
/// --non-interactive deny [--session ID] [flags] -- PROMPT`.
pub fn turn_argv(wrapper: &Path, opts: &TurnOptions, prompt: &str) -> Vec<OsString> {
    let _ = (opts, prompt);
    vec![wrapper.into()]
}
