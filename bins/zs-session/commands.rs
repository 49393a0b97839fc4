//! The subcommands: parse the arguments, find the session, do the one
//! thing asked. The store, the replay and the context builder hold the
//! logic; this file wires them to stdin, stdout and the configuration.

use crate::args::{self, Args, Cmd};
use crate::context;
use crate::entries::{Kind, Loaded, typed_line};
use crate::history::{self, Item};
use crate::prompts;
use crate::settings::Settings;
use crate::store::{SessionRef, Store};
use crate::{clock, compact, project, record, stats, transfer};
use serde_json::{Map, Value, json};
use std::io::{BufRead, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;
use zerostack::cli::{parse_args_with, warn};
use zerostack::config::Config;
use zerostack::error::Error;
use zerostack::protocol::{Event, ROUND_END_LINE, User};

/// What most commands need: the store, the working directory, the settings.
pub struct Env {
    pub store: Store,
    /// The process's working directory, made absolute and canonical.
    pub cwd: PathBuf,
}

impl Env {
    fn new() -> Result<Env, Error> {
        let cwd = std::env::current_dir()
            .map_err(|e| Error::failure(format!("cannot read the working directory: {e}")))?;
        Ok(Env {
            store: Store::open()?,
            cwd: std::fs::canonicalize(&cwd).unwrap_or(cwd),
        })
    }

    pub fn resolve(&self, arg: &str) -> Result<SessionRef, Error> {
        self.store.resolve(arg, &self.cwd)
    }
}

/// The configuration and the `session` section.
pub fn settings() -> Result<(Config, Settings), Error> {
    let config = Config::load()?;
    let settings = Settings::from_config(&config)?;
    Ok((config, settings))
}

pub fn lock_wait(s: &Settings) -> Duration {
    Duration::from_millis(s.lock_wait_ms)
}

/// A buffered stdout for commands that write a batch: lines are written
/// whole and flushed at the end (and whenever the buffer fills).
fn stdout() -> BufWriter<std::io::StdoutLock<'static>> {
    BufWriter::with_capacity(64 * 1024, std::io::stdout().lock())
}

pub fn run() -> Result<(), Error> {
    let args: Args = parse_args_with(args::fast)?;
    let env = Env::new()?;
    match args.cmd {
        Cmd::New(a) => new(&env, a),
        Cmd::List(a) => list(&env, a),
        Cmd::Show(a) => show(&env, a),
        Cmd::Append(a) => append(&env, a),
        Cmd::Context(a) => context_cmd(&env, a),
        Cmd::Record(a) => {
            let (config, settings) = settings()?;
            let s = env.resolve(&a.s.session)?;
            let end = a.state.as_deref().map(|path| record::StateOut {
                path,
                env: &env,
                config: &config,
                settings: &settings,
            });
            record::run(&s, lock_wait(&settings), a.progress, end)
        }
        Cmd::Compact(a) => compact::run(&env, a),
        Cmd::Fork(a) => fork(&env, a),
        Cmd::Export(a) => transfer::export(&env, a),
        Cmd::Import(a) => transfer::import(&env, a),
        Cmd::Rename(a) => rename(&env, a),
        Cmd::Delete(a) => delete(&env, &a.session),
        Cmd::Last(a) => last(&env, a),
        Cmd::Stats(a) => stats::run(&env, a),
        Cmd::Dir(a) => dir(&env, &a.session),
        Cmd::State(a) => state(&env, &a.session),
        Cmd::Get(a) => get(&env, a),
        Cmd::Prompt(a) => prompt(&env, a),
    }
}

/// A directory argument made absolute and canonical; it must exist.
pub fn real_dir(p: &Path) -> Result<PathBuf, Error> {
    let real = std::fs::canonicalize(p)
        .map_err(|e| Error::usage(format!("bad --cwd '{}': {e}", p.display())))?;
    if !real.is_dir() {
        return Err(Error::usage(format!(
            "bad --cwd '{}': not a directory",
            p.display()
        )));
    }
    Ok(real)
}

