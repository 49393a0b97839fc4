//! `zs-session stats`: what a session holds and what it cost. Message and
//! tool-call counts, tokens by kind summed from each assistant message's
//! `usage` (and the summaries' calls), the cost (the provider's own figure
//! when it reports one, else the config's pricing per million tokens), and
//! how full the model's context window is now.

use crate::args::StatsArgs;
use crate::commands::{Env, settings, system_for};
use crate::entries::{Kind, Loaded};
use crate::history::{self, Item, Replay};
use serde_json::{Value, json};
use std::io::Write;
use zerostack::config::Config;
use zerostack::error::Error;
use zerostack::protocol::{Event, Usage};

/// Token counts summed over a session.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Tokens {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write: u64,
    pub reasoning: u64,
}

impl Tokens {
    fn add(&mut self, u: &Usage) {
        self.input = self.input.saturating_add(u.input);
        self.output = self.output.saturating_add(u.output);
        self.cache_read = self.cache_read.saturating_add(u.cache_read);
        self.cache_write = self.cache_write.saturating_add(u.cache_write);
        self.reasoning = self.reasoning.saturating_add(u.reasoning);
    }
}

/// Everything `stats` reports.
#[derive(Debug, Default)]
pub struct Stats {
    pub user: u64,
    pub assistant: u64,
    pub tool_calls: u64,
    pub tool_results: u64,
    pub tool_errors: u64,
    pub compactions: u64,
    pub tokens: Tokens,
    pub cost: f64,
    /// Calls with neither a reported cost nor a price in the config.
    pub unpriced: u64,
}

/// Counts and sums over every entry of `l`. `model` prices messages that
/// do not name their own model.
pub fn collect(l: &Loaded, config: &Config, model: Option<&str>) -> Stats {
    let mut st = Stats::default();
    let price = |st: &mut Stats, u: &Usage, m: Option<&str>| {
        st.tokens.add(u);
        if let Some(c) = u.cost {
            st.cost += c;
        } else if let Some(p) = m
            .or(model)
            .and_then(|m| config.model(m))
            .and_then(|m| m.pricing)
        {
            st.cost += p.cost(u);
        } else if u.input + u.output > 0 {
            st.unpriced += 1;
        }
    };
    for e in &l.entries {
        match e.kind {
            Kind::User => st.user += 1,
            Kind::Assistant => {
                if let Ok(Event::Assistant(a)) = serde_json::from_str::<Event>(l.line(e)) {
                    st.assistant += 1;
                    st.tool_calls += a.tool_calls().count() as u64;
                    price(&mut st, &a.usage, a.model.as_deref());
                }
            }
            Kind::ToolResult => {
                st.tool_results += 1;
                if let Ok(Event::ToolResult(r)) = serde_json::from_str::<Event>(l.line(e)) {
                    st.tool_errors += u64::from(r.is_error);
                }
            }
            Kind::Compaction => {
                st.compactions += 1;
                // The summary's own model call, when compact recorded it.
                if let Ok(Event::Compaction(c)) = serde_json::from_str::<Event>(l.line(e))
                    && let Some(u) = c.extra.get("usage")
                    && let Ok(u) = serde_json::from_value::<Usage>(u.clone())
                {
                    let m = c.extra.get("model").and_then(Value::as_str);
                    price(&mut st, &u, m);
                }
            }
            Kind::Meta | Kind::Other => {}
        }
    }
    st
}

/// The tokens the next model call will carry. The provider's own count
/// from the latest call after the last compaction (its input plus its
/// output, which is now part of the conversation) is exact, so it is used
/// when there is one, plus an estimate of what came after it; otherwise
/// everything is estimated.
pub fn context_tokens(system: &str, replay: &Replay) -> u64 {
    let after = replay.compaction.unwrap_or(0);
    let mut base: Option<(usize, u64)> = None;
    for (i, item) in replay.items.iter().enumerate().rev() {
        if let Item::Entry {
            no,
            kind: Kind::Assistant,
            line,
        } = item
        {
            if *no <= after {
                break;
            }
            if let Ok(Event::Assistant(a)) = serde_json::from_str::<Event>(line)
                && a.usage.input > 0
            {
                base = Some((i, a.usage.input + a.usage.output));
                break;
            }
        }
    }
    match base {
        Some((i, t)) => t + history::estimate(&replay.items[i + 1..]),
        None => zerostack::tokens::estimate(system) + history::estimate(&replay.items),
    }
}

