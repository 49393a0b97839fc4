//! Command-line arguments (see zs-perm(1)).

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Writes a permission decision for every tool call in an NDJSON event
/// stream, passing every other line through.
#[derive(Debug, Parser)]
#[command(name = "zs-perm", version)]
pub struct Args {
    /// Ask for every call (mode restrictive)
    #[arg(short = 'R', long, global = true)]
    pub restrictive: bool,
    /// Allow reads, deny everything else (mode readonly)
    #[arg(long = "read-only", global = true)]
    pub read_only: bool,
    /// Allow reads, ask for everything else (mode guarded)
    #[arg(long, global = true)]
    pub guarded: bool,
    /// Allow everything but destructive commands, which ask (mode yolo)
    #[arg(long, global = true)]
    pub yolo: bool,
    /// The mode: restrictive, readonly, guarded, standard, yolo, planwrite
    #[arg(long, value_name = "NAME", global = true)]
    pub mode: Option<String>,
    /// Allow every call without checking anything
    #[arg(long, global = true)]
    pub dangerously_skip_permissions: bool,
    /// What an ask becomes when nobody can answer it; also skips the
    /// terminal prompt [default: deny]
    #[arg(long, value_name = "POLICY", global = true)]
    pub non_interactive: Option<Policy>,
    /// Folder of the session's allowlist and call history (default:
    /// $ZS_SESSION_DIR)
    #[arg(long, value_name = "DIR", global = true)]
    pub session_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Policy {
    /// Deny the call, saying what would allow it
    Deny,
    /// Allow the call
    Allow,
    /// Stop with an error (exit 1)
    Fail,
}

impl Policy {
    pub fn name(self) -> &'static str {
        match self {
            Policy::Deny => "deny",
            Policy::Allow => "allow",
            Policy::Fail => "fail",
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the decision on one call, the mode, every rule that matched
    /// and the one that won
    Explain {
        /// The tool name (bash, write, mcp__server__tool, ...)
        tool: String,
        /// The arguments as a JSON object
        #[arg(default_value = "{}")]
        arguments: String,
        /// Print one JSON object instead of text
        #[arg(long)]
        json: bool,
    },
    /// Print the effective rule list, with where each rule came from
    Rules,
}