/// The header fields of a new session, in the order documented.
pub fn header_fields(
    cwd: &Path,
    model: Option<&str>,
    provider: Option<&str>,
    prompt: &str,
    mode: Option<&str>,
    name: Option<&str>,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("cwd".into(), json!(cwd.to_string_lossy()));
    m.insert("created".into(), json!(clock::now_rfc3339()));
    for (k, v) in [
        ("model", model),
        ("provider", provider),
        ("prompt", Some(prompt)),
        ("mode", mode),
        ("name", name),
    ] {
        if let Some(v) = v {
            m.insert(k.into(), json!(v));
        }
    }
    m
}

/// Prints a new session's header line, or its id.
pub fn print_new(header: &str, id: &str, print_id: bool) -> Result<(), Error> {
    let mut out = stdout();
    writeln!(out, "{}", if print_id { id } else { header })?;
    out.flush()?;
    Ok(())
}

fn new(env: &Env, a: args::NewArgs) -> Result<(), Error> {
    let cwd = match &a.cwd {
        Some(p) => real_dir(p)?,
        None => env.cwd.clone(),
    };
    let name = a.prompt.as_deref().unwrap_or(prompts::DEFAULT);
    let prompt = prompts::load(name, Some(&cwd))?;
    let mode = a.mode.or(prompt.mode);
    let fields = header_fields(
        &cwd,
        a.model.as_deref(),
        a.provider.as_deref(),
        name,
        mode.as_deref(),
        a.name.as_deref(),
    );
    let (s, header) = env.store.create(&cwd, &fields)?;
    print_new(&header, &s.id, a.print_id)
}

/// The text of the first user message, on one line, cut to `max` chars.
fn first_user(l: &Loaded, max: usize) -> String {
    let text = l
        .entries
        .iter()
        .filter(|e| e.kind == Kind::User)
        .find_map(|e| match serde_json::from_str::<Event>(l.line(e)) {
            Ok(Event::User(u)) => Some(u.text),
            _ => None,
        })
        .unwrap_or_default();
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > max {
        let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        flat
    }
}

fn list(env: &Env, a: args::ListArgs) -> Result<(), Error> {
    let here = project::key(&env.cwd);
    let mut sessions = env.store.sessions(if a.all { None } else { Some(&here) })?;
    sessions.reverse();
    if let Some(n) = a.limit {
        sessions.truncate(n);
    }
    let mut out = stdout();
    for s in sessions {
        let l = match s.load() {
            Ok(l) => l,
            Err(e) => {
                warn("zs-session", &format!("'{}': {e}", s.file.display()));
                continue;
            }
        };
        let meta = l.meta();
        let updated = std::fs::metadata(&s.file)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| clock::rfc3339(d.as_secs()));
        let entries = l.entries.len();
        if a.json {
            let line = json!({
                "type": "session_info",
                "id": s.id,
                "name": meta.name,
                "project": s.project,
                "path": s.file.to_string_lossy(),
                "cwd": meta.cwd,
                "created": meta.created,
                "updated": updated,
                "model": meta.model,
                "provider": meta.provider,
                "prompt": meta.prompt,
                "entries": entries,
                "first_user": first_user(&l, 200),
            });
            writeln!(out, "{line}")?;
        } else {
            let created = meta.created.replace('T', " ");
            let created = created.trim_end_matches('Z');
            let created = created.get(..16).unwrap_or(created);
            let name = meta.name.as_deref().unwrap_or("-");
            let project = if a.all {
                format!("  {}", s.project)
            } else {
                String::new()
            };
            writeln!(
                out,
                "{}  {created}  {entries:>5}  {name}{project}  {}",
                s.id,
                first_user(&l, 60)
            )?;
        }
    }
    out.flush()?;
    Ok(())
}

fn show(env: &Env, a: args::ShowArgs) -> Result<(), Error> {
    let l = env.resolve(&a.s.session)?.load()?;
    let mut out = stdout();
    if a.from.is_none() {
        writeln!(out, "{}", l.header_line())?;
    }
    let from = a.from.unwrap_or(0);
    for e in l.entries.iter().filter(|e| e.no >= from) {
        writeln!(out, "{}", l.line(e))?;
    }
    out.flush()?;
    Ok(())
}

