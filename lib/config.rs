//! Configuration: `$XDG_CONFIG_HOME/zerostack/config.json` (or the file named
//! by `ZS_CONFIG`), documented in docs/config.md.
//!
//! This module reads the parts two or more binaries share: the default
//! provider and model, provider definitions, per-model facts and retry
//! settings. Sections that belong to one binary (`tools`, `permissions`,
//! `session`, ...) are kept as raw JSON in [`Config::sections`] for that
//! binary to read. Precedence is always: flag, then environment, then config,
//! then the built-in default.

use crate::error::Error;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The whole configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Default provider name (built-in or defined under `providers`).
    pub provider: Option<String>,
    /// Default model id.
    pub model: Option<String>,
    /// Provider definitions; a built-in name here overrides its fields.
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderConfig>,
    /// Facts about models, keyed by model id.
    #[serde(default)]
    pub models: BTreeMap<String, ModelConfig>,
    #[serde(default)]
    pub retry: RetryConfig,
    /// Sections owned by one binary each, read by that binary.
    #[serde(default)]
    pub tools: Option<Value>,
    #[serde(default)]
    pub permissions: Option<Value>,
    #[serde(default)]
    pub session: Option<Value>,
    #[serde(default)]
    pub tui: Option<Value>,
    #[serde(default)]
    pub mcp: Option<Value>,
    #[serde(default)]
    pub sandbox: Option<Value>,
    #[serde(default, rename = "loop")]
    pub loop_: Option<Value>,
    /// Free-form notes (`"$comment"` keys are allowed anywhere at the top).
    #[serde(default, rename = "$comment")]
    pub comment: Option<Value>,
    /// Where the file was read from, if anywhere.
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

/// The wire format a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderKind {
    OpenaiChat,
    OpenaiResponses,
    Anthropic,
    Gemini,
    Ollama,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::OpenaiChat => "openai-chat",
            ProviderKind::OpenaiResponses => "openai-responses",
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::Gemini => "gemini",
            ProviderKind::Ollama => "ollama",
        }
    }
}

/// A provider as written in the config; every field optional, so an entry
/// for a built-in name changes only what it sets.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    pub kind: Option<ProviderKind>,
    pub base_url: Option<String>,
    /// Environment variable holding the API key.
    pub api_key_env: Option<String>,
    /// Extra HTTP headers. A value `${VAR}` is replaced by that variable.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Fields merged into every request body (top level, shallow).
    #[serde(default)]
    pub extra_body: Map<String, Value>,
    #[serde(default)]
    pub timeouts: TimeoutConfig,
    /// Default model for this provider.
    pub model: Option<String>,
    /// `max_tokens` or `max_completion_tokens` (OpenAI chat kinds only).
    pub max_tokens_field: Option<String>,
    /// The `anthropic-version` header.
    pub anthropic_version: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeoutConfig {
    /// TCP and TLS connect.
    pub connect_ms: Option<u64>,
    /// From the request sent to the first byte of the response.
    pub first_byte_ms: Option<u64>,
    /// The longest gap between two chunks of a stream.
    pub idle_ms: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Context window in tokens.
    pub context_window: Option<u64>,
    /// Default output token limit.
    pub max_tokens: Option<u64>,
    /// Whether the model takes a thinking/reasoning parameter.
    pub thinking: Option<bool>,
    /// USD per million tokens.
    pub pricing: Option<Pricing>,
}

/// The context window of a model the config says nothing about (and
/// `session.context_window`'s default).
pub const DEFAULT_CONTEXT_WINDOW: u64 = 128_000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pricing {
    #[serde(default)]
    pub input: f64,
    #[serde(default)]
    pub output: f64,
    #[serde(default)]
    pub cache_read: Option<f64>,
    #[serde(default)]
    pub cache_write: Option<f64>,
}

