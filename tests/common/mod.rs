//! Shared by the integration-test crates: paths of the built binaries and a
//! hermetic command builder. Each test crate includes this file with
//! `#[path = "../common/mod.rs"] mod common;`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Path of a built binary of this package.
pub fn bin(name: &str) -> PathBuf {
    // env! needs a literal, hence the match.
    PathBuf::from(match name {
        "zs-chat" => env!("CARGO_BIN_EXE_zs-chat"),
        "zs-tool" => env!("CARGO_BIN_EXE_zs-tool"),
        "zs-perm" => env!("CARGO_BIN_EXE_zs-perm"),
        "zs-session" => env!("CARGO_BIN_EXE_zs-session"),
        other => panic!("no such binary: {other}"),
    })
}

/// A clean home per test: HOME and the XDG folders point into a temporary
/// folder that lives as long as this value, and the environment is cleared
/// so no real key or config leaks into a test.
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Home {
        Home {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The config folder (`$XDG_CONFIG_HOME/zerostack`), created.
    pub fn config_dir(&self) -> PathBuf {
        let d = self.path().join("config/zerostack");
        std::fs::create_dir_all(&d).expect("config dir");
        d
    }

    /// Writes `config.json` in the config folder.
    pub fn write_config(&self, json: &str) {
        std::fs::write(self.config_dir().join("config.json"), json).expect("write config");
    }

    /// A command for `name` with a scrubbed environment, run in the home.
    pub fn cmd(&self, name: &str) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.std_cmd(name))
    }

    /// Like [`Home::cmd`] but a plain std Command, for tests that need to
    /// signal or stream the child.
    pub fn std_cmd(&self, name: &str) -> std::process::Command {
        let mut c = std::process::Command::new(bin(name));
        c.env_clear()
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path().join("config"))
            .env("XDG_DATA_HOME", self.path().join("data"))
            .env("XDG_CACHE_HOME", self.path().join("cache"))
            .env("XDG_STATE_HOME", self.path().join("state"))
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("LANG", "C.UTF-8")
            .current_dir(self.path());
        c
    }
}

/// Parses NDJSON output into values; panics with the line on bad JSON.
pub fn ndjson(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(out)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad output line {l:?}: {e}")))
        .collect()
}

/// The events of one `type` in `events`.
pub fn of_type<'a>(events: &'a [serde_json::Value], t: &str) -> Vec<&'a serde_json::Value> {
    events.iter().filter(|e| e["type"] == t).collect()
}
