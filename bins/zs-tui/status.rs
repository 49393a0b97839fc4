//! The status bar: what the next run will use (model, provider, prompt,
//! permission mode), how full the context is, what the session cost so
//! far, the session, the queue and whether a run is active.

use crate::style::{Line, Role, Theme};
use zerostack::config::Config;
use zerostack::protocol::Usage;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Status {
    pub model: Option<String>,
    pub provider: String,
    pub prompt: String,
    pub mode: String,
    /// Tokens the next call carries, once a call has reported its usage.
    pub context: Option<u64>,
    pub window: u64,
    /// USD spent in the session so far; none when nothing was priced yet.
    pub cost: Option<f64>,
    /// A call had neither a reported cost nor a price: a sum would mislead,
    /// so no cost is shown.
    pub cost_unknown: bool,
    /// The session's name, else its id; none before the first run.
    pub session: Option<String>,
    pub queue: usize,
    pub running: bool,
}

impl Status {
    /// A call's usage: the context is its input plus its output (the reply
    /// is now part of the conversation), as `zs-session stats` counts it;
    /// `input` already holds the cached parts. The cost is the provider's
    /// own figure, else the config's pricing of the model.
    pub fn add_usage(&mut self, u: &Usage, model: Option<&str>, config: &Config) {
        // The figures come from the provider: a huge one must not overflow.
        let tokens = u.input.saturating_add(u.output);
        if tokens > 0 {
            self.context = Some(tokens);
        }
        let price = model.and_then(|m| config.model(m)).and_then(|m| m.pricing);
        match (u.cost, price) {
            (Some(c), _) => self.cost = Some(self.cost.unwrap_or(0.0) + c),
            (None, Some(p)) => self.cost = Some(self.cost.unwrap_or(0.0) + p.cost(u)),
            (None, None) if tokens > 0 => self.cost_unknown = true,
            _ => {}
        }
    }

    /// The bar's text, without the padding.
    pub fn text(&self) -> String {
        let mut parts: Vec<String> = vec![
            self.model.clone().unwrap_or_else(|| "(no model)".into()),
            self.provider.clone(),
            self.prompt.clone(),
            self.mode.clone(),
        ];
        if let Some(c) = self.context {
            let pct = (c as f64 * 100.0 / self.window.max(1) as f64).round();
            parts.push(format!("ctx {}k {pct}%", c.saturating_add(500) / 1000));
        }
        // Nothing spent (a local model, no reply yet) is not worth a
        // place in the bar.
        if let Some(c) = self.cost
            && !self.cost_unknown
            && c > 0.0
        {
            parts.push(if c < 1.0 {
                format!("${c:.4}")
            } else {
                format!("${c:.2}")
            });
        }
        if let Some(s) = &self.session {
            parts.push(s.clone());
        }
        if self.queue > 0 {
            parts.push(format!("queue {}", self.queue));
        }
        if self.running {
            parts.push("running".into());
        }
        format!(" {}", parts.join(" · "))
    }

    /// The bar as a row of `width` cells in reverse video. When it does not
    /// fit, the model side is cut: the queue and run state stay readable.
    pub fn line(&self, width: usize, theme: &Theme) -> Line {
        let mut text = self.text();
        let w = crate::wrap::width(&text);
        if w > width {
            let tail = {
                let mut t = String::new();
                if self.queue > 0 {
                    t.push_str(&format!(" · queue {}", self.queue));
                }
                if self.running {
                    t.push_str(" · running");
                }
                t
            };
            let head = &text[..text.len() - tail.len()];
            let room = width.saturating_sub(crate::wrap::width(&tail));
            text = format!("{}{tail}", crate::view::cut(head, room));
        }
        let style = theme.style(Role::StatusBar);
        crate::view::pad(&Line::styled(text, style), width, style)
    }
}

/// The context window of `model`: the config's `models.<id>.context_window`,
/// else its `session.context_window`, else 128k (as zs-session decides).
pub fn window(config: &Config, model: Option<&str>) -> u64 {
    config
        .model_window(model)
        .or_else(|| config.section("session")?.get("context_window")?.as_u64())
        .unwrap_or(zerostack::config::DEFAULT_CONTEXT_WINDOW)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status() -> Status {
        Status {
            model: Some("claude-sonnet-4-5".into()),
            provider: "anthropic".into(),
            prompt: "code".into(),
            mode: "standard".into(),
            window: 200_000,
            ..Status::default()
        }
    }

    #[test]
    fn the_bar_grows_with_what_is_known() {
        let mut s = status();
        assert_eq!(s.text(), " claude-sonnet-4-5 · anthropic · code · standard");
        let c = Config::default();
        s.add_usage(
            &Usage {
                input: 24_000,
                output: 600,
                cache_read: 20_000,
                cost: Some(0.0123),
                ..Usage::default()
            },
            Some("claude-sonnet-4-5"),
            &c,
        );
        s.session = Some("fix-bug".into());
        s.queue = 2;
        s.running = true;
        assert_eq!(
            s.text(),
            " claude-sonnet-4-5 · anthropic · code · standard · ctx 25k 12% · $0.0123 · fix-bug · queue 2 · running"
        );
    }

    #[test]
    fn cost_is_shown_only_when_every_call_was_priced() {
        let c = Config::parse(r#"{"models":{"p":{"pricing":{"input":3,"output":15}}}}"#).unwrap();
        let mut s = status();
        let u = Usage {
            input: 1_000_000,
            output: 100_000,
            ..Usage::default()
        };
        s.add_usage(&u, Some("p"), &c);
        assert!(s.text().contains("$4.50"), "{}", s.text());
        s.add_usage(&u, Some("unknown"), &c);
        assert!(!s.text().contains('$'), "{}", s.text());
    }

    #[test]
    fn huge_figures_from_a_provider_do_not_overflow() {
        let mut s = status();
        let u = Usage {
            input: u64::MAX,
            output: u64::MAX,
            ..Usage::default()
        };
        s.add_usage(&u, None, &Config::default());
        assert_eq!(s.context, Some(u64::MAX));
        assert!(s.text().contains("ctx 18446744073709551k"), "{}", s.text());
    }

    #[test]
    fn windows_come_from_the_config() {
        let c = Config::parse(
            r#"{"models":{"m":{"context_window":1000}},"session":{"context_window":5000}}"#,
        )
        .unwrap();
        assert_eq!(window(&c, Some("m")), 1000);
        assert_eq!(window(&c, Some("x")), 5000);
        assert_eq!(window(&Config::default(), None), 128_000);
    }

    #[test]
    fn a_narrow_bar_keeps_the_run_state() {
        let mut s = status();
        s.running = true;
        s.queue = 1;
        let l = s.line(40, &Theme::new(false));
        let t = l.text();
        assert_eq!(crate::wrap::width(&t), 40);
        assert!(t.ends_with(" · queue 1 · running"), "{t}");
        assert!(t.starts_with(" claude"), "{t}");
    }
}
