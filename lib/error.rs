//! Errors and exit codes, by class.
//!
//! Every stage exits with one of the codes below; the man pages list them
//! under EXIT STATUS and docs/protocol.md repeats the table. A failure that
//! the next stage should know about is also written as an `error` event.

use std::fmt;

/// Exit codes shared by every binary.
pub mod exit {
    /// Success; also when the reader of stdout went away (a closed pipe).
    pub const OK: u8 = 0;
    /// A runtime failure that fits no other class.
    pub const FAILURE: u8 = 1;
    /// Bad flags or bad configuration.
    pub const USAGE: u8 = 2;
    /// Bad input: an unreadable line or an invalid conversation.
    pub const INPUT: u8 = 3;
    /// The model provider or the network failed.
    pub const UPSTREAM: u8 = 4;
    /// No API key, or the provider rejected it.
    pub const AUTH: u8 = 5;
    /// The wrapper's turn limit was reached.
    pub const TURN_LIMIT: u8 = 6;
    /// Interrupted by SIGINT (128 + 2, as a shell reports it).
    pub const INTERRUPTED: u8 = 130;
}

/// The class of a failure; it decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Failure,
    Usage,
    Input,
    Upstream,
    Auth,
    Interrupted,
    /// stdout was closed by its reader: a clean exit, not an error.
    BrokenPipe,
    /// Nothing left to do (help or version was printed): a clean exit.
    Done,
}

impl Kind {
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::Failure => exit::FAILURE,
            Kind::Usage => exit::USAGE,
            Kind::Input => exit::INPUT,
            Kind::Upstream => exit::UPSTREAM,
            Kind::Auth => exit::AUTH,
            Kind::Interrupted => exit::INTERRUPTED,
            Kind::BrokenPipe | Kind::Done => exit::OK,
        }
    }

    /// The `code` written in an `error` event.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Failure => "failure",
            Kind::Usage => "usage",
            Kind::Input => "input",
            Kind::Upstream => "upstream",
            Kind::Auth => "auth",
            Kind::Interrupted => "interrupted",
            Kind::BrokenPipe => "broken_pipe",
            Kind::Done => "done",
        }
    }
}

/// An error with its class and a one-line message (lower case, no period).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: Kind,
    pub message: String,
}

impl Error {
    pub fn new(kind: Kind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
        }
    }
    pub fn usage(message: impl Into<String>) -> Error {
        Error::new(Kind::Usage, message)
    }
    pub fn input(message: impl Into<String>) -> Error {
        Error::new(Kind::Input, message)
    }
    pub fn upstream(message: impl Into<String>) -> Error {
        Error::new(Kind::Upstream, message)
    }
    pub fn auth(message: impl Into<String>) -> Error {
        Error::new(Kind::Auth, message)
    }
    pub fn failure(message: impl Into<String>) -> Error {
        Error::new(Kind::Failure, message)
    }

    /// Adds what we were doing in front of the message.
    pub fn context(mut self, what: impl fmt::Display) -> Error {
        self.message = format!("{what}: {}", self.message);
        self
    }

    pub fn exit_code(&self) -> u8 {
        self.kind.exit_code()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Error::new(Kind::BrokenPipe, "broken pipe")
        } else {
            Error::failure(e.to_string())
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
