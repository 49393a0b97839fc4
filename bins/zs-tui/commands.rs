//! The slash commands: the table the parser, /help and the command picker
//! are all made from.
//!
//! `parse` takes a line that starts with `/`, finds the command by its name,
//! an alias, or a unique prefix of either (`/ses list`), and hands the rest
//! of the line, trimmed, to the command's own argument parser. Every
//! failure is one line the app shows as `error: ...`.
//!
//! Adding a command (say `/memory [show|edit]`) takes two edits here:
//! 1. a variant in `Slash`, e.g. `Memory(Option<String>)`;
//! 2. a row in `COMMANDS` with its name, synopsis, help line and a parser,
//!    e.g. `parse: |a| Ok(Slash::Memory(optional_word("memory", a)?))`.
//!
//! The app then matches the new variant. Synopses follow one rule the app
//! relies on: optional arguments are in brackets (`[ID]`), a required one
//! is not (`QUESTION`), so the picker knows which commands run at once.

use crate::picker::Item;

/// One entry of the command table.
#[derive(Debug, Clone, Copy)]
pub struct CommandSpec {
    /// The name, without the `/`.
    pub name: &'static str,
    /// The argument synopsis, e.g. "[NAME]".
    pub args: &'static str,
    pub help: &'static str,
    /// Other names the command answers to.
    pub aliases: &'static [&'static str],
    /// Makes the command from the rest of the line (trimmed, maybe empty).
    pub parse: fn(&str) -> Result<Slash, String>,
}

// Compared by name: two rows never share one, and comparing function
// pointers says nothing reliable.
impl PartialEq for CommandSpec {
    fn eq(&self, other: &CommandSpec) -> bool {
        self.name == other.name
    }
}
impl Eq for CommandSpec {}

pub const MODES: &[&str] = &[
    "restrictive",
    "readonly",
    "guarded",
    "standard",
    "yolo",
    "planwrite",
];

pub const THINKING: &[&str] = &["off", "low", "medium", "high"];

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "model",
        args: "[ID]",
        help: "show or switch the model",
        aliases: &[],
        parse: |a| Ok(Slash::Model(optional_word("model", a)?)),
    },
    CommandSpec {
        name: "provider",
        args: "[NAME]",
        help: "show or switch the provider",
        aliases: &[],
        parse: |a| Ok(Slash::Provider(optional_word("provider", a)?)),
    },
    CommandSpec {
        name: "thinking",
        args: "[off|low|medium|high]",
        help: "show or set the reasoning effort",
        aliases: &[],
        parse: thinking,
    },
    CommandSpec {
        name: "prompt",
        args: "[NAME]",
        help: "show or switch the system prompt",
        aliases: &[],
        parse: |a| Ok(Slash::Prompt(optional_word("prompt", a)?)),
    },
    CommandSpec {
        name: "mode",
        args: "[restrictive|readonly|guarded|standard|yolo|planwrite]",
        help: "show or switch the permission mode",
        aliases: &[],
        parse: mode,
    },
    CommandSpec {
        name: "clear",
        args: "",
        help: "start a new session",
        aliases: &[],
        parse: |a| no_args("clear", a, Slash::Clear),
    },
    CommandSpec {
        name: "session",
        args: "[list|load ID|rename NAME|fork]",
        help: "list, load, rename or fork sessions",
        aliases: &[],
        parse: session,
    },
    CommandSpec {
        name: "compact",
        args: "",
        help: "summarize the conversation to free context",
        aliases: &[],
        parse: |a| no_args("compact", a, Slash::Compact),
    },
    CommandSpec {
        name: "queue",
        args: "[ls|clear|pop]",
        help: "show or change the prompts waiting for the run",
        aliases: &[],
        parse: queue,
    },
    CommandSpec {
        name: "btw",
        args: "QUESTION",
        help: "ask aside on a copy of the context, not recorded",
        aliases: &[],
        parse: btw,
    },
    CommandSpec {
        name: "export",
        args: "[PATH]",
        help: "write the session as Markdown",
        aliases: &[],
        parse: |a| Ok(Slash::Export(Some(a.to_string()).filter(|p| !p.is_empty()))),
    },
    CommandSpec {
        name: "help",
        args: "",
        help: "list the commands",
        aliases: &[],
        parse: |a| no_args("help", a, Slash::Help),
    },
    CommandSpec {
        name: "quit",
        args: "",
        help: "leave zs-tui",
        aliases: &["exit"],
        parse: |a| no_args("quit", a, Slash::Quit),
    },
];

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
    /// One of `THINKING`, lower case.
    Thinking(Option<String>),
    Prompt(Option<String>),
    /// One of `MODES`, lower case.
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
    let Some(line) = input.trim_start().strip_prefix('/') else {
        return Err(format!("not a command: '{}'", first_line(input)));
    };
    let (name, rest) = match line.find(char::is_whitespace) {
        Some(i) => (&line[..i], line[i..].trim()),
        None => (line, ""),
    };
    if name.is_empty() {
        return Err("a command name goes after the '/' (see /help)".into());
    }
    let spec = find(name)?;
    (spec.parse)(rest)
}

