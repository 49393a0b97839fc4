//! The session store: one append-only JSONL file per session under
//! `$XDG_DATA_HOME/zerostack/sessions/<project>/<id>.jsonl`, and a folder
//! `<id>/` beside it for what the session keeps out of line (full tool
//! outputs, the task list, the allowlist, the writer lock, torn bytes).
//! This module finds, creates, opens and appends to sessions; entries.rs
//! reads their text. The one change ever made to a file besides appending
//! is cutting a torn last line (a write a crash interrupted), whose bytes
//! are kept in the folder. See docs/sessions.md.

use crate::clock;
use crate::entries::{HeaderOut, Loaded, MetaOut, parse, torn_tail, warn_entry};
use crate::lock::Lock;
use crate::project;
use serde_json::{Map, Value};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;
use zerostack::cli::warn;
use zerostack::error::Error;
use zerostack::protocol::VERSION;

/// A session's file and folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRef {
    pub id: String,
    pub file: PathBuf,
    pub dir: PathBuf,
    /// The project folder's name.
    pub project: String,
}

impl SessionRef {
    fn at(file: PathBuf) -> SessionRef {
        let id = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let parent = file.parent().map(Path::to_path_buf).unwrap_or_default();
        let project = parent
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        SessionRef {
            dir: parent.join(&id),
            id,
            file,
            project,
        }
    }

    fn lock_path(&self) -> PathBuf {
        self.dir.join("lock")
    }

    fn read_bytes(&self) -> Result<Vec<u8>, Error> {
        std::fs::read(&self.file).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::usage(format!("no session '{}'", self.id))
            } else {
                Error::failure(format!("cannot read '{}': {e}", self.file.display()))
            }
        })
    }

    /// Reads the session. A torn tail is repaired when no writer holds the
    /// lock; while one does, the tail is a line being written and is only
    /// left out.
    pub fn load(&self) -> Result<Loaded, Error> {
        let mut bytes = self.read_bytes()?;
        if let Some(cut) = torn_tail(&bytes) {
            match Lock::try_acquire(&self.lock_path())? {
                Some(_lock) => {
                    bytes = self.read_bytes()?;
                    self.repair(&mut bytes)?;
                }
                None => bytes.truncate(cut),
            }
        }
        self.parse(bytes)
    }

    /// Takes the writer lock (waiting up to `wait`), repairs a torn tail and
    /// reads the session, so nothing is ever appended after a broken line.
    pub fn open_writer(&self, wait: Duration) -> Result<(Appender, Loaded), Error> {
        let lock = Lock::acquire(&self.lock_path(), wait, &self.id)?;
        let mut bytes = self.read_bytes()?;
        self.repair(&mut bytes)?;
        let loaded = self.parse(bytes)?;
        let file = OpenOptions::new()
            .append(true)
            .open(&self.file)
            .map_err(|e| Error::failure(format!("cannot open '{}': {e}", self.file.display())))?;
        Ok((
            Appender {
                file,
                next_no: loaded.next_no(),
                id: self.id.clone(),
                buf: Vec::new(),
                unsynced: false,
                _lock: lock,
            },
            loaded,
        ))
    }

    fn parse(&self, bytes: Vec<u8>) -> Result<Loaded, Error> {
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                // Keep line numbers: a line that is not UTF-8 becomes blank.
                let bytes = e.into_bytes();
                let mut text = String::with_capacity(bytes.len());
                for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
                    if i > 0 {
                        text.push('\n');
                    }
                    match std::str::from_utf8(line) {
                        Ok(l) => text.push_str(l),
                        Err(_) if i > 0 => warn_entry(&self.id, i, "is not UTF-8; skipped"),
                        Err(_) => {}
                    }
                }
                text
            }
        };
        parse(text, &self.id)
    }

    /// Cuts a torn tail off the file (we hold the lock), keeping its bytes
    /// in `torn-<time>.jsonl` in the folder, and says so on stderr.
    fn repair(&self, bytes: &mut Vec<u8>) -> Result<(), Error> {
        let Some(cut) = torn_tail(bytes) else {
            return Ok(());
        };
        let fail = |what: &str, p: &Path, e: std::io::Error| {
            Error::failure(format!(
                "cannot repair session '{}': {what} '{}': {e}",
                self.id,
                p.display()
            ))
        };
        std::fs::create_dir_all(&self.dir).map_err(|e| fail("cannot create", &self.dir, e))?;
        let stamp = clock::stamp(clock::now().0);
        let mut n = 0;
        let (kept, mut f) = loop {
            let p = self.dir.join(if n == 0 {
                format!("torn-{stamp}.jsonl")
            } else {
                format!("torn-{stamp}-{n}.jsonl")
            });
            match OpenOptions::new().write(true).create_new(true).open(&p) {
                Ok(f) => break (p, f),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => n += 1,
                Err(e) => return Err(fail("cannot create", &p, e)),
            }
        };
        f.write_all(&bytes[cut..])
            .and_then(|()| f.sync_all())
            .map_err(|e| fail("cannot write", &kept, e))?;
        let file = OpenOptions::new()
            .write(true)
            .open(&self.file)
            .map_err(|e| fail("cannot open", &self.file, e))?;
        file.set_len(cut as u64)
            .and_then(|()| file.sync_all())
            .map_err(|e| fail("cannot truncate", &self.file, e))?;
        warn(
            "zs-session",
            &format!(
                "session '{}': the last line was torn by an interrupted write; cut off {} bytes, kept in '{}'",
                self.id,
                bytes.len() - cut,
                kept.display()
            ),
        );
        bytes.truncate(cut);
        Ok(())
    }
}

