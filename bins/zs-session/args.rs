//! zs-session's command line: one subcommand per operation on the store.
//! man/zs-session.1 documents the same flags.

use clap::{Args as ClapArgs, Parser, Subcommand};
use std::path::PathBuf;

/// The append-only session store of zerostack.
#[derive(Debug, Parser)]
#[command(name = "zs-session", version, about, disable_help_subcommand = true)]
pub struct Args {
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Create a session and print its header line
    New(NewArgs),
    /// List sessions, newest first
    List(ListArgs),
    /// Print a session's lines as stored (header, then entries)
    #[command(alias = "cat")]
    Show(ShowArgs),
    /// Append a user message (from the arguments, else stdin)
    Append(AppendArgs),
    /// Write the context for zs-chat: system line, tools line, conversation
    /// (with --follow: again for every line of stdin)
    Context(ContextArgs),
    /// Pass stdin to stdout and store every persistent event
    Record(RecordArgs),
    /// Summarize the older part of the conversation through zs-chat
    Compact(CompactArgs),
    /// Start a new session from a session's entries up to one of them
    Fork(ForkArgs),
    /// Export a session as Markdown, or its raw lines with --jsonl
    Export(ExportArgs),
    /// Create a session from a JSONL stream
    Import(ImportArgs),
    /// Give a session a name
    Rename(RenameArgs),
    /// Delete a session's file and folder
    Delete(SessionArg),
    /// Print the text of the final assistant message
    Last(LastArgs),
    /// Counts, tokens, cost and context use
    Stats(StatsArgs),
    /// Print the session's folder (for ZS_SESSION_DIR)
    Dir(SessionArg),
    /// Print what the conversation waits for: model, user or nothing
    State(SessionArg),
    /// Print one of the session's details as now set, or all as a session line
    Get(GetArgs),
    /// Print a prompt's text, its mode, or the list of prompts
    Prompt(PromptArgs),
}

#[derive(Debug, ClapArgs)]
pub struct SessionArg {
    /// Session: id, unique id prefix, name, @last, or a path to a .jsonl file
    pub session: String,
}

#[derive(Debug, ClapArgs)]
pub struct NewArgs {
    /// Model id recorded in the header
    #[arg(long)]
    pub model: Option<String>,
    /// Provider name recorded in the header
    #[arg(long)]
    pub provider: Option<String>,
    /// System prompt name [default: code]
    #[arg(long)]
    pub prompt: Option<String>,
    /// Permission mode [default: the prompt's %%mode, if any]
    #[arg(long)]
    pub mode: Option<String>,
    /// A name to find the session by
    #[arg(long)]
    pub name: Option<String>,
    /// Working directory of the session [default: the current one]
    #[arg(long)]
    pub cwd: Option<PathBuf>,
    /// Print only the id
    #[arg(long)]
    pub print_id: bool,
}

#[derive(Debug, ClapArgs)]
pub struct ListArgs {
    /// Sessions of every project, not just this one
    #[arg(long)]
    pub all: bool,
    /// One JSON object per session
    #[arg(long)]
    pub json: bool,
    /// At most this many sessions
    #[arg(short = 'n', long)]
    pub limit: Option<usize>,
}

#[derive(Debug, ClapArgs)]
pub struct ShowArgs {
    #[command(flatten)]
    pub s: SessionArg,
    /// Start at this entry (the header is left out)
    #[arg(long)]
    pub from: Option<usize>,
}

#[derive(Debug, ClapArgs)]
pub struct AppendArgs {
    #[command(flatten)]
    pub s: SessionArg,
    /// The message; words are joined by spaces. Without it, stdin is read.
    pub text: Vec<String>,
    /// Also print the stored `user` line on stdout
    #[arg(long)]
    pub echo: bool,
}

#[derive(Debug, ClapArgs)]
pub struct RecordArgs {
    #[command(flatten)]
    pub s: SessionArg,
    /// Write a progress line on stderr for every tool call and its outcome
    #[arg(long)]
    pub progress: bool,
    /// After every round closed by a `round_end` line (or at the end of an
    /// input that has none), append a line saying what the conversation
    /// waits for (as `state` prints it) to FILE
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
}

/// The keys `get` knows.
pub const GET_KEYS: &[&str] = &[
    "id", "name", "cwd", "created", "model", "provider", "prompt", "mode", "file", "dir", "project",
];

#[derive(Debug, ClapArgs)]
pub struct GetArgs {
    #[command(flatten)]
    pub s: SessionArg,
    /// id, name, cwd, created, model, provider, prompt, mode, file, dir or
    /// project; several: one line each (empty when unset); none: the
    /// header with later changes applied
    pub keys: Vec<String>,
}

#[derive(Debug, ClapArgs)]
pub struct ContextArgs {
    #[command(flatten)]
    pub s: SessionArg,
    /// Leave out AGENTS.md, CLAUDE.md and ARCHITECTURE.md
    #[arg(long, short = 'n')]
    pub no_context_files: bool,
    /// Include the tools line from this file (as `zs-tool schema` writes it)
    #[arg(long, value_name = "FILE")]
    pub tools: Option<PathBuf>,
    /// Use this prompt instead of the session's
    #[arg(long)]
    pub prompt: Option<String>,
    /// For every line read on stdin, write the context as the session
    /// stands then, ended by a `round_end` line; exit at end of input
    #[arg(long)]
    pub follow: bool,
}

