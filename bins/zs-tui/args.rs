//! The command line of zs-tui: the wrapper's session, model and permission
//! flags (the same names and checks, since `zerostack` with no -p on a
//! terminal hands its whole argv over), plus the front end's own. See
//! zs-tui(1).

use crate::commands::{MODES, THINKING};
use crate::pipeline::TurnOptions;
use std::io::IsTerminal;
use zerostack::error::Error;

pub const KEYS: &str = "\
Keys:
  Enter                 send (queued while a run is active)
  Alt+Enter, Shift+Enter, Ctrl-J   new line
  Up, Down              move in the text; walk the history at the first/last row
  Ctrl-A/E/B/F/K/U/W/Y, Alt-B/F    emacs editing; Ctrl-D deletes (quits when empty)
  PgUp, PgDn, wheel     scroll the transcript; Home, End on an empty prompt: top, bottom
  mouse drag            select transcript text; copied (OSC 52) on release
  Ctrl-T                show or hide reasoning
  Ctrl-O                expand or collapse tool output (click a tool row: that one);
                        with --inline, rows already in the scrollback stay as printed
  Ctrl-C                cancel the run and clear the queue; close a picker; clear the
                        prompt; twice on an empty idle prompt: quit
  Esc                   cancel a /btw answer (Ctrl-C cancels it when no run is active)
  Ctrl-L                redraw          Ctrl-G   edit the prompt in $VISUAL/$EDITOR
  Ctrl-Z                suspend
  /                     commands (on an empty prompt)   @   insert a project file path
  !cmd                  run a shell command; its output goes into the next prompt";

/// The interactive front end of zerostack: runs the agent's turn loop for
/// every prompt and shows its event stream.
#[derive(Debug, clap::Parser)]
#[command(name = "zs-tui", version, after_help = KEYS)]
pub struct Args {
    /// Continue the newest session of this project
    #[arg(short = 'c', long = "continue")]
    pub cont: bool,

    /// Pick one of this project's sessions to resume
    #[arg(short = 'r', long)]
    pub resume: bool,

    /// Continue this session
    #[arg(long, value_name = "ID|NAME")]
    pub session: Option<String>,

    /// Keep nothing: a throwaway session, removed at the end
    #[arg(long)]
    pub no_session: bool,

    /// Provider (a built-in name or one in the config)
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,

    /// Model id
    #[arg(long, value_name = "ID")]
    pub model: Option<String>,

    /// The provider's API root
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,

    /// Reasoning effort: off, low, medium or high
    #[arg(long, value_name = "LEVEL")]
    pub thinking: Option<String>,

    /// System prompt (code, plan, review, debug, ask, ...)
    #[arg(long, value_name = "NAME")]
    pub prompt: Option<String>,

    /// Permission mode: ask for every call
    #[arg(short = 'R', long)]
    pub restrictive: bool,

    /// Permission mode: allow reads, deny everything else
    #[arg(long)]
    pub read_only: bool,

    /// Permission mode: allow reads, ask for everything else
    #[arg(long)]
    pub guarded: bool,

    /// Permission mode: allow everything but destructive commands
    #[arg(long)]
    pub yolo: bool,

    /// Permission mode: restrictive, readonly, guarded, standard, yolo, planwrite
    #[arg(long, value_name = "NAME")]
    pub mode: Option<String>,

    /// Allow every call without checking anything
    #[arg(long)]
    pub dangerously_skip_permissions: bool,

    /// Leave out AGENTS.md, CLAUDE.md, ARCHITECTURE.md
    #[arg(short = 'n', long)]
    pub no_context_files: bool,

    /// Stop a run after N model calls (0: no limit)
    #[arg(long, value_name = "N")]
    pub max_turns: Option<u32>,

    /// Accepted for the wrapper's sake; asks are answered in the dialog
    #[arg(long, value_name = "POLICY", hide = true)]
    pub non_interactive: Option<String>,

    /// A monochrome screen (also when NO_COLOR is set)
    #[arg(long)]
    pub no_color: bool,

    /// Draw below the shell prompt instead of on the alternate screen; the
    /// transcript goes into the terminal's own scrollback (as printed:
    /// Ctrl-T and Ctrl-O change only what is still being drawn)
    #[arg(long)]
    pub inline: bool,

    /// A first prompt, run at once
    #[arg(value_name = "PROMPT", trailing_var_arg = true)]
    pub words: Vec<String>,
}

/// How the first session is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    New,
    /// -c: the newest session of the project.
    Last,
    /// -r: the session picker first.
    Pick,
    /// --session ID|NAME.
    Session(String),
}

impl Args {
    /// The permission mode the flags choose; two different ones are a usage
    /// error, as in the wrapper.
    pub fn chosen_mode(&self) -> Result<Option<String>, Error> {
        let mut chosen: Option<(String, &str)> = None;
        let flags = [
            (self.restrictive, "restrictive", "-R"),
            (self.read_only, "readonly", "--read-only"),
            (self.guarded, "guarded", "--guarded"),
            (self.yolo, "yolo", "--yolo"),
        ];
        let mode_flag = self.mode.as_ref().map(|m| format!("--mode {m}"));
        if let Some(m) = &self.mode
            && !MODES.contains(&m.as_str())
        {
            return Err(Error::usage(format!(
                "unknown mode '{m}' (one of {})",
                MODES.join(", ")
            )));
        }
        let all = flags
            .iter()
            .filter(|(on, ..)| *on)
            .map(|(_, m, f)| (m.to_string(), *f))
            .chain(
                self.mode
                    .iter()
                    .zip(mode_flag.iter())
                    .map(|(m, f)| (m.clone(), f.as_str())),
            );
        for (mode, flag) in all {
            match &chosen {
                Some((m, f)) if *m != mode => {
                    return Err(Error::usage(format!(
                        "choose one permission mode, not {f} and {flag}"
                    )));
                }
                _ => chosen = Some((mode, flag)),
            }
        }
        Ok(chosen.map(|(m, _)| m))
    }

