//! The command line of zs-chat. Every flag overrides the environment and the
//! config file; see zs-chat(1).

use crate::providers::Thinking;

/// One streamed model call per round: reads a conversation on stdin, writes
/// deltas and one `assistant` message on stdout (a `round_end` line closes a
/// round and follows its reply).
#[derive(Debug, clap::Parser)]
#[command(name = "zs-chat", version)]
pub struct Args {
    /// Provider to call (a built-in name or one defined in the config)
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,

    /// Model id, as the provider names it
    #[arg(long, value_name = "ID")]
    pub model: Option<String>,

    /// Base URL of the provider's API (replaces the configured one)
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,

    /// Reasoning effort; dropped with a warning for a model without it
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub thinking: Option<Thinking>,

    /// Output token limit
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_tokens: Option<u64>,

    /// System prompt (replaces any `system` line of the input)
    #[arg(long, value_name = "TEXT")]
    pub system: Option<String>,
}

/// No arguments, or a provider, model or base URL, as the wrapper passes
/// them every round, read without building clap's parser; `None` for
/// anything else. See `zerostack::cli::parse_args_with`.
pub fn fast(argv: &[String]) -> Option<Args> {
    let a = zerostack::cli::SimpleArgs::read(argv, &[], &["--provider", "--model", "--base-url"])?;
    if !a.positionals.is_empty() {
        return None;
    }
    Some(Args {
        provider: a.value("--provider").map(String::from),
        model: a.value("--model").map(String::from),
        base_url: a.value("--base-url").map(String::from),
        thinking: None,
        max_tokens: None,
        system: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn the_fast_parser_agrees_with_clap() {
        let cases: &[&[&str]] = &[
            &[],
            &["--provider", "anthropic"],
            &["--model", "m1", "--provider", "openai"],
            &["--base-url", "http://127.0.0.1:9/v1", "--model", "x"],
        ];
        for case in cases {
            let argv: Vec<String> = case.iter().map(|s| s.to_string()).collect();
            let fast = fast(&argv).unwrap_or_else(|| panic!("not fast: {case:?}"));
            let clap = Args::try_parse_from(std::iter::once("zs-chat").chain(case.iter().copied()))
                .unwrap();
            assert_eq!(format!("{fast:?}"), format!("{clap:?}"), "{case:?}");
        }
        for case in [
            &["--thinking", "high"][..],
            &["--max-tokens", "10"],
            &["--system", "be brief"],
            &["hello"],
            &["--help"],
        ] {
            let argv: Vec<String> = case.iter().map(|s| s.to_string()).collect();
            assert!(fast(&argv).is_none(), "{case:?}");
        }
    }
}