fn append(env: &Env, a: args::AppendArgs) -> Result<(), Error> {
    let s = env.resolve(&a.s.session)?;
    let text = if a.text.is_empty() || a.text == ["-"] {
        if std::io::stdin().is_terminal() {
            warn("zs-session", "type the message, then Ctrl-D");
        }
        let mut t = String::new();
        std::io::stdin()
            .read_to_string(&mut t)
            .map_err(|e| Error::input(format!("cannot read the message from stdin: {e}")))?;
        t.trim_end_matches(['\n', '\r']).to_string()
    } else {
        a.text.join(" ")
    };
    if text.trim().is_empty() {
        return Err(Error::usage(
            "empty message: give it as arguments or on stdin",
        ));
    }
    let (_, settings) = settings()?;
    let (mut app, _) = s.open_writer(lock_wait(&settings))?;
    let line = serde_json::to_string(&Event::User(User {
        text,
        extra: Map::new(),
    }))
    .map_err(|e| Error::failure(format!("cannot encode the message: {e}")))?;
    app.append(&line)?;
    if a.echo {
        let mut out = stdout();
        writeln!(out, "{line}")?;
        out.flush()?;
    }
    Ok(())
}

/// Reads the `tools` line of a file as `zs-tool schema` writes it.
/// What a `tools` event must hold (see `zerostack::protocol::Tools`), checked
/// without building the schemas as values: the line is passed on as it is,
/// every round, so only its shape matters here.
#[derive(serde::Deserialize)]
struct ToolsCheck {
    #[allow(dead_code)]
    tools: Vec<ToolCheck>,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct ToolCheck {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    parameters: serde::de::IgnoredAny,
}

fn tools_line(path: &Path) -> Result<String, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::usage(format!("cannot read tools file '{}': {e}", path.display())))?;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if zerostack::protocol::line_type(line).as_deref() == Ok("tools") {
            return match serde_json::from_str::<ToolsCheck>(line) {
                Ok(_) => Ok(line.to_string()),
                Err(_) => Err(Error::input(format!(
                    "tools file '{}': the tools line is not a valid tools event",
                    path.display()
                ))),
            };
        }
    }
    Err(Error::input(format!(
        "tools file '{}' has no tools line",
        path.display()
    )))
}

/// The session's system text: its prompt (or `prompt_override`), its
/// context files unless left out, its environment.
pub fn system_for(
    l: &Loaded,
    env: &Env,
    settings: &Settings,
    prompt_override: Option<&str>,
    context_files: bool,
) -> Result<(String, PathBuf), Error> {
    let meta = l.meta();
    let cwd = meta
        .cwd
        .as_deref()
        .map(PathBuf::from)
        .unwrap_or_else(|| env.cwd.clone());
    let name = prompt_override
        .or(meta.prompt.as_deref())
        .unwrap_or(prompts::DEFAULT);
    let prompt = prompts::load(name, Some(&cwd))?;
    let files = if context_files && settings.context_files {
        context::context_files(&cwd, settings.context_files_max_bytes)
    } else {
        Vec::new()
    };
    Ok((
        context::system_text(&prompt, &files, &cwd, clock::now().0),
        cwd,
    ))
}

fn context_cmd(env: &Env, a: args::ContextArgs) -> Result<(), Error> {
    let s = env.resolve(&a.s.session)?;
    let (_, settings) = settings()?;
    // Read once, also with --follow: the wrapper writes the file once for
    // all the rounds of a prompt, and the tools offered stay the same.
    let tools = a.tools.as_deref().map(tools_line).transpose()?;
    let mut out = stdout();
    if !a.follow {
        write_context(&mut out, env, &s, &settings, &a, tools.as_deref())?;
        out.flush()?;
        return Ok(());
    }
    if std::io::stdin().is_terminal() {
        warn(
            "zs-session",
            "context --follow writes a context for every line of stdin (a terminal here); end with Ctrl-D",
        );
    }
    let mut input = std::io::stdin().lock();
    while next_line(&mut input).map_err(|e| Error::failure(format!("cannot read stdin: {e}")))? {
        // Everything but the settings and the tools line is read again:
        // the recorder, `append` and `compact` write the session between
        // rounds, and the prompt or the context files may change too.
        write_context(&mut out, env, &s, &settings, &a, tools.as_deref())?;
        // One flush for the context and its round_end, so the next stage
        // wakes once with the whole round.
        writeln!(out, "{ROUND_END_LINE}")?;
        out.flush()?;
    }
    Ok(())
}

