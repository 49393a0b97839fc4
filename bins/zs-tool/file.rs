//! Loading and saving the user's text files, shared by read, write, edit and
//! apply_patch.
//!
//! Loading refuses what cannot be shown or edited as text (missing,
//! unreadable, a directory, too large, binary, not UTF-8) with a message
//! that says what to do instead. Saving is atomic: a temporary file in the
//! same folder, renamed over the old one, so a crash leaves the old file or
//! the new one, never half of each; the old file's mode is kept.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A text file as loaded: without its byte-order mark, line endings as
/// they are on disk.
pub struct TextFile {
    pub text: String,
    pub bom: bool,
    /// Every line ends with CRLF (and there is at least one).
    pub crlf: bool,
    pub mode: u32,
}

impl TextFile {
    /// The text with LF line endings, as tools match and edit it.
    pub fn lf_text(&self) -> String {
        if self.crlf {
            self.text.replace("\r\n", "\n")
        } else {
            self.text.clone()
        }
    }

    /// Turns LF text back into this file's bytes: CRLF and BOM restored.
    pub fn encode(&self, lf_text: &str) -> Vec<u8> {
        let mut out = String::with_capacity(lf_text.len() + lf_text.len() / 16 + 3);
        if self.bom {
            out.push('\u{feff}');
        }
        if self.crlf {
            out.push_str(&lf_text.replace("\r\n", "\n").replace('\n', "\r\n"));
        } else {
            out.push_str(lf_text);
        }
        out.into_bytes()
    }
}

/// Bytes checked for NUL to call a file binary, as git and ripgrep do.
pub const BINARY_PROBE: usize = 8192;

/// Loads `path` (shown to the model as `shown`) as text.
pub fn load(path: &Path, shown: &str, max_bytes: u64) -> Result<TextFile, String> {
    let meta = fs::metadata(path).map_err(|e| open_error(path, shown, &e))?;
    if meta.is_dir() {
        return Err(format!("'{shown}' is a directory, not a file"));
    }
    // A device or a FIFO could block or never end.
    if !meta.is_file() {
        return Err(format!("'{shown}' is not a regular file"));
    }
    if meta.len() > max_bytes {
        return Err(format!(
            "'{shown}' is {}, over the {} limit for text files (tools.max_file_bytes); \
             use grep to find what you need in it, or bash with head, tail or sed",
            human_size(meta.len()),
            human_size(max_bytes)
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    fs::File::open(path)
        .and_then(|f| f.take(max_bytes + 1).read_to_end(&mut bytes))
        .map_err(|e| open_error(path, shown, &e))?;
    // The file grew since it was measured.
    if bytes.len() as u64 > max_bytes {
        return Err(format!(
            "'{shown}' is over the {} limit for text files (tools.max_file_bytes)",
            human_size(max_bytes)
        ));
    }
    let probe = &bytes[..bytes.len().min(BINARY_PROBE)];
    if let Some(i) = probe.iter().position(|&b| b == 0) {
        return Err(format!(
            "'{shown}' is a binary file ({}, NUL byte at offset {i}); it cannot be shown as text",
            human_size(bytes.len() as u64)
        ));
    }
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let before = &e.as_bytes()[..at];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            return Err(format!(
                "'{shown}' is not valid UTF-8 (first bad byte at line {line}, byte offset {at}); \
                 only UTF-8 text can be shown or edited"
            ));
        }
    };
    let (text, bom) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest.to_string(), true),
        None => (text, false),
    };
    let crlf = has_only_crlf(&text);
    Ok(TextFile {
        text,
        bom,
        crlf,
        mode: meta.permissions().mode(),
    })
}

/// True when the text has line breaks and every one is CRLF. A file that
/// mixes both is edited as it is, without conversion.
fn has_only_crlf(text: &str) -> bool {
    let b = text.as_bytes();
    let mut any = false;
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' {
            if i == 0 || b[i - 1] != b'\r' {
                return false;
            }
            any = true;
        }
    }
    any
}

/// The message for a file that cannot be opened, with a guess at what was
/// meant when it does not exist.
pub fn open_error(path: &Path, shown: &str, e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => {
            let mut msg = format!("file not found: '{shown}'");
            let similar = similar_names(path);
            if !similar.is_empty() {
                msg.push_str(&format!(" (did you mean: {}?)", similar.join(", ")));
            }
            msg
        }
        std::io::ErrorKind::PermissionDenied => format!("cannot read '{shown}': permission denied"),
        _ => format!("cannot read '{shown}': {e}"),
    }
}

/// Names in the same folder that look like the missing one: the same name
/// in another case, or the same stem with another extension.
fn similar_names(path: &Path) -> Vec<String> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return Vec::new();
    };
    let Ok(rd) = fs::read_dir(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }) else {
        return Vec::new();
    };
    let lower = name.to_lowercase();
    let stem = lower.split('.').next().unwrap_or("").to_string();
    let mut out: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| {
            let l = n.to_lowercase();
            l == lower || (!stem.is_empty() && l.split('.').next() == Some(stem.as_str()))
        })
        .collect();
    out.sort();
    out.truncate(5);
    out
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` atomically. `mode` is the mode to give the file
/// (the old file's); a new file gets 0666 less the umask. A symlink is
/// followed, so the link stays and its target changes.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: Option<u32>) -> std::io::Result<()> {
    let target: PathBuf = match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => fs::canonicalize(path)?,
        _ => path.to_path_buf(),
    };
    // Renaming over a device, a FIFO or a socket would replace it.
    if let Ok(m) = fs::metadata(&target)
        && !m.is_file()
    {
        return Err(std::io::Error::other("it is not a regular file"));
    }
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = dir.join(format!(
        ".{name}.zs-tool-{}-{}.tmp",
        std::process::id(),
        TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o666)
            .open(&tmp)?;
        if let Some(m) = mode {
            f.set_permissions(fs::Permissions::from_mode(m & 0o7777))?;
        }
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, &target)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// `812 B`, `1.2 KiB`, `3.4 MiB`.
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if v < 10.0 {
        format!("{v:.1} {}", UNITS[unit])
    } else {
        format!("{v:.0} {}", UNITS[unit])
    }
}

/// Lines in `text`, counting a last line without a newline.
pub fn count_lines(text: &str) -> usize {
    let n = text.bytes().filter(|&b| b == b'\n').count();
    if text.is_empty() || text.ends_with('\n') {
        n
    } else {
        n + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(812), "812 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(10 * 1024 * 1024), "10 MiB");
    }

    #[test]
    fn crlf_and_bom_survive_a_round_trip() {
        let f = TextFile {
            text: "a\r\nb\r\n".into(),
            bom: true,
            crlf: has_only_crlf("a\r\nb\r\n"),
            mode: 0o644,
        };
        assert!(f.crlf);
        assert_eq!(f.lf_text(), "a\nb\n");
        assert_eq!(f.encode("a\nc\n"), "\u{feff}a\r\nc\r\n".as_bytes());
        assert!(!has_only_crlf("a\r\nb\n"));
        assert!(!has_only_crlf("ab"));
    }

    #[test]
    fn counts_lines() {
        assert_eq!(count_lines(""), 0);
        assert_eq!(count_lines("a"), 1);
        assert_eq!(count_lines("a\n"), 1);
        assert_eq!(count_lines("a\nb"), 2);
    }
}