/// Whether a prompt is meant as a command: `/word ...`, but not a path
/// such as `/etc/hosts is odd` (the app sends that to the model).
pub fn looks_like_command(input: &str) -> bool {
    input
        .trim_start()
        .strip_prefix('/')
        .and_then(|l| l.split_whitespace().next())
        .is_some_and(|name| !name.contains('/'))
}

/// One row per command: the usage, then the help line; aliases are named.
pub fn help_text() -> Vec<String> {
    let usage = |c: &CommandSpec| format!("/{} {}", c.name, c.args).trim_end().to_string();
    let width = COMMANDS.iter().map(|c| usage(c).len()).max().unwrap_or(0);
    COMMANDS
        .iter()
        .map(|c| {
            let mut row = format!("{:width$}  {}", usage(c), c.help);
            for a in c.aliases {
                row.push_str(&format!(" (also /{a})"));
            }
            row
        })
        .collect()
}

/// The command picker's items: `/name`, with the synopsis and help line as
/// the detail.
pub fn picker_items() -> Vec<Item> {
    COMMANDS
        .iter()
        .map(|c| {
            let detail = if c.args.is_empty() {
                c.help.to_string()
            } else {
                format!("{}  {}", c.args, c.help)
            };
            Item::new(format!("/{}", c.name), detail)
        })
        .collect()
}

