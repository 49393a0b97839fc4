//! Where zerostack keeps its files, by the XDG base directory rules.
//!
//! `$XDG_CONFIG_HOME/zerostack` for configuration and user prompts,
//! `$XDG_DATA_HOME/zerostack` for sessions, `$XDG_CACHE_HOME/zerostack` for
//! what can be thrown away, `$XDG_STATE_HOME/zerostack` for logs and history.
//! Relative XDG values are ignored, as the specification says.

use crate::error::Error;
use std::path::PathBuf;

const APP: &str = "zerostack";

fn base(var: &str, fallback: &str) -> Result<PathBuf, Error> {
    if let Some(v) = std::env::var_os(var) {
        let p = PathBuf::from(v);
        if p.is_absolute() {
            return Ok(p.join(APP));
        }
    }
    match std::env::var_os("HOME") {
        Some(h) if !h.is_empty() => Ok(PathBuf::from(h).join(fallback).join(APP)),
        _ => Err(Error::usage(format!(
            "cannot locate the {} folder: set HOME or {var}",
            var.trim_start_matches("XDG_")
                .trim_end_matches("_HOME")
                .to_lowercase()
        ))),
    }
}

/// `$XDG_CONFIG_HOME/zerostack`, else `~/.config/zerostack`.
pub fn config_dir() -> Result<PathBuf, Error> {
    base("XDG_CONFIG_HOME", ".config")
}

/// `$XDG_DATA_HOME/zerostack`, else `~/.local/share/zerostack`.
pub fn data_dir() -> Result<PathBuf, Error> {
    base("XDG_DATA_HOME", ".local/share")
}

/// `$XDG_CACHE_HOME/zerostack`, else `~/.cache/zerostack`.
pub fn cache_dir() -> Result<PathBuf, Error> {
    base("XDG_CACHE_HOME", ".cache")
}

/// `$XDG_STATE_HOME/zerostack`, else `~/.local/state/zerostack`.
pub fn state_dir() -> Result<PathBuf, Error> {
    base("XDG_STATE_HOME", ".local/state")
}

/// Expands a leading `~` or `~/` to `$HOME`. Other forms are left alone.
pub fn expand_tilde(path: &str) -> PathBuf {
    if (path == "~" || path.starts_with("~/"))
        && let Some(home) = std::env::var_os("HOME")
    {
        let mut p = PathBuf::from(home);
        if path.len() > 2 {
            p.push(&path[2..]);
        }
        return p;
    }
    PathBuf::from(path)
}
