//! The `session` section of the configuration: trimming of large tool
//! outputs in the context, compaction, context files and the writer lock.
//! docs/sessions.md lists the same keys and defaults.

use serde::Deserialize;
use zerostack::config::Config;
use zerostack::error::Error;

/// Every setting has a default, so an absent section or key means the default.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Tool outputs longer than this many characters are trimmed in the context.
    pub trim_chars: usize,
    /// Characters kept from the start of a trimmed output.
    pub trim_head: usize,
    /// Characters kept from the end of a trimmed output (errors and summaries
    /// tend to be at the end).
    pub trim_tail: usize,
    /// `compact --auto` compacts only when this is on.
    pub auto_compact: bool,
    /// Tokens kept free below the context window: room for the reply and the
    /// next tool results.
    pub compact_reserve: u64,
    /// Tokens of the most recent conversation kept verbatim by a compaction.
    pub keep_recent_tokens: u64,
    /// The context window of a model the config says nothing about.
    pub context_window: u64,
    /// Characters of each tool result shown to the summarizer.
    pub summary_tool_chars: usize,
    /// Whether `context` reads AGENTS.md, CLAUDE.md and ARCHITECTURE.md.
    pub context_files: bool,
    /// The most context-file text included, in bytes, all files together.
    pub context_files_max_bytes: usize,
    /// How long a writer waits for another one to let go of the session.
    pub lock_wait_ms: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            trim_chars: 12_000,
            trim_head: 2_000,
            trim_tail: 8_000,
            auto_compact: true,
            compact_reserve: 16_384,
            keep_recent_tokens: 20_000,
            context_window: zerostack::config::DEFAULT_CONTEXT_WINDOW,
            summary_tool_chars: 2_000,
            context_files: true,
            context_files_max_bytes: 512 * 1024,
            lock_wait_ms: 2_000,
        }
    }
}

impl Settings {
    /// The settings in `config`, checked: an unknown key or a trim that
    /// keeps more than it cuts is a usage error.
    pub fn from_config(config: &Config) -> Result<Settings, Error> {
        let s: Settings = match config.section("session") {
            None | Some(serde_json::Value::Null) => Settings::default(),
            Some(v) => Settings::deserialize(v)
                .map_err(|e| Error::usage(format!("bad \"session\" section in the config: {e}")))?,
        };
        if s.trim_head.saturating_add(s.trim_tail) >= s.trim_chars {
            return Err(Error::usage(format!(
                "bad \"session\" section in the config: trim_head + trim_tail ({}) must be less than trim_chars ({})",
                s.trim_head.saturating_add(s.trim_tail),
                s.trim_chars
            )));
        }
        Ok(s)
    }

    /// The context window of `model`: the config's `models.<id>.context_window`,
    /// else [`Settings::context_window`].
    pub fn window(&self, config: &Config, model: Option<&str>) -> u64 {
        config.model_window(model).unwrap_or(self.context_window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let c = Config::parse(r#"{"session":{"trim_chars":100,"trim_head":10,"trim_tail":20}}"#)
            .unwrap();
        let s = Settings::from_config(&c).unwrap();
        assert_eq!((s.trim_chars, s.trim_head, s.trim_tail), (100, 10, 20));
        assert!(s.auto_compact);
        let s = Settings::from_config(&Config::default()).unwrap();
        assert_eq!(s.trim_chars, 12_000);
    }

    #[test]
    fn unknown_keys_and_bad_trims_are_usage_errors() {
        let c = Config::parse(r#"{"session":{"trim_char":1}}"#).unwrap();
        let e = Settings::from_config(&c).unwrap_err();
        assert!(e.message.contains("trim_char"), "{}", e.message);
        let c = Config::parse(r#"{"session":{"trim_chars":10}}"#).unwrap();
        assert!(Settings::from_config(&c).is_err());
    }

    #[test]
    fn window_comes_from_the_model_entry() {
        let c = Config::parse(r#"{"models":{"m":{"context_window":1000}}}"#).unwrap();
        let s = Settings::default();
        assert_eq!(s.window(&c, Some("m")), 1000);
        assert_eq!(s.window(&c, Some("other")), 128_000);
        assert_eq!(s.window(&c, None), 128_000);
    }
}
