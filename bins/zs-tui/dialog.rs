//! The permission dialog: one of zs-perm's asks at a time, answered with
//! a key (allow once, allow always when offered, deny, deny with a note).
//! It takes the input's place while open; `d` turns it into a `note: `
//! field.

use crate::ask::{Ask, AskAnswer};
use crate::style::{Line, Role, Span, Style, Theme};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug)]
pub struct Dialog {
    pub ask: Ask,
    /// The note being typed after `d`; none: the choices.
    note: Option<String>,
}

/// What a key did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogKey {
    Ignored,
    Changed,
    Answer(AskAnswer),
}

impl Dialog {
    pub fn new(ask: Ask) -> Dialog {
        Dialog { ask, note: None }
    }

    fn offers_always(&self) -> bool {
        !self.ask.request.always.is_empty()
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> DialogKey {
        let plain = key.modifiers - KeyModifiers::SHIFT == KeyModifiers::NONE;
        if let Some(note) = &mut self.note {
            return match key.code {
                KeyCode::Enter => {
                    let n = note.trim().to_string();
                    DialogKey::Answer(AskAnswer::Deny((!n.is_empty()).then_some(n)))
                }
                KeyCode::Esc => {
                    self.note = None;
                    DialogKey::Changed
                }
                KeyCode::Backspace => {
                    note.pop();
                    DialogKey::Changed
                }
                KeyCode::Char('u') if key.modifiers == KeyModifiers::CONTROL => {
                    note.clear();
                    DialogKey::Changed
                }
                KeyCode::Char(c) if plain => {
                    note.push(c);
                    DialogKey::Changed
                }
                _ => DialogKey::Ignored,
            };
        }
        if !plain {
            return DialogKey::Ignored;
        }
        match key.code {
            KeyCode::Char('y' | 'Y') => DialogKey::Answer(AskAnswer::Once),
            KeyCode::Char('a' | 'A') if self.offers_always() => {
                DialogKey::Answer(AskAnswer::Always)
            }
            KeyCode::Char('n' | 'N') => DialogKey::Answer(AskAnswer::Deny(None)),
            KeyCode::Char('d' | 'D') => {
                self.note = Some(String::new());
                DialogKey::Changed
            }
            _ => DialogKey::Ignored,
        }
    }

    /// A pasted text goes into the note.
    pub fn paste(&mut self, text: &str) -> bool {
        match &mut self.note {
            Some(n) => {
                n.push_str(&text.replace(['\n', '\r'], " "));
                true
            }
            None => false,
        }
    }

    /// The note field (the input row while typing a note) and the cursor's
    /// column in it.
    pub fn note_row(&self, theme: &Theme) -> Option<(Line, usize)> {
        let note = self.note.as_ref()?;
        let label = "note: ";
        let mut spans = vec![Span::new(label, theme.style(Role::DialogBorder))];
        if note.is_empty() {
            // A hint in the empty field (the cursor stays before it).
            spans.push(Span::new(
                "why not, for the model",
                theme.style(Role::Notice),
            ));
        } else {
            spans.push(Span::new(note.clone(), Style::default()));
        }
        let col = crate::wrap::width(label) + crate::wrap::width(note);
        Some((Line { spans }, col))
    }

    /// The dialog's rows at `width`; `more`: asks waiting behind this one.
    pub fn render(&self, width: usize, theme: &Theme, more: usize) -> Vec<Line> {
        let r = &self.ask.request;
        let border = theme.style(Role::DialogBorder);
        let title = if more > 0 {
            format!("── permission ({more} more waiting) ")
        } else {
            "── permission ".to_string()
        };
        let fill = width.saturating_sub(crate::wrap::width(&title));
        let mut rows = vec![Line::styled(
            format!("{title}{}", "─".repeat(fill.min(24))),
            border,
        )];
        let what = if r.summary.is_empty() {
            format!("Allow {}?", r.tool)
        } else {
            format!("Allow {}: {}", r.tool, r.summary)
        };
        rows.extend(crate::transcript::wrap_text(
            &what,
            width,
            Style {
                bold: true,
                ..Style::default()
            },
            "",
            "  ",
        ));
        if !r.reason.is_empty() {
            rows.extend(crate::transcript::wrap_text(
                &r.reason,
                width,
                theme.style(Role::Notice),
                "",
                "",
            ));
        }
        if let Some(n) = r.repeats
            && n > 1
        {
            rows.push(Line::styled(
                format!("the model has made this call {n} times in a row"),
                theme.style(Role::Notice),
            ));
        }
        if self.note.is_some() {
            rows.push(Line::styled(
                "Enter: deny with this note  Esc: back",
                theme.style(Role::Notice),
            ));
        } else {
            let mut choices = String::from("[y] allow once  ");
            if self.offers_always() {
                let pats: Vec<String> = r
                    .always
                    .iter()
                    .map(|p| format!("{} {}", p.tool, p.pattern))
                    .collect();
                rows.extend(crate::transcript::wrap_text(
                    &format!("always allows: {}", pats.join(", ")),
                    width,
                    theme.style(Role::Notice),
                    "",
                    "  ",
                ));
                choices.push_str("[a] allow always  ");
            }
            choices.push_str("[n] deny  [d] deny with a note");
            rows.extend(crate::transcript::wrap_text(
                &choices,
                width,
                Style::default(),
                "",
                "",
            ));
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ask::{AlwaysPattern, AskRequest};

    fn dialog(always: bool) -> Dialog {
        let request = AskRequest {
            call_id: "c1".into(),
            tool: "bash".into(),
            summary: "curl https://x".into(),
            reason: "standard mode asks for `curl https://x` (not known-safe)".into(),
            rule: "mode standard".into(),
            mode: "standard".into(),
            arguments: serde_json::json!({"command": "curl https://x"}),
            always: if always {
                vec![AlwaysPattern {
                    tool: "bash".into(),
                    pattern: "curl *".into(),
                }]
            } else {
                Vec::new()
            },
            repeats: None,
        };
        Dialog::new(Ask::detached(request))
    }

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn the_dialog_reads_as_the_contract_says() {
        let d = dialog(true);
        let rows: Vec<String> = d
            .render(80, &Theme::new(false), 0)
            .iter()
            .map(Line::text)
            .collect();
        assert!(rows[0].starts_with("── permission ──"), "{rows:?}");
        assert_eq!(rows[1], "Allow bash: curl https://x");
        assert_eq!(
            rows[2],
            "standard mode asks for `curl https://x` (not known-safe)"
        );
        assert_eq!(rows[3], "always allows: bash curl *");
        assert_eq!(
            rows[4],
            "[y] allow once  [a] allow always  [n] deny  [d] deny with a note"
        );
        let d = dialog(false);
        let rows: Vec<String> = d
            .render(80, &Theme::new(false), 0)
            .iter()
            .map(Line::text)
            .collect();
        assert_eq!(rows[3], "[y] allow once  [n] deny  [d] deny with a note");
    }

    #[test]
    fn keys_answer() {
        let mut d = dialog(false);
        assert_eq!(d.handle_key(key('a')), DialogKey::Ignored);
        assert_eq!(d.handle_key(key('x')), DialogKey::Ignored);
        assert_eq!(d.handle_key(key('y')), DialogKey::Answer(AskAnswer::Once));
        assert_eq!(
            d.handle_key(key('n')),
            DialogKey::Answer(AskAnswer::Deny(None))
        );
        let mut d = dialog(true);
        assert_eq!(d.handle_key(key('a')), DialogKey::Answer(AskAnswer::Always));
    }

    #[test]
    fn a_note_is_typed_then_sent() {
        let mut d = dialog(false);
        assert_eq!(d.handle_key(key('d')), DialogKey::Changed);
        let (row, col) = d.note_row(&Theme::new(false)).unwrap();
        assert_eq!(row.text(), "note: why not, for the model");
        assert_eq!(col, 6);
        for c in "use wget".chars() {
            d.handle_key(key(c));
        }
        let (row, col) = d.note_row(&Theme::new(false)).unwrap();
        assert_eq!(row.text(), "note: use wget");
        assert_eq!(col, 14);
        // y is text now, not an answer.
        assert_eq!(d.handle_key(key('y')), DialogKey::Changed);
        d.handle_key(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE));
        assert_eq!(
            d.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
            DialogKey::Answer(AskAnswer::Deny(Some("use wget".into())))
        );
        // Esc goes back to the choices.
        let mut d = dialog(false);
        d.handle_key(key('d'));
        d.handle_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
        assert!(d.note_row(&Theme::new(false)).is_none());
        assert_eq!(d.handle_key(key('y')), DialogKey::Answer(AskAnswer::Once));
    }
}
