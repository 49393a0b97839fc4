//! The decision for one tool call, in a fixed, documented order.
//!
//! For every subject of the call (a path, a simple command, a URL):
//! 1. deny rules, in every mode: any match denies;
//! 2. the session allowlist (in the modes that honour rules);
//! 3. the last matching allow or ask rule (in the modes that honour rules);
//!    the map form's `"*"` default sits first in the list, so it is the last
//!    match only when nothing else matched;
//! 4. the mode's default.
//!
//! Commands classed never safe, unreadable or destructive skip the allows
//! of steps 2 and 3: no pattern written in advance may wave them through.
//! The call's verdict is the strictest of its subjects' (deny over ask over
//! allow; the first such subject on a tie). Nothing here depends on hash
//! order, time or the environment beyond the file system's symlinks, so the
//! same config, allowlist and call always get the same answer.

use crate::commands::{self, Analyzed, Class};
use crate::policy::{Action, Mode, Pattern, Rule, Settings};
use crate::resolve::Root;
use crate::subject::{self, Family, Subject};
use serde_json::Value;

/// Who decided; written as `by` in the permission event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Mode,
    Rule,
    Allowlist,
    Flag,
    DoomLoop,
    Policy,
    User,
}

impl By {
    pub fn name(self) -> &'static str {
        match self {
            By::Mode => "mode",
            By::Rule => "rule",
            By::Allowlist => "allowlist",
            By::Flag => "flag",
            By::DoomLoop => "doom_loop",
            By::Policy => "policy",
            By::User => "user",
        }
    }
}

/// A verdict before any asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub action: Action,
    pub by: By,
    /// The rule that decided, as text (`mode standard` for a mode default).
    pub rule: String,
    pub reason: String,
}

/// One entry of the allowlist: `allow <tool> <pattern>`.
pub type Entry = Rule;

/// What `explain` shows about one subject.
#[derive(Debug, Clone)]
pub struct Trace {
    pub subject: String,
    /// What kind of subject it is, and for a command its class and why.
    pub kind: String,
    /// Every rule and allowlist entry that matched it, in order.
    pub matched: Vec<String>,
    pub verdict: Verdict,
}

/// The verdict on a call, what "allow always" would store, and (when asked
/// for) the trace of every subject.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub verdict: Verdict,
    /// `(tool, pattern)` pairs for the allowlist; empty when "always" is
    /// not offered (a subject that only a person may allow each time).
    pub always: Vec<(String, String)>,
    pub traces: Vec<Trace>,
}

pub struct Engine<'a> {
    pub settings: &'a Settings,
    pub mode: Mode,
    /// `--dangerously-skip-permissions`.
    pub skip: bool,
    pub root: &'a Root,
    pub allowlist: &'a [Entry],
}