impl Pricing {
    /// The cost of one call in USD. Cache reads and writes are parts of
    /// `input`; without their own price they cost as input.
    pub fn cost(&self, u: &crate::protocol::Usage) -> f64 {
        let plain = u
            .input
            .saturating_sub(u.cache_read.saturating_add(u.cache_write));
        (plain as f64 * self.input
            + u.cache_read as f64 * self.cache_read.unwrap_or(self.input)
            + u.cache_write as f64 * self.cache_write.unwrap_or(self.input)
            + u.output as f64 * self.output)
            / 1_000_000.0
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryConfig {
    /// Attempts in all, the first included.
    pub max_attempts: Option<u32>,
    pub initial_delay_ms: Option<u64>,
    pub max_delay_ms: Option<u64>,
}

/// A provider with every field decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Provider {
    pub name: String,
    pub kind: ProviderKind,
    pub base_url: String,
    /// The variable that holds the key; `None` when the provider takes none.
    pub api_key_env: Option<String>,
    /// Whether a missing key is an error (false for local servers).
    pub key_required: bool,
    pub headers: BTreeMap<String, String>,
    pub extra_body: Map<String, Value>,
    pub timeouts: Timeouts,
    pub default_model: Option<String>,
    pub max_tokens_field: String,
    pub anthropic_version: String,
    /// OpenRouter's extras: app headers, `reasoning`, `reasoning_details`.
    pub openrouter: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect_ms: u64,
    pub first_byte_ms: u64,
    pub idle_ms: u64,
}

/// Defaults: a model may think for minutes before its first byte, and a
/// reasoning stream may pause long between chunks.
pub const DEFAULT_TIMEOUTS: Timeouts = Timeouts {
    connect_ms: 10_000,
    first_byte_ms: 300_000,
    idle_ms: 120_000,
};

/// The providers zerostack knows without configuration.
pub const BUILTIN_PROVIDERS: &[&str] = &[
    "openrouter",
    "openai",
    "anthropic",
    "gemini",
    "ollama",
    "openai-compatible",
];

fn builtin(name: &str) -> Option<Provider> {
    let p = |kind, base: &str, env: Option<&str>, model: Option<&str>| Provider {
        name: name.to_string(),
        kind,
        base_url: base.to_string(),
        api_key_env: env.map(str::to_string),
        key_required: env.is_some(),
        headers: BTreeMap::new(),
        extra_body: Map::new(),
        timeouts: DEFAULT_TIMEOUTS,
        default_model: model.map(str::to_string),
        max_tokens_field: "max_tokens".into(),
        anthropic_version: "2023-06-01".into(),
        openrouter: false,
    };
    Some(match name {
        "openrouter" => Provider {
            openrouter: true,
            ..p(
                ProviderKind::OpenaiChat,
                "https://openrouter.ai/api/v1",
                Some("OPENROUTER_API_KEY"),
                Some("anthropic/claude-sonnet-4.5"),
            )
        },
        "openai" => Provider {
            max_tokens_field: "max_completion_tokens".into(),
            ..p(
                ProviderKind::OpenaiResponses,
                "https://api.openai.com/v1",
                Some("OPENAI_API_KEY"),
                Some("gpt-5"),
            )
        },
        "anthropic" => p(
            ProviderKind::Anthropic,
            "https://api.anthropic.com",
            Some("ANTHROPIC_API_KEY"),
            Some("claude-sonnet-4-5"),
        ),
        "gemini" => p(
            ProviderKind::Gemini,
            "https://generativelanguage.googleapis.com/v1beta",
            Some("GEMINI_API_KEY"),
            Some("gemini-2.5-pro"),
        ),
        "ollama" => p(
            ProviderKind::Ollama,
            "http://localhost:11434",
            None,
            Some("qwen3"),
        ),
        // vLLM, LiteLLM, llama.cpp server...: a base URL is needed, a key is
        // sent when the variable is set.
        "openai-compatible" => Provider {
            key_required: false,
            ..p(
                ProviderKind::OpenaiChat,
                "",
                Some("OPENAI_COMPATIBLE_API_KEY"),
                None,
            )
        },
        _ => return None,
    })
}

impl Config {
    /// Reads the configuration: the file named by `ZS_CONFIG`, else
    /// `config.json` in the config folder. A missing file is an empty
    /// configuration; a file that does not parse is a usage error.
    pub fn load() -> Result<Config, Error> {
        let path = match std::env::var_os("ZS_CONFIG") {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => match crate::paths::config_dir() {
                Ok(d) => d.join("config.json"),
                // No HOME and no XDG: nothing to read.
                Err(_) => return Ok(Config::default()),
            },
        };
        Config::load_from(&path)
    }

