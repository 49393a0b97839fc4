//! The permission policy: modes, actions, rules, and the `permissions`
//! section of the config that defines them (docs/permissions.md).
//!
//! Rules are kept in one ordered list, the order they were written in the
//! file, because evaluation takes the last matching rule: a hash map here
//! would make the same call get different answers in different processes.

use crate::glob::{Dialect, Glob};
use crate::ordered::OValue;
use std::path::PathBuf;
use std::time::Duration;

/// What a rule or a mode says about a call. Ordered by strictness, so the
/// strictest of several is their maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    Allow,
    Ask,
    Deny,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Ask => "ask",
            Action::Deny => "deny",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        match s {
            "allow" => Some(Action::Allow),
            "ask" => Some(Action::Ask),
            "deny" => Some(Action::Deny),
            _ => None,
        }
    }
}

/// A permission mode: the default answer when no rule matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Ask for everything.
    Restrictive,
    /// Reads and todos only; everything else is denied.
    Readonly,
    /// Reads and todos allowed, everything else asks.
    Guarded,
    /// Path tools inside the working directory and known-safe commands
    /// allowed, everything else asks.
    Standard,
    /// Everything allowed except destructive commands, which ask.
    Yolo,
    /// Readonly, plus writes to `PLAN*.md`.
    Planwrite,
}

impl Mode {
    pub const ALL: [Mode; 6] = [
        Mode::Restrictive,
        Mode::Readonly,
        Mode::Guarded,
        Mode::Standard,
        Mode::Yolo,
        Mode::Planwrite,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Restrictive => "restrictive",
            Mode::Readonly => "readonly",
            Mode::Guarded => "guarded",
            Mode::Standard => "standard",
            Mode::Yolo => "yolo",
            Mode::Planwrite => "planwrite",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "restrictive" => Some(Mode::Restrictive),
            "readonly" | "read-only" => Some(Mode::Readonly),
            "guarded" => Some(Mode::Guarded),
            "standard" => Some(Mode::Standard),
            "yolo" => Some(Mode::Yolo),
            "planwrite" => Some(Mode::Planwrite),
            _ => None,
        }
    }
}

/// What a rule's `pattern` is matched against depends on the tool: a path
/// (path dialect), a shell command, URL or query (command dialect), or
/// nothing. Both compiled forms are kept, so one rule serves every tool.
#[derive(Debug, Clone)]
pub struct Pattern {
    text: String,
    /// No pattern, `*` or `**`: matches every subject of every tool.
    any: bool,
    /// After `~` expansion the pattern starts with `/`: it names absolute
    /// paths, the only kind that can match outside the working directory.
    absolute: bool,
    path: Glob,
    cmd: Glob,
}

impl Pattern {
    pub fn new(text: &str) -> Result<Pattern, String> {
        let any = text.is_empty() || text == "*" || text == "**";
        let expanded = if text == "~" || text.starts_with("~/") {
            zerostack::paths::expand_tilde(text)
                .to_string_lossy()
                .into_owned()
        } else {
            text.strip_prefix("./").unwrap_or(text).to_string()
        };
        Ok(Pattern {
            text: text.to_string(),
            any,
            absolute: expanded.starts_with('/'),
            path: Glob::new(&expanded, Dialect::Path)?,
            cmd: Glob::new(text, Dialect::Command)?,
        })
    }

    pub fn any() -> Pattern {
        Pattern {
            text: String::new(),
            any: true,
            absolute: false,
            path: Glob::empty(Dialect::Path),
            cmd: Glob::empty(Dialect::Command),
        }
    }

    pub fn text(&self) -> &str {
        if self.any && self.text.is_empty() {
            "*"
        } else {
            &self.text
        }
    }

    pub fn is_any(&self) -> bool {
        self.any
    }

    pub fn is_absolute(&self) -> bool {
        self.absolute
    }

    /// A path inside the working directory: relative patterns are matched
    /// against the project-relative form and the absolute form, absolute
    /// patterns against the absolute form.
    pub fn matches_inside(&self, rel: &str, abs: &str) -> bool {
        self.any
            || (self.absolute && self.path.matches(abs))
            || (!self.absolute && (self.path.matches(rel) || self.path.matches(abs)))
    }

    /// A path outside the working directory, for the rules that may speak
    /// about one: any pattern against the absolute form.
    pub fn matches_abs(&self, abs: &str) -> bool {
        self.any || self.path.matches(abs)
    }

    /// A command, URL or query.
    pub fn matches_text(&self, text: &str) -> bool {
        self.any || self.cmd.matches(text)
    }
}