impl Engine<'_> {
    /// Whether allow/ask rules and the allowlist count in this mode.
    pub fn honours_rules(&self) -> bool {
        self.settings.rule_modes.contains(&self.mode)
    }

    pub fn decide(&self, tool: &str, args: &Value, trace: bool) -> Outcome {
        if self.skip {
            return Outcome {
                verdict: Verdict {
                    action: Action::Allow,
                    by: By::Flag,
                    rule: "--dangerously-skip-permissions".into(),
                    reason: "permission checks are off (--dangerously-skip-permissions)".into(),
                },
                always: Vec::new(),
                traces: Vec::new(),
            };
        }
        let outside_ok = |abs: &str, write: bool| self.external_allows(abs, write);
        let env = commands::Env {
            root: self.root,
            safe: &self.settings.safe,
            destructive: &self.settings.destructive,
            outside_ok: &outside_ok,
        };
        let subjects = match subject::subjects(tool, args, self.root, &env) {
            Ok(s) => s,
            Err(e) => {
                return Outcome {
                    verdict: Verdict {
                        action: Action::Deny,
                        by: By::Policy,
                        rule: "arguments must be checkable".into(),
                        reason: format!("cannot check this call: {e}"),
                    },
                    always: Vec::new(),
                    traces: Vec::new(),
                };
            }
        };
        let family = Family::of(tool);
        let mut best: Option<Verdict> = None;
        let mut always = Vec::new();
        let mut always_ok = true;
        let mut traces = Vec::new();
        for s in &subjects {
            let v = self.subject(tool, family, s);
            if v.action == Action::Ask {
                match self.always_pattern(s) {
                    Some(p) => {
                        if !always.iter().any(|(_, q)| *q == p) {
                            always.push((tool.to_string(), p));
                        }
                    }
                    None => always_ok = false,
                }
            }
            if trace {
                traces.push(self.trace(tool, s, &v));
            }
            if best.as_ref().is_none_or(|b| v.action > b.action) {
                best = Some(v);
            }
        }
        let verdict =
            best.unwrap_or_else(|| self.mode_verdict(Action::Allow, "there is nothing to check"));
        if !always_ok || verdict.action != Action::Ask {
            always.clear();
        }
        Outcome {
            verdict,
            always,
            traces,
        }
    }

    /// Steps 1 to 4 for one subject.
    fn subject(&self, tool: &str, family: Family, s: &Subject) -> Verdict {
        let class = match s {
            Subject::Command(a) => a.class,
            _ => Class::Safe,
        };
        let shown = s.show();
        for r in &self.settings.rules {
            if r.action == Action::Deny && !r.fallback && rule_matches(r, tool, s, true) {
                return Verdict {
                    action: Action::Deny,
                    by: By::Rule,
                    rule: r.text(),
                    reason: format!("the rule {} denies {}", r.text(), quote(tool, &shown)),
                };
            }
        }
        // Only a person may allow these, each time.
        let no_allow = class > Class::Plain;
        if self.honours_rules() {
            if !no_allow
                && let Some(e) = self
                    .allowlist
                    .iter()
                    .find(|e| rule_matches(e, tool, s, false))
            {
                return Verdict {
                    action: Action::Allow,
                    by: By::Allowlist,
                    rule: format!("allowlist: {}", e.text()),
                    reason: format!(
                        "{} was allowed for the session ({})",
                        quote(tool, &shown),
                        e.text()
                    ),
                };
            }
            let last = self.settings.rules.iter().rev().find(|r| {
                (r.action != Action::Deny || r.fallback)
                    && !(no_allow && r.action == Action::Allow)
                    && rule_matches(r, tool, s, false)
            });
            if let Some(r) = last {
                let mut reason = format!("the rule {} matches {}", r.text(), quote(tool, &shown));
                if let Subject::Command(a) = s
                    && a.class > Class::Safe
                {
                    reason.push_str(&format!(" ({})", a.why));
                }
                return Verdict {
                    action: r.action,
                    by: By::Rule,
                    rule: r.text(),
                    reason,
                };
            }
        }
        self.mode_default(tool, family, s)
    }

    fn mode_verdict(&self, action: Action, reason: impl Into<String>) -> Verdict {
        Verdict {
            action,
            by: By::Mode,
            rule: format!("mode {}", self.mode.name()),
            reason: reason.into(),
        }
    }

    /// Step 4: what the mode says when no rule did.
    fn mode_default(&self, tool: &str, family: Family, s: &Subject) -> Verdict {
        let m = self.mode.name();
        let (action, reason) = match s {
            _ if self.mode == Mode::Restrictive => (
                Action::Ask,
                "restrictive mode asks for every call".to_string(),
            ),
            Subject::Path {
                given, res, write, ..
            } => {
                let inside = res.inside();
                let outside = || {
                    format!(
                        "{given} is {}, outside the working directory, and no external_directory rule allows it",
                        res.abs
                    )
                };
                let verb = if *write { "writing" } else { "reading" };
                match (self.mode, *write, inside) {
                    (Mode::Yolo, _, _) => (Action::Allow, format!("yolo mode allows {tool}")),
                    (Mode::Readonly, true, _) => (Action::Deny, "readonly mode denies writes".into()),
                    (Mode::Planwrite, true, true)
                        if res.rel.as_deref().is_some_and(is_plan_file) =>
                    {
                        (Action::Allow, "planwrite mode allows writing PLAN*.md files".into())
                    }
                    (Mode::Planwrite, true, _) => (
                        Action::Deny,
                        "planwrite mode allows writing only PLAN*.md files inside the working directory".into(),
                    ),
                    (Mode::Guarded, true, _) => (Action::Ask, "guarded mode asks before writing".into()),
                    (_, _, false) => (Action::Ask, outside()),
                    (Mode::Standard, true, true)
                        if res.rel.as_deref().is_some_and(commands::git_internal) =>
                    {
                        (
                            Action::Ask,
                            format!("{given} is inside the git folder, where hooks and config run code"),
                        )
                    }
                    _ => (Action::Allow, format!("{m} mode allows {verb} inside the working directory")),
                }
            }
            Subject::Command(a) => command_default(self.mode, a),
            Subject::Text(_) => match self.mode {
                Mode::Yolo => (Action::Allow, format!("yolo mode allows {tool}")),
                Mode::Readonly | Mode::Planwrite => {
                    (Action::Deny, format!("{m} mode denies {tool}"))
                }
                _ => (Action::Ask, format!("{m} mode asks before {tool}")),
            },
            Subject::Whole => match (family, self.mode) {
                (Family::Todo, _) | (_, Mode::Yolo) => {
                    (Action::Allow, format!("{m} mode allows {tool}"))
                }
                (_, Mode::Readonly | Mode::Planwrite) => {
                    (Action::Deny, format!("{m} mode denies {tool}"))
                }
                (Family::Unknown, _) => (
                    Action::Ask,
                    format!("{tool} is not a known tool; {m} mode asks"),
                ),
                _ => (
                    Action::Ask,
                    format!("{m} mode asks before {} calls", family.name()),
                ),
            },
        };
        self.mode_verdict(action, reason)
    }

    /// An `external_directory` rule (in a mode that honours rules) allows
    /// `abs`: used to let safe commands read there too.
    fn external_allows(&self, abs: &str, write: bool) -> bool {
        if !self.honours_rules() {
            return false;
        }
        let tool = if write { "write" } else { "read" };
        self.settings
            .rules
            .iter()
            .rev()
            .find(|r| r.external && r.applies_to(tool) && r.pattern.matches_abs(abs))
            .is_some_and(|r| r.action == Action::Allow)
    }

    /// The allowlist pattern an "allow always" answer stores for `s`.
    fn always_pattern(&self, s: &Subject) -> Option<String> {
        match s {
            Subject::Path { res, dir, .. } => {
                let base = match &res.rel {
                    Some(rel) => rel.clone(),
                    None => res.abs.clone(),
                };
                let folder = if *dir {
                    base
                } else {
                    match base.rfind('/') {
                        // A file at the root: only itself, never all of `/`.
                        Some(0) => return Some(escape(&base)),
                        Some(k) => base[..k].to_string(),
                        // A file at the top of the project: only itself.
                        None => return Some(escape(&base)),
                    }
                };
                Some(match folder.as_str() {
                    "." => "**".to_string(),
                    "/" => "/**".to_string(),
                    f => format!("{}/**", escape(f)),
                })
            }
            Subject::Command(a) => a.always.clone(),
            Subject::Text(t) => Some(url_prefix(t).unwrap_or_else(|| escape(t))),
            Subject::Whole => Some("*".into()),
        }
    }

    fn trace(&self, tool: &str, s: &Subject, v: &Verdict) -> Trace {
        let kind = match s {
            Subject::Path { res, write, .. } => format!(
                "{} path {}{}",
                if *write { "write" } else { "read" },
                res.abs,
                if res.inside() {
                    ""
                } else {
                    " (outside the working directory)"
                }
            ),
            Subject::Command(a) => format!("command, {}: {}", a.class.name(), a.why),
            Subject::Text(_) => "text".into(),
            Subject::Whole => "the whole call".into(),
        };
        let mut matched = Vec::new();
        for r in &self.settings.rules {
            if rule_matches(r, tool, s, r.action == Action::Deny && !r.fallback) {
                matched.push(format!("{} ({})", r.text(), r.origin));
            }
        }
        for e in self.allowlist {
            if rule_matches(e, tool, s, false) {
                matched.push(format!("{} (allowlist)", e.text()));
            }
        }
        Trace {
            subject: s.show(),
            kind,
            matched,
            verdict: v.clone(),
        }
    }
}

