//! Command-line arguments (see zs-perm(1)).

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use zerostack::cli::SimpleArgs;

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

/// The arguments the wrapper starts the filter with (a mode, a policy, the
/// skip flag), read without building clap's parser; `None` for anything
/// else. See `zerostack::cli::parse_args_with`.
pub fn fast(argv: &[String]) -> Option<Args> {
    let a = SimpleArgs::read(
        argv,
        &[
            "--restrictive",
            "--read-only",
            "--guarded",
            "--yolo",
            "--dangerously-skip-permissions",
        ],
        &["--mode", "--non-interactive", "--session-dir"],
    )?;
    if !a.positionals.is_empty() {
        return None;
    }
    let non_interactive = match a.value("--non-interactive") {
        None => None,
        Some("deny") => Some(Policy::Deny),
        Some("allow") => Some(Policy::Allow),
        Some("fail") => Some(Policy::Fail),
        Some(_) => return None,
    };
    Some(Args {
        restrictive: a.flag("--restrictive"),
        read_only: a.flag("--read-only"),
        guarded: a.flag("--guarded"),
        yolo: a.flag("--yolo"),
        mode: a.value("--mode").map(String::from),
        dangerously_skip_permissions: a.flag("--dangerously-skip-permissions"),
        non_interactive,
        session_dir: a.value("--session-dir").map(PathBuf::from),
        command: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_parser_agrees_with_clap() {
        let cases: &[&[&str]] = &[
            &[],
            &["--non-interactive", "deny"],
            &["--mode", "yolo", "--non-interactive", "allow"],
            &["--non-interactive", "fail", "--mode", "readonly"],
            &[
                "--dangerously-skip-permissions",
                "--non-interactive",
                "deny",
            ],
            &["--restrictive"],
            &["--read-only", "--guarded", "--yolo"],
            &["--session-dir", "/tmp/s", "--mode", "guarded"],
        ];
        for case in cases {
            let argv: Vec<String> = case.iter().map(|s| s.to_string()).collect();
            let fast = fast(&argv).unwrap_or_else(|| panic!("not fast: {case:?}"));
            let clap = Args::try_parse_from(std::iter::once("zs-perm").chain(case.iter().copied()))
                .unwrap();
            assert_eq!(format!("{fast:?}"), format!("{clap:?}"), "{case:?}");
        }
        // Left to clap: errors, help, short flags, subcommands.
        for case in [
            &["--non-interactive", "Deny"][..],
            &["--non-interactive", "maybe"],
            &["-R"],
            &["--help"],
            &["--version"],
            &["rules"],
            &["explain", "bash", "{}"],
            &["--mode=yolo"],
        ] {
            let argv: Vec<String> = case.iter().map(|s| s.to_string()).collect();
            assert!(fast(&argv).is_none(), "{case:?}");
        }
    }
}
