//! What outlives one zs-perm process: the session's allowlist and the
//! recent-call history of the doom-loop guard.
//!
//! A zs-perm process lives for one round, or for the rounds of one prompt
//! when the wrapper keeps the stages up, so both live in files, in the
//! session folder (`ZS_SESSION_DIR`, set beside the session file) or, when
//! that is unset, in `$XDG_STATE_HOME/zerostack/perm/<hash of the working
//! directory>/`. The allowlist is replaced whole through a rename, so a reader
//! never sees half of it. The history, written at most once a round, is rewritten
//! in place instead, as one write of a fixed size: on ext4 a rename over an
//! existing file (and a truncation) starts a writeback of the file's data,
//! which cost a third of a short turn's CPU; a write torn by a crash reads
//! as no history, which only restarts the count. When no folder can be
//! found the state is kept in memory for the life of the process.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const ALLOWLIST: &str = "allowlist.json";
pub const HISTORY: &str = "perm-history.json";

/// Where the state lives, and how that was chosen (for `rules`).
#[derive(Debug, Clone)]
pub struct Store {
    pub dir: Option<PathBuf>,
    pub source: String,
}

impl Store {
    pub fn locate(flag: Option<&Path>, root: &Path) -> Store {
        if let Some(d) = flag {
            return Store {
                dir: Some(d.to_path_buf()),
                source: "--session-dir".into(),
            };
        }
        if let Some(d) = std::env::var_os("ZS_SESSION_DIR").filter(|d| !d.is_empty()) {
            return Store {
                dir: Some(PathBuf::from(d)),
                source: "ZS_SESSION_DIR".into(),
            };
        }
        match zerostack::paths::state_dir() {
            Ok(s) => {
                let key = fnv1a(root.as_os_str().as_encoded_bytes());
                Store {
                    dir: Some(s.join("perm").join(format!("{key:016x}"))),
                    source: format!("default for {}", root.display()),
                }
            }
            Err(_) => Store {
                dir: None,
                source: "memory only (no HOME or XDG_STATE_HOME)".into(),
            },
        }
    }

    fn file(&self, name: &str) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(name))
    }

    /// The allowlist as `(tool, pattern)` pairs, in the order added.
    pub fn load_allowlist(&self) -> Result<Vec<AllowEntry>, String> {
        let Some(path) = self.file(ALLOWLIST) else {
            return Ok(Vec::new());
        };
        match read::<AllowFile>(&path)? {
            Some(f) => Ok(f.entries),
            None => Ok(Vec::new()),
        }
    }

    /// Adds entries (re-reading the file first, so entries another process
    /// added meanwhile are kept) and writes it back.
    pub fn add_allowlist(&self, new: &[AllowEntry]) -> Result<(), String> {
        let Some(path) = self.file(ALLOWLIST) else {
            return Ok(());
        };
        let mut entries = read::<AllowFile>(&path)
            .ok()
            .flatten()
            .map(|f| f.entries)
            .unwrap_or_default();
        for e in new {
            if !entries
                .iter()
                .any(|x| x.tool == e.tool && x.pattern == e.pattern)
            {
                entries.push(e.clone());
            }
        }
        write(
            &path,
            &AllowFile {
                version: 1,
                entries,
            },
        )
    }

    pub fn load_history(&self) -> Result<History, String> {
        let Some(path) = self.file(HISTORY) else {
            return Ok(History::default());
        };
        Ok(read::<History>(&path)?.unwrap_or_default())
    }

    pub fn save_history(&self, h: &History) -> Result<(), String> {
        match self.file(HISTORY) {
            Some(path) => overwrite(&path, h),
            None => Ok(()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowEntry {
    pub tool: String,
    pub pattern: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct AllowFile {
    version: u32,
    entries: Vec<AllowEntry>,
}

/// The last call seen (a hash of its tool and arguments) and how many
/// times in a row it came.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    #[serde(default)]
    pub last: String,
    #[serde(default)]
    pub count: u32,
}

impl History {
    /// Records a call; returns how many times in a row it has now been seen.
    pub fn record(&mut self, tool: &str, args: &serde_json::Value) -> u32 {
        let key = call_key(tool, args);
        if key == self.last {
            self.count = self.count.saturating_add(1);
        } else {
            self.last = key;
            self.count = 1;
        }
        self.count
    }
}

/// A stable key for a call: FNV-1a over the tool name and the arguments as
/// canonical JSON (serde_json writes object keys sorted), so the same call
/// has the same key in every process and every release.
pub fn call_key(tool: &str, args: &serde_json::Value) -> String {
    let mut bytes = tool.as_bytes().to_vec();
    bytes.push(0);
    bytes.extend(serde_json::to_vec(args).unwrap_or_default());
    format!("{:016x}", fnv1a(&bytes))
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn read<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>, String> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| format!("cannot read '{}': {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read '{}': {e}", path.display())),
    }
}

fn write<T: Serialize>(path: &Path, value: &T) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("cannot write '{}': {e}", path.display());
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| e.to_string())?;
    bytes.push(b'\n');
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    std::fs::write(&tmp, &bytes).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
}

