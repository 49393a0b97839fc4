//! zs-session, run for the front end: list, load, rename, fork, compact,
//! export, and the few details the app reads (folder, stats, context).
//!
//! Each call runs the zs-session binary once and waits for it; only
//! `compact` can take long (it calls the model), so the app runs it off the
//! main thread (`Sessions` is cheap to clone), or as a `Run` of
//! `compact_argv`. A failure is zs-session's own error line, as a string.

use serde_json::Value;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub id: String,
    pub name: Option<String>,
    /// When it was last written, as zs-session shows it.
    pub updated: String,
    /// The first user message, cut to a line.
    pub title: String,
}

/// What the status bar needs from `zs-session stats`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// Estimated tokens of the next call's context.
    pub context_tokens: u64,
    /// The model's context window, when known.
    pub window: Option<u64>,
    /// `context_tokens` as a percentage of `window`.
    pub percent: Option<f64>,
    /// USD spent so far, when any reply reported a cost.
    pub cost: Option<f64>,
    /// Whether every reply reported its cost.
    pub cost_complete: bool,
}

#[derive(Debug, Clone)]
pub struct Sessions {
    bin: PathBuf,
    /// The zs-chat `compact` runs (as ZS_CHAT); None: zs-session's own
    /// choice (beside it, else PATH).
    chat: Option<PathBuf>,
    /// The store in use instead of the user's (XDG_DATA_HOME): the
    /// throwaway one of --no-session.
    data_home: Option<PathBuf>,
}

impl Sessions {
    /// Runs `zs_session`; `compact` uses the zs-chat `find_bin` finds.
    pub fn new(zs_session: &Path) -> Sessions {
        Sessions {
            bin: zs_session.to_path_buf(),
            chat: crate::pipeline::find_bin("zs-chat"),
            data_home: None,
        }
    }

    /// Keeps sessions under `dir` (as XDG_DATA_HOME) instead of the user's
    /// data folder: every zs-session call, and every child given
    /// [`Sessions::env`], uses that store.
    pub fn with_data_home(mut self, dir: &Path) -> Sessions {
        self.data_home = Some(dir.to_path_buf());
        self
    }

    /// With this zs-chat for `compact`.
    pub fn with_chat(mut self, zs_chat: &Path) -> Sessions {
        self.chat = Some(zs_chat.to_path_buf());
        self
    }

    /// This project's sessions, newest first; at most `limit` (0: all).
    pub fn list(&self, limit: usize) -> Result<Vec<SessionInfo>, String> {
        let mut args: Vec<OsString> = vec!["list".into(), "--json".into()];
        if limit > 0 {
            args.push("-n".into());
            args.push(limit.to_string().into());
        }
        Ok(parse_list(&self.run(&args)?))
    }

    /// A reference (id, name, `@last`) to an id.
    pub fn resolve(&self, reference: &str) -> Result<String, String> {
        let id = self.get(reference, &["id"])?.into_iter().next();
        id.filter(|s| !s.is_empty())
            .ok_or_else(|| format!("no session '{reference}'"))
    }

    /// Details of a session (`id`, `name`, `cwd`, `model`, `provider`,
    /// `prompt`, `mode`, ...), one per key, empty when unset.
    pub fn get(&self, reference: &str, keys: &[&str]) -> Result<Vec<String>, String> {
        let mut args = args(&["get", "--", reference]);
        args.extend(keys.iter().map(OsString::from));
        let out = self.run(&args)?;
        let mut v: Vec<String> = out.lines().map(str::to_string).collect();
        v.resize(keys.len(), String::new());
        Ok(v)
    }

    /// The session's stored lines, header first, to render its history.
    pub fn lines(&self, id: &str) -> Result<Vec<String>, String> {
        let out = self.run(&args(&["show", "--", id]))?;
        Ok(out.lines().map(str::to_string).collect())
    }

    pub fn rename(&self, id: &str, name: &str) -> Result<(), String> {
        self.run(&args(&["rename", "--", id, name])).map(drop)
    }

    /// A new session with all of `id`'s entries; its id.
    pub fn fork(&self, id: &str) -> Result<String, String> {
        let out = self.run(&args(&["fork", "--print-id", "--", id]))?;
        first_line(&out).ok_or_else(|| "zs-session fork printed no id".to_string())
    }