/// Appends entries while holding the writer lock. Each entry is one
/// `write` of the whole line and its `\n` on an O_APPEND descriptor, then
/// `fdatasync`: a crash leaves at worst one torn last line, which the next
/// open repairs. `record` writes a round's entries with
/// [`Appender::append_unsynced`] and syncs them once, at the end.
#[derive(Debug)]
pub struct Appender {
    file: File,
    next_no: usize,
    id: String,
    buf: Vec<u8>,
    /// Entries written since the last `fdatasync`.
    unsynced: bool,
    _lock: Lock,
}

impl Appender {
    /// Appends `line` (one JSON object, no `\n` in it), makes it durable,
    /// and returns its entry number.
    pub fn append(&mut self, line: &str) -> Result<usize, Error> {
        let no = self.append_unsynced(line)?;
        self.sync()?;
        Ok(no)
    }

    /// Appends `line` with one `write`, so that readers see it at once,
    /// without waiting for the disk: a crash of the process loses nothing;
    /// a crash of the machine before [`Appender::sync`] may lose it, or tear
    /// it (a torn tail is repaired on open), never an entry before it.
    pub fn append_unsynced(&mut self, line: &str) -> Result<usize, Error> {
        self.buf.clear();
        self.buf.extend_from_slice(line.as_bytes());
        self.buf.push(b'\n');
        self.file
            .write_all(&self.buf)
            .map_err(|e| Error::failure(format!("cannot write to session '{}': {e}", self.id)))?;
        self.unsynced = true;
        let no = self.next_no;
        self.next_no += 1;
        Ok(no)
    }

    /// `fdatasync` of what was appended since the last one, if anything.
    pub fn sync(&mut self) -> Result<(), Error> {
        if self.unsynced {
            self.file.sync_data().map_err(|e| {
                Error::failure(format!("cannot write to session '{}': {e}", self.id))
            })?;
            self.unsynced = false;
        }
        Ok(())
    }

    /// Appends a `session_meta` entry with `fields` and the time.
    pub fn append_meta(&mut self, fields: &Map<String, Value>) -> Result<usize, Error> {
        let line = serde_json::to_string(&MetaOut {
            kind: "session_meta",
            fields,
            at: clock::now_rfc3339(),
        })
        .map_err(|e| Error::failure(format!("cannot encode session_meta: {e}")))?;
        self.append(&line)
    }
}

/// The root of the store: `$XDG_DATA_HOME/zerostack/sessions`.
#[derive(Debug, Clone)]
pub struct Store {
    pub root: PathBuf,
}

impl Store {
    pub fn open() -> Result<Store, Error> {
        Ok(Store {
            root: zerostack::paths::data_dir()?.join("sessions"),
        })
    }