fn command_default(mode: Mode, a: &Analyzed) -> (Action, String) {
    let m = mode.name();
    let text = if a.text.is_empty() {
        "(empty)"
    } else {
        &a.text
    };
    match (mode, a.class) {
        (Mode::Readonly | Mode::Planwrite, _) => (Action::Deny, format!("{m} mode denies bash")),
        (Mode::Standard, Class::Safe) => {
            (Action::Allow, format!("`{text}` is a known-safe command"))
        }
        (Mode::Yolo, Class::Destructive | Class::Opaque) => (
            Action::Ask,
            format!(
                "yolo mode still asks for `{text}` ({}): {}",
                a.class.name(),
                a.why
            ),
        ),
        (Mode::Yolo, _) => (
            Action::Allow,
            "yolo mode allows commands that are not destructive".into(),
        ),
        (_, _) => (
            Action::Ask,
            format!("{m} mode asks for `{text}` ({}): {}", a.class.name(), a.why),
        ),
    }
}

fn quote(tool: &str, shown: &str) -> String {
    if shown.is_empty() {
        tool.to_string()
    } else {
        format!("{tool} {shown}")
    }
}

/// `PLAN.md`, `PLAN-x.md`, `docs/PLAN_2.md`: what planwrite mode may write.
fn is_plan_file(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name.starts_with("PLAN") && name.ends_with(".md")
}