    /// Compacts now; the `compaction` line written, if any.
    pub fn compact(&self, id: &str, chat_args: &[String]) -> Result<Option<String>, String> {
        let argv = self.compact_argv(id, chat_args);
        let out = self.run(&argv[1..])?;
        Ok(first_line(&out))
    }

    /// The argv of `compact` (zs-session first), to run it as a `Run` the
    /// app can cancel; `env` gives what it needs in its environment. Its
    /// stdout is the `compaction` line, or nothing when there was nothing
    /// to compact.
    pub fn compact_argv(&self, id: &str, chat_args: &[String]) -> Vec<OsString> {
        let mut v = vec![self.bin.clone().into_os_string()];
        v.extend(args(&["compact", id]));
        if !chat_args.is_empty() {
            v.push("--".into());
            v.extend(chat_args.iter().map(OsString::from));
        }
        v
    }

    /// The environment zs-session (and every child that reaches the
    /// store) runs with: ZS_CHAT when a zs-chat is known, XDG_DATA_HOME
    /// when the store is not the user's.
    pub fn env(&self) -> Vec<(OsString, OsString)> {
        let chat = self
            .chat
            .iter()
            .map(|c| ("ZS_CHAT".into(), c.clone().into_os_string()));
        let data = self
            .data_home
            .iter()
            .map(|d| ("XDG_DATA_HOME".into(), d.clone().into_os_string()));
        chat.chain(data).collect()
    }

    /// Exports as Markdown to `path` (default: `<id>.md` in the working
    /// folder); the path written.
    pub fn export(&self, id: &str, path: Option<&Path>) -> Result<PathBuf, String> {
        let path = path.map_or_else(|| default_export(id), Path::to_path_buf);
        let mut a = args(&["export", "--output"]);
        a.push(path.clone().into_os_string());
        a.extend(args(&["--", id]));
        self.run(&a)?;
        Ok(path)
    }

    /// The session's folder (tools.json, allowlist, saved outputs).
    pub fn dir(&self, id: &str) -> Result<PathBuf, String> {
        let out = self.run(&args(&["dir", "--", id]))?;
        first_line(&out)
            .map(PathBuf::from)
            .ok_or_else(|| "zs-session dir printed no folder".to_string())
    }

    /// Context use and cost, for the status bar after a session is loaded.
    pub fn stats(&self, id: &str) -> Result<Stats, String> {
        let out = self.run(&args(&["stats", "--json", "--", id]))?;
        parse_stats(&out)
    }

    /// The input of the next model call (system, tools, conversation), as
    /// `zs-session context` writes it; with the tools line from `tools`.
    pub fn context(&self, id: &str, tools: Option<&Path>) -> Result<Vec<u8>, String> {
        let mut a = args(&["context", id]);
        if let Some(t) = tools {
            a.push("--tools".into());
            a.push(t.as_os_str().to_os_string());
        }
        self.output(&a)
    }

    /// Runs zs-session with `args`; its stdout as text.
    fn run(&self, args: &[OsString]) -> Result<String, String> {
        let out = self.output(args)?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    fn output(&self, args: &[OsString]) -> Result<Vec<u8>, String> {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args)
            .envs(self.env())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let out = crate::pipeline::spawn(&mut cmd)
            .and_then(std::process::Child::wait_with_output)
            .map_err(|e| format!("cannot run '{}': {e}", self.bin.display()))?;
        if out.status.success() {
            return Ok(out.stdout);
        }
        Err(failure(
            &String::from_utf8_lossy(&out.stderr),
            &out.status.to_string(),
        ))
    }
}

fn args(a: &[&str]) -> Vec<OsString> {
    a.iter().map(OsString::from).collect()
}

fn first_line(out: &str) -> Option<String> {
    out.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
}

/// `<id>.md`, with anything that could leave the folder replaced.
fn default_export(id: &str) -> PathBuf {
    let safe: String = id
        .chars()
        .map(|c| if c == '/' || c == '\0' { '_' } else { c })
        .collect();
    let safe = if safe.starts_with('.') {
        format!("_{safe}")
    } else {
        safe
    };
    PathBuf::from(format!("{safe}.md"))
}

