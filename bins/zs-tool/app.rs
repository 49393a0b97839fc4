//! Command line: the filter (default), `schema` and `call`.

use crate::call::{self, Dirs, Env};
use crate::settings::Settings;
use crate::spec::{self, TOOLS};
use crate::{filter, signals};
use clap::{Parser, Subcommand, ValueEnum};
use serde_json::{Map, Value};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use zerostack::cli;
use zerostack::error::{Error, Kind};
use zerostack::lines::Writer;
use zerostack::protocol::{Event, ToolCall, ToolSpec, Tools};

/// Runs the tool calls of an NDJSON event stream once zs-perm allowed them,
/// and adds their results to the stream.
#[derive(Debug, Parser)]
#[command(name = "zs-tool", version)]
struct Args {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    /// Run calls without a permission decision (replays in a scratch copy,
    /// tests). Prints a warning.
    #[arg(long)]
    no_permission_check: bool,
    /// Say what each call would do, without doing it.
    #[arg(long, global = true)]
    dry_run: bool,
    /// Offer only these tools (comma-separated names).
    #[arg(long, value_delimiter = ',', global = true, value_name = "NAMES")]
    only: Vec<String>,
    /// `readonly` offers only tools that change no file and run nothing.
    #[arg(long, value_enum, global = true, default_value = "all")]
    mode: Mode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    All,
    Readonly,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Print the tool list as one `tools` line.
    Schema,
    /// Run one call and print its `tool_result` line.
    Call {
        /// The tool name.
        name: String,
        /// The arguments, as a JSON object.
        #[arg(default_value = "{}")]
        arguments: String,
    },
}

/// The filter as the wrapper starts it (no arguments), and
/// `schema` with or without `--mode`, read without building clap's parser;
/// `None` for anything else. See `zerostack::cli::parse_args_with`.
fn fast(argv: &[String]) -> Option<Args> {
    let a = cli::SimpleArgs::read(argv, &[], &["--mode"])?;
    let cmd = match a.positionals[..] {
        [] => None,
        ["schema"] => Some(Cmd::Schema),
        _ => return None,
    };
    let mode = match a.value("--mode") {
        None | Some("all") => Mode::All,
        Some("readonly") => Mode::Readonly,
        Some(_) => return None,
    };
    Some(Args {
        cmd,
        no_permission_check: false,
        dry_run: false,
        only: Vec::new(),
        mode,
    })
}

pub fn run() -> Result<(), Error> {
    let a: Args = cli::parse_args_with(fast)?;
    let (only, only_reason) = offered(&a)?;
    if let Some(Cmd::Schema) = a.cmd {
        return schema(only.as_deref());
    }
    let cwd = std::env::current_dir()
        .map_err(|e| Error::failure(format!("cannot get the working directory: {e}")))?;
    let env = Env {
        settings: Settings::load()?,
        dirs: Dirs::from_env(&cwd),
        cwd,
        dry_run: a.dry_run,
        cancel: Arc::new(AtomicBool::new(false)),
        only,
        only_reason,
    };
    match a.cmd {
        Some(Cmd::Call { name, arguments }) => call_one(&env, name, &arguments),
        _ => {
            if a.no_permission_check {
                cli::warn(
                    "zs-tool",
                    "--no-permission-check: every tool call runs without a permission decision",
                );
            }
            if std::io::stdin().is_terminal() {
                cli::warn(
                    "zs-tool",
                    "reading NDJSON events from stdin (see zs-tool --help; Ctrl-D ends)",
                );
            }
            filter::run(
                &env,
                !a.no_permission_check,
                Box::new(std::io::BufReader::with_capacity(1 << 16, std::io::stdin())),
                Box::new(std::io::stdout()),
            )
        }
    }
}

/// The tools this run offers, from `--only` and `--mode`, and why others
/// are refused.
fn offered(a: &Args) -> Result<(Option<Vec<&'static str>>, String), Error> {
    let mut names: Vec<&'static str> = Vec::new();
    for n in a.only.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        match spec::find(n) {
            Some(s) => names.push(s.name),
            None => {
                let all: Vec<&str> = TOOLS.iter().map(|s| s.name).collect();
                return Err(Error::usage(format!(
                    "--only: unknown tool '{n}' (tools: {})",
                    all.join(", ")
                )));
            }
        }
    }
    let readonly = a.mode == Mode::Readonly;
    if names.is_empty() && !readonly {
        return Ok((None, String::new()));
    }
    let base: Vec<&'static str> = if names.is_empty() {
        TOOLS.iter().map(|s| s.name).collect()
    } else {
        names
    };
    let list: Vec<&'static str> = base
        .into_iter()
        .filter(|n| !readonly || spec::find(n).is_some_and(|s| s.effect.in_readonly_mode()))
        .collect();
    let reason = match (a.only.is_empty(), readonly) {
        (true, _) => "zs-tool runs with --mode readonly".to_string(),
        (false, false) => "zs-tool runs with --only".to_string(),
        (false, true) => "zs-tool runs with --only and --mode readonly".to_string(),
    };
    Ok((Some(list), reason))
}

fn schema(only: Option<&[&'static str]>) -> Result<(), Error> {
    let tools = TOOLS
        .iter()
        .filter(|s| only.is_none_or(|o| o.contains(&s.name)))
        .map(|s| ToolSpec {
            name: s.name.to_string(),
            description: s.description.trim_end().to_string(),
            parameters: (s.parameters)(),
        })
        .collect();
    let mut w = Writer::new(std::io::stdout());
    w.emit(&Event::Tools(Tools {
        tools,
        extra: Map::new(),
    }))
}

fn call_one(env: &Env, name: String, arguments: &str) -> Result<(), Error> {
    let arguments: Value = serde_json::from_str(arguments)
        .map_err(|e| Error::usage(format!("the arguments are not valid JSON: {e}")))?;
    signals::install(env.cancel.clone(), || {})?;
    let c = ToolCall {
        id: "call".into(),
        name,
        arguments,
        signature: None,
    };
    let result = call::run(env, &c, None);
    Writer::new(std::io::stdout()).emit(&Event::ToolResult(result))?;
    if env.cancel.load(Ordering::SeqCst) {
        return Err(Error::new(Kind::Interrupted, "interrupted"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_parser_agrees_with_clap() {
        let cases: &[&[&str]] = &[
            &[],
            &["schema"],
            &["schema", "--mode", "readonly"],
            &["--mode", "readonly", "schema"],
            &["--mode", "all"],
        ];
        for case in cases {
            let argv: Vec<String> = case.iter().map(|s| s.to_string()).collect();
            let fast = fast(&argv).unwrap_or_else(|| panic!("not fast: {case:?}"));
            let clap = Args::try_parse_from(std::iter::once("zs-tool").chain(case.iter().copied()))
                .unwrap();
            assert_eq!(format!("{fast:?}"), format!("{clap:?}"), "{case:?}");
        }
        for case in [
            &["--mode", "ReadOnly"][..],
            &["--dry-run"],
            &["--only", "read"],
            &["call", "read", "{}"],
            &["schema", "extra"],
            &["--help"],
        ] {
            let argv: Vec<String> = case.iter().map(|s| s.to_string()).collect();
            assert!(fast(&argv).is_none(), "{case:?}");
        }
    }
}
