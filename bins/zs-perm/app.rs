//! Start-up: arguments, the config section, the mode, the working
//! directory and the session state; then the filter or a subcommand.

use crate::args::{Args, Command};
use crate::decide::{self, Engine, Entry};
use crate::ordered::{self, OValue};
use crate::policy::{self, Mode, Settings};
use crate::resolve::Root;
use crate::state::{AllowEntry, Store};
use zerostack::cli;
use zerostack::config::Config;
use zerostack::error::Error;

/// Everything a run needs, loaded once.
pub struct Setup {
    pub settings: Settings,
    pub mode: Mode,
    /// Where the mode came from: a flag, `ZS_PERM_MODE`, the config or the
    /// default.
    pub mode_from: String,
    pub skip: bool,
    pub root: Root,
    pub store: Store,
    pub allowlist: Vec<Entry>,
}

impl Setup {
    pub fn engine(&self) -> Engine<'_> {
        self.engine_in(self.mode)
    }

    /// The same policy in another mode (to say which mode would allow a call).
    pub fn engine_in(&self, mode: Mode) -> Engine<'_> {
        Engine {
            settings: &self.settings,
            mode,
            skip: self.skip,
            root: &self.root,
            allowlist: &self.allowlist,
        }
    }

    /// Compiles allowlist entries; a bad one is skipped with a warning.
    pub fn add_entries(&mut self, entries: &[AllowEntry]) {
        for e in entries {
            match decide::entry(&e.tool, &e.pattern) {
                Ok(r) => {
                    if !self.allowlist.iter().any(|x| x.text() == r.text()) {
                        self.allowlist.push(r);
                    }
                }
                Err(err) => cli::warn(
                    "zs-perm",
                    &format!("skipping allowlist entry {} {:?}: {err}", e.tool, e.pattern),
                ),
            }
        }
    }
}

pub fn run() -> Result<(), Error> {
    let args: Args = cli::parse_args_with(crate::args::fast)?;
    let setup = load(&args)?;
    if setup.skip {
        cli::warn(
            "zs-perm",
            "--dangerously-skip-permissions: EVERY TOOL CALL IS ALLOWED, nothing is checked",
        );
    }
    match &args.command {
        None => crate::stream::run(&args, setup),
        Some(Command::Explain {
            tool,
            arguments,
            json,
        }) => crate::explain::explain(&setup, tool, arguments, *json),
        Some(Command::Rules) => crate::explain::rules(&setup),
    }
}

fn load(args: &Args) -> Result<Setup, Error> {
    let config = Config::load()?;
    let settings = match config.section("permissions") {
        None | Some(serde_json::Value::Null) => Settings::default(),
        Some(v) => {
            let where_ = config.path.as_ref().map_or_else(
                || "config".to_string(),
                |p| format!("config '{}'", p.display()),
            );
            // Read again with key order kept: the map form is evaluated in
            // file order, and Config's values sort their keys.
            let ordered = match &config.path {
                Some(p) => std::fs::read_to_string(p)
                    .ok()
                    .and_then(|t| ordered::permissions_section(&t).ok().flatten())
                    .unwrap_or_else(|| OValue::from_value(v)),
                None => OValue::from_value(v),
            };
            let mut s = policy::parse_section(&ordered)
                .map_err(|e| Error::usage(format!("bad {where_}: {e}")))?;
            s.path = config.path.clone();
            s
        }
    };
    let (mode, mode_from) = mode(args, &settings)?;
    let root = Root::current()?;
    let store = Store::locate(args.session_dir.as_deref(), &root.dir);
    let mut setup = Setup {
        settings,
        mode,
        mode_from,
        skip: args.dangerously_skip_permissions,
        root,
        store,
        allowlist: Vec::new(),
    };
    match setup.store.load_allowlist() {
        Ok(entries) => setup.add_entries(&entries),
        Err(e) => cli::warn("zs-perm", &format!("{e}; starting with an empty allowlist")),
    }
    Ok(setup)
}

/// Flag, then `ZS_PERM_MODE`, then the config, then standard.
fn mode(args: &Args, settings: &Settings) -> Result<(Mode, String), Error> {
    let mut chosen: Vec<(Mode, String)> = Vec::new();
    if args.restrictive {
        chosen.push((Mode::Restrictive, "--restrictive".into()));
    }
    if args.read_only {
        chosen.push((Mode::Readonly, "--read-only".into()));
    }
    if args.guarded {
        chosen.push((Mode::Guarded, "--guarded".into()));
    }
    if args.yolo {
        chosen.push((Mode::Yolo, "--yolo".into()));
    }
    if let Some(m) = &args.mode {
        let mode = Mode::parse(m).ok_or_else(|| {
            Error::usage(format!(
                "unknown mode '{m}' (one of {})",
                Mode::ALL.map(Mode::name).join(", ")
            ))
        })?;
        chosen.push((mode, format!("--mode {m}")));
    }
    if chosen.len() > 1 {
        let names: Vec<&str> = chosen.iter().map(|(_, f)| f.as_str()).collect();
        return Err(Error::usage(format!(
            "choose one mode, not {}",
            names.join(" and ")
        )));
    }
    if let Some(c) = chosen.pop() {
        return Ok(c);
    }
    if let Some(m) = std::env::var("ZS_PERM_MODE").ok().filter(|m| !m.is_empty()) {
        let mode = Mode::parse(&m).ok_or_else(|| {
            Error::usage(format!(
                "ZS_PERM_MODE: unknown mode '{m}' (one of {})",
                Mode::ALL.map(Mode::name).join(", ")
            ))
        })?;
        return Ok((mode, "ZS_PERM_MODE".into()));
    }
    if let Some(m) = settings.mode {
        return Ok((m, "config permissions.mode".into()));
    }
    Ok((Mode::Standard, "default".into()))
}