pub fn run(env: &Env, a: StatsArgs) -> Result<(), Error> {
    let s = env.resolve(&a.s.session)?;
    let (config, settings) = settings()?;
    let l = s.load()?;
    let meta = l.meta();
    let st = collect(&l, &config, meta.model.as_deref());
    let (system, _) = system_for(&l, env, &settings, None, true)?;
    let replay = history::replay(&l, &s.id);
    let used = context_tokens(&system, &replay);
    let window = settings.window(&config, meta.model.as_deref());
    let percent = (used as f64 * 1000.0 / window.max(1) as f64).round() / 10.0;
    let t = st.tokens;
    let total = t.input + t.output;
    // A cost is known when every call was priced; a partial sum would
    // mislead, so it is given only alongside that flag.
    let cost_known = st.unpriced == 0;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if a.json {
        let line = json!({
            "type": "session_stats",
            "id": s.id,
            "name": meta.name,
            "model": meta.model,
            "provider": meta.provider,
            "entries": l.entries.len(),
            "messages": {"user": st.user, "assistant": st.assistant, "total": st.user + st.assistant + st.tool_results},
            "tool_calls": st.tool_calls,
            "tool_results": st.tool_results,
            "tool_errors": st.tool_errors,
            "compactions": st.compactions,
            "tokens": {"input": t.input, "output": t.output, "cache_read": t.cache_read, "cache_write": t.cache_write, "reasoning": t.reasoning, "total": total},
            "cost": st.cost,
            "cost_complete": cost_known,
            "context": {"tokens": used, "window": window, "percent": percent},
        });
        writeln!(out, "{line}")?;
    } else {
        let name = meta.name.map(|n| format!(" ({n})")).unwrap_or_default();
        writeln!(out, "session      {}{name}", s.id)?;
        if let Some(m) = &meta.model {
            let p = meta
                .provider
                .map(|p| format!(" via {p}"))
                .unwrap_or_default();
            writeln!(out, "model        {m}{p}")?;
        }
        writeln!(
            out,
            "messages     {} user, {} assistant, {} tool results",
            st.user, st.assistant, st.tool_results
        )?;
        writeln!(
            out,
            "tool calls   {} ({} failed)",
            st.tool_calls, st.tool_errors
        )?;
        writeln!(out, "compactions  {}", st.compactions)?;
        writeln!(
            out,
            "tokens       {total} total: {} input ({} cache read, {} cache write), {} output ({} reasoning)",
            t.input, t.cache_read, t.cache_write, t.output, t.reasoning
        )?;
        if cost_known {
            writeln!(out, "cost         ${:.4}", st.cost)?;
        } else {
            writeln!(
                out,
                "cost         unknown: {} call{} without pricing (set models.<id>.pricing in the config){}",
                st.unpriced,
                if st.unpriced == 1 { "" } else { "s" },
                if st.cost > 0.0 {
                    format!("; ${:.4} for the rest", st.cost)
                } else {
                    String::new()
                }
            )?;
        }
        writeln!(out, "context      {used} of {window} tokens ({percent}%)")?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use zerostack::config::Pricing;

    #[test]
    fn cost_prices_cache_parts_of_the_input_apart() {
        let u = Usage {
            input: 1_000_000,
            output: 100_000,
            cache_read: 500_000,
            cache_write: 100_000,
            reasoning: 0,
            cost: None,
        };
        let p = Pricing {
            input: 3.0,
            output: 15.0,
            cache_read: Some(0.3),
            cache_write: Some(3.75),
        };
        // 0.4M plain * 3 + 0.5M * 0.3 + 0.1M * 3.75 + 0.1M * 15
        let want = 1.2 + 0.15 + 0.375 + 1.5;
        assert!((p.cost(&u) - want).abs() < 1e-9, "{}", p.cost(&u));
        let flat = Pricing {
            cache_read: None,
            cache_write: None,
            ..p
        };
        assert!((flat.cost(&u) - (3.0 + 1.5)).abs() < 1e-9);
    }
}
