//! The one place that does process-level work for every binary: it runs the
//! binary's `run`, and turns its result into a one-line message on stderr,
//! a fatal `error` event on stdout and an exit code.

use crate::error::{Error, Kind};
use crate::protocol::{ErrorEvent, Event};
use std::io::Write;
use std::process::ExitCode;

/// Runs `f` and maps its outcome. `name` is the binary (`zs-chat`), used as
/// the prefix of error lines and as the `source` of the error event.
pub fn run(name: &str, f: impl FnOnce() -> Result<(), Error>) -> ExitCode {
    match f() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if matches!(e.kind, Kind::BrokenPipe | Kind::Done) => ExitCode::SUCCESS,
        Err(e) => {
            report(name, &e);
            ExitCode::from(e.exit_code())
        }
    }
}

/// Writes `e` as `name: error: message` on stderr and as a fatal `error`
/// event on stdout. Failures to write are ignored: there is nowhere left to
/// report them.
pub fn report(name: &str, e: &Error) {
    let _ = writeln!(std::io::stderr(), "{name}: error: {}", e.message);
    if e.kind == Kind::Interrupted {
        return;
    }
    let ev = Event::Error(ErrorEvent {
        source: name.to_string(),
        message: e.message.clone(),
        fatal: true,
        line: None,
        code: Some(e.kind.name().to_string()),
    });
    if let Ok(mut line) = serde_json::to_vec(&ev) {
        line.push(b'\n');
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(&line).and_then(|()| out.flush());
    }
}

/// A warning line on stderr: `name: warning: message`.
pub fn warn(name: &str, message: &str) {
    let _ = writeln!(std::io::stderr(), "{name}: warning: {message}");
}

/// Parses argv with clap. `--help` and `--version` print and exit 0; a usage
/// error becomes an [`Error`] of class usage (exit 2), reported like any other.
pub fn parse_args<A: clap::Parser>() -> Result<A, Error> {
    match A::try_parse() {
        Ok(a) => Ok(a),
        Err(e) => match e.kind() {
            clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                let _ = e.print();
                Err(Error::new(Kind::Done, "done"))
            }
            _ => {
                // clap's message is several lines; keep its first line, which
                // names the problem, and point at --help.
                let text = e.render().to_string();
                let first = text
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("invalid arguments")
                    .trim_start_matches("error: ")
                    .to_string();
                Err(Error::usage(format!("{first} (see --help)")))
            }
        },
    }
}