/// The message of a failed call: zs-session's last error line without its
/// prefix (another program's keeps its name), else its last line, else the
/// exit status.
fn failure(stderr: &str, status: &str) -> String {
    const PREFIX: &str = "zs-session: error: ";
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let line = lines
        .iter()
        .rev()
        .find(|l| l.contains("error:"))
        .or(lines.last());
    match line {
        Some(l) => l.strip_prefix(PREFIX).unwrap_or(l).to_string(),
        None => format!("zs-session failed ({status})"),
    }
}

/// `list --json` lines to sessions; lines that are not session objects are
/// skipped.
fn parse_list(out: &str) -> Vec<SessionInfo> {
    out.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| {
            let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
            let id = s("id")?;
            let when = s("updated").or_else(|| s("created")).unwrap_or_default();
            let title = s("first_user").unwrap_or_default();
            Some(SessionInfo {
                id,
                name: s("name").filter(|n| !n.is_empty()),
                updated: shown_time(&when),
                title: title.split_whitespace().collect::<Vec<_>>().join(" "),
            })
        })
        .collect()
}

/// An RFC 3339 time as zs-session's list shows it: `2026-01-02 03:04`.
fn shown_time(t: &str) -> String {
    let t = t.replace('T', " ");
    let t = t.trim_end_matches('Z');
    t.get(..16).unwrap_or(t).to_string()
}