    pub fn load_from(path: &Path) -> Result<Config, Error> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => {
                return Err(Error::usage(format!(
                    "cannot read config '{}': {e}",
                    path.display()
                )));
            }
        };
        let mut c = Config::parse(&text)
            .map_err(|e| Error::usage(format!("bad config '{}': {e}", path.display())))?;
        c.path = Some(path.to_path_buf());
        Ok(c)
    }

    pub fn parse(text: &str) -> Result<Config, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// The provider to use: `flag`, else `ZS_PROVIDER`, else the config's
    /// `provider`, else openrouter.
    pub fn provider_name(&self, flag: Option<&str>) -> String {
        flag.map(str::to_string)
            .or_else(|| env_nonempty("ZS_PROVIDER"))
            .or_else(|| self.provider.clone())
            .unwrap_or_else(|| "openrouter".into())
    }

    /// The model to use with `provider`: `flag`, else `ZS_MODEL`, else the
    /// config's `model` (when the provider is the configured default), else
    /// the provider's default model.
    pub fn model_name(&self, flag: Option<&str>, provider: &Provider) -> Option<String> {
        flag.map(str::to_string)
            .or_else(|| env_nonempty("ZS_MODEL"))
            .or_else(|| {
                let default_provider = self.provider.as_deref().unwrap_or("openrouter");
                if default_provider == provider.name {
                    self.model.clone()
                } else {
                    None
                }
            })
            .or_else(|| provider.default_model.clone())
    }

    /// Resolves a provider by name: a built-in merged with its config entry,
    /// or a custom entry, which must name its `kind`.
    pub fn resolve_provider(&self, name: &str) -> Result<Provider, Error> {
        let entry = self.providers.get(name);
        let mut p = match (builtin(name), entry) {
            (Some(p), _) => p,
            (None, Some(e)) => {
                let kind = e.kind.ok_or_else(|| {
                    Error::usage(format!(
                        "provider '{name}' in the config has no \"kind\" (one of openai-chat, openai-responses, anthropic, gemini, ollama)"
                    ))
                })?;
                let mut p = builtin(match kind {
                    ProviderKind::OpenaiChat => "openai-compatible",
                    ProviderKind::OpenaiResponses => "openai",
                    ProviderKind::Anthropic => "anthropic",
                    ProviderKind::Gemini => "gemini",
                    ProviderKind::Ollama => "ollama",
                })
                .ok_or_else(|| Error::failure("built-in provider table is incomplete"))?;
                // A custom provider uses its own key variable or none, never
                // the built-in one's (that key belongs to another service).
                p.api_key_env = None;
                p.key_required = false;
                p.default_model = None;
                p.base_url = String::new();
                p.name = name.to_string();
                p
            }
            (None, None) => {
                let mut known: Vec<&str> = BUILTIN_PROVIDERS.to_vec();
                known.extend(self.providers.keys().map(String::as_str));
                return Err(Error::usage(format!(
                    "unknown provider '{name}' (known: {})",
                    known.join(", ")
                )));
            }
        };
        if let Some(e) = entry {
            if let Some(k) = e.kind {
                p.kind = k;
            }
            if let Some(u) = &e.base_url {
                p.base_url = u.clone();
            }
            if let Some(v) = &e.api_key_env {
                p.api_key_env = Some(v.clone());
                p.key_required = builtin(name).is_some_and(|b| b.key_required);
            }
            p.headers.extend(e.headers.clone());
            for (k, v) in &e.extra_body {
                p.extra_body.insert(k.clone(), v.clone());
            }
            let t = e.timeouts;
            p.timeouts.connect_ms = t.connect_ms.unwrap_or(p.timeouts.connect_ms);
            p.timeouts.first_byte_ms = t.first_byte_ms.unwrap_or(p.timeouts.first_byte_ms);
            p.timeouts.idle_ms = t.idle_ms.unwrap_or(p.timeouts.idle_ms);
            if e.model.is_some() {
                p.default_model = e.model.clone();
            }
            if let Some(f) = &e.max_tokens_field {
                if f != "max_tokens" && f != "max_completion_tokens" {
                    return Err(Error::usage(format!(
                        "provider '{name}': max_tokens_field must be \"max_tokens\" or \"max_completion_tokens\", not \"{f}\""
                    )));
                }
                p.max_tokens_field = f.clone();
            }
            if let Some(v) = &e.anthropic_version {
                p.anthropic_version = v.clone();
            }
        }
        Ok(p)
    }

    /// The context window the config gives `model`
    /// (`models.<id>.context_window`), if any.
    pub fn model_window(&self, model: Option<&str>) -> Option<u64> {
        self.model(model?)?.context_window
    }

    /// What the config says about `model`, if anything.
    pub fn model(&self, model: &str) -> Option<&ModelConfig> {
        self.models.get(model)
    }

    /// The section owned by one binary, or `null`.
    pub fn section(&self, name: &str) -> Option<&Value> {
        match name {
            "tools" => self.tools.as_ref(),
            "permissions" => self.permissions.as_ref(),
            "session" => self.session.as_ref(),
            "tui" => self.tui.as_ref(),
            "mcp" => self.mcp.as_ref(),
            "sandbox" => self.sandbox.as_ref(),
            "loop" => self.loop_.as_ref(),
            _ => None,
        }
    }
}