/// One rule: for calls to `tool` whose subject matches `pattern`, `action`.
#[derive(Debug, Clone)]
pub struct Rule {
    pub tool: Glob,
    pub pattern: Pattern,
    pub action: Action,
    /// An `external_directory` rule: only for paths outside the working
    /// directory, where it replaces the tool's own relative rules.
    pub external: bool,
    /// The map form's `"*"` key: the default action, below every other
    /// rule, so even a deny there is not one of the deny rules checked first.
    pub fallback: bool,
    /// Where it came from, e.g. `permissions.rules[2]`.
    pub origin: String,
}

impl Rule {
    /// The rule as text: `allow write "**/*.rs"`, `ask external_directory "/tmp/**"`.
    pub fn text(&self) -> String {
        let tool = if self.external {
            if self.tool.as_str() == "*" {
                "external_directory".to_string()
            } else {
                format!("external_directory({})", self.tool.as_str())
            }
        } else {
            self.tool.as_str().to_string()
        };
        let default = if self.fallback { " (default)" } else { "" };
        format!(
            "{} {tool} {:?}{default}",
            self.action.name(),
            self.pattern.text()
        )
    }

    pub fn applies_to(&self, tool: &str) -> bool {
        self.tool.matches(tool)
    }
}

/// The doom-loop guard: `threshold` identical calls in a row (0: off) turn
/// an allow into `action`.
#[derive(Debug, Clone, Copy)]
pub struct Doom {
    pub threshold: u32,
    pub action: Action,
}

pub const DEFAULT_DOOM: Doom = Doom {
    threshold: 3,
    action: Action::Ask,
};

/// Five minutes: a person may be reading the diff before answering.
pub const DEFAULT_ASK_TIMEOUT: Duration = Duration::from_secs(300);

/// Modes in which rules and the allowlist are honoured unless the config
/// says otherwise; deny rules are honoured in every mode.
pub const DEFAULT_RULE_MODES: [Mode; 3] = [Mode::Guarded, Mode::Standard, Mode::Yolo];

/// Everything the config section defines.
#[derive(Debug, Clone)]
pub struct Settings {
    pub mode: Option<Mode>,
    pub rules: Vec<Rule>,
    pub rule_modes: Vec<Mode>,
    pub safe: Vec<Pattern>,
    pub destructive: Vec<Pattern>,
    pub doom: Doom,
    pub ask_timeout: Duration,
    pub path: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            mode: None,
            rules: Vec::new(),
            rule_modes: DEFAULT_RULE_MODES.to_vec(),
            safe: Vec::new(),
            destructive: Vec::new(),
            doom: DEFAULT_DOOM,
            ask_timeout: DEFAULT_ASK_TIMEOUT,
            path: None,
        }
    }
}

/// Keys of the section that are settings; every other key is a tool name in
/// the map form.
const SETTING_KEYS: &[&str] = &[
    "mode",
    "rules",
    "rule_modes",
    "external_directory",
    "safe_commands",
    "destructive_commands",
    "doom_loop",
    "ask_timeout_ms",
    "$comment",
];

/// Parses the `permissions` section. Errors name the field:
/// `permissions.rules[2].action: ...`.
pub fn parse_section(v: &OValue) -> Result<Settings, String> {
    let OValue::Object(fields) = v else {
        return Err(format!("permissions: expected an object, got {}", v.kind()));
    };
    let mut s = Settings::default();
    // The map form's `"*"` is the reference's default action: it goes first,
    // so every other rule, wherever written, overrides it.
    let mut defaults = Vec::new();
    for (key, val) in fields {
        let at = format!("permissions.{key}");
        match key.as_str() {
            "$comment" => {}
            "mode" => {
                let name = string(val, &at)?;
                s.mode = Some(Mode::parse(name).ok_or_else(|| {
                    format!("{at}: unknown mode \"{name}\" (one of {})", mode_names())
                })?);
            }
            "rules" => {
                let OValue::Array(items) = val else {
                    return Err(format!(
                        "{at}: expected a list of rules, got {}",
                        val.kind()
                    ));
                };
                for (i, item) in items.iter().enumerate() {
                    s.rules
                        .push(rule_object(item, &format!("{at}[{i}]"), false)?);
                }
            }
            "rule_modes" => {
                let mut modes = Vec::new();
                for (i, m) in strings(val, &at)?.iter().enumerate() {
                    modes.push(Mode::parse(m).ok_or_else(|| {
                        format!("{at}[{i}]: unknown mode \"{m}\" (one of {})", mode_names())
                    })?);
                }
                s.rule_modes = modes;
            }
            "external_directory" => external(val, &at, &mut s.rules)?,
            "safe_commands" | "destructive_commands" => {
                let mut pats = Vec::new();
                for (i, p) in strings(val, &at)?.iter().enumerate() {
                    pats.push(Pattern::new(p).map_err(|e| format!("{at}[{i}]: {e}"))?);
                }
                if key == "safe_commands" {
                    s.safe = pats;
                } else {
                    s.destructive = pats;
                }
            }
            "doom_loop" => s.doom = doom(val, &at)?,
            "ask_timeout_ms" => {
                let ms = match val {
                    OValue::Number(n) => n.as_u64().filter(|&m| m > 0),
                    _ => None,
                };
                let ms =
                    ms.ok_or_else(|| format!("{at}: expected a positive number of milliseconds"))?;
                s.ask_timeout = Duration::from_millis(ms);
            }
            tool => {
                debug_assert!(!SETTING_KEYS.contains(&tool));
                let target = if tool == "*" {
                    &mut defaults
                } else {
                    &mut s.rules
                };
                map_form(tool, val, &at, target)?;
            }
        }
    }
    defaults.append(&mut s.rules);
    s.rules = defaults;
    Ok(s)
}

