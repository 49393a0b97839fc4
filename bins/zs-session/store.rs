//! The session store: one append-only JSONL file per session under
//! `$XDG_DATA_HOME/zerostack/sessions/<project>/<id>.jsonl`, and a folder
//! `<id>/` beside it for what the session keeps out of line (full tool
//! outputs, the task list, the allowlist, the writer lock, torn bytes).
//! This module finds, creates, opens and appends to sessions; entries.rs
//! reads their text. The one change ever made to a file besides appending
//! is cutting a torn last line (a write a crash interrupted), whose bytes
//! are kept in the folder. See docs/sessions.md.

use crate::clock;
use crate::entries::{HeaderOut, Loaded, MetaOut, next_no_of, parse, torn_tail, warn_entry};
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
        let end = bytes.len() as u64;
        let loaded = self.parse(bytes)?;
        Ok((
            Appender {
                file: self.open_append()?,
                next_no: loaded.next_no(),
                end,
                session: self.clone(),
                wait,
                buf: Vec::new(),
                unsynced: false,
                lock: Some(lock),
            },
            loaded,
        ))
    }

    fn open_append(&self) -> Result<File, Error> {
        OpenOptions::new()
            .append(true)
            .open(&self.file)
            .map_err(|e| Error::failure(format!("cannot open '{}': {e}", self.file.display())))
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
/// [`Appender::append_unsynced`] and, at the round's end,
/// [`Appender::release`]s the lock (syncing them once); the next entry
/// takes it again.
#[derive(Debug)]
pub struct Appender {
    file: File,
    /// The number the next entry gets.
    next_no: usize,
    /// Where the file ends as this writer last saw it under the lock: its
    /// own writes included, so an unchanged length after a release means
    /// nobody else wrote.
    end: u64,
    session: SessionRef,
    /// How long taking the lock again waits.
    wait: Duration,
    buf: Vec<u8>,
    /// Entries written since the last `fdatasync`.
    unsynced: bool,
    /// `None` between a release and the next entry.
    lock: Option<Lock>,
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
    /// After a [`Appender::release`], the lock is taken again first.
    pub fn append_unsynced(&mut self, line: &str) -> Result<usize, Error> {
        if self.lock.is_none() {
            self.retake()?;
        }
        self.buf.clear();
        self.buf.extend_from_slice(line.as_bytes());
        self.buf.push(b'\n');
        self.file
            .write_all(&self.buf)
            .map_err(|e| self.write_error(e))?;
        self.unsynced = true;
        self.end += self.buf.len() as u64;
        let no = self.next_no;
        self.next_no += 1;
        Ok(no)
    }

    /// `fdatasync` of what was appended since the last one, if anything.
    pub fn sync(&mut self) -> Result<(), Error> {
        if self.unsynced {
            self.file.sync_data().map_err(|e| self.write_error(e))?;
            self.unsynced = false;
        }
        Ok(())
    }

    /// Syncs what was appended and lets go of the lock, so other writers
    /// (`append`, `compact`) can write while this one waits for more. The
    /// next append takes it again.
    pub fn release(&mut self) -> Result<(), Error> {
        self.sync()?;
        self.lock = None;
        Ok(())
    }

    /// Takes the lock again after a release, waiting up to the lock wait
    /// as on open. When the file is not as this writer left it (another
    /// writer appended, or left a torn line, or the file was replaced),
    /// it is read as on open: a torn tail is repaired, and numbering goes
    /// on from its real end. Otherwise it costs three `stat`s.
    fn retake(&mut self) -> Result<(), Error> {
        // Checked before the lock too: taking it creates the folder, which
        // `delete` removed with the file.
        if !self.session.file.exists() {
            return Err(self.deleted());
        }
        let lock = Lock::acquire(&self.session.lock_path(), self.wait, &self.session.id)?;
        if !self.unchanged()? {
            let mut bytes = self.session.read_bytes()?;
            self.session.repair(&mut bytes)?;
            self.file = self.session.open_append()?;
            self.next_no = next_no_of(&bytes);
            self.end = bytes.len() as u64;
        }
        self.lock = Some(lock);
        Ok(())
    }

    fn write_error(&self, e: std::io::Error) -> Error {
        Error::failure(format!(
            "cannot write to session '{}': {e}",
            self.session.id
        ))
    }

    fn deleted(&self) -> Error {
        Error::failure(format!(
            "session '{}' was deleted while it was being recorded",
            self.session.id
        ))
    }

    /// Whether the session's path still leads to this writer's file, of
    /// the length it left it.
    fn unchanged(&self) -> Result<bool, Error> {
        use std::os::unix::fs::MetadataExt;
        let at_path = match std::fs::metadata(&self.session.file) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(self.deleted()),
            Err(e) => {
                return Err(Error::failure(format!(
                    "cannot read '{}': {e}",
                    self.session.file.display()
                )));
            }
        };
        let ours = self.file.metadata().map_err(|e| {
            Error::failure(format!(
                "cannot read '{}': {e}",
                self.session.file.display()
            ))
        })?;
        Ok((at_path.dev(), at_path.ino()) == (ours.dev(), ours.ino()) && at_path.len() == self.end)
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

#[cfg(test)]
mod tests {
    use super::*;

    const U: [&str; 4] = [
        r#"{"type":"user","text":"1"}"#,
        r#"{"type":"user","text":"2"}"#,
        r#"{"type":"user","text":"3"}"#,
        r#"{"type":"user","text":"4"}"#,
    ];

    /// A store in a temporary folder and a new session in it.
    fn session() -> (tempfile::TempDir, SessionRef) {
        let t = tempfile::tempdir().unwrap();
        let store = Store {
            root: t.path().join("sessions"),
        };
        let (s, _) = store.create(Path::new("/p"), &Map::new()).unwrap();
        (t, s)
    }

    /// The session's lines after the header.
    fn lines(s: &SessionRef) -> Vec<String> {
        let text = std::fs::read_to_string(&s.file).unwrap();
        text.lines().skip(1).map(str::to_string).collect()
    }

    fn held(s: &SessionRef) -> bool {
        Lock::try_acquire(&s.lock_path()).unwrap().is_none()
    }

    #[test]
    fn a_released_lock_is_free_and_taken_again_by_the_next_entry() {
        let (_t, s) = session();
        let (mut app, _) = s.open_writer(Duration::ZERO).unwrap();
        assert_eq!(app.append_unsynced(U[0]).unwrap(), 1);
        assert!(held(&s));
        app.release().unwrap();
        assert!(!held(&s), "free after the release");
        // Releasing twice is harmless.
        app.release().unwrap();
        assert_eq!(app.append_unsynced(U[1]).unwrap(), 2);
        assert!(held(&s), "taken again by the next entry");
        app.release().unwrap();
        // Another holder: the entry waits for it up to the lock wait (none
        // here), then fails without writing.
        let other = Lock::try_acquire(&s.lock_path()).unwrap().unwrap();
        let e = app.append_unsynced(U[2]).unwrap_err();
        assert!(
            e.message.contains("being written by another process"),
            "{}",
            e.message
        );
        assert_eq!(lines(&s), [U[0], U[1]]);
        drop(other);
        assert_eq!(app.append(U[2]).unwrap(), 3);
        assert_eq!(lines(&s), [U[0], U[1], U[2]]);
    }

    #[test]
    fn the_lock_is_waited_for_when_taken_again() {
        let (_t, s) = session();
        let (mut app, _) = s.open_writer(Duration::from_secs(10)).unwrap();
        app.release().unwrap();
        let other = Lock::try_acquire(&s.lock_path()).unwrap().unwrap();
        let path = s.file.clone();
        // The other holder writes an entry, then lets go.
        let t = std::thread::spawn(move || {
            let mut f = OpenOptions::new().append(true).open(path).unwrap();
            // Long enough for the append below to be waiting, most runs;
            // either way, it must come after this entry.
            std::thread::sleep(Duration::from_millis(50));
            f.write_all(format!("{}\n", U[0]).as_bytes()).unwrap();
            drop(other);
        });
        assert_eq!(app.append(U[1]).unwrap(), 2);
        t.join().unwrap();
        assert_eq!(lines(&s), [U[0], U[1]]);
    }

    #[test]
    fn numbering_goes_on_after_another_writers_entries() {
        let (_t, s) = session();
        let (mut app, _) = s.open_writer(Duration::ZERO).unwrap();
        assert_eq!(app.append_unsynced(U[0]).unwrap(), 1);
        app.release().unwrap();
        {
            let (mut other, loaded) = s.open_writer(Duration::ZERO).unwrap();
            assert_eq!(loaded.next_no(), 2);
            assert_eq!(other.append(U[1]).unwrap(), 2);
            assert_eq!(other.append(U[2]).unwrap(), 3);
        }
        assert_eq!(app.append_unsynced(U[3]).unwrap(), 4);
        assert_eq!(lines(&s), U);
        // And what the next open counts agrees.
        drop(app);
        let (_, loaded) = s.open_writer(Duration::ZERO).unwrap();
        assert_eq!(loaded.next_no(), 5);
    }

    #[test]
    fn a_tail_torn_between_rounds_is_repaired_before_the_next_entry() {
        let (_t, s) = session();
        let (mut app, _) = s.open_writer(Duration::ZERO).unwrap();
        app.append(U[0]).unwrap();
        app.release().unwrap();
        let torn = r#"{"type":"user","te"#;
        let mut f = OpenOptions::new().append(true).open(&s.file).unwrap();
        f.write_all(torn.as_bytes()).unwrap();
        assert_eq!(app.append(U[1]).unwrap(), 2);
        assert_eq!(lines(&s), [U[0], U[1]]);
        let kept: Vec<String> = std::fs::read_dir(&s.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("torn-"))
            .collect();
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert_eq!(std::fs::read_to_string(s.dir.join(&kept[0])).unwrap(), torn);
        // A torn line that a later whole one was glued to is cut as well.
        app.release().unwrap();
        f.write_all(format!("{torn}{}\n", U[2]).as_bytes()).unwrap();
        assert_eq!(app.append(U[3]).unwrap(), 3);
        assert_eq!(lines(&s), [U[0], U[1], U[3]]);
    }

    #[test]
    fn a_file_replaced_between_rounds_is_written_from_then_on() {
        let (_t, s) = session();
        let (mut app, _) = s.open_writer(Duration::ZERO).unwrap();
        app.append(U[0]).unwrap();
        app.release().unwrap();
        // Same length, another file: the old descriptor must not be used.
        let text = std::fs::read_to_string(&s.file).unwrap();
        let tmp = s.file.with_extension("new");
        std::fs::write(&tmp, text.replace(U[0], U[1])).unwrap();
        std::fs::rename(&tmp, &s.file).unwrap();
        assert_eq!(app.append(U[2]).unwrap(), 2);
        assert_eq!(lines(&s), [U[1], U[2]]);
    }

    #[test]
    fn a_session_deleted_between_rounds_is_an_error() {
        let (_t, s) = session();
        let (mut app, _) = s.open_writer(Duration::ZERO).unwrap();
        app.append(U[0]).unwrap();
        app.release().unwrap();
        std::fs::remove_file(&s.file).unwrap();
        std::fs::remove_dir_all(&s.dir).unwrap();
        let e = app.append(U[1]).unwrap_err();
        assert!(e.message.contains("was deleted"), "{}", e.message);
        assert!(!s.file.exists() && !s.dir.exists(), "nothing recreated");
    }
}
