//! The command line of zs-chat. Every flag overrides the environment and the
//! config file; see zs-chat(1).

use crate::providers::Thinking;

/// One streamed model call: reads a conversation on stdin, writes deltas and
/// one `assistant` message on stdout.
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
