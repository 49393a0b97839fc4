//! Running one tool call: checking its arguments against the tool's schema,
//! dispatching to the tool, and turning whatever happens (success, a tool
//! error, even a panic) into exactly one `tool_result`.
//!
//! Tools are plain functions `fn(Value, &Ctx) -> Result<Outcome, String>`:
//! an `Err` is a message for the model, which becomes an error result.

use crate::settings::Settings;
use crate::spec::{self, Spec};
use crate::{bash, edit, grep, patch, read, todo, walk, web, write};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;
use zerostack::protocol::{ToolCall, ToolResult};

/// What every call of one run shares.
pub struct Env {
    pub settings: Settings,
    /// Relative paths are taken from here.
    pub cwd: PathBuf,
    /// Describe what each call would do instead of doing it.
    pub dry_run: bool,
    /// Set on SIGINT, SIGTERM or SIGHUP: running calls stop, waiting ones
    /// do not start.
    pub cancel: Arc<AtomicBool>,
    pub dirs: Dirs,
    /// The tools this run offers; `None` means all.
    pub only: Option<Vec<&'static str>>,
    /// Why a tool outside `only` is refused, for the message.
    pub only_reason: String,
}

/// Where zs-tool keeps what outlives a call.
pub struct Dirs {
    /// Full outputs of commands whose output was cut.
    pub outputs: PathBuf,
    /// The task list file.
    pub todo: Option<PathBuf>,
}

impl Dirs {
    /// `$ZS_SESSION_DIR` when set; otherwise the cache folder for outputs
    /// and a per-project file in the state folder for the task list.
    pub fn from_env(cwd: &Path) -> Dirs {
        if let Some(s) = std::env::var_os("ZS_SESSION_DIR").filter(|s| !s.is_empty()) {
            let s = PathBuf::from(s);
            return Dirs {
                outputs: s.join("tool-output"),
                todo: Some(s.join("todo.json")),
            };
        }
        let outputs = zerostack::paths::cache_dir()
            .map(|d| d.join("tool-output"))
            .unwrap_or_else(|_| std::env::temp_dir().join("zerostack-tool-output"));
        let todo = zerostack::paths::state_dir()
            .ok()
            .map(|d| d.join("todo").join(todo::project_file_name(cwd)));
        Dirs { outputs, todo }
    }
}

/// What a tool sees of its call.
pub struct Ctx<'a> {
    pub env: &'a Env,
    pub call_id: &'a str,
    /// Receives output while a command runs; returns false when stdout is
    /// gone, which stops the command.
    pub stream: Option<&'a (dyn Fn(&str) -> bool + Sync)>,
}

impl Ctx<'_> {
    pub fn settings(&self) -> &Settings {
        &self.env.settings
    }

    pub fn cancelled(&self) -> bool {
        self.env.cancel.load(Ordering::Relaxed)
    }

    /// A path from the model: `~` expanded, relative to the working folder.
    pub fn path(&self, p: &str) -> PathBuf {
        let p = zerostack::paths::expand_tilde(p);
        if p.is_absolute() {
            p
        } else {
            self.env.cwd.join(p)
        }
    }
}

/// What a tool returns.
pub struct Outcome {
    pub content: String,
    pub is_error: bool,
    /// Fields added to the result line (`exit_code`, `full_output`, ...).
    pub extra: Map<String, Value>,
}

impl Outcome {
    pub fn ok(content: impl Into<String>) -> Outcome {
        Outcome {
            content: content.into(),
            is_error: false,
            extra: Map::new(),
        }
    }

    pub fn error(content: impl Into<String>) -> Outcome {
        Outcome {
            is_error: true,
            ..Outcome::ok(content)
        }
    }

    /// The answer to a call under `--dry-run`.
    pub fn dry_run(what: impl std::fmt::Display) -> Outcome {
        let mut o = Outcome::ok(format!("dry run: {what}"));
        o.extra.insert("dry_run".into(), Value::Bool(true));
        o
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Outcome {
        self.extra.insert(key.into(), value.into());
        self
    }
}

/// Deserializes checked arguments into a tool's own struct.
pub fn args<T: DeserializeOwned>(v: Value) -> Result<T, String> {
    serde_json::from_value(v).map_err(|e| format!("invalid arguments: {e}"))
}

/// The tool spec of a call, or the error result that refuses it.
pub fn lookup(env: &Env, name: &str) -> Result<&'static Spec, String> {
    let offered = |s: &&Spec| env.only.as_ref().is_none_or(|o| o.contains(&s.name));
    match spec::find(name) {
        Some(s) if offered(&s) => Ok(s),
        Some(_) => Err(format!(
            "tool '{name}' is not available here ({})",
            env.only_reason
        )),
        None => {
            let names: Vec<&str> = spec::TOOLS.iter().filter(offered).map(|s| s.name).collect();
            Err(format!(
                "unknown tool '{name}' (available: {})",
                names.join(", ")
            ))
        }
    }
}

