//! Styled text, the unit everything on screen is made of: a `Line` is a row
//! of `Span`s, each a run of text with one `Style`. The `Theme` maps a
//! role (heading, code, error, ...) to a style, and with `--no-color` keeps
//! only attributes (bold, dim, italic, underline, reverse), never a colour.

use crossterm::style::Color;

/// How a run of text looks. `Default` is the terminal's own look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    pub fg: Option<Color>,
    pub bg: Option<Color>,
    pub bold: bool,
    pub dim: bool,
    pub italic: bool,
    pub underline: bool,
    pub reverse: bool,
    pub strike: bool,
}

/// A run of text in one style. Never holds a newline.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Span {
    pub text: String,
    pub style: Style,
}

/// One row on screen (after wrapping) or one logical line (before).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Line {
    pub spans: Vec<Span>,
}

impl Style {
    /// This style with `over` laid on top: `over`'s colours win where it
    /// has them, attributes add up. Inline styles nest this way (a link in
    /// a heading is bold, coloured and underlined).
    pub fn patch(self, over: Style) -> Style {
        Style {
            fg: over.fg.or(self.fg),
            bg: over.bg.or(self.bg),
            bold: self.bold || over.bold,
            dim: self.dim || over.dim,
            italic: self.italic || over.italic,
            underline: self.underline || over.underline,
            reverse: self.reverse || over.reverse,
            strike: self.strike || over.strike,
        }
    }
}

impl Span {
    pub fn new(text: impl Into<String>, style: Style) -> Span {
        Span {
            text: text.into(),
            style,
        }
    }
}

impl Line {
    pub fn plain(text: impl Into<String>) -> Line {
        Line {
            spans: vec![Span::new(text, Style::default())],
        }
    }

    pub fn styled(text: impl Into<String>, style: Style) -> Line {
        Line {
            spans: vec![Span::new(text, style)],
        }
    }

    pub fn new(spans: Vec<Span>) -> Line {
        Line { spans }
    }

    /// The text without styles.
    pub fn text(&self) -> String {
        self.spans.iter().map(|s| s.text.as_str()).collect()
    }

    /// Appends text, joining the last span when the style is the same, so
    /// a row built piece by piece stays a few spans.
    pub fn push(&mut self, text: &str, style: Style) {
        if text.is_empty() {
            return;
        }
        match self.spans.last_mut() {
            Some(last) if last.style == style => last.text.push_str(text),
            _ => self.spans.push(Span::new(text, style)),
        }
    }

    /// Appends every span of `other`.
    pub fn extend(&mut self, other: &Line) {
        for span in &other.spans {
            self.push(&span.text, span.style);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.spans.iter().all(|s| s.text.is_empty())
    }

    /// The number of terminal cells the line takes (see `wrap::width`).
    pub fn width(&self) -> usize {
        crate::wrap::line_width(self)
    }

    /// Lays `over` on every span (e.g. dims a whole rendered reply).
    pub fn patch(&mut self, over: Style) {
        for span in &mut self.spans {
            span.style = span.style.patch(over);
        }
    }
}

/// What a piece of text is; the theme gives each role its style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Normal,
    Heading,
    Emphasis,
    Strong,
    Code,
    CodeBlock,
    CodeLang,
    Link,
    /// The URL after a link's text, in parentheses.
    LinkUrl,
    Strike,
    Quote,
    /// The `│` bar before each row of a block quote.
    QuoteBar,
    /// A horizontal rule.
    Rule,
    ListMarker,
    TableBorder,
    Reasoning,
    User,
    ToolOk,
    ToolError,
    ToolRunning,
    ToolDenied,
    Error,
    Notice,
    StatusBar,
    Selection,
    DialogBorder,
}

/// Styles by role, with or without colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn new(color: bool) -> Theme {
        Theme { color }
    }

    pub fn style(&self, role: Role) -> Style {
        if !self.color {
            return mono(role);
        }
        let plain = Style::default();
        let fg = |c: Color| Style {
            fg: Some(c),
            ..plain
        };
        match role {
            Role::Normal => plain,
            Role::Heading => Style {
                bold: true,
                ..fg(Color::Cyan)
            },
            Role::Emphasis => Style {
                italic: true,
                ..plain
            },
            Role::Strong | Role::User => Style {
                bold: true,
                ..plain
            },
            Role::Strike => Style {
                strike: true,
                ..plain
            },
            Role::Code => fg(Color::Yellow),
            Role::CodeBlock => fg(Color::Green),
            Role::CodeLang
            | Role::Reasoning
            | Role::TableBorder
            | Role::LinkUrl
            | Role::Rule
            | Role::Notice => Style { dim: true, ..plain },
            Role::Link => Style {
                underline: true,
                ..fg(Color::Blue)
            },
            Role::Quote => Style {
                italic: true,
                ..fg(Color::DarkGrey)
            },
            Role::QuoteBar => fg(Color::DarkGrey),
            Role::ListMarker => fg(Color::Cyan),
            Role::ToolOk => fg(Color::Green),
            Role::ToolError | Role::Error => Style {
                bold: true,
                ..fg(Color::Red)
            },
            Role::ToolRunning => fg(Color::Yellow),
            Role::ToolDenied => fg(Color::Magenta),
            Role::StatusBar | Role::Selection => Style {
                reverse: true,
                ..plain
            },
            Role::DialogBorder => Style {
                bold: true,
                ..fg(Color::Yellow)
            },
        }
    }
}