fn parse_stats(out: &str) -> Result<Stats, String> {
    let v: Value = serde_json::from_str(out.trim())
        .map_err(|e| format!("zs-session stats printed no JSON: {e}"))?;
    let ctx = &v["context"];
    let cost_complete = v["cost_complete"].as_bool().unwrap_or(false);
    // A session with no reply yet has cost nothing, which says nothing
    // about what its replies will cost.
    let replies = v["messages"]["assistant"].as_u64().unwrap_or(0);
    let cost = v["cost"]
        .as_f64()
        .filter(|&c| c > 0.0 || (cost_complete && replies > 0));
    Ok(Stats {
        context_tokens: ctx["tokens"].as_u64().unwrap_or(0),
        window: ctx["window"].as_u64().filter(|&w| w > 0),
        percent: ctx["percent"].as_f64(),
        cost,
        cost_complete,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A fake zs-session: records its argv (one per line) and ZS_CHAT in
    /// `argv`, prints `out`, writes `err` on stderr and exits `code`.
    struct Fake {
        dir: tempfile::TempDir,
    }

    impl Fake {
        fn new(out: &str, err: &str, code: i32) -> Fake {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("out"), out).unwrap();
            std::fs::write(dir.path().join("err"), err).unwrap();
            let script = format!(
                "#!/bin/sh\nd='{}'\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done >\"$d/argv\"\nprintf '%s\\n' \"${{ZS_CHAT:-}}\" >\"$d/chat\"\nprintf '%s\\n' \"${{XDG_DATA_HOME:-}}\" >\"$d/data\"\ncat \"$d/out\"\ncat \"$d/err\" >&2\nexit {code}\n",
                dir.path().display()
            );
            let bin = dir.path().join("zs-session");
            std::fs::write(&bin, script).unwrap();
            std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
            Fake { dir }
        }
        fn sessions(&self) -> Sessions {
            Sessions::new(&self.dir.path().join("zs-session"))
                .with_chat(Path::new("/opt/zs/zs-chat"))
        }
        fn argv(&self) -> Vec<String> {
            std::fs::read_to_string(self.dir.path().join("argv"))
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect()
        }
        fn chat(&self) -> String {
            self.read("chat")
        }
        fn read(&self, name: &str) -> String {
            std::fs::read_to_string(self.dir.path().join(name))
                .unwrap()
                .trim_end()
                .to_string()
        }
    }

    #[test]
    fn list_reads_json_lines_newest_first() {
        let out = concat!(
            r#"{"type":"session_info","id":"20261120-233452-01ea","name":null,"created":"2026-11-20T23:34:52Z","updated":"2026-11-21T08:00:05Z","first_user":"fix  the\tbuild","entries":3}"#,
            "\n",
            "zs-session: not json\n",
            r#"{"type":"session_info","id":"20261119-100000-aaaa","name":"notes","created":"2026-11-19T10:00:00Z","updated":null,"first_user":""}"#,
            "\n"
        );
        let f = Fake::new(out, "", 0);
        let list = f.sessions().list(30).unwrap();
        assert_eq!(f.argv(), ["list", "--json", "-n", "30"]);
        assert_eq!(
            list,
            [
                SessionInfo {
                    id: "20261120-233452-01ea".into(),
                    name: None,
                    updated: "2026-11-21 08:00".into(),
                    title: "fix the build".into(),
                },
                SessionInfo {
                    id: "20261119-100000-aaaa".into(),
                    name: Some("notes".into()),
                    updated: "2026-11-19 10:00".into(),
                    title: String::new(),
                },
            ]
        );
        f.sessions().list(0).unwrap();
        assert_eq!(f.argv(), ["list", "--json"]);
    }

    #[test]
    fn resolve_and_get_ask_for_keys() {
        let f = Fake::new("20261120-233452-01ea\n", "", 0);
        assert_eq!(
            f.sessions().resolve("-odd name").unwrap(),
            "20261120-233452-01ea"
        );
        assert_eq!(f.argv(), ["get", "--", "-odd name", "id"]);
        let f = Fake::new("m1\n\n", "", 0);
        assert_eq!(
            f.sessions()
                .get("@last", &["model", "provider", "mode"])
                .unwrap(),
            ["m1", "", ""]
        );
        assert_eq!(
            f.argv(),
            ["get", "--", "@last", "model", "provider", "mode"]
        );
    }

    #[test]
    fn errors_are_zs_sessions_own_line() {
        let f = Fake::new(
            "{\"type\":\"error\",\"fatal\":true}\n",
            "zs-session: warning: something\nzs-session: error: no session 'nope' (see zs-session list --all)\n",
            2,
        );
        assert_eq!(
            f.sessions().resolve("nope").unwrap_err(),
            "no session 'nope' (see zs-session list --all)"
        );
        let f = Fake::new("", "", 1);
        assert!(
            f.sessions()
                .lines("x")
                .unwrap_err()
                .starts_with("zs-session failed (exit status: 1")
        );
        let missing = Sessions::new(Path::new("/nonexistent/zs-session"));
        assert!(
            missing
                .list(1)
                .unwrap_err()
                .starts_with("cannot run '/nonexistent/zs-session'")
        );
    }

    #[test]
    fn failure_keeps_another_programs_name() {
        assert_eq!(
            failure(
                "zs-chat: error: no API key for anthropic\n",
                "exit status: 5"
            ),
            "zs-chat: error: no API key for anthropic"
        );
        assert_eq!(failure("  just text  \n\n", "x"), "just text");
    }

    #[test]
    fn lines_are_the_stored_lines() {
        let f = Fake::new(
            "{\"type\":\"session\",\"id\":\"s\"}\n{\"type\":\"user\",\"text\":\"hi\"}\n",
            "",
            0,
        );
        assert_eq!(
            f.sessions().lines("s").unwrap(),
            [
                r#"{"type":"session","id":"s"}"#,
                r#"{"type":"user","text":"hi"}"#
            ]
        );
        assert_eq!(f.argv(), ["show", "--", "s"]);
    }

    #[test]
    fn rename_and_fork() {
        let f = Fake::new("", "", 0);
        f.sessions().rename("s1", "--my name").unwrap();
        assert_eq!(f.argv(), ["rename", "--", "s1", "--my name"]);
        let f = Fake::new("20261121-000000-bbbb\n", "", 0);
        assert_eq!(f.sessions().fork("s1").unwrap(), "20261121-000000-bbbb");
        assert_eq!(f.argv(), ["fork", "--print-id", "--", "s1"]);
        let f = Fake::new("", "", 0);
        assert!(f.sessions().fork("s1").is_err());
    }

    #[test]
    fn compact_passes_chat_args_and_zs_chat() {
        let line = r#"{"type":"compaction","summary":"s","first_kept":4}"#;
        let f = Fake::new(&format!("{line}\n"), "", 0);
        let args = vec!["--model".to_string(), "m".to_string()];
        assert_eq!(
            f.sessions().compact("s1", &args).unwrap(),
            Some(line.into())
        );
        assert_eq!(f.argv(), ["compact", "s1", "--", "--model", "m"]);
        assert_eq!(f.chat(), "/opt/zs/zs-chat");
        let f = Fake::new("", "zs-session: warning: nothing to compact\n", 0);
        assert_eq!(f.sessions().compact("s1", &[]).unwrap(), None);
        assert_eq!(f.argv(), ["compact", "s1"]);
        let s = f.sessions();
        let argv = s.compact_argv("s1", &args);
        assert_eq!(argv[0], f.dir.path().join("zs-session").into_os_string());
        assert_eq!(s.env(), [("ZS_CHAT".into(), "/opt/zs/zs-chat".into())]);
    }

    #[test]
    fn a_data_home_reaches_every_call_and_the_env_of_children() {
        let f = Fake::new("s1\n", "", 0);
        f.sessions().resolve("@last").unwrap();
        assert_eq!(f.read("data"), "");
        let s = f.sessions().with_data_home(Path::new("/tmp/zs-x/data"));
        s.resolve("@last").unwrap();
        assert_eq!(f.read("data"), "/tmp/zs-x/data");
        assert_eq!(
            s.env(),
            [
                ("ZS_CHAT".into(), "/opt/zs/zs-chat".into()),
                ("XDG_DATA_HOME".into(), "/tmp/zs-x/data".into())
            ]
        );
    }

    #[test]
    fn export_writes_to_the_given_or_default_path() {
        let f = Fake::new("", "", 0);
        let p = f
            .sessions()
            .export("s1", Some(Path::new("/tmp/out.md")))
            .unwrap();
        assert_eq!(p, Path::new("/tmp/out.md"));
        assert_eq!(f.argv(), ["export", "--output", "/tmp/out.md", "--", "s1"]);
        let p = f.sessions().export("20261121-000000-bbbb", None).unwrap();
        assert_eq!(p, Path::new("20261121-000000-bbbb.md"));
        assert_eq!(default_export("../x"), Path::new("_.._x.md"));
    }

    #[test]
    fn dir_context_and_stats() {
        let f = Fake::new("/data/sessions/p/s1\n", "", 0);
        assert_eq!(
            f.sessions().dir("s1").unwrap(),
            Path::new("/data/sessions/p/s1")
        );
        assert_eq!(f.argv(), ["dir", "--", "s1"]);
        let f = Fake::new("{\"type\":\"system\",\"text\":\"x\"}\n", "", 0);
        let ctx = f
            .sessions()
            .context("s1", Some(Path::new("/d/tools.json")))
            .unwrap();
        assert_eq!(ctx, b"{\"type\":\"system\",\"text\":\"x\"}\n");
        assert_eq!(f.argv(), ["context", "s1", "--tools", "/d/tools.json"]);
        let f = Fake::new(
            r#"{"context":{"percent":0.7,"tokens":849,"window":128000},"cost":0.0123,"cost_complete":false,"type":"session_stats"}"#,
            "",
            0,
        );
        assert_eq!(
            f.sessions().stats("s1").unwrap(),
            Stats {
                context_tokens: 849,
                window: Some(128000),
                percent: Some(0.7),
                cost: Some(0.0123),
                cost_complete: false,
            }
        );
        assert_eq!(f.argv(), ["stats", "--json", "--", "s1"]);
        // No cost reported at all: unknown, not $0.
        let s =
            parse_stats(r#"{"context":{"tokens":5},"cost":0.0,"cost_complete":false}"#).unwrap();
        assert_eq!((s.cost, s.window, s.percent), (None, None, None));
        let s = parse_stats(r#"{"context":{"tokens":5},"cost":0.0,"cost_complete":true,"messages":{"assistant":0}}"#).unwrap();
        assert_eq!(s.cost, None);
        let s = parse_stats(r#"{"context":{"tokens":5},"cost":0.0,"cost_complete":true,"messages":{"assistant":2}}"#).unwrap();
        assert_eq!(s.cost, Some(0.0));
    }
}