/// Runs one call and builds its result. Never panics.
pub fn run(
    env: &Env,
    call: &ToolCall,
    stream: Option<&(dyn Fn(&str) -> bool + Sync)>,
) -> ToolResult {
    let start = Instant::now();
    let outcome = match prepare(env, call) {
        Ok((spec, args)) => {
            let ctx = Ctx {
                env,
                call_id: &call.id,
                stream,
            };
            // A bug in a tool must cost one call, not the whole stream.
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                dispatch(spec.name, args, &ctx)
            })) {
                Ok(Ok(o)) => o,
                Ok(Err(msg)) => Outcome::error(msg),
                Err(p) => Outcome::error(format!(
                    "internal error: the {} tool failed ({}); this is a bug in zs-tool",
                    spec.name,
                    panic_text(&p)
                )),
            }
        }
        Err(msg) => Outcome::error(msg),
    };
    finish(call, outcome, start)
}

/// An error result for a call that is not run (denied, never approved,
/// interrupted).
pub fn refuse(call: &ToolCall, message: String) -> ToolResult {
    finish(call, Outcome::error(message), Instant::now())
}

fn finish(call: &ToolCall, o: Outcome, start: Instant) -> ToolResult {
    let mut extra = o.extra;
    extra.insert(
        "duration_ms".into(),
        Value::from(start.elapsed().as_millis() as u64),
    );
    ToolResult {
        call_id: call.id.clone(),
        name: call.name.clone(),
        content: o.content,
        is_error: o.is_error,
        extra,
    }
}

/// Finds the tool and checks the arguments.
fn prepare(env: &Env, call: &ToolCall) -> Result<(&'static Spec, Value), String> {
    let spec = lookup(env, &call.name)?;
    let mut args = match &call.arguments {
        Value::Object(_) => call.arguments.clone(),
        Value::Null => Value::Object(Map::new()),
        // The protocol carries arguments that were not valid JSON as the raw
        // text. Some providers double-encode valid ones, so try once.
        Value::String(raw) => match serde_json::from_str::<Value>(raw) {
            Ok(v @ Value::Object(_)) => v,
            Ok(_) => {
                return Err(format!(
                    "the arguments must be a JSON object; got {}",
                    excerpt(raw, 200)
                ));
            }
            Err(e) => {
                return Err(format!(
                    "the arguments are not valid JSON ({e}); the text was: {}",
                    excerpt(raw, 200)
                ));
            }
        },
        other => {
            return Err(format!(
                "the arguments must be a JSON object, not {}",
                excerpt(&other.to_string(), 200)
            ));
        }
    };
    crate::validate::check(&(spec.parameters)(), &mut args, "")
        .map_err(|e| format!("invalid arguments for {}: {e}", spec.name))?;
    Ok((spec, args))
}

fn dispatch(name: &str, args: Value, ctx: &Ctx) -> Result<Outcome, String> {
    match name {
        "read" => read::run(args, ctx),
        "write" => write::run(args, ctx),
        "edit" => edit::run_edit(args, ctx),
        "multiedit" => edit::run_multi(args, ctx),
        "apply_patch" => patch::run(args, ctx),
        "bash" => bash::run(args, ctx),
        "grep" => grep::run(args, ctx),
        "find_files" => walk::run_find(args, ctx),
        "list_dir" => walk::run_list(args, ctx),
        "todo_write" => todo::run_write(args, ctx),
        "todo_read" => todo::run_read(args, ctx),
        "webfetch" => web::run_fetch(args, ctx),
        "websearch" => web::run_search(args, ctx),
        other => Err(format!("tool '{other}' has no implementation")),
    }
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".into()
    }
}

/// The first `max` characters of `s`, with `...` when cut.
pub fn excerpt(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}