/// Writes the context of `s` as it stands now to `out`, without a flush.
fn write_context<W: Write>(
    out: &mut W,
    env: &Env,
    s: &SessionRef,
    settings: &Settings,
    a: &args::ContextArgs,
    tools: Option<&str>,
) -> Result<(), Error> {
    let l = s.load()?;
    let (system, _) = system_for(&l, env, settings, a.prompt.as_deref(), !a.no_context_files)?;
    let replay = history::replay(&l, &s.id);
    context::write(out, &system, tools, &replay, settings, &s.dir)
}

/// Consumes one line of `input`, keeping none of it (`context --follow`
/// ignores what the line says, so a long one costs no memory): true when
/// there was a line, false at end of input. A last line without its `\n`
/// counts.
fn next_line(input: &mut impl BufRead) -> std::io::Result<bool> {
    let mut any = false;
    loop {
        let chunk = match input.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(any);
        }
        any = true;
        match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => {
                input.consume(i + 1);
                return Ok(true);
            }
            None => {
                let n = chunk.len();
                input.consume(n);
            }
        }
    }
}

fn fork(env: &Env, a: args::ForkArgs) -> Result<(), Error> {
    let src = env.resolve(&a.s.session)?;
    let l = src.load()?;
    let last = l.entries.last().map_or(0, |e| e.no);
    let at = a.at.unwrap_or(last);
    if a.at.is_some() && l.entry(at).is_none() {
        return Err(Error::usage(format!(
            "session '{}' has no entry {at} (entries run from 1 to {last}; see zs-session show)",
            src.id
        )));
    }
    let mut fields = l.header.clone();
    for k in [
        "type",
        "version",
        "id",
        "created",
        "forked_from",
        "imported_from",
    ] {
        fields.remove(k);
    }
    fields.insert("created".into(), json!(clock::now_rfc3339()));
    fields.insert("forked_from".into(), json!({"id": src.id, "entry": at}));
    match &a.name {
        Some(n) => {
            fields.insert("name".into(), json!(n));
        }
        None => {
            fields.remove("name");
        }
    }
    let cwd = l
        .meta()
        .cwd
        .map(PathBuf::from)
        .unwrap_or_else(|| env.cwd.clone());
    let (dst, header) = env.store.create(&cwd, &fields)?;
    let (_, settings) = settings()?;
    let (mut app, _) = dst.open_writer(lock_wait(&settings))?;
    // Entries are copied from 1, so every entry keeps its number and the
    // `first_kept` of a copied compaction stays right. A rename in the
    // source would carry its name over; the fork's own name wins.
    let mut n = 0;
    for e in l.entries.iter().filter(|e| e.no <= at) {
        while n + 1 < e.no {
            // A gap (a blank or broken line) keeps its number as an empty
            // meta entry.
            app.append(r#"{"type":"session_meta"}"#)?;
            n += 1;
        }
        if e.kind == Kind::Meta && a.name.is_some() {
            let mut m: Map<String, Value> = serde_json::from_str(l.line(e)).unwrap_or_default();
            m.remove("name");
            app.append(&typed_line("session_meta", &m))?;
        } else {
            app.append(l.line(e))?;
        }
        n = e.no;
    }
    // A fork of the whole session is a copy: the task list and allowlist
    // go with it. A fork from an earlier entry starts without them, since
    // they describe a later state.
    if at == last {
        copy_state(&src.dir, &dst.dir);
    }
    print_new(&header, &dst.id, a.print_id)
}

/// Copies the top-level files of a session folder (not the lock, torn
/// bytes or saved outputs, which are rebuilt on demand).
fn copy_state(from: &Path, to: &Path) {
    let Ok(rd) = std::fs::read_dir(from) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if !p.is_file() || name == "lock" || name.starts_with("torn-") {
            continue;
        }
        if let Err(err) = std::fs::copy(&p, to.join(&name)) {
            warn(
                "zs-session",
                &format!("cannot copy '{}': {err}", p.display()),
            );
        }
    }
}