#[derive(Debug, ClapArgs)]
pub struct CompactArgs {
    #[command(flatten)]
    pub s: SessionArg,
    /// Compact only when the context is near the model's window
    #[arg(long)]
    pub auto: bool,
    /// Extra instructions for the summary
    #[arg(long)]
    pub instructions: Option<String>,
    /// Tokens of recent conversation to keep verbatim [config: keep_recent_tokens]
    #[arg(long)]
    pub keep_recent: Option<u64>,
    /// Arguments passed on to zs-chat
    #[arg(last = true)]
    pub chat_args: Vec<String>,
}

#[derive(Debug, ClapArgs)]
pub struct ForkArgs {
    #[command(flatten)]
    pub s: SessionArg,
    /// Keep entries up to and including this one [default: all]
    #[arg(long)]
    pub at: Option<usize>,
    /// A name for the new session
    #[arg(long)]
    pub name: Option<String>,
    /// Print only the new id
    #[arg(long)]
    pub print_id: bool,
}

#[derive(Debug, ClapArgs)]
pub struct ExportArgs {
    #[command(flatten)]
    pub s: SessionArg,
    /// The raw lines (header and entries) instead of Markdown
    #[arg(long)]
    pub jsonl: bool,
    /// Write to this file instead of stdout
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, ClapArgs)]
pub struct ImportArgs {
    /// The JSONL file, or - for stdin
    pub file: PathBuf,
    /// A name for the new session
    #[arg(long)]
    pub name: Option<String>,
    /// Working directory of the new session [default: the stream's, else the current one]
    #[arg(long)]
    pub cwd: Option<PathBuf>,
    /// Print only the new id
    #[arg(long)]
    pub print_id: bool,
}

#[derive(Debug, ClapArgs)]
pub struct RenameArgs {
    #[command(flatten)]
    pub s: SessionArg,
    /// The new name
    pub name: String,
}

#[derive(Debug, ClapArgs)]
pub struct LastArgs {
    #[command(flatten)]
    pub s: SessionArg,
    /// The whole assistant line instead of its text
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, ClapArgs)]
pub struct StatsArgs {
    #[command(flatten)]
    pub s: SessionArg,
    /// One JSON object
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, ClapArgs)]
pub struct PromptArgs {
    /// Prompt name [default: code]
    pub name: Option<String>,
    /// Print only the mode its %%mode line sets (nothing if none)
    #[arg(long)]
    pub mode: bool,
    /// List prompt names and where each comes from
    #[arg(long, conflicts_with = "mode")]
    pub list: bool,
}

/// `context` and `record` as the wrapper runs them (once per prompt, or
/// once per round by older wrappers and scripts), read without building
/// clap's parser (all eighteen subcommands); `None` for anything else. See
/// `zerostack::cli::parse_args_with`.
pub fn fast(argv: &[String]) -> Option<Args> {
    let (sub, rest) = argv.split_first()?;
    let cmd = match sub.as_str() {
        "context" => {
            let a = zerostack::cli::SimpleArgs::read(
                rest,
                &["--no-context-files", "--follow"],
                &["--tools", "--prompt"],
            )?;
            let [session] = a.positionals[..] else {
                return None;
            };
            Cmd::Context(ContextArgs {
                s: SessionArg {
                    session: session.to_string(),
                },
                no_context_files: a.flag("--no-context-files"),
                tools: a.value("--tools").map(PathBuf::from),
                prompt: a.value("--prompt").map(String::from),
                follow: a.flag("--follow"),
            })
        }
        "record" => {
            let a = zerostack::cli::SimpleArgs::read(rest, &["--progress"], &["--state"])?;
            let [session] = a.positionals[..] else {
                return None;
            };
            Cmd::Record(RecordArgs {
                s: SessionArg {
                    session: session.to_string(),
                },
                progress: a.flag("--progress"),
                state: a.value("--state").map(PathBuf::from),
            })
        }
        _ => return None,
    };
    Some(Args { cmd })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_parser_agrees_with_clap() {
        let cases: &[&[&str]] = &[
            &["context", "S"],
            &["context", "S", "--tools", "/d/tools.json"],
            &["context", "--tools", "t.json", "S", "--prompt", "plan"],
            &["context", "S", "--no-context-files", "--tools", "t"],
            &["context", "S", "--follow"],
            &[
                "context",
                "--follow",
                "--tools",
                "t.json",
                "S",
                "--no-context-files",
            ],
            &[
                "context", "S", "--prompt", "plan", "--follow", "--tools", "t",
            ],
            &["record", "S"],
            &["record", "S", "--state", "/tmp/x/state", "--progress"],
            &["record", "--progress", "S"],
            &["record", "--state", "/dev/fd/4", "S"],
            &["record", "S", "--progress", "--state", "st"],
        ];
        for case in cases {
            let argv: Vec<String> = case.iter().map(|s| s.to_string()).collect();
            let fast = fast(&argv).unwrap_or_else(|| panic!("not fast: {case:?}"));
            let clap =
                Args::try_parse_from(std::iter::once("zs-session").chain(case.iter().copied()))
                    .unwrap();
            assert_eq!(format!("{fast:?}"), format!("{clap:?}"), "{case:?}");
        }
        for case in [
            &["context"][..],
            &["context", "S", "T"],
            &["context", "-n", "S"],
            &["record", "S", "--state"],
            &["record", "S", "--tools", "t"],
            &["record", "S", "--follow"],
            &["context", "S", "--follow", "x"],
            &["context", "S", "--follow=1"],
            &["list"],
            &["new", "--print-id"],
            &["--help"],
            &[],
        ] {
            let argv: Vec<String> = case.iter().map(|s| s.to_string()).collect();
            assert!(fast(&argv).is_none(), "{case:?}");
        }
    }
}