/// The size of the history file: its JSON (at most 46 bytes: a 16-digit
/// key and a u32) padded with spaces, and a newline.
const HISTORY_SIZE: usize = 64;

/// Writes `value` as JSON over the start of the file at `path`, in place
/// and without truncating it first (see the module doc): padded with spaces
/// to [`HISTORY_SIZE`], so it covers what an earlier write left; the file
/// is only cut when it was longer (written by an older release).
fn overwrite<T: Serialize>(path: &Path, value: &T) -> Result<(), String> {
    use std::os::unix::fs::FileExt;
    let fail = |e: std::io::Error| format!("cannot write '{}': {e}", path.display());
    let mut bytes = serde_json::to_vec(value).map_err(|e| e.to_string())?;
    if bytes.len() < HISTORY_SIZE - 1 {
        bytes.resize(HISTORY_SIZE - 1, b' ');
    }
    bytes.push(b'\n');
    let open = || {
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
    };
    let file = match open() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(fail)?;
            }
            open()
        }
        r => r,
    }
    .map_err(fail)?;
    file.write_all_at(&bytes, 0).map_err(fail)?;
    if file.metadata().map_err(fail)?.len() > bytes.len() as u64 {
        file.set_len(bytes.len() as u64).map_err(fail)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_keys_ignore_key_order_and_history_counts_runs() {
        let a: serde_json::Value = serde_json::from_str(r#"{"a":1,"b":2}"#).unwrap();
        let b: serde_json::Value = serde_json::from_str(r#"{"b":2,"a":1}"#).unwrap();
        assert_eq!(call_key("read", &a), call_key("read", &b));
        assert_ne!(call_key("read", &a), call_key("write", &a));
        let mut h = History::default();
        assert_eq!(h.record("read", &a), 1);
        assert_eq!(h.record("read", &b), 2);
        assert_eq!(h.record("write", &a), 1);
        assert_eq!(h.record("write", &a), 2);
    }

    #[test]
    fn history_is_rewritten_in_place_at_a_fixed_size() {
        let t = tempfile::tempdir().unwrap();
        let s = Store {
            dir: Some(t.path().join("s")),
            source: "test".into(),
        };
        assert_eq!(s.load_history().unwrap(), History::default());
        let long = History {
            last: "0123456789abcdef".into(),
            count: u32::MAX,
        };
        s.save_history(&long).unwrap();
        assert_eq!(s.load_history().unwrap(), long);
        let short = History {
            last: "a".into(),
            count: 1,
        };
        s.save_history(&short).unwrap();
        assert_eq!(s.load_history().unwrap(), short);
        let path = t.path().join("s").join(HISTORY);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), HISTORY_SIZE as u64);
        // A longer file from an older release (pretty-printed) is cut.
        std::fs::write(&path, format!("{}\n", " ".repeat(200))).unwrap();
        s.save_history(&long).unwrap();
        assert_eq!(s.load_history().unwrap(), long);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), HISTORY_SIZE as u64);
    }

    #[test]
    fn allowlist_round_trips_and_merges() {
        let t = tempfile::tempdir().unwrap();
        let s = Store {
            dir: Some(t.path().join("s")),
            source: "test".into(),
        };
        assert!(s.load_allowlist().unwrap().is_empty());
        let e = AllowEntry {
            tool: "bash".into(),
            pattern: "git commit *".into(),
        };
        s.add_allowlist(std::slice::from_ref(&e)).unwrap();
        s.add_allowlist(std::slice::from_ref(&e)).unwrap();
        assert_eq!(s.load_allowlist().unwrap(), vec![e]);
    }
}
