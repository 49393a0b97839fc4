//! The one place that does process-level work for every binary: it runs the
//! binary's `run`, and turns its result into a one-line message on stderr,
//! a fatal `error` event on stdout and an exit code.
//!
//! The pipeline's binaries enter through [`start`] from a C `main` of their
//! own (they are `#![no_main]`), not through std's runtime: a round of the
//! agent starts five processes, and std's start-up spends a good part of a
//! short stage's own CPU on what these binaries do not need. It reads
//! /proc/self/maps to find the main thread's stack and maps a signal stack
//! for every thread, both only to print "has overflowed its stack" where a
//! plain SIGSEGV ends the process anyway. [`start`] keeps the rest of what
//! std does before `main`: standard descriptors that are closed are opened
//! on /dev/null, SIGPIPE is ignored (a closed pipe is an error that
//! [`crate::lines::Writer`] turns into a clean exit), a panic exits with 101,
//! and stdout is flushed at exit.

use crate::error::{Error, Kind};
use crate::protocol::{ErrorEvent, Event};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// Runs `f` and maps its outcome. `name` is the binary (`zs-chat`), used as
/// the prefix of error lines and as the `source` of the error event.
pub fn run(name: &str, f: impl FnOnce() -> Result<(), Error>) -> ExitCode {
    ExitCode::from(outcome(name, f()))
}

/// The exit code of a result, reported first when it is an error.
fn outcome(name: &str, r: Result<(), Error>) -> u8 {
    match r {
        Ok(()) => 0,
        Err(e) if matches!(e.kind, Kind::BrokenPipe | Kind::Done) => 0,
        Err(e) => {
            report(name, &e);
            e.exit_code()
        }
    }
}

/// The process entry of a `#![no_main]` binary, called from its C `main`:
/// prepares the process as std's runtime would (see the module doc), runs
/// `f` as [`run`] does and exits with its code.
pub fn start(name: &str, f: impl FnOnce() -> Result<(), Error>) -> ! {
    process::prepare();
    // What std's `lang_start` does: a panic (its message already printed by
    // the hook) ends the process with 101, rather than unwinding out of an
    // `extern "C"` function, which would abort.
    let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| outcome(name, f())))
        .unwrap_or(101);
    // `exit`, not a return to C: it flushes stdout, as std does after main.
    std::process::exit(i32::from(code))
}

/// Declares a `#![no_main]` binary's C `main`, which enters through
/// [`start`]: `zerostack::entry!("zs-perm", app::run);`. In unit tests
/// (`cfg(test)`) it is an ordinary function, and the harness has the symbol.
#[macro_export]
macro_rules! entry {
    ($name:literal, $run:path) => {
        /// The C entry point, in place of std's runtime (see zerostack::cli).
        #[allow(unsafe_code)]
        // SAFETY: the crate is `no_main`, so this is the only `main` symbol,
        // and the C runtime calls it once with argc and argv, which std
        // reads itself.
        #[cfg_attr(not(test), unsafe(no_mangle))]
        extern "C" fn main(
            _argc: ::std::ffi::c_int,
            _argv: *const *const ::std::ffi::c_char,
        ) -> ::std::ffi::c_int {
            $crate::cli::start($name, $run)
        }
    };
}

/// The libc calls of [`start`], the library's only unsafe code.
mod process {
    /// Opens /dev/null on any of descriptors 0, 1 and 2 that is closed, so a
    /// file opened later cannot become stdin or stdout; ignores SIGPIPE; and
    /// keeps malloc to one arena, since the few threads of a stage (a signal
    /// watcher, a reader) would each map a 64 MiB arena of their own for a
    /// few allocations.
    #[allow(unsafe_code)]
    pub fn prepare() {
        let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
            fd,
            events: 0,
            revents: 0,
        });
        // SAFETY: poll reads and writes the three pollfd of `fds`, whose
        // length is passed with it; a zero timeout does not block.
        let polled = unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) } >= 0;
        for p in fds {
            // When poll itself fails, ask each descriptor with fcntl.
            // SAFETY: F_GETFD takes no pointer; it only reports an error for
            // a descriptor that is not open.
            let closed = if polled {
                p.revents & libc::POLLNVAL != 0
            } else {
                let flags = unsafe { libc::fcntl(p.fd, libc::F_GETFD) };
                flags == -1
            };
            if closed {
                // The lowest free descriptor is the closed one. Failing to
                // open /dev/null leaves it closed, as nothing better can be
                // done before main.
                // SAFETY: the path is a NUL-terminated literal.
                unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
            }
        }
        // SAFETY: setting a signal's disposition to SIG_IGN installs no
        // handler code; children get the default back at exec (std's
        // Command resets SIGPIPE for them).
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
        // SAFETY: mallopt only changes a malloc parameter; it is called
        // before any thread exists.
        unsafe { libc::mallopt(libc::M_ARENA_MAX, 1) };
    }
}

