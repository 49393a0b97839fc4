//! Which models take a thinking or reasoning parameter.
//!
//! `--thinking` is sent only to a model that has the parameter; for any
//! other it is dropped with a warning, since most providers answer an
//! unknown parameter with a 400. The config's `models.<id>.thinking` is the
//! final word; without it, these tables judge by the model id's family.

use zerostack::config::{Provider, ProviderKind};

/// Whether `model` on `provider` takes a thinking parameter.
pub fn supported(provider: &Provider, model: &str, configured: Option<bool>) -> bool {
    if let Some(c) = configured {
        return c;
    }
    let m = model.to_ascii_lowercase();
    // OpenRouter takes `reasoning` for every model and ignores it where the
    // model cannot reason.
    if provider.openrouter {
        return true;
    }
    match provider.kind {
        ProviderKind::Anthropic => anthropic(&m),
        ProviderKind::OpenaiChat | ProviderKind::OpenaiResponses => openai(&m),
        ProviderKind::Gemini => gemini(&m),
        ProviderKind::Ollama => ollama(&m),
    }
}

fn anthropic(m: &str) -> bool {
    // Extended thinking began with Claude 3.7; every later family has it.
    let old = [
        "claude-2",
        "claude-instant",
        "claude-3-haiku",
        "claude-3-opus",
        "claude-3-sonnet",
        "claude-3-5",
    ];
    m.contains("claude") && !old.iter().any(|o| m.contains(o))
}

fn openai(m: &str) -> bool {
    let m = m.rsplit('/').next().unwrap_or(m);
    ["o1", "o3", "o4", "gpt-5", "gpt-oss"]
        .iter()
        .any(|p| m.starts_with(p))
}

fn gemini(m: &str) -> bool {
    let m = m.trim_start_matches("models/");
    !(m.starts_with("gemini-1") || m.starts_with("gemini-2.0") || m.starts_with("gemma"))
        && m.starts_with("gemini")
}

fn ollama(m: &str) -> bool {
    [
        "qwen3",
        "deepseek-r1",
        "gpt-oss",
        "magistral",
        "phi4-reasoning",
        "cogito",
    ]
    .iter()
    .any(|p| m.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use zerostack::config::Config;

    fn p(name: &str) -> Provider {
        Config::default().resolve_provider(name).unwrap()
    }

    #[test]
    fn families() {
        let cases = [
            ("anthropic", "claude-sonnet-4-5", true),
            ("anthropic", "claude-3-7-sonnet-latest", true),
            ("anthropic", "claude-3-5-haiku-latest", false),
            ("openai", "gpt-5-mini", true),
            ("openai", "o3", true),
            ("openai", "gpt-4.1", false),
            ("gemini", "gemini-2.5-flash", true),
            ("gemini", "gemini-3-pro-preview", true),
            ("gemini", "gemini-2.0-flash", false),
            ("ollama", "qwen3:8b", true),
            ("ollama", "llama3.2", false),
            ("openrouter", "meta-llama/llama-3-8b", true),
            ("openai-compatible", "gpt-oss-20b", true),
            ("openai-compatible", "mistral-small", false),
        ];
        for (prov, model, want) in cases {
            assert_eq!(supported(&p(prov), model, None), want, "{prov} {model}");
        }
        assert!(supported(&p("ollama"), "llama3.2", Some(true)));
        assert!(!supported(&p("anthropic"), "claude-opus-4", Some(false)));
    }
}