/// Whether rule `r` speaks about subject `s` of a call to `tool`. A path
/// outside the working directory is matched only by `external_directory`
/// rules and rules with absolute patterns, except that any deny rule whose
/// pattern matches its absolute form denies it.
pub fn rule_matches(r: &Rule, tool: &str, s: &Subject, deny: bool) -> bool {
    if !r.applies_to(tool) {
        return false;
    }
    match s {
        Subject::Path { res, .. } => match &res.rel {
            Some(rel) => !r.external && r.pattern.matches_inside(rel, &res.abs),
            None if r.external || deny => r.pattern.matches_abs(&res.abs),
            None => r.pattern.is_absolute() && r.pattern.matches_abs(&res.abs),
        },
        Subject::Command(a) => !r.external && r.pattern.matches_text(&a.text),
        Subject::Text(t) => !r.external && r.pattern.matches_text(t),
        Subject::Whole => !r.external && r.pattern.is_any(),
    }
}

/// Escapes glob characters so a pattern matches only this text.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '\\') {
            o.push('\\');
        }
        o.push(c);
    }
    o
}

/// `https://host{,/*}` for a URL: that host, any page.
fn url_prefix(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    if host.is_empty() {
        return None;
    }
    let base = escape(&format!("{scheme}://{host}"));
    Some(format!("{base}{{,/*}}"))
}

/// Builds an allowlist entry.
pub fn entry(tool: &str, pattern: &str) -> Result<Entry, String> {
    Ok(Rule {
        tool: crate::glob::Glob::new(&escape(tool), crate::glob::Dialect::Command)?,
        pattern: Pattern::new(pattern)?,
        action: Action::Allow,
        external: false,
        fallback: false,
        origin: "allowlist".into(),
    })
}