impl Provider {
    /// The API key from the environment. `Ok(None)` when the provider takes
    /// no key or an optional one is unset. The error names the variable,
    /// never a value.
    pub fn api_key(&self) -> Result<Option<String>, Error> {
        let Some(var) = &self.api_key_env else {
            return Ok(None);
        };
        match std::env::var(var) {
            Ok(k) if !k.trim().is_empty() => Ok(Some(k.trim().to_string())),
            _ if self.key_required => Err(Error::auth(format!(
                "no API key for provider '{}': set {var}",
                self.name
            ))),
            _ => Ok(None),
        }
    }

    /// Headers with `${VAR}` values replaced from the environment. A header
    /// whose variable is unset is left out.
    pub fn expanded_headers(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (k, v) in &self.headers {
            if let Some(var) = v.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
                if let Ok(val) = std::env::var(var) {
                    out.push((k.clone(), val));
                }
            } else {
                out.push((k.clone(), v.clone()));
            }
        }
        out
    }
}

fn env_nonempty(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_resolves() {
        let c = Config::default();
        for name in BUILTIN_PROVIDERS {
            let p = c.resolve_provider(name).unwrap();
            assert_eq!(p.name, *name);
        }
        assert!(c.resolve_provider("anthropic").unwrap().key_required);
        assert!(!c.resolve_provider("ollama").unwrap().key_required);
    }

    #[test]
    fn a_config_entry_overrides_a_builtin_field_by_field() {
        let c = Config::parse(
            r#"{"providers":{"anthropic":{"base_url":"http://127.0.0.1:9","timeouts":{"idle_ms":5},"headers":{"x-a":"1"}}}}"#,
        )
        .unwrap();
        let p = c.resolve_provider("anthropic").unwrap();
        assert_eq!(p.base_url, "http://127.0.0.1:9");
        assert_eq!(p.timeouts.idle_ms, 5);
        assert_eq!(p.timeouts.connect_ms, DEFAULT_TIMEOUTS.connect_ms);
        assert_eq!(p.api_key_env.as_deref(), Some("ANTHROPIC_API_KEY"));
        assert_eq!(p.kind, ProviderKind::Anthropic);
    }

    #[test]
    fn a_custom_provider_needs_a_kind_and_gets_no_builtin_key() {
        let c = Config::parse(r#"{"providers":{"vllm":{"base_url":"http://h/v1"}}}"#).unwrap();
        let e = c.resolve_provider("vllm").unwrap_err();
        assert!(e.message.contains("no \"kind\""), "{}", e.message);
        let c = Config::parse(
            r#"{"providers":{"vllm":{"kind":"openai-chat","base_url":"http://h/v1","api_key_env":"VLLM_KEY"}}}"#,
        )
        .unwrap();
        let p = c.resolve_provider("vllm").unwrap();
        assert_eq!(p.api_key_env.as_deref(), Some("VLLM_KEY"));
        assert!(!p.key_required);
        assert!(!p.openrouter);
    }

    #[test]
    fn unknown_provider_lists_the_known_ones() {
        let e = Config::default().resolve_provider("nope").unwrap_err();
        assert_eq!(e.kind, crate::error::Kind::Usage);
        assert!(e.message.contains("openrouter"), "{}", e.message);
    }

    #[test]
    fn unknown_keys_are_an_error_not_a_silent_default() {
        let e = Config::parse(r#"{"providr":"x"}"#).unwrap_err();
        assert!(e.contains("providr"), "{e}");
    }

    #[test]
    fn bad_max_tokens_field_is_refused() {
        let c = Config::parse(r#"{"providers":{"openai":{"max_tokens_field":"max"}}}"#).unwrap();
        assert!(c.resolve_provider("openai").is_err());
    }
}
