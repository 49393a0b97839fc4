//! Styled text, the unit everything on screen is made of: a `Line` is a row
//! of `Span`s, each a run of text with one `Style`. The `Theme` maps a
//! role (heading, code, error, ...) to a style, and with `--no-color` keeps
//! only attributes (bold, dim, reverse, underline), never a colour.

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

    /// The text without styles.
    pub fn text(&self) -> String {
        self.spans.iter().map(|s| s.text.as_str()).collect()
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
    Quote,
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
        let plain = Style::default();
        let s = match role {
            Role::Normal => plain,
            Role::Heading => Style {
                bold: true,
                fg: Some(Color::Cyan),
                ..plain
            },
            Role::Emphasis => Style {
                italic: true,
                ..plain
            },
            Role::Strong => Style {
                bold: true,
                ..plain
            },
            Role::Code => Style {
                fg: Some(Color::Yellow),
                ..plain
            },
            Role::CodeBlock => Style {
                fg: Some(Color::Green),
                ..plain
            },
            Role::CodeLang | Role::Reasoning | Role::TableBorder => Style { dim: true, ..plain },
            Role::Link => Style {
                underline: true,
                fg: Some(Color::Blue),
                ..plain
            },
            Role::Quote => Style {
                italic: true,
                fg: Some(Color::DarkGrey),
                ..plain
            },
            Role::ListMarker => Style {
                fg: Some(Color::Cyan),
                ..plain
            },
            Role::User => Style {
                bold: true,
                ..plain
            },
            Role::ToolOk => Style {
                fg: Some(Color::Green),
                ..plain
            },
            Role::ToolError | Role::Error => Style {
                fg: Some(Color::Red),
                bold: true,
                ..plain
            },
            Role::ToolRunning => Style {
                fg: Some(Color::Yellow),
                ..plain
            },
            Role::ToolDenied => Style {
                fg: Some(Color::Magenta),
                ..plain
            },
            Role::Notice => Style { dim: true, ..plain },
            Role::StatusBar | Role::Selection => Style {
                reverse: true,
                ..plain
            },
            Role::DialogBorder => Style {
                fg: Some(Color::Yellow),
                bold: true,
                ..plain
            },
        };
        if self.color {
            s
        } else {
            Style {
                fg: None,
                bg: None,
                ..s
            }
        }
    }
}
