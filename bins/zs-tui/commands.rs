//! The slash commands (stub: owned by the input helper).

/// One entry of the command table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandSpec {
    pub name: &'static str,
    /// The argument synopsis, e.g. "[NAME]".
    pub args: &'static str,
    pub help: &'static str,
}

pub const COMMANDS: &[CommandSpec] = &[];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionCmd {
    List,
    Load(String),
    Rename(String),
    Fork,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueCmd {
    List,
    Clear,
    Pop,
}

/// A parsed slash command. `None` arguments mean "show a picker" or "show
/// the current value".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slash {
    Model(Option<String>),
    Provider(Option<String>),
    Thinking(Option<String>),
    Prompt(Option<String>),
    Mode(Option<String>),
    Clear,
    Session(SessionCmd),
    Compact,
    Queue(QueueCmd),
    Btw(String),
    Export(Option<String>),
    Help,
    Quit,
}

/// Parses a line that starts with `/`; the error is a one-line message.
pub fn parse(input: &str) -> Result<Slash, String> {
    Err(format!("unknown command '{input}' (see /help)"))
}