fn rename(env: &Env, a: args::RenameArgs) -> Result<(), Error> {
    let s = env.resolve(&a.s.session)?;
    if a.name.trim().is_empty() {
        return Err(Error::usage("empty name"));
    }
    let (_, settings) = settings()?;
    let (mut app, _) = s.open_writer(lock_wait(&settings))?;
    let mut m = Map::new();
    m.insert("name".into(), json!(a.name));
    app.append_meta(&m)?;
    Ok(())
}

fn delete(env: &Env, arg: &str) -> Result<(), Error> {
    let s = env.resolve(arg)?;
    // Taking the lock first means a live writer is never deleted under.
    let (_, settings) = settings()?;
    let (app, _) = s.open_writer(lock_wait(&settings))?;
    std::fs::remove_file(&s.file)
        .map_err(|e| Error::failure(format!("cannot delete '{}': {e}", s.file.display())))?;
    if s.dir.exists() {
        std::fs::remove_dir_all(&s.dir)
            .map_err(|e| Error::failure(format!("cannot delete '{}': {e}", s.dir.display())))?;
    }
    drop(app);
    Ok(())
}

fn last(env: &Env, a: args::LastArgs) -> Result<(), Error> {
    let s = env.resolve(&a.s.session)?;
    let l = s.load()?;
    let found = l
        .entries
        .iter()
        .rev()
        .filter(|e| e.kind == Kind::Assistant)
        .find_map(|e| match serde_json::from_str::<Event>(l.line(e)) {
            Ok(Event::Assistant(m)) => Some((l.line(e), m)),
            _ => None,
        });
    let Some((line, m)) = found else {
        return Err(Error::failure(format!(
            "session '{}' has no assistant message",
            s.id
        )));
    };
    let mut out = stdout();
    if a.json {
        writeln!(out, "{line}")?;
    } else {
        let text = m.text();
        write!(out, "{text}")?;
        if !text.ends_with('\n') {
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(())
}

fn dir(env: &Env, arg: &str) -> Result<(), Error> {
    let s = env.resolve(arg)?;
    std::fs::create_dir_all(&s.dir)
        .map_err(|e| Error::failure(format!("cannot create '{}': {e}", s.dir.display())))?;
    let mut out = stdout();
    writeln!(out, "{}", s.dir.display())?;
    out.flush()?;
    Ok(())
}

/// What the conversation waits for, as one word: `model` (it ends on the
/// user's side: call the model), `user` (the model answered), `interrupted`
/// (tool calls at the end have no results: a crash or a Ctrl-C), `empty`.
/// A summary with nothing after it waits for the user: it answers nothing.
pub fn state_word(l: &Loaded, id: &str) -> &'static str {
    let r = history::replay(l, id);
    match r.items.last() {
        None => "empty",
        Some(Item::Interrupted { .. }) => "interrupted",
        Some(Item::Entry {
            kind: Kind::Assistant | Kind::Compaction,
            ..
        }) => "user",
        Some(Item::Entry { .. }) => "model",
    }
}

fn state(env: &Env, arg: &str) -> Result<(), Error> {
    let s = env.resolve(arg)?;
    let l = s.load()?;
    let mut out = stdout();
    writeln!(out, "{}", state_word(&l, &s.id))?;
    out.flush()?;
    Ok(())
}

/// One detail of the session as now set (the header with every
/// `session_meta` applied), or all of them as one `session` line. An unset
/// detail prints nothing.
fn get(env: &Env, a: args::GetArgs) -> Result<(), Error> {
    let s = env.resolve(&a.s.session)?;
    let l = s.load()?;
    let meta = l.meta();
    if let Some(k) = a
        .keys
        .iter()
        .find(|k| !args::GET_KEYS.contains(&k.as_str()))
    {
        return Err(Error::usage(format!(
            "unknown key '{k}' (known: {})",
            args::GET_KEYS.join(", ")
        )));
    }
    let mut out = stdout();
    if a.keys.len() > 1 {
        // Several keys: one line each, empty when unset, for `read`.
        for k in &a.keys {
            let v = detail(&s, &meta, k)?;
            writeln!(out, "{}", v.unwrap_or_default())?;
        }
        out.flush()?;
        return Ok(());
    }
    let Some(key) = a.keys.first() else {
        let mut fields = l.header.clone();
        for (k, v) in [
            ("cwd", &meta.cwd),
            ("name", &meta.name),
            ("model", &meta.model),
            ("provider", &meta.provider),
            ("prompt", &meta.prompt),
            ("mode", &meta.mode),
        ] {
            match v {
                Some(v) => fields.insert(k.into(), json!(v)),
                None => fields.remove(k),
            };
        }
        writeln!(out, "{}", typed_line("session", &fields))?;
        out.flush()?;
        return Ok(());
    };
    if let Some(v) = detail(&s, &meta, key)? {
        writeln!(out, "{v}")?;
    }
    out.flush()?;
    Ok(())
}

/// One detail of a session by its `get` key.
fn detail(s: &SessionRef, meta: &crate::entries::Meta, key: &str) -> Result<Option<String>, Error> {
    let meta = meta.clone();
    Ok(match key {
        "id" => Some(s.id.clone()),
        "name" => meta.name,
        "cwd" => meta.cwd,
        "created" => Some(meta.created).filter(|c| !c.is_empty()),
        "model" => meta.model,
        "provider" => meta.provider,
        "prompt" => meta.prompt,
        "mode" => meta.mode,
        "file" => Some(s.file.to_string_lossy().into_owned()),
        "dir" => Some(s.dir.to_string_lossy().into_owned()),
        "project" => Some(s.project.clone()),
        other => {
            return Err(Error::usage(format!(
                "unknown key '{other}' (known: {})",
                args::GET_KEYS.join(", ")
            )));
        }
    })
}

fn prompt(env: &Env, a: args::PromptArgs) -> Result<(), Error> {
    let mut out = stdout();
    if a.list {
        for (name, source) in prompts::list(Some(&env.cwd)) {
            writeln!(out, "{name}\t{source}")?;
        }
    } else {
        let p = prompts::load(
            a.name.as_deref().unwrap_or(prompts::DEFAULT),
            Some(&env.cwd),
        )?;
        if a.mode {
            if let Some(m) = p.mode {
                writeln!(out, "{m}")?;
            }
        } else {
            writeln!(out, "{}", p.text)?;
        }
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_line_counts_lines_and_keeps_none_of_them() {
        let count = |input: &[u8]| {
            // One byte at a time too, so a line spread over reads is one.
            let mut n = 0;
            let mut r = std::io::BufReader::with_capacity(1, input);
            while next_line(&mut r).unwrap() {
                n += 1;
            }
            let mut whole = input;
            let mut m = 0;
            while next_line(&mut whole).unwrap() {
                m += 1;
            }
            assert_eq!(n, m, "{input:?}");
            n
        };
        assert_eq!(count(b""), 0);
        assert_eq!(count(b"next\n"), 1);
        assert_eq!(count(b"next\nnext\n"), 2);
        assert_eq!(count(b"\n\n"), 2);
        assert_eq!(count(b"next\nlast without lf"), 2);
        assert_eq!(count(&[b'x'; 10_000]), 1);
    }

    #[test]
    fn a_tools_file_is_checked_as_a_tools_event_would_be() {
        let dir = tempfile::tempdir().unwrap();
        let check = |text: &str| {
            let p = dir.path().join("tools.json");
            std::fs::write(&p, text).unwrap();
            // The same verdict as parsing the line as a protocol event.
            let as_event = text
                .lines()
                .find(|l| zerostack::protocol::line_type(l).as_deref() == Ok("tools"))
                .map(|l| matches!(serde_json::from_str::<Event>(l), Ok(Event::Tools(_))));
            let r = tools_line(&p);
            assert_eq!(r.is_ok(), as_event == Some(true), "{text}");
            r
        };
        let good = r#"{"type":"tools","tools":[{"name":"read","description":"d","parameters":{"type":"object","properties":{"path":{"type":"string"}}}},{"name":"x"}],"extra":1}"#;
        assert_eq!(check(&format!("\n{good}\n")).unwrap(), good);
        for bad in [
            r#"{"type":"tools"}"#,
            r#"{"type":"tools","tools":{}}"#,
            r#"{"type":"tools","tools":[{"description":"no name"}]}"#,
            r#"{"type":"tools","tools":[{"name":"n","description":7}]}"#,
            r#"{"type":"tools","tools":[{"name":1}]}"#,
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
        assert!(check(r#"{"type":"system","text":"x"}"#).is_err());
    }
}