/// The command `name` stands for: an exact name or alias, else the one
/// command it is a prefix of.
fn find(typed: &str) -> Result<&'static CommandSpec, String> {
    let name = typed.to_lowercase();
    let spellings = || {
        COMMANDS.iter().flat_map(|c| {
            std::iter::once(&c.name)
                .chain(c.aliases)
                .map(move |n| (*n, c))
        })
    };
    if let Some((_, c)) = spellings().find(|(n, _)| *n == name) {
        return Ok(c);
    }
    let found: Vec<(&str, &CommandSpec)> =
        spellings().filter(|(n, _)| n.starts_with(&name)).collect();
    match found.as_slice() {
        [] => Err(format!("unknown command '/{typed}' (see /help)")),
        [(_, c), rest @ ..] if rest.iter().all(|(_, r)| r.name == c.name) => Ok(c),
        _ => {
            let mut names: Vec<String> = found.iter().map(|(n, _)| format!("/{n}")).collect();
            names.sort();
            Err(format!(
                "ambiguous command '/{typed}': {}",
                names.join(", ")
            ))
        }
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

fn no_args(cmd: &str, args: &str, slash: Slash) -> Result<Slash, String> {
    if args.is_empty() {
        Ok(slash)
    } else {
        Err(format!("/{cmd} takes no arguments"))
    }
}

/// Nothing, or a single word.
fn optional_word(cmd: &str, args: &str) -> Result<Option<String>, String> {
    match args.split_whitespace().count() {
        0 => Ok(None),
        1 => Ok(Some(args.to_string())),
        _ => Err(format!("/{cmd} takes one argument")),
    }
}

fn thinking(args: &str) -> Result<Slash, String> {
    let level = args.to_lowercase();
    if args.is_empty() {
        Ok(Slash::Thinking(None))
    } else if THINKING.contains(&level.as_str()) {
        Ok(Slash::Thinking(Some(level)))
    } else {
        Err("/thinking takes off, low, medium or high".into())
    }
}

fn mode(args: &str) -> Result<Slash, String> {
    let mode = args.to_lowercase();
    if args.is_empty() {
        Ok(Slash::Mode(None))
    } else if MODES.contains(&mode.as_str()) {
        Ok(Slash::Mode(Some(mode)))
    } else {
        Err(format!(
            "unknown mode '{}' (one of {})",
            first_line(args),
            MODES.join(", ")
        ))
    }
}

/// `list` (also `ls`, or nothing), `load ID|NAME`, `rename NAME`, `fork`.
/// Session names may hold spaces, so `load` and `rename` take the rest of
/// the line.
fn session(args: &str) -> Result<Slash, String> {
    let (sub, rest) = match args.find(char::is_whitespace) {
        Some(i) => (&args[..i], args[i..].trim()),
        None => (args, ""),
    };
    let cmd = match sub {
        "" | "list" | "ls" if rest.is_empty() => SessionCmd::List,
        "load" if rest.is_empty() => return Err("/session load needs a session id or name".into()),
        "load" => SessionCmd::Load(rest.to_string()),
        "rename" if rest.is_empty() => return Err("/session rename needs a name".into()),
        "rename" => SessionCmd::Rename(rest.to_string()),
        "fork" if rest.is_empty() => SessionCmd::Fork,
        "list" | "ls" | "fork" => return Err(format!("/session {sub} takes no arguments")),
        _ => return Err("/session takes list, load ID, rename NAME or fork".into()),
    };
    Ok(Slash::Session(cmd))
}

fn queue(args: &str) -> Result<Slash, String> {
    let cmd = match args {
        "" | "ls" | "list" => QueueCmd::List,
        "clear" => QueueCmd::Clear,
        "pop" => QueueCmd::Pop,
        _ => return Err("/queue takes ls, clear or pop".into()),
    };
    Ok(Slash::Queue(cmd))
}

fn btw(args: &str) -> Result<Slash, String> {
    if args.is_empty() {
        Err("/btw needs a question".into())
    } else {
        Ok(Slash::Btw(args.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> Slash {
        parse(input).unwrap_or_else(|e| panic!("{input}: {e}"))
    }
    fn err(input: &str) -> String {
        parse(input).expect_err(input)
    }

    #[test]
    fn every_command_parses_bare_or_with_its_arguments() {
        assert_eq!(ok("/model"), Slash::Model(None));
        assert_eq!(ok("/model gpt-5"), Slash::Model(Some("gpt-5".into())));
        assert_eq!(
            ok("/provider  openai "),
            Slash::Provider(Some("openai".into()))
        );
        assert_eq!(ok("/provider"), Slash::Provider(None));
        assert_eq!(ok("/thinking"), Slash::Thinking(None));
        assert_eq!(ok("/thinking HIGH"), Slash::Thinking(Some("high".into())));
        assert_eq!(ok("/prompt plan"), Slash::Prompt(Some("plan".into())));
        assert_eq!(ok("/prompt"), Slash::Prompt(None));
        assert_eq!(ok("/mode"), Slash::Mode(None));
        assert_eq!(ok("/mode planwrite"), Slash::Mode(Some("planwrite".into())));
        assert_eq!(ok("/clear"), Slash::Clear);
        assert_eq!(ok("/compact"), Slash::Compact);
        assert_eq!(
            ok("/btw why is the sky blue?"),
            Slash::Btw("why is the sky blue?".into())
        );
        assert_eq!(ok("/export"), Slash::Export(None));
        assert_eq!(
            ok("/export notes/run 1.md"),
            Slash::Export(Some("notes/run 1.md".into()))
        );
        assert_eq!(ok("/help"), Slash::Help);
        assert_eq!(ok("/quit"), Slash::Quit);
        assert_eq!(ok("/exit"), Slash::Quit);
    }

    #[test]
    fn every_mode_and_thinking_level_is_accepted() {
        for m in MODES {
            assert_eq!(ok(&format!("/mode {m}")), Slash::Mode(Some(m.to_string())));
        }
        for t in THINKING {
            assert_eq!(
                ok(&format!("/thinking {t}")),
                Slash::Thinking(Some(t.to_string()))
            );
        }
    }

    #[test]
    fn session_subcommands() {
        assert_eq!(ok("/session"), Slash::Session(SessionCmd::List));
        assert_eq!(ok("/session list"), Slash::Session(SessionCmd::List));
        assert_eq!(ok("/session ls"), Slash::Session(SessionCmd::List));
        assert_eq!(
            ok("/session load 4f2a"),
            Slash::Session(SessionCmd::Load("4f2a".into()))
        );
        assert_eq!(
            ok("/session rename  fix the  parser "),
            Slash::Session(SessionCmd::Rename("fix the  parser".into()))
        );
        assert_eq!(
            ok("/session load my work"),
            Slash::Session(SessionCmd::Load("my work".into()))
        );
        assert_eq!(ok("/session fork"), Slash::Session(SessionCmd::Fork));
    }

    #[test]
    fn queue_subcommands() {
        assert_eq!(ok("/queue"), Slash::Queue(QueueCmd::List));
        assert_eq!(ok("/queue ls"), Slash::Queue(QueueCmd::List));
        assert_eq!(ok("/queue clear"), Slash::Queue(QueueCmd::Clear));
        assert_eq!(ok("/queue pop"), Slash::Queue(QueueCmd::Pop));
    }

    #[test]
    fn unique_prefixes_and_any_case_name_a_command() {
        assert_eq!(ok("/ses list"), Slash::Session(SessionCmd::List));
        assert_eq!(ok("/s"), Slash::Session(SessionCmd::List));
        assert_eq!(ok("/qui"), Slash::Quit);
        assert_eq!(ok("/que pop"), Slash::Queue(QueueCmd::Pop));
        assert_eq!(ok("/th low"), Slash::Thinking(Some("low".into())));
        assert_eq!(ok("/exi"), Slash::Quit);
        assert_eq!(ok("/MODEL x"), Slash::Model(Some("x".into())));
        // An exact name wins over the longer names it is a prefix of.
        assert_eq!(ok("/mode"), Slash::Mode(None));
        // Leading blanks and a newline after the name are fine.
        assert_eq!(ok("  /btw\nwhat now?"), Slash::Btw("what now?".into()));
    }

    #[test]
    fn an_ambiguous_prefix_names_the_candidates() {
        assert_eq!(err("/q"), "ambiguous command '/q': /queue, /quit");
        assert_eq!(err("/mod x"), "ambiguous command '/mod': /mode, /model");
        assert_eq!(err("/p"), "ambiguous command '/p': /prompt, /provider");
        assert_eq!(err("/ex"), "ambiguous command '/ex': /exit, /export");
        assert_eq!(err("/c"), "ambiguous command '/c': /clear, /compact");
    }

    #[test]
    fn every_parse_error_is_one_clear_line() {
        let cases = [
            ("/x", "unknown command '/x' (see /help)"),
            ("/Nope now", "unknown command '/Nope' (see /help)"),
            ("/", "a command name goes after the '/' (see /help)"),
            ("/ model", "a command name goes after the '/' (see /help)"),
            ("hello", "not a command: 'hello'"),
            ("/btw", "/btw needs a question"),
            ("/btw   ", "/btw needs a question"),
            (
                "/mode fast",
                "unknown mode 'fast' (one of restrictive, readonly, guarded, standard, yolo, planwrite)",
            ),
            (
                "/mode a b",
                "unknown mode 'a b' (one of restrictive, readonly, guarded, standard, yolo, planwrite)",
            ),
            ("/thinking max", "/thinking takes off, low, medium or high"),
            ("/model a b", "/model takes one argument"),
            ("/provider a b", "/provider takes one argument"),
            ("/prompt a b", "/prompt takes one argument"),
            ("/clear now", "/clear takes no arguments"),
            ("/compact hard", "/compact takes no arguments"),
            ("/help me", "/help takes no arguments"),
            ("/quit now", "/quit takes no arguments"),
            ("/exit now", "/quit takes no arguments"),
            ("/session load", "/session load needs a session id or name"),
            ("/session rename", "/session rename needs a name"),
            ("/session fork x", "/session fork takes no arguments"),
            ("/session list x", "/session list takes no arguments"),
            (
                "/session drop",
                "/session takes list, load ID, rename NAME or fork",
            ),
            ("/queue all", "/queue takes ls, clear or pop"),
        ];
        for (input, want) in cases {
            let got = err(input);
            assert_eq!(got, want, "{input}");
            assert!(!got.contains('\n'), "{input}");
        }
    }

    #[test]
    fn a_multi_line_bad_argument_still_gives_one_line() {
        assert!(!err("/mode a\nb").contains('\n'));
        assert!(!err("oops\nmore").contains('\n'));
    }

    #[test]
    fn every_name_and_alias_is_unique_and_lower_case() {
        let mut names: Vec<&str> = COMMANDS
            .iter()
            .flat_map(|c| std::iter::once(c.name).chain(c.aliases.iter().copied()))
            .collect();
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count);
        assert!(
            names
                .iter()
                .all(|n| *n == n.to_lowercase() && !n.contains(['/', ' ']))
        );
    }

    #[test]
    fn each_command_parses_from_its_own_name() {
        for c in COMMANDS {
            let line = if c.name == "btw" {
                "/btw q".to_string()
            } else {
                format!("/{}", c.name)
            };
            let got = parse(&line).unwrap();
            let again = parse(&line.replacen(c.name, &c.name.to_uppercase(), 1)).unwrap();
            assert_eq!(got, again);
        }
        assert_eq!(COMMANDS.len(), 13);
    }

    #[test]
    fn looks_like_command_tells_commands_from_paths() {
        assert!(looks_like_command("/model x"));
        assert!(looks_like_command("  /help"));
        assert!(!looks_like_command("/etc/hosts is odd"));
        assert!(!looks_like_command("hello /model"));
        assert!(!looks_like_command("/"));
    }

    #[test]
    fn help_text_has_one_aligned_row_per_command() {
        let rows = help_text();
        assert_eq!(rows.len(), COMMANDS.len());
        assert_eq!(rows[0].split("  ").next(), Some("/model [ID]"));
        let col = rows[0].find("show or switch the model").unwrap();
        for (row, c) in rows.iter().zip(COMMANDS) {
            assert!(row.starts_with(&format!("/{}", c.name)), "{row}");
            assert_eq!(row.find(c.help), Some(col), "{row}");
        }
        assert!(rows.last().unwrap().ends_with("leave zs-tui (also /exit)"));
    }

    #[test]
    fn picker_items_are_the_commands_with_their_synopsis() {
        let items = picker_items();
        assert_eq!(items.len(), COMMANDS.len());
        assert_eq!(
            items[0],
            Item::new("/model", "[ID]  show or switch the model")
        );
        let clear = items.iter().find(|i| i.label == "/clear").unwrap();
        assert_eq!(clear.detail, "start a new session");
        // What the picker hands back is a command parse accepts.
        for i in &items {
            if i.label != "/btw" {
                assert!(parse(&i.label).is_ok(), "{}", i.label);
            }
        }
    }

    #[test]
    fn required_arguments_are_the_ones_without_brackets() {
        for c in COMMANDS {
            let required = !c.args.is_empty() && !c.args.starts_with('[');
            let bare = parse(&format!("/{}", c.name));
            assert_eq!(required, bare.is_err(), "/{}", c.name);
        }
    }
}