/// The monochrome theme (`--no-color`, `NO_COLOR`): attributes only. Where
/// the coloured theme tells roles apart by colour alone, an attribute takes
/// over: inline code is bold, a quote's bar and a link's URL dim.
fn mono(role: Role) -> Style {
    let plain = Style::default();
    match role {
        Role::Normal
        | Role::CodeBlock
        | Role::ListMarker
        | Role::ToolOk
        | Role::ToolRunning
        | Role::ToolDenied => plain,
        Role::Heading | Role::Strong | Role::User | Role::Code | Role::DialogBorder => Style {
            bold: true,
            ..plain
        },
        Role::Error | Role::ToolError => Style {
            bold: true,
            ..plain
        },
        Role::Emphasis | Role::Quote => Style {
            italic: true,
            ..plain
        },
        Role::Strike => Style {
            strike: true,
            ..plain
        },
        Role::Link => Style {
            underline: true,
            ..plain
        },
        Role::CodeLang
        | Role::Reasoning
        | Role::TableBorder
        | Role::LinkUrl
        | Role::Rule
        | Role::QuoteBar
        | Role::Notice => Style { dim: true, ..plain },
        Role::StatusBar | Role::Selection => Style {
            reverse: true,
            ..plain
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLES: &[Role] = &[
        Role::Normal,
        Role::Heading,
        Role::Emphasis,
        Role::Strong,
        Role::Code,
        Role::CodeBlock,
        Role::CodeLang,
        Role::Link,
        Role::LinkUrl,
        Role::Strike,
        Role::Quote,
        Role::QuoteBar,
        Role::Rule,
        Role::ListMarker,
        Role::TableBorder,
        Role::Reasoning,
        Role::User,
        Role::ToolOk,
        Role::ToolError,
        Role::ToolRunning,
        Role::ToolDenied,
        Role::Error,
        Role::Notice,
        Role::StatusBar,
        Role::Selection,
        Role::DialogBorder,
    ];

    #[test]
    fn no_color_theme_has_no_colour_for_any_role() {
        let mono = Theme::new(false);
        for &role in ROLES {
            let s = mono.style(role);
            assert_eq!((s.fg, s.bg), (None, None), "{role:?}");
        }
    }

    #[test]
    fn no_color_theme_keeps_roles_apart_by_attribute() {
        let mono = Theme::new(false);
        assert!(mono.style(Role::Heading).bold);
        assert!(mono.style(Role::Code).bold);
        assert!(mono.style(Role::Link).underline);
        assert!(mono.style(Role::Emphasis).italic);
        assert!(mono.style(Role::Reasoning).dim);
        assert!(mono.style(Role::Notice).dim);
        assert!(mono.style(Role::StatusBar).reverse);
        assert!(mono.style(Role::Strike).strike);
        assert_eq!(mono.style(Role::Normal), Style::default());
    }

    #[test]
    fn colour_theme_colours_what_it_must() {
        let theme = Theme::new(true);
        assert_eq!(theme.style(Role::Heading).fg, Some(Color::Cyan));
        assert!(theme.style(Role::Heading).bold);
        assert_eq!(theme.style(Role::Code).fg, Some(Color::Yellow));
        assert_eq!(theme.style(Role::Error).fg, Some(Color::Red));
        assert_eq!(theme.style(Role::Normal), Style::default());
    }

    #[test]
    fn patch_adds_attributes_and_overrides_colour() {
        let base = Style {
            bold: true,
            fg: Some(Color::Cyan),
            ..Style::default()
        };
        let over = Style {
            underline: true,
            fg: Some(Color::Blue),
            ..Style::default()
        };
        let both = base.patch(over);
        assert!(both.bold && both.underline);
        assert_eq!(both.fg, Some(Color::Blue));
        assert_eq!(base.patch(Style::default()), base);
    }

    #[test]
    fn push_joins_spans_of_the_same_style() {
        let bold = Style {
            bold: true,
            ..Style::default()
        };
        let mut line = Line::default();
        line.push("a", bold);
        line.push("b", bold);
        line.push("", Style::default());
        line.push("c", Style::default());
        assert_eq!(
            line.spans,
            vec![Span::new("ab", bold), Span::new("c", Style::default())]
        );
        assert!(!line.is_empty());
        assert!(Line::plain("").is_empty());
    }
}
