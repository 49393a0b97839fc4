//! Which project a directory belongs to, so sessions group by project: the
//! git root when there is one (a folder holding `.git`, a directory or a
//! worktree's file), else the directory itself. The project's folder name is
//! a readable slug of that path plus a short hash of it, `work-main-1a2b3c4d`,
//! so two checkouts named alike never share a folder.

use std::path::{Path, PathBuf};

/// The nearest folder at or above `dir` that holds `.git`.
pub fn git_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// The root a project is named after: the git root, else `dir`.
pub fn root(dir: &Path) -> PathBuf {
    git_root(dir).unwrap_or_else(|| dir.to_path_buf())
}

/// The project folder name for `dir` (made absolute by the caller).
pub fn key(dir: &Path) -> String {
    let root = root(dir);
    format!(
        "{}-{:08x}",
        slug(&root),
        fnv1a(root.as_os_str().as_encoded_bytes()) >> 32
    )
}

/// The path's components joined by `-`, lower case, anything outside
/// `[a-z0-9._]` replaced, at most 40 characters kept from the end (the end
/// names the project; the start is usually `/home/someone`).
fn slug(path: &Path) -> String {
    let mut s = String::new();
    for c in path.components() {
        if let std::path::Component::Normal(part) = c {
            if !s.is_empty() {
                s.push('-');
            }
            for ch in part.to_string_lossy().chars() {
                let ch = ch.to_ascii_lowercase();
                if ch.is_ascii_alphanumeric() || ch == '.' || ch == '_' {
                    s.push(ch);
                } else if !s.ends_with('-') {
                    s.push('-');
                }
            }
        }
    }
    let s = s.trim_matches(|c| c == '-' || c == '.').to_string();
    if s.is_empty() {
        return "root".into();
    }
    const MAX: usize = 40;
    if s.len() <= MAX {
        return s;
    }
    // Everything is ASCII here, so byte offsets are character offsets.
    let tail = &s[s.len() - MAX..];
    match tail.find('-') {
        Some(i) if i + 1 < tail.len() => tail[i + 1..].to_string(),
        _ => tail.to_string(),
    }
}

/// FNV-1a, 64 bits: stable across runs and platforms, unlike std's hasher.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_readable_and_bounded() {
        assert_eq!(slug(Path::new("/work/main")), "work-main");
        assert_eq!(slug(Path::new("/")), "root");
        assert_eq!(
            slug(Path::new("/home/Ann/My Project!")),
            "home-ann-my-project"
        );
        let long = slug(Path::new(
            "/a/very/long/path/that/goes/on/and/on/to/the/project-name",
        ));
        assert!(long.len() <= 40, "{long}");
        assert!(long.ends_with("project-name"), "{long}");
        assert!(!long.starts_with('-'));
    }

    #[test]
    fn keys_differ_for_paths_with_the_same_slug() {
        let t = tempfile::tempdir().unwrap();
        let a = t.path().join("x y");
        let b = t.path().join("x-y");
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        assert_ne!(key(&a), key(&b));
        assert!(key(&a).starts_with(&slug(&a)));
    }

    #[test]
    fn a_subfolder_of_a_repository_is_the_repository() {
        let t = tempfile::tempdir().unwrap();
        let sub = t.path().join("src/deep");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::create_dir(t.path().join(".git")).unwrap();
        assert_eq!(git_root(&sub).as_deref(), Some(t.path()));
        assert_eq!(key(&sub), key(t.path()));
    }
}