/// Writes `e` as `name: error: message` on stderr and as a fatal `error`
/// event on stdout. Failures to write are ignored: there is nowhere left to
/// report them.
pub fn report(name: &str, e: &Error) {
    let _ = writeln!(std::io::stderr(), "{name}: error: {}", e.message);
    // The event is for a program reading stdout. On a terminal (zs-tui's
    // screen, or a person running a stage by hand) the line above says it.
    if e.kind == Kind::Interrupted || std::io::stdout().is_terminal() {
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

/// Parses argv with `fast` when it recognizes the arguments, else with clap
/// as [`parse_args`] does. Building a clap parser (every flag, its help,
/// every subcommand) costs a stage about a tenth of its CPU, and the
/// wrapper passes the same few arguments every round; `fast` handles those
/// and returns `None` for anything else, so clap still owns every error,
/// `--help` and every rarer form. Each binary's tests check that `fast`
/// gives what clap gives.
pub fn parse_args_with<A: clap::Parser>(fast: fn(&[String]) -> Option<A>) -> Result<A, Error> {
    let args: Option<Vec<String>> = std::env::args_os()
        .skip(1)
        .map(|a| a.into_string().ok())
        .collect();
    match args.as_deref().and_then(fast) {
        Some(a) => Ok(a),
        None => parse_args(),
    }
}

/// Simple arguments as the fast parsers read them: positionals, and long
/// flags and options each given at most once, an option's value in the next
/// argument.
#[derive(Debug, Default, PartialEq)]
pub struct SimpleArgs<'a> {
    pub positionals: Vec<&'a str>,
    /// The flags and options given, with the options' values.
    pub named: Vec<(&'a str, Option<&'a str>)>,
}

impl<'a> SimpleArgs<'a> {
    /// Reads `args` (without the program name), knowing `flags` (no value)
    /// and `options` (one value), both spelled `--name`. `None` for
    /// anything clap might read differently: another argument starting
    /// with `-` (a short flag, `--`, `--name=value`), a name given twice,
    /// an option without its value or with an empty one or one starting
    /// with `-`.
    pub fn read(args: &'a [String], flags: &[&str], options: &[&str]) -> Option<SimpleArgs<'a>> {
        let mut out = SimpleArgs::default();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let a = a.as_str();
            if !a.starts_with('-') {
                out.positionals.push(a);
                continue;
            }
            if out.named.iter().any(|(n, _)| *n == a) {
                return None;
            }
            if flags.contains(&a) {
                out.named.push((a, None));
            } else if options.contains(&a) {
                let v = it.next().filter(|v| !v.is_empty() && !v.starts_with('-'))?;
                out.named.push((a, Some(v.as_str())));
            } else {
                return None;
            }
        }
        Some(out)
    }

    /// Whether flag `name` was given.
    pub fn flag(&self, name: &str) -> bool {
        self.named.iter().any(|(n, _)| *n == name)
    }

    /// The value of option `name`, if given.
    pub fn value(&self, name: &str) -> Option<&'a str> {
        self.named
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| *v)
    }
}

#[cfg(test)]
mod tests {
    use super::SimpleArgs;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn simple_args_read_flags_options_and_positionals() {
        let a = args(&["context", "S", "--tools", "t.json", "--quiet"]);
        let r = SimpleArgs::read(&a, &["--quiet"], &["--tools"]).unwrap();
        assert_eq!(r.positionals, ["context", "S"]);
        assert!(r.flag("--quiet"));
        assert_eq!(r.value("--tools"), Some("t.json"));
        assert_eq!(r.value("--quiet"), None);
    }

    #[test]
    fn simple_args_leave_everything_else_to_clap() {
        let read = |a: &[&str]| SimpleArgs::read(&args(a), &["--quiet"], &["--tools"]).is_some();
        assert!(read(&[]));
        for bad in [
            &["-q"][..],
            &["--"],
            &["-"],
            &["--tools=t"],
            &["--tools"],
            &["--tools", "-t"],
            &["--tools", ""],
            &["--quiet", "--quiet"],
            &["--tools", "a", "--tools", "b"],
            &["--help"],
            &["--other"],
        ] {
            assert!(!read(bad), "{bad:?}");
        }
    }
}