fn mode_names() -> String {
    Mode::ALL.map(Mode::name).join(", ")
}

fn string<'a>(v: &'a OValue, at: &str) -> Result<&'a str, String> {
    match v {
        OValue::String(s) => Ok(s),
        other => Err(format!("{at}: expected a string, got {}", other.kind())),
    }
}

fn strings<'a>(v: &'a OValue, at: &str) -> Result<Vec<&'a str>, String> {
    let OValue::Array(items) = v else {
        return Err(format!(
            "{at}: expected a list of strings, got {}",
            v.kind()
        ));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, x)| string(x, &format!("{at}[{i}]")))
        .collect()
}

fn action(v: &OValue, at: &str) -> Result<Action, String> {
    let s = string(v, at)?;
    Action::parse(s).ok_or_else(|| format!("{at}: expected allow, ask or deny, got \"{s}\""))
}

fn tool_glob(name: &str, at: &str) -> Result<Glob, String> {
    if name.is_empty() {
        return Err(format!("{at}: the tool name is empty"));
    }
    Glob::new(name, Dialect::Command).map_err(|e| format!("{at}: {e}"))
}

/// `{"tool": "bash", "pattern": "git *", "action": "allow"}`; `tool`
/// defaults to `*` and `pattern` to everything.
fn rule_object(v: &OValue, at: &str, external: bool) -> Result<Rule, String> {
    let OValue::Object(fields) = v else {
        return Err(format!("{at}: expected a rule object, got {}", v.kind()));
    };
    let (mut tool, mut pattern, mut act) = ("*", "", None);
    for (k, val) in fields {
        let kat = format!("{at}.{k}");
        match k.as_str() {
            "tool" => tool = string(val, &kat)?,
            "pattern" => pattern = string(val, &kat)?,
            "action" => act = Some(action(val, &kat)?),
            "$comment" => {}
            other => {
                return Err(format!(
                    "{at}: unknown field \"{other}\" (a rule has tool, pattern and action)"
                ));
            }
        }
    }
    let action = act.ok_or_else(|| format!("{at}: missing \"action\" (allow, ask or deny)"))?;
    Ok(Rule {
        tool: tool_glob(tool, at)?,
        pattern: Pattern::new(pattern).map_err(|e| format!("{at}.pattern: {e}"))?,
        action,
        external,
        fallback: false,
        origin: at.to_string(),
    })
}

/// The reference's map form: `"bash": "ask"` or `"write": {"**/*.rs": "allow"}`.
fn map_form(tool: &str, v: &OValue, at: &str, out: &mut Vec<Rule>) -> Result<(), String> {
    let glob = tool_glob(tool, at)?;
    let fallback = tool == "*";
    match v {
        OValue::String(_) => out.push(Rule {
            tool: glob,
            pattern: Pattern::any(),
            action: action(v, at)?,
            external: false,
            fallback,
            origin: at.to_string(),
        }),
        OValue::Object(pats) => {
            for (p, a) in pats {
                let pat = format!("{at}[{p:?}]");
                out.push(Rule {
                    tool: glob.clone(),
                    pattern: Pattern::new(p).map_err(|e| format!("{pat}: {e}"))?,
                    action: action(a, &pat)?,
                    external: false,
                    fallback,
                    origin: pat,
                });
            }
        }
        other => {
            return Err(format!(
                "{at}: expected an action or an object of pattern to action, got {} \
                 (settings are: {}; any other key is a tool name)",
                other.kind(),
                SETTING_KEYS[..SETTING_KEYS.len() - 1].join(", ")
            ));
        }
    }
    Ok(())
}