    /// Checks the flags together and says how to start.
    pub fn start(&self) -> Result<Start, Error> {
        if self.cont && self.resume {
            return Err(Error::usage("choose one of -c and -r"));
        }
        if self.session.is_some() && (self.cont || self.resume) {
            return Err(Error::usage("choose one of -c, -r and --session"));
        }
        if self.no_session && (self.session.is_some() || self.cont || self.resume) {
            return Err(Error::usage(
                "--no-session cannot continue a session (drop -c, -r or --session)",
            ));
        }
        if let Some(p) = &self.non_interactive
            && !["deny", "allow", "fail"].contains(&p.as_str())
        {
            return Err(Error::usage(format!(
                "--non-interactive takes deny, allow or fail, not '{p}'"
            )));
        }
        if let Some(t) = &self.thinking
            && !THINKING.contains(&t.as_str())
        {
            return Err(Error::usage(format!(
                "--thinking takes off, low, medium or high, not '{t}'"
            )));
        }
        Ok(if self.cont {
            Start::Last
        } else if self.resume {
            Start::Pick
        } else if let Some(s) = &self.session {
            Start::Session(s.clone())
        } else {
            Start::New
        })
    }

    /// The options of the first run.
    pub fn turn_options(&self) -> Result<TurnOptions, Error> {
        Ok(TurnOptions {
            session: None,
            provider: self.provider.clone(),
            model: self.model.clone(),
            base_url: self.base_url.clone(),
            thinking: self.thinking.clone(),
            prompt: self.prompt.clone(),
            mode: self.chosen_mode()?,
            no_context_files: self.no_context_files,
            max_turns: self.max_turns,
            skip_permissions: self.dangerously_skip_permissions,
        })
    }

    /// The initial prompt from the positional words.
    pub fn initial_prompt(&self) -> Option<String> {
        let p = self.words.join(" ");
        (!p.trim().is_empty()).then_some(p)
    }

    /// Colour unless --no-color or a non-empty NO_COLOR (no-color.org).
    pub fn color(&self) -> bool {
        !self.no_color && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
    }
}

/// zs-tui draws on a terminal and reads keys from one: both ends must be one.
pub fn check_terminal() -> Result<(), Error> {
    let which = match (
        std::io::stdin().is_terminal(),
        std::io::stdout().is_terminal(),
    ) {
        (true, true) => return Ok(()),
        (false, true) => "standard input is not a terminal",
        (true, false) => "standard output is not a terminal",
        (false, false) => "standard input and output are not terminals",
    };
    Err(Error::usage(format!(
        "{which}: zs-tui needs a terminal (use zerostack -p for scripts)"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn parse(argv: &[&str]) -> Args {
        Args::try_parse_from(std::iter::once("zs-tui").chain(argv.iter().copied())).unwrap()
    }

    #[test]
    fn one_permission_mode_at_most() {
        assert_eq!(
            parse(&["--yolo"]).chosen_mode().unwrap().as_deref(),
            Some("yolo")
        );
        assert_eq!(
            parse(&["--yolo", "--mode", "yolo"])
                .chosen_mode()
                .unwrap()
                .as_deref(),
            Some("yolo")
        );
        let e = parse(&["-R", "--yolo"]).chosen_mode().unwrap_err();
        assert_eq!(e.message, "choose one permission mode, not -R and --yolo");
        let e = parse(&["--read-only", "--mode", "guarded"])
            .chosen_mode()
            .unwrap_err();
        assert!(e.message.contains("--mode guarded"), "{}", e.message);
        let e = parse(&["--mode", "wild"]).chosen_mode().unwrap_err();
        assert!(
            e.message.starts_with("unknown mode 'wild'"),
            "{}",
            e.message
        );
        assert_eq!(parse(&[]).chosen_mode().unwrap(), None);
    }

    #[test]
    fn session_flags_exclude_each_other() {
        assert_eq!(parse(&["-c"]).start().unwrap(), Start::Last);
        assert_eq!(parse(&["-r"]).start().unwrap(), Start::Pick);
        assert_eq!(
            parse(&["--session", "x"]).start().unwrap(),
            Start::Session("x".into())
        );
        assert!(parse(&["-c", "-r"]).start().is_err());
        let e = parse(&["-c", "--session", "x"]).start().unwrap_err();
        assert_eq!(e.message, "choose one of -c, -r and --session");
        assert!(parse(&["--thinking", "lots"]).start().is_err());
        assert_eq!(parse(&["--no-session"]).start().unwrap(), Start::New);
        for with in [&["-c"][..], &["-r"], &["--session", "x"]] {
            let mut argv = vec!["--no-session"];
            argv.extend_from_slice(with);
            let e = parse(&argv).start().unwrap_err();
            assert_eq!(
                e.message,
                "--no-session cannot continue a session (drop -c, -r or --session)"
            );
        }
    }

    #[test]
    fn positional_words_are_the_first_prompt() {
        let a = parse(&["--model", "m", "fix", "the", "bug"]);
        assert_eq!(a.initial_prompt().as_deref(), Some("fix the bug"));
        assert_eq!(a.turn_options().unwrap().model.as_deref(), Some("m"));
        assert_eq!(parse(&[]).initial_prompt(), None);
        // Words after the prompt's first are not flags.
        let a = parse(&["explain", "--yolo"]);
        assert_eq!(a.initial_prompt().as_deref(), Some("explain --yolo"));
    }
}
