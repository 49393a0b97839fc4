//! Path normalization: what file a path argument really names.
//!
//! A path is checked after `~` expansion, after `..` and `.` are resolved and
//! after every symlink on the way is followed, the way the kernel would walk
//! it: `link/..` is the parent of the link's target, not the folder holding
//! the link. Parts that do not exist yet (a file about to be written) are
//! appended as written. The result is compared with the working directory
//! (itself resolved) to tell inside from outside, and given in two forms for
//! matching: absolute, and relative to the working directory.

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

/// Symlinks followed for one path before giving up, as Linux's MAXSYMLINKS.
const MAX_LINKS: u32 = 40;

/// The working directory every path is judged against.
#[derive(Debug, Clone)]
pub struct Root {
    pub dir: PathBuf,
}

impl Root {
    /// The process's working directory, resolved.
    pub fn current() -> Result<Root, zerostack::error::Error> {
        let cwd = std::env::current_dir().map_err(|e| {
            zerostack::error::Error::failure(format!("cannot read the working directory: {e}"))
        })?;
        Ok(Root::at(&cwd))
    }

    pub fn at(dir: &Path) -> Root {
        Root {
            dir: follow(&absolute(dir, Path::new("/"))),
        }
    }
}

/// A resolved path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Absolute, symlinks followed, as text (`/` separated).
    pub abs: String,
    /// Relative to the working directory (`.` for itself) when inside it.
    pub rel: Option<String>,
}

impl Resolved {
    pub fn inside(&self) -> bool {
        self.rel.is_some()
    }
}

/// Resolves `given` (as a tool received it) against `base` (the folder a
/// relative path starts from: the working directory, or a command's).
pub fn resolve(root: &Root, base: &Path, given: &str) -> Resolved {
    let expanded = zerostack::paths::expand_tilde(given);
    let abs = follow(&absolute(&expanded, base));
    view(root, &abs)
}

/// The two textual forms of an already absolute, resolved path.
pub fn view(root: &Root, abs: &Path) -> Resolved {
    let rel = abs.strip_prefix(&root.dir).ok().map(|r| {
        let s = r.to_string_lossy();
        if s.is_empty() {
            ".".to_string()
        } else {
            s.into_owned()
        }
    });
    Resolved {
        abs: abs.to_string_lossy().into_owned(),
        rel,
    }
}

/// `p` made absolute against `base`, without touching the file system.
pub fn absolute(p: &Path, base: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// Walks an absolute path component by component, following symlinks and
/// resolving `..` where the kernel would.
pub fn follow(p: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    let mut pending: Vec<OsString> = parts(p);
    pending.reverse();
    let mut links = 0;
    // Once a component does not exist, nothing below it can be a symlink.
    let mut exists = true;
    while let Some(c) = pending.pop() {
        if c == ".." {
            out.pop();
            continue;
        }
        let next = out.join(&c);
        if exists {
            match std::fs::symlink_metadata(&next) {
                Ok(m) if m.file_type().is_symlink() && links < MAX_LINKS => {
                    links += 1;
                    if let Ok(target) = std::fs::read_link(&next) {
                        if target.is_absolute() {
                            out = PathBuf::from("/");
                        }
                        let mut t = parts(&target);
                        t.reverse();
                        pending.extend(t);
                        continue;
                    }
                }
                Ok(_) => {}
                Err(_) => exists = false,
            }
        }
        out = next;
    }
    out
}

/// Names and `..` of a path; `/` and `.` dropped.
fn parts(p: &Path) -> Vec<OsString> {
    p.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotdot_and_symlinks_resolve_like_the_kernel() {
        let t = tempfile::tempdir().unwrap();
        let base = follow(t.path());
        let proj = base.join("proj");
        let out = base.join("outside");
        std::fs::create_dir_all(proj.join("src")).unwrap();
        std::fs::create_dir_all(&out).unwrap();
        std::os::unix::fs::symlink(&out, proj.join("link")).unwrap();
        std::os::unix::fs::symlink("src", proj.join("rel")).unwrap();
        let root = Root::at(&proj);

        let r = resolve(&root, &proj, "src/../src/new.rs");
        assert_eq!(r.rel.as_deref(), Some("src/new.rs"));
        let r = resolve(&root, &proj, "../outside/x");
        assert_eq!(r.rel, None);
        let r = resolve(&root, &proj, "link/x");
        assert_eq!(r.rel, None);
        assert_eq!(r.abs, out.join("x").to_string_lossy());
        // link/.. is the parent of the link's target: outside.
        let r = resolve(&root, &proj, "link/../proj/a");
        assert_eq!(r.rel.as_deref(), Some("a"));
        let r = resolve(&root, &proj, "rel/a.rs");
        assert_eq!(r.rel.as_deref(), Some("src/a.rs"));
        let r = resolve(&root, &proj, ".");
        assert_eq!(r.rel.as_deref(), Some("."));
        let r = resolve(&root, &proj, "/");
        assert_eq!(r.rel, None);
    }
}
