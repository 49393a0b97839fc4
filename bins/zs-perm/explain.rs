//! `zs-perm explain` and `zs-perm rules`: the policy shown to a person.
//!
//! `explain` runs the same engine as the filter (without asking anyone and
//! without touching the doom-loop history), so what it prints is what the
//! filter would decide before asking.

use crate::app::Setup;
use crate::policy::Mode;
use std::io::Write;
use zerostack::error::Error;

pub fn explain(setup: &Setup, tool: &str, arguments: &str, json: bool) -> Result<(), Error> {
    let args: serde_json::Value = serde_json::from_str(arguments)
        .map_err(|e| Error::usage(format!("the arguments are not JSON: {e}")))?;
    let engine = setup.engine();
    let out = engine.decide(tool, &args, true);
    let v = &out.verdict;
    let honoured = engine.honours_rules();
    let mut o = std::io::stdout().lock();
    if json {
        let subjects: Vec<serde_json::Value> = out
            .traces
            .iter()
            .map(|t| {
                serde_json::json!({
                    "subject": t.subject,
                    "kind": t.kind,
                    "matched": t.matched,
                    "decision": t.verdict.action.name(),
                    "by": t.verdict.by.name(),
                    "rule": t.verdict.rule,
                    "reason": t.verdict.reason,
                })
            })
            .collect();
        let always: Vec<serde_json::Value> = out
            .always
            .iter()
            .map(|(t, p)| serde_json::json!({"tool": t, "pattern": p}))
            .collect();
        let doc = serde_json::json!({
            "tool": tool,
            "arguments": args,
            "mode": setup.mode.name(),
            "mode_from": setup.mode_from,
            "rules_honoured": honoured,
            "decision": v.action.name(),
            "by": v.by.name(),
            "rule": v.rule,
            "reason": v.reason,
            "always": always,
            "subjects": subjects,
        });
        writeln!(o, "{doc}")?;
        return Ok(());
    }
    writeln!(o, "call:      {tool} {args}")?;
    writeln!(
        o,
        "mode:      {} ({}); allow/ask rules and the allowlist {}",
        setup.mode.name(),
        setup.mode_from,
        if honoured {
            "count"
        } else {
            "do not count in this mode"
        }
    )?;
    for t in &out.traces {
        writeln!(o)?;
        writeln!(
            o,
            "subject:   {}",
            if t.subject.is_empty() {
                "(the whole call)"
            } else {
                &t.subject
            }
        )?;
        writeln!(o, "  kind:    {}", t.kind)?;
        if t.matched.is_empty() {
            writeln!(o, "  matched: no rule")?;
        }
        for (i, m) in t.matched.iter().enumerate() {
            writeln!(o, "  {} {m}", if i == 0 { "matched:" } else { "        " })?;
        }
        writeln!(
            o,
            "  won:     {} by {}: {}",
            t.verdict.action.name(),
            t.verdict.by.name(),
            t.verdict.rule
        )?;
    }
    writeln!(o)?;
    writeln!(
        o,
        "decision:  {} (by {}: {})",
        v.action.name(),
        v.by.name(),
        v.rule
    )?;
    writeln!(o, "reason:    {}", v.reason)?;
    if !out.always.is_empty() {
        let pats: Vec<String> = out
            .always
            .iter()
            .map(|(t, p)| format!("{t} {p:?}"))
            .collect();
        writeln!(
            o,
            "always:    an \"allow always\" answer would store {}",
            pats.join(", ")
        )?;
    }
    if v.action == crate::policy::Action::Ask {
        writeln!(
            o,
            "asking:    the ZS_ASK_SOCKET front end, else the terminal, else the --non-interactive policy (deny by default)"
        )?;
    }
    Ok(())
}

pub fn rules(setup: &Setup) -> Result<(), Error> {
    let s = &setup.settings;
    let mut o = std::io::stdout().lock();
    writeln!(o, "mode: {} ({})", setup.mode.name(), setup.mode_from)?;
    let modes: Vec<&str> = s.rule_modes.iter().map(|m| m.name()).collect();
    writeln!(
        o,
        "allow/ask rules and the allowlist count in: {} ({} now); deny rules count in every mode",
        if modes.is_empty() {
            "no mode".to_string()
        } else {
            modes.join(", ")
        },
        if s.rule_modes.contains(&setup.mode) {
            "they count"
        } else {
            "they do not count"
        }
    )?;
    match &s.path {
        Some(p) => writeln!(o, "config: {}", p.display())?,
        None => writeln!(o, "config: none (built-in defaults)")?,
    }
    writeln!(o)?;
    writeln!(
        o,
        "rules, in evaluation order (deny rules first, then the last match wins):"
    )?;
    if s.rules.is_empty() {
        writeln!(o, "  (none)")?;
    }
    let width = s
        .rules
        .iter()
        .map(|r| r.text().chars().count())
        .max()
        .unwrap_or(0);
    for (i, r) in s.rules.iter().enumerate() {
        writeln!(o, "  {:>2}  {:<width$}  from {}", i + 1, r.text(), r.origin)?;
    }
    writeln!(o)?;
    let where_ = match &setup.store.dir {
        Some(d) => format!(
            "{} ({})",
            d.join(crate::state::ALLOWLIST).display(),
            setup.store.source
        ),
        None => setup.store.source.clone(),
    };
    writeln!(o, "session allowlist: {where_}")?;
    if setup.allowlist.is_empty() {
        writeln!(o, "  (empty)")?;
    }
    for e in &setup.allowlist {
        writeln!(o, "  {}", e.text())?;
    }
    writeln!(o)?;
    let pats = |p: &[crate::policy::Pattern]| {
        if p.is_empty() {
            "none".to_string()
        } else {
            p.iter()
                .map(|p| format!("{:?}", p.text()))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    writeln!(
        o,
        "safe commands: the built-in list, plus from the config: {}",
        pats(&s.safe)
    )?;
    writeln!(
        o,
        "destructive commands: the built-in list, plus from the config: {}",
        pats(&s.destructive)
    )?;
    if s.doom.threshold == 0 {
        writeln!(o, "doom loop: off")?;
    } else {
        writeln!(
            o,
            "doom loop: {} when the same call comes {} times in a row",
            s.doom.action.name(),
            s.doom.threshold
        )?;
    }
    writeln!(o, "ask timeout: {} ms", s.ask_timeout.as_millis())?;
    if setup.mode == Mode::Yolo {
        writeln!(
            o,
            "note: yolo mode still asks for destructive and unreadable commands"
        )?;
    }
    Ok(())
}