    /// Creates a session for `cwd` (absolute) with the header `fields`
    /// (cwd, created, model, ...), and its folder. Returns the session and
    /// its header line.
    pub fn create(
        &self,
        cwd: &Path,
        fields: &Map<String, Value>,
    ) -> Result<(SessionRef, String), Error> {
        let dir = self.root.join(project::key(cwd));
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::failure(format!("cannot create '{}': {e}", dir.display())))?;
        for attempt in 0..50 {
            let id = clock::new_id(attempt);
            let path = dir.join(format!("{id}.jsonl"));
            let mut f = match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(Error::failure(format!(
                        "cannot create '{}': {e}",
                        path.display()
                    )));
                }
            };
            let header = serde_json::to_string(&HeaderOut {
                kind: "session",
                version: VERSION,
                id: &id,
                fields,
            })
            .map_err(|e| Error::failure(format!("cannot encode the header: {e}")))?;
            f.write_all(format!("{header}\n").as_bytes())
                .and_then(|()| f.sync_all())
                .map_err(|e| Error::failure(format!("cannot write '{}': {e}", path.display())))?;
            let s = SessionRef::at(path);
            std::fs::create_dir_all(&s.dir)
                .map_err(|e| Error::failure(format!("cannot create '{}': {e}", s.dir.display())))?;
            return Ok((s, header));
        }
        Err(Error::failure("cannot find a free session id"))
    }

    /// Every session of one project folder, or of all of them, in id order
    /// (the order they were created).
    pub fn sessions(&self, project: Option<&str>) -> Result<Vec<SessionRef>, Error> {
        let projects: Vec<PathBuf> = match project {
            Some(p) => vec![self.root.join(p)],
            None => read_dir_sorted(&self.root)?
                .into_iter()
                .filter(|p| p.is_dir())
                .collect(),
        };
        let mut out = Vec::new();
        for p in projects {
            for f in read_dir_sorted(&p)? {
                if f.extension().is_some_and(|e| e == "jsonl") && f.is_file() {
                    out.push(SessionRef::at(f));
                }
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// Finds the session `arg` names: a path to a session file, `@last` (the
    /// most recently written session of this project), an id, a unique
    /// prefix of one, or a name set by `new --name` or `rename`. Ids,
    /// prefixes and names are looked up in this project first, then
    /// everywhere.
    pub fn resolve(&self, arg: &str, cwd: &Path) -> Result<SessionRef, Error> {
        if arg.is_empty() {
            return Err(Error::usage("empty session argument"));
        }
        if arg.contains('/') || arg.ends_with(".jsonl") {
            let p = PathBuf::from(arg);
            if p.is_file() {
                return Ok(SessionRef::at(p));
            }
            return Err(Error::usage(format!("no session file '{arg}'")));
        }
        let here = project::key(cwd);
        if arg == "@last" {
            let mut best: Option<(std::time::SystemTime, SessionRef)> = None;
            for s in self.sessions(Some(&here))? {
                let t = std::fs::metadata(&s.file)
                    .and_then(|m| m.modified())
                    .unwrap_or(std::time::UNIX_EPOCH);
                if best
                    .as_ref()
                    .is_none_or(|(bt, b)| (t, &s.id) > (*bt, &b.id))
                {
                    best = Some((t, s));
                }
            }
            return best
                .map(|(_, s)| s)
                .ok_or_else(|| Error::usage("no session in this project yet"));
        }
        // An id of this project, the wrapper's case every round: one stat,
        // where listing the store costs a stat per session of every project.
        if arg != "." && arg != ".." {
            let file = self.root.join(&here).join(format!("{arg}.jsonl"));
            if file.is_file() {
                return Ok(SessionRef::at(file));
            }
        }
        let all = self.sessions(None)?;
        if let Some(s) = all.iter().find(|s| s.id == arg) {
            return Ok(s.clone());
        }
        let prefixed: Vec<&SessionRef> = all.iter().filter(|s| s.id.starts_with(arg)).collect();
        let local: Vec<&SessionRef> = prefixed
            .iter()
            .copied()
            .filter(|s| s.project == here)
            .collect();
        for group in [&local, &prefixed] {
            match group.len() {
                0 => {}
                1 => return Ok(group[0].clone()),
                n => {
                    let ids: Vec<&str> = group.iter().take(5).map(|s| s.id.as_str()).collect();
                    return Err(Error::usage(format!(
                        "session prefix '{arg}' is ambiguous: {n} sessions match ({}{})",
                        ids.join(", "),
                        if n > 5 { ", ..." } else { "" }
                    )));
                }
            }
        }
        let (local, other): (Vec<&SessionRef>, Vec<&SessionRef>) =
            all.iter().partition(|s| s.project == here);
        for group in [local, other] {
            let named: Vec<&SessionRef> = group
                .into_iter()
                .rev()
                .filter(|s| {
                    s.load()
                        .is_ok_and(|l| l.meta().name.as_deref() == Some(arg))
                })
                .collect();
            match named.len() {
                0 => {}
                1 => return Ok(named[0].clone()),
                n => {
                    let ids: Vec<&str> = named.iter().take(5).map(|s| s.id.as_str()).collect();
                    return Err(Error::usage(format!(
                        "session name '{arg}' is ambiguous: {n} sessions have it ({}); use an id",
                        ids.join(", ")
                    )));
                }
            }
        }
        Err(Error::usage(format!(
            "no session '{arg}' (see zs-session list --all)"
        )))
    }
}

/// The entries of a folder, sorted; a missing folder has none.
fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(Error::failure(format!(
                "cannot read '{}': {e}",
                dir.display()
            )));
        }
    };
    let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    v.sort();
    Ok(v)
}
