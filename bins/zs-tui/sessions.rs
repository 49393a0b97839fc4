//! zs-session, run for the front end: list, load, rename, fork, compact,
//! export (stub: owned by the backend helper).
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub id: String,
    pub name: Option<String>,
    /// When it was last written, as zs-session shows it.
    pub updated: String,
    /// The first user message, cut to a line.
    pub title: String,
}

#[derive(Debug, Clone)]
pub struct Sessions {
    bin: PathBuf,
}

impl Sessions {
    pub fn new(zs_session: &Path) -> Sessions {
        Sessions {
            bin: zs_session.to_path_buf(),
        }
    }
    /// This project's sessions, newest first.
    pub fn list(&self, limit: usize) -> Result<Vec<SessionInfo>, String> {
        let _ = (&self.bin, limit);
        Ok(Vec::new())
    }
    /// A reference (id, name, `@last`) to an id.
    pub fn resolve(&self, reference: &str) -> Result<String, String> {
        Ok(reference.to_string())
    }
    /// The session's stored lines, header first, to render its history.
    pub fn lines(&self, id: &str) -> Result<Vec<String>, String> {
        let _ = id;
        Ok(Vec::new())
    }
    pub fn rename(&self, id: &str, name: &str) -> Result<(), String> {
        let _ = (id, name);
        Ok(())
    }
    /// A new session with all of `id`'s entries; its id.
    pub fn fork(&self, id: &str) -> Result<String, String> {
        Ok(id.to_string())
    }
    /// Compacts now; the `compaction` line written, if any.
    pub fn compact(&self, id: &str, chat_args: &[String]) -> Result<Option<String>, String> {
        let _ = (id, chat_args);
        Ok(None)
    }
    /// Exports as Markdown to `path` (default: `<id>.md` in the working
    /// folder); the path written.
    pub fn export(&self, id: &str, path: Option<&Path>) -> Result<PathBuf, String> {
        let _ = id;
        Ok(path.map(Path::to_path_buf).unwrap_or_default())
    }
}