/// `external_directory`: an action for every outside path, a map of glob to
/// action, or a list of rule objects (whose `tool` narrows them).
fn external(v: &OValue, at: &str, out: &mut Vec<Rule>) -> Result<(), String> {
    match v {
        OValue::String(_) => out.push(Rule {
            tool: tool_glob("*", at)?,
            pattern: Pattern::any(),
            action: action(v, at)?,
            external: true,
            fallback: false,
            origin: at.to_string(),
        }),
        OValue::Object(pats) => {
            for (p, a) in pats {
                let pat = format!("{at}[{p:?}]");
                out.push(Rule {
                    tool: tool_glob("*", &pat)?,
                    pattern: Pattern::new(p).map_err(|e| format!("{pat}: {e}"))?,
                    action: action(a, &pat)?,
                    external: true,
                    fallback: false,
                    origin: pat,
                });
            }
        }
        OValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                out.push(rule_object(item, &format!("{at}[{i}]"), true)?);
            }
        }
        other => {
            return Err(format!(
                "{at}: expected an action, an object of pattern to action or a list of rules, got {}",
                other.kind()
            ));
        }
    }
    Ok(())
}

/// `doom_loop`: `false` (off), `true`, an action, or `{threshold, action}`.
fn doom(v: &OValue, at: &str) -> Result<Doom, String> {
    match v {
        OValue::Bool(false) => Ok(Doom {
            threshold: 0,
            ..DEFAULT_DOOM
        }),
        OValue::Bool(true) => Ok(DEFAULT_DOOM),
        OValue::String(_) => Ok(Doom {
            action: action(v, at)?,
            ..DEFAULT_DOOM
        }),
        OValue::Object(fields) => {
            let mut d = DEFAULT_DOOM;
            for (k, val) in fields {
                let kat = format!("{at}.{k}");
                match k.as_str() {
                    "threshold" => {
                        let n = match val {
                            OValue::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
                            _ => None,
                        };
                        d.threshold = match n {
                            Some(n) if n == 0 || n >= 2 => n,
                            _ => {
                                return Err(format!(
                                    "{kat}: expected 0 (off) or a count of 2 or more"
                                ));
                            }
                        };
                    }
                    "action" => d.action = action(val, &kat)?,
                    "$comment" => {}
                    other => {
                        return Err(format!(
                            "{at}: unknown field \"{other}\" (doom_loop has threshold and action)"
                        ));
                    }
                }
            }
            Ok(d)
        }
        other => Err(format!(
            "{at}: expected false, an action or {{\"threshold\", \"action\"}}, got {}",
            other.kind()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ordered::permissions_section;

    fn parse(json: &str) -> Result<Settings, String> {
        let v = permissions_section(&format!("{{\"permissions\":{json}}}"))
            .unwrap()
            .unwrap();
        parse_section(&v)
    }

    #[test]
    fn both_forms_keep_file_order_and_star_goes_first() {
        let s = parse(
            r#"{"write":{"**/*.rs":"allow","**":"ask"},"*":"deny","rules":[{"tool":"bash","pattern":"git *","action":"allow"}]}"#,
        )
        .unwrap();
        let texts: Vec<String> = s.rules.iter().map(Rule::text).collect();
        assert_eq!(
            texts,
            [
                "deny * \"*\" (default)",
                "allow write \"**/*.rs\"",
                "ask write \"**\"",
                "allow bash \"git *\""
            ]
        );
    }

    #[test]
    fn errors_name_the_field() {
        let e = parse(r#"{"rules":[{"tool":"bash","action":"alow"}]}"#).unwrap_err();
        assert!(e.starts_with("permissions.rules[0].action:"), "{e}");
        let e = parse(r#"{"mode":"fast"}"#).unwrap_err();
        assert!(e.starts_with("permissions.mode:"), "{e}");
        let e = parse(r#"{"doom_loop":{"threshold":1}}"#).unwrap_err();
        assert!(e.starts_with("permissions.doom_loop.threshold:"), "{e}");
        let e = parse(r#"{"write":3}"#).unwrap_err();
        assert!(e.starts_with("permissions.write:"), "{e}");
        let e = parse(r#"{"rules":[{"tool":"bash","pattern":"{x","action":"deny"}]}"#).unwrap_err();
        assert!(e.starts_with("permissions.rules[0].pattern:"), "{e}");
    }

    #[test]
    fn external_directory_forms() {
        let s = parse(r#"{"external_directory":{"/tmp/**":"allow"}}"#).unwrap();
        assert!(s.rules[0].external);
        assert_eq!(s.rules[0].text(), "allow external_directory \"/tmp/**\"");
        let s = parse(r#"{"external_directory":"deny"}"#).unwrap();
        assert_eq!(s.rules[0].action, Action::Deny);
    }
}
