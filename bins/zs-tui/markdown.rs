//! Markdown to styled lines (stub: owned by the renderer helper).
use crate::style::{Line, Theme};

/// A message's Markdown, growing delta by delta, rendered on demand.
#[derive(Debug, Default)]
pub struct Markdown {
    text: String,
}

impl Markdown {
    pub fn new() -> Markdown {
        Markdown::default()
    }
    pub fn push_str(&mut self, delta: &str) {
        self.text.push_str(delta);
    }
    pub fn text(&self) -> &str {
        &self.text
    }
    /// The rendered rows at this width (already wrapped to `width` cells).
    pub fn lines(&mut self, width: usize, theme: &Theme) -> Vec<Line> {
        render(&self.text, width, theme)
    }
}

/// Renders Markdown to rows no wider than `width` cells.
pub fn render(markdown: &str, width: usize, theme: &Theme) -> Vec<Line> {
    let _ = theme;
    markdown
        .lines()
        .flat_map(|l| crate::wrap::wrap(&Line::plain(l), width))
        .collect()
}
