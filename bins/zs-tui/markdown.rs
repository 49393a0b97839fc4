//! Markdown to styled rows: a reply's CommonMark (with tables, task lists
//! and strikethrough) rendered for the terminal at a given width.
//!
//! Replies arrive delta by delta and are redrawn after each one, so
//! `Markdown` renders incrementally. The rows of finished top-level blocks
//! are kept, and only the open part at the end is parsed and rendered
//! again. Appending text can change only the last block: CommonMark decides
//! block structure line by line, and a block is closed for good once a
//! complete later line starts another one (two lines for a table, whose
//! second line decides whether it is one). A long top-level list is split
//! the same way at its items, resuming the list's numbering and looseness
//! (a list that turns loose, which changes every item, is rendered once
//! more), and an open code block at its lines, each line of a fenced block
//! being one line of code. Link reference definitions in the finished text are handed to
//! the parses after it. What is left: a definition that comes after the
//! link using it does not reach a finished block; models do not write
//! those. A new width or theme renders everything once more.
//!
//! The result is exactly what a one-shot `render` of the same text gives;
//! the tests check it after every delta of random documents.

use crate::style::{Line, Role, Style, Theme};
use crate::wrap;
use pulldown_cmark::{
    Alignment, BrokenLink, CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd,
};
use std::borrow::Cow;
use std::ops::Range;

/// A message's Markdown, growing delta by delta, rendered on demand.
#[derive(Debug, Default)]
pub struct Markdown {
    text: String,
    /// Where the open part begins (a line start): `text` before it is
    /// finished, and its rows are the first `done` of `rows`.
    open: usize,
    done: usize,
    rows: Vec<Line>,
    /// The top-level list the open part continues, when it starts at an item.
    list: Option<OpenList>,
    /// The fence (indent and marks) of the code block the open part
    /// continues, when it starts inside one.
    fence: Option<String>,
    /// The link reference definitions in the finished text, for the links
    /// in the open part.
    defs: Vec<Def>,
    /// The width and theme `rows` were rendered for.
    key: Option<(usize, Theme)>,
    /// `rows` covers all of `text`.
    fresh: bool,
}

/// What a top-level block is, as far as finishing it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Table,
    /// A fenced code block.
    Fence,
    Other,
}

/// A top-level list whose first items are finished.
#[derive(Debug, Clone, Copy)]
struct OpenList {
    /// Where the list starts in the text, and `done` before its rows: where
    /// to go back to if it turns loose.
    start: usize,
    done_before: usize,
    /// The number of the first open item, for an ordered list.
    next: Option<u64>,
    loose: bool,
}

impl Markdown {
    pub fn new() -> Markdown {
        Markdown::default()
    }

    pub fn push_str(&mut self, delta: &str) {
        if !delta.is_empty() {
            self.text.push_str(delta);
            self.fresh = false;
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The rendered rows at this width (already wrapped to `width` cells).
    pub fn lines(&mut self, width: usize, theme: &Theme) -> Vec<Line> {
        self.rows(width, theme).to_vec()
    }

    /// The rendered rows, borrowed: what `lines` returns without copying
    /// every row, which for a long reply costs more than rendering it.
    pub fn rows(&mut self, width: usize, theme: &Theme) -> &[Line] {
        if self.key != Some((width, *theme)) {
            self.key = Some((width, *theme));
            self.open = 0;
            self.done = 0;
            self.list = None;
            self.fence = None;
            self.defs.clear();
            self.fresh = false;
        }
        if !self.fresh {
            while !self.render_open(width, theme) {}
            self.fresh = true;
        }
        &self.rows
    }

    /// Renders the open part and moves what is finished in it to the
    /// finished rows. False when a continued list turned loose and the
    /// open part was moved back to the start of the list: render again.
    fn render_open(&mut self, width: usize, theme: &Theme) -> bool {
        self.rows.truncate(self.done);
        let tail = lone_cr_to_lf(&self.text[self.open..]);
        // Inside a code block, the open part is parsed after a copy of its
        // fence: the same content lines, the language row already out.
        let src = match &self.fence {
            Some(fence) => Cow::Owned(format!("{fence}\n{tail}")),
            None => tail,
        };
        let src = src.as_ref();
        let shift = self.fence.as_ref().map_or(0, |f| f.len() + 1);
        let resume = self.list;
        let mut r = Renderer::new(width, theme);
        r.resume = resume.map(|l| (l.loose, l.next));
        r.rows_before = self.done > 0;
        // Where each top-level block starts (in `src` and in the rows), its
        // kind and end, and the same for the items of the last block when it
        // is a list, with each item's number.
        let mut blocks = Vec::new();
        let mut items = Vec::new();
        let mut depth = 0usize;
        let mut first_loose = None;
        let Parsed { events, defs } = parse(src, &self.defs);
        r.loose = looseness(src, &events);
        for (event, range) in events {
            if depth == 0 {
                let kind = match &event {
                    Event::Start(Tag::Table(_)) => Kind::Table,
                    Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(_))) => Kind::Fence,
                    _ => Kind::Other,
                };
                blocks.push((range.start, r.out.len(), kind, range.end));
                r.block = blocks.len() - 1;
                items.clear();
            }
            let item = depth == 1 && matches!(event, Event::Start(Tag::Item));
            if item {
                let next = r.lists.first().and_then(|l| l.next);
                items.push((range.start, r.out.len(), next));
            }
            let list_end = depth == 1 && matches!(event, Event::End(TagEnd::List(_)));
            match event {
                Event::Start(_) => depth += 1,
                Event::End(_) => depth = depth.saturating_sub(1),
                _ => {}
            }
            r.event(event);
            if list_end && blocks.len() == 1 {
                first_loose = Some(r.last_list_loose);
            }
        }
        if let Some(l) = resume
            && !l.loose
            && first_loose == Some(true)
        {
            self.open = l.start;
            self.done = l.done_before;
            self.list = None;
            return false;
        }
        // Whether `n` lines from `at` on are complete (lone CRs are LFs by
        // now).
        let complete = |at: usize, n: usize| src[at..].match_indices('\n').nth(n - 1).is_some();
        let mut out = std::mem::take(&mut r.out);
        let Some(mut k) = blocks.len().checked_sub(1) else {
            return true;
        };
        // Until the line that starts it is complete, a block may still turn
        // out to continue the one before (`|` alone after a table ends it,
        // `| 1` is its next row): that one stays open too. A table that
        // interrupts a paragraph is one only if its second line fits its
        // first, so it needs both. Items likewise.
        let (at, _, kind, _) = blocks[k];
        if k > 0 && !complete(at, if kind == Kind::Table { 2 } else { 1 }) {
            k -= 1;
            items.clear();
        }
        let mut j = items.len().saturating_sub(1);
        if j > 0 && !complete(items[j].0, 1) {
            j -= 1;
        }
        // The finished items are rendered as loose or tight as the list is
        // now. When it is loose, that may be the doing of the incomplete last
        // line (`\n\n-` starts an item after a blank, `\n\n--` does not):
        // unless the complete lines alone make it loose, wait.
        if j > 0 && r.last_list_loose && !src.ends_with('\n') {
            let whole = &src[line_start(src, blocks[k].0)..];
            let lines = &whole[..line_start(whole, whole.len())];
            if looseness(lines, &parse(lines, &self.defs).events).first() != Some(&true) {
                j = 0;
            }
        }
        let (block_at, block_row, kind, block_end) = blocks[k];
        let block_line = line_start(src, block_at);
        // Where the open part starts: block k, or inside it at item j of a
        // list or at the last line of an open code block, whose lines
        // before it are content for good.
        let mut split = None;
        if j > 0 {
            let (at, row, _) = items[j];
            split = Some((line_start(src, at), row));
        } else if kind == Kind::Fence {
            let last = line_start(src, src.len());
            let fence_end = src[block_line..].find('\n').map(|i| block_line + i + 1);
            if let Some(first) = fence_end
                && last > first
                && block_end >= last
            {
                let lines = src[first..last].matches('\n').count();
                let row = r.code_rows.get(lines).copied().unwrap_or(out.len());
                split = Some((last, row));
            }
        }
        // The rows fall in three parts: finished blocks before block k,
        // the finished part of block k, and the open rows. Between blocks
        // there is a blank row; between a list's items when it is loose;
        // none inside a code block. The open part may start inside a list or
        // a code block it continues.
        let first_blank = match (resume, &self.fence) {
            (Some(l), _) => first_loose.unwrap_or(l.loose),
            (None, Some(_)) => false,
            (None, None) => true,
        };
        let at_block = if k == 0 { first_blank } else { true };
        let (open_at, open_row) = split.unwrap_or((block_line, block_row));
        // The fence of a code block the open part will be inside.
        let new_fence = match split {
            Some(_) if kind == Kind::Fence => {
                let line = &src[block_line..];
                let line = &line[..line.find('\n').unwrap_or(line.len())];
                let marks = line.trim_start_matches(' ');
                let mark = marks.chars().next().unwrap_or('`');
                let n = marks.len() - marks.trim_start_matches(mark).len();
                Some(line[..line.len() - marks.len() + n].to_string())
            }
            _ => None,
        };
        let mut open_rows = out.split_off(open_row);
        let block_rows = out.split_off(block_row);
        self.append(out, r.sep(0), 0, first_blank);
        let done_before = self.done;
        self.append(block_rows, r.sep(block_row), k, at_block);
        let open_blank = match (split, kind) {
            (Some(_), Kind::Fence) => false,
            (Some(_), _) => r.last_list_loose,
            (None, _) => at_block,
        };
        if split.is_some() || k > 0 {
            // Something finished: the open part moves past it.
            self.fence = new_fence;
            self.list = match (split, kind) {
                (Some(_), Kind::Other) => Some(OpenList {
                    start: match resume {
                        Some(l) if k == 0 => l.start,
                        _ => self.open + block_line - shift,
                    },
                    done_before: match resume {
                        Some(l) if k == 0 => l.done_before,
                        _ => done_before,
                    },
                    next: items[j].2,
                    loose: r.last_list_loose,
                }),
                _ => None,
            };
            self.keep_defs(defs, open_at);
            self.open += open_at - shift;
        }
        self.join(&mut open_rows, r.sep(open_row), k, open_blank);
        self.rows.append(&mut open_rows);
        true
    }

    /// Keeps the definitions that end before `end` (in the open part),
    /// where the open part is to start now; the first of a label counts.
    fn keep_defs(&mut self, defs: Vec<(Def, usize)>, end: usize) {
        for (def, def_end) in defs {
            if def_end <= end && !self.defs.iter().any(|d| d.label == def.label) {
                self.defs.push(def);
            }
        }
    }

    /// Adds finished rows of top-level block `block` on (see `join`).
    fn append(&mut self, mut rows: Vec<Line>, sep: Option<usize>, block: usize, blank: bool) {
        self.join(&mut rows, sep, block, blank);
        if !rows.is_empty() {
            self.rows.append(&mut rows);
            self.done = self.rows.len();
        }
    }

    /// Readies rows of top-level block `block` on to follow the rows so far.
    /// The renderer, not knowing what the rows before are, may have put a
    /// blank row first (`sep`, for the block it names): if for `block`, it
    /// goes, and a blank row goes in when `blank` says the two sides are
    /// apart and both have rows; if for a later block (`block` had no
    /// rows), it already is the one between them.
    fn join(&mut self, rows: &mut Vec<Line>, sep: Option<usize>, block: usize, blank: bool) {
        if rows.is_empty() {
            return;
        }
        match sep {
            Some(b) if b != block => return,
            Some(_) => {
                rows.remove(0);
            }
            None => {}
        }
        if blank && !rows.is_empty() && !self.rows.is_empty() {
            self.rows.push(Line::default());
        }
    }
}

/// What ends a line: the parser takes a CR alone as well as LF and CRLF.
const EOL: [char; 2] = ['\n', '\r'];

/// The start of the line `at` is on, in text whose lone CRs are LFs (see
/// `lone_cr_to_lf`).
fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// Where the line after the line ending at `at` starts.
fn after_eol(text: &str, at: usize) -> usize {
    if text[at..].starts_with("\r\n") {
        at + 2
    } else {
        at + 1
    }
}

/// Renders Markdown to rows no wider than `width` cells.
pub fn render(markdown: &str, width: usize, theme: &Theme) -> Vec<Line> {
    let markdown = lone_cr_to_lf(markdown);
    let mut r = Renderer::new(width, theme);
    let events = parse(&markdown, &[]).events;
    r.loose = looseness(&markdown, &events);
    for (event, _) in events {
        r.event(event);
    }
    r.out
}

/// A link reference definition (`[label]: url "title"`).
#[derive(Debug, Clone)]
struct Def {
    /// The label as links match it: case and runs of spaces do not count.
    label: String,
    url: String,
    title: String,
}

fn label_key(label: &str) -> String {
    label
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

struct Parsed<'a> {
    events: Vec<(Event<'a>, Range<usize>)>,
    /// The definitions in the text, each with where it ends.
    defs: Vec<(Def, usize)>,
}

/// Parses `text`; a reference it does not define itself is looked up in
/// `known` (definitions in the text before it).
fn parse<'a>(text: &'a str, known: &[Def]) -> Parsed<'a> {
    let lookup = |link: BrokenLink<'a>| {
        let label = label_key(&link.reference);
        known
            .iter()
            .find(|d| d.label == label)
            .map(|d| (CowStr::from(d.url.clone()), CowStr::from(d.title.clone())))
    };
    let parser = Parser::new_with_broken_link_callback(text, options(), Some(lookup));
    let defs = parser
        .reference_definitions()
        .iter()
        .map(|(label, def)| {
            let def_ = Def {
                label: label_key(label),
                url: def.dest.to_string(),
                title: def.title.as_deref().unwrap_or("").to_string(),
            };
            (def_, def.span.end)
        })
        .collect();
    let events = parser.into_offset_iter().collect();
    Parsed { events, defs }
}

/// `text` with each CR that is not part of a CRLF made an LF, byte for
/// byte, so offsets stay. The parser takes a lone CR as a line ending, but
/// not everywhere (a fence line ending in one is a fence only at the end of
/// the text), which would let a later line change an earlier block. A CR
/// at the very end stays: it may be the first half of a CRLF, so its line
/// is not complete yet.
fn lone_cr_to_lf(text: &str) -> Cow<'_, str> {
    if !text.contains('\r') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek().is_some_and(|&next| next != '\n') {
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Whether each list, in the order they start, is loose: its items or an
/// item's blocks are apart by a blank line. A list is loose or tight as a
/// whole, and its first items may not show it, so this is worked out
/// before the list is rendered. The parser tells only by giving a loose
/// list's text as paragraphs, which says nothing when no item holds text;
/// so the blank lines are looked for in the source too (at the top level,
/// where a blank line is empty; in a quote it holds the `>`).
fn looseness(text: &str, events: &[(Event, Range<usize>)]) -> Vec<bool> {
    #[derive(Clone, Copy)]
    enum Open {
        /// A list: its index, and where its last item's content ended.
        List(usize, Option<usize>),
        /// An item: where its content so far ends (or its start).
        Item(usize),
        Other,
    }
    let mut loose = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    for (event, range) in events {
        // A block (or text) straight in an item: apart from the one before?
        if !matches!(event, Event::End(_))
            && let [.., Open::List(list, _), Open::Item(last)] = open[..]
            && blank_between(text, last, range.start)
        {
            loose[list] = true;
        }
        match event {
            Event::Start(Tag::List(_)) => {
                open.push(Open::List(loose.len(), None));
                loose.push(false);
            }
            Event::Start(Tag::Item) => {
                if let Some(Open::List(list, Some(end))) = open.last()
                    && blank_between(text, *end, range.start)
                {
                    loose[*list] = true;
                }
                open.push(Open::Item(range.start));
            }
            Event::Start(tag) => {
                if matches!(tag, Tag::Paragraph)
                    && let [.., Open::List(list, _), Open::Item(_)] = open[..]
                {
                    loose[list] = true;
                }
                open.push(Open::Other);
            }
            Event::End(TagEnd::Item) => {
                if let Some(Open::Item(end)) = open.pop()
                    && let Some(Open::List(_, prev)) = open.last_mut()
                {
                    *prev = Some(end);
                }
            }
            Event::End(_) => {
                open.pop();
            }
            // Content: where it ends is where the items around it end. A
            // container's own range would not do: it takes in the blank
            // lines after it.
            _ => {
                for o in &mut open {
                    if let Open::Item(last) = o {
                        *last = (*last).max(range.end);
                    }
                }
            }
        }
    }
    loose
}

/// Whether a blank line lies between `a` and `b`: a whole line of
/// whitespace after the line `a` is on and before the line `b` is on.
fn blank_between(text: &str, a: usize, b: usize) -> bool {
    if a >= b {
        return false;
    }
    let bytes = text.as_bytes();
    // Between the CR and LF of a CRLF is not a line start.
    let at_line_start =
        a == 0 || bytes[a - 1] == b'\n' || bytes[a - 1] == b'\r' && bytes.get(a) != Some(&b'\n');
    let mut pos = a;
    if !at_line_start {
        match text[a..b].find(EOL) {
            Some(i) => pos = after_eol(text, a + i),
            None => return false,
        }
    }
    while pos < b {
        let Some(i) = text[pos..b].find(EOL) else {
            break;
        };
        if text[pos..pos + i].trim().is_empty() {
            return true;
        }
        pos = after_eol(text, pos + i);
    }
    false
}

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// What the rows inside a block quote or a list item start with.
#[derive(Debug)]
enum Container {
    /// `│ ` on every row.
    Quote { start: usize },
    /// The marker (`• `, `3. `, with `[x] ` for a task) on the item's first
    /// row, as many spaces on the others, so text aligns under the text.
    Item {
        first: Line,
        rest: Line,
        used: bool,
        start: usize,
    },
}

impl Container {
    /// The number of rows out when the container began.
    fn start(&self) -> usize {
        match self {
            Container::Quote { start } | Container::Item { start, .. } => *start,
        }
    }
}

#[derive(Debug)]
struct List {
    /// The next number, for an ordered list.
    next: Option<u64>,
    /// Items are separated by blank rows (their text is in paragraphs).
    loose: bool,
    items: usize,
}

/// An open link or image.
#[derive(Debug)]
struct Link {
    url: String,
    /// The text so far, to show the URL after it unless they are the same.
    text: String,
    image: bool,
}

#[derive(Debug)]
struct Table {
    aligns: Vec<Alignment>,
    rows: Vec<Vec<Line>>,
    head_rows: usize,
}

/// Turns pulldown-cmark events into rows. Inline content collects in
/// `inline` (one `Line` per hard break) and is wrapped when its block ends;
/// containers add their prefixes as each row is emitted.
struct Renderer<'t> {
    width: usize,
    theme: &'t Theme,
    out: Vec<Line>,
    containers: Vec<Container>,
    lists: Vec<List>,
    /// A block ended: the next one in the same container starts after a
    /// blank row.
    pending_blank: bool,
    /// The blank row due before the next row, held back until that row
    /// comes, so a block that renders nothing leaves no blank behind; with
    /// the number of containers it is inside, as it goes when they close,
    /// and the top-level block it was made for.
    held: Option<(Line, usize, usize)>,
    /// Where held blank rows went in `out`, with their top-level block.
    seps: Vec<(usize, usize)>,
    /// The number of the top-level block being rendered (set by the caller).
    block: usize,
    inline: Vec<Line>,
    /// Inline styles in force (emphasis, strong, link, ...), outermost first.
    mods: Vec<Style>,
    heading: bool,
    table_head: bool,
    links: Vec<Link>,
    /// Inside a code block: its text so far.
    code: Option<String>,
    /// Inside an HTML block: its text so far.
    html: Option<String>,
    table: Option<Table>,
    /// The looseness and next number of the list the text continues (its
    /// first items were rendered before): for the first top-level list.
    resume: Option<(bool, Option<u64>)>,
    /// Whether the list that ended last was loose.
    last_list_loose: bool,
    /// There are rows before `out`: the text continues a list or a code
    /// block whose first part was rendered before.
    rows_before: bool,
    /// Where the rows of each line of the last top-level code block start.
    code_rows: Vec<usize>,
    /// Whether each list is loose, in the order they start (`looseness`),
    /// and how many have started.
    loose: Vec<bool>,
    lists_seen: usize,
}

impl<'t> Renderer<'t> {
    fn new(width: usize, theme: &'t Theme) -> Renderer<'t> {
        Renderer {
            width,
            theme,
            out: Vec::new(),
            containers: Vec::new(),
            lists: Vec::new(),
            pending_blank: false,
            held: None,
            seps: Vec::new(),
            block: 0,
            inline: Vec::new(),
            mods: Vec::new(),
            heading: false,
            table_head: false,
            links: Vec::new(),
            code: None,
            html: None,
            table: None,
            resume: None,
            last_list_loose: false,
            rows_before: false,
            code_rows: Vec::new(),
            loose: Vec::new(),
            lists_seen: 0,
        }
    }

    fn style(&self, role: Role) -> Style {
        self.theme.style(role)
    }

    /// The top-level block that row `row` is a blank row before (or before
    /// an item of), if it is one.
    fn sep(&self, row: usize) -> Option<usize> {
        self.seps.iter().find(|(r, _)| *r == row).map(|&(_, b)| b)
    }

    fn event(&mut self, event: Event) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t) => {
                if let Some(code) = &mut self.code {
                    code.push_str(&t);
                } else if let Some(html) = &mut self.html {
                    html.push_str(&t);
                } else {
                    self.text(&t, self.inline_style());
                }
            }
            Event::Html(t) => match &mut self.html {
                Some(html) => html.push_str(&t),
                None => self.text(&t, self.inline_style()),
            },
            Event::Code(t) => {
                let style = self.inline_style().patch(self.style(Role::Code));
                self.text(&t, style);
            }
            Event::InlineHtml(t)
            | Event::InlineMath(t)
            | Event::DisplayMath(t)
            | Event::FootnoteReference(t) => self.text(&t, self.inline_style()),
            Event::SoftBreak => self.text(" ", self.inline_style()),
            Event::HardBreak => {
                if self.inline.is_empty() {
                    self.inline.push(Line::default());
                }
                self.inline.push(Line::default());
            }
            Event::Rule => {
                self.open_block();
                let rule = "─".repeat(self.avail());
                self.emit(Line::styled(rule, self.style(Role::Rule)));
                self.pending_blank = true;
            }
            Event::TaskListMarker(done) => {
                let style = self.style(Role::ListMarker);
                if let Some(Container::Item {
                    first,
                    rest,
                    used: false,
                    ..
                }) = self.containers.last_mut()
                {
                    first.push(if done { "[x] " } else { "[ ] " }, style);
                    *rest = Line::plain(" ".repeat(first.width()));
                }
            }
        }
    }

    fn start(&mut self, tag: Tag) {
        match tag {
            Tag::Paragraph => self.open_block(),
            Tag::Heading { .. } => {
                self.open_block();
                self.heading = true;
            }
            Tag::BlockQuote(_) => {
                self.open_block();
                let start = self.out.len();
                self.containers.push(Container::Quote { start });
            }
            Tag::CodeBlock(kind) => {
                self.open_block();
                self.code_rows.clear();
                if let CodeBlockKind::Fenced(info) = kind {
                    let lang = info
                        .split(|c: char| c.is_whitespace() || c == ',')
                        .next()
                        .unwrap_or("");
                    if !lang.is_empty() {
                        let row = format!("── {}", wrap::sanitize(lang));
                        self.emit(Line::styled(row, self.style(Role::CodeLang)));
                    }
                }
                self.code = Some(String::new());
            }
            Tag::HtmlBlock => {
                self.open_block();
                self.html = Some(String::new());
            }
            Tag::List(first) => {
                self.open_block();
                let detected = self.loose.get(self.lists_seen).copied();
                self.lists_seen += 1;
                let detected = detected.unwrap_or(false);
                let (loose, next) = match self.resume.take() {
                    Some((loose, next)) if self.lists.is_empty() => (loose || detected, next),
                    _ => (detected, first),
                };
                self.lists.push(List {
                    next,
                    loose,
                    items: 0,
                });
            }
            Tag::Item => self.start_item(),
            Tag::Table(aligns) => {
                self.open_block();
                self.table = Some(Table {
                    aligns,
                    rows: Vec::new(),
                    head_rows: 0,
                });
            }
            Tag::TableHead => {
                self.table_head = true;
                self.new_table_row();
            }
            Tag::TableRow => {
                let in_head_row = self.table_head
                    && self
                        .table
                        .as_ref()
                        .and_then(|t| t.rows.last())
                        .is_some_and(|r| r.is_empty());
                if !in_head_row {
                    self.new_table_row();
                }
            }
            Tag::TableCell => self.inline.clear(),
            Tag::Emphasis => self.mods.push(self.style(Role::Emphasis)),
            Tag::Strong => self.mods.push(self.style(Role::Strong)),
            Tag::Strikethrough => self.mods.push(self.style(Role::Strike)),
            Tag::Link { dest_url, .. } => self.open_link(dest_url.into_string(), false),
            Tag::Image { dest_url, .. } => self.open_link(dest_url.into_string(), true),
            Tag::FootnoteDefinition(_)
            | Tag::DefinitionList
            | Tag::DefinitionListTitle
            | Tag::DefinitionListDefinition
            | Tag::MetadataBlock(_) => self.open_block(),
            Tag::Superscript | Tag::Subscript => self.mods.push(Style::default()),
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph
            | TagEnd::FootnoteDefinition
            | TagEnd::DefinitionList
            | TagEnd::DefinitionListTitle
            | TagEnd::DefinitionListDefinition
            | TagEnd::MetadataBlock(_) => self.close_block(),
            TagEnd::Heading(_) => {
                self.close_block();
                self.heading = false;
            }
            TagEnd::BlockQuote(_) => {
                self.flush_inline();
                self.pop_container();
                self.pending_blank = true;
            }
            TagEnd::CodeBlock => {
                let code = self.code.take().unwrap_or_default();
                self.emit_code(&code);
                self.pending_blank = true;
            }
            TagEnd::HtmlBlock => {
                let html = self.html.take().unwrap_or_default();
                let style = self.inline_style();
                let avail = self.avail();
                for line in html.trim_end_matches('\n').split('\n') {
                    let line = line.strip_suffix('\r').unwrap_or(line);
                    for row in wrap::wrap(&Line::styled(line, style), avail) {
                        self.emit(row);
                    }
                }
                self.pending_blank = true;
            }
            TagEnd::List(_) => {
                self.flush_inline();
                if let Some(list) = self.lists.pop() {
                    self.last_list_loose = list.loose;
                }
                self.pending_blank = true;
            }
            TagEnd::Item => {
                self.flush_inline();
                // An empty item still shows its marker.
                if let Some(Container::Item { used: false, .. }) = self.containers.last() {
                    self.emit(Line::default());
                }
                self.pop_container();
            }
            TagEnd::Table => {
                if let Some(table) = self.table.take() {
                    self.emit_table(table);
                }
                self.pending_blank = true;
            }
            TagEnd::TableHead => {
                self.table_head = false;
                if let Some(t) = &mut self.table {
                    t.head_rows = t.rows.len();
                }
            }
            TagEnd::TableRow => {}
            TagEnd::TableCell => {
                let mut cell = Line::default();
                for (i, line) in std::mem::take(&mut self.inline).iter().enumerate() {
                    if i > 0 {
                        cell.push(" ", Style::default());
                    }
                    cell.extend(line);
                }
                if let Some(row) = self.table.as_mut().and_then(|t| t.rows.last_mut()) {
                    row.push(cell);
                }
            }
            TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript => {
                self.mods.pop();
            }
            TagEnd::Link | TagEnd::Image => {
                self.mods.pop();
                if let Some(Link { url, text, image }) = self.links.pop() {
                    let same = url == text || url.strip_prefix("mailto:") == Some(text.as_str());
                    let style = self.inline_style().patch(self.style(Role::LinkUrl));
                    if image {
                        self.text(&format!(" (image: {url})"), style);
                    } else if !url.is_empty() && !same {
                        self.text(&format!(" ({url})"), style);
                    }
                }
            }
        }
    }

    fn open_link(&mut self, url: String, image: bool) {
        self.mods.push(self.style(Role::Link));
        self.links.push(Link {
            url,
            text: String::new(),
            image,
        });
    }

    fn start_item(&mut self) {
        self.flush_inline();
        let Some(list) = self.lists.last_mut() else {
            return;
        };
        // Loose items are separated by a blank row; tight ones follow each
        // other, whatever the item before ended with.
        self.pending_blank = list.loose && list.items > 0;
        list.items += 1;
        let marker = match &mut list.next {
            Some(n) => {
                let m = format!("{n}. ");
                *n += 1;
                m
            }
            None => "• ".to_string(),
        };
        self.blank();
        let rest = Line::plain(" ".repeat(wrap::width(&marker)));
        self.containers.push(Container::Item {
            first: Line::styled(marker, self.style(Role::ListMarker)),
            rest,
            used: false,
            start: self.out.len(),
        });
    }

    /// Closes the innermost container; a blank row held inside it goes.
    fn pop_container(&mut self) {
        self.containers.pop();
        if self
            .held
            .as_ref()
            .is_some_and(|(_, depth, _)| *depth > self.containers.len())
        {
            self.held = None;
        }
    }

    /// Before a block: what a tight list item wrote so far goes out as its
    /// own rows, then the blank row after the block before.
    fn open_block(&mut self) {
        let text = !self.inline.is_empty();
        self.flush_inline();
        // Text straight in an item is a paragraph of a tight list. In a
        // loose one (the parser gives its items' text as paragraphs, but not
        // when it sees only the last items of a continued list) it is
        // apart from the next block like any paragraph.
        if text
            && matches!(self.containers.last(), Some(Container::Item { .. }))
            && self.lists.last().is_some_and(|l| l.loose)
        {
            self.pending_blank = true;
        }
        self.blank();
    }

    fn close_block(&mut self) {
        self.flush_inline();
        self.pending_blank = true;
    }

    /// The blank row between two blocks, if one is due: only after a row
    /// in the same container (at the top, perhaps one rendered before), so
    /// a message, a quote or an item never starts with a blank row. It goes
    /// out with the next row.
    fn blank(&mut self) {
        if !self.pending_blank {
            return;
        }
        self.pending_blank = false;
        let start = self.containers.last().map_or(0, Container::start);
        if self.out.len() > start || self.containers.is_empty() && self.rows_before {
            let row = self.prefixed(Line::default());
            self.held = Some((row, self.containers.len(), self.block));
        }
    }

    /// The style of inline text here, before emphasis and the like.
    fn inline_style(&self) -> Style {
        let mut s = self.style(Role::Normal);
        if self
            .containers
            .iter()
            .any(|c| matches!(c, Container::Quote { .. }))
        {
            s = s.patch(self.style(Role::Quote));
        }
        if self.heading {
            s = s.patch(self.style(Role::Heading));
        }
        if self.table_head {
            s = s.patch(self.style(Role::Strong));
        }
        self.mods.iter().fold(s, |s, m| s.patch(*m))
    }

    fn text(&mut self, text: &str, style: Style) {
        if self.inline.is_empty() {
            // Text straight in an item of a loose list starts a paragraph
            // (the parser, seeing only the last items of a continued list,
            // may not say so), after the blank row a block before it left.
            if !self.heading
                && self.table.is_none()
                && matches!(self.containers.last(), Some(Container::Item { .. }))
                && self.lists.last().is_some_and(|l| l.loose)
            {
                self.blank();
            }
            self.inline.push(Line::default());
        }
        let text = if text.contains('\n') {
            text.replace(['\r', '\n'], " ").into()
        } else {
            std::borrow::Cow::Borrowed(text)
        };
        if let Some(line) = self.inline.last_mut() {
            line.push(&text, style);
        }
        for link in &mut self.links {
            link.text.push_str(&text);
        }
    }

    /// The cells the prefixes of the open containers take.
    fn prefix_width(&self) -> usize {
        self.containers
            .iter()
            .map(|c| match c {
                Container::Quote { .. } => 2,
                Container::Item { rest, .. } => rest.width(),
            })
            .sum()
    }

    /// The cells left for text after the prefixes, at least one.
    fn avail(&self) -> usize {
        self.width.saturating_sub(self.prefix_width()).max(1)
    }

    /// Wraps what inline content has collected into rows.
    fn flush_inline(&mut self) {
        if self.inline.is_empty() || self.table.is_some() {
            return;
        }
        let avail = self.avail();
        for line in std::mem::take(&mut self.inline) {
            for row in wrap::wrap(&line, avail) {
                self.emit(row);
            }
        }
    }

    /// Adds a row: the containers' prefixes, then `content`. A blank row
    /// keeps quote bars but no trailing spaces.
    fn emit(&mut self, content: Line) {
        if let Some((blank, _, block)) = self.held.take() {
            self.seps.push((self.out.len(), block));
            self.out.push(blank);
        }
        let row = self.prefixed(content);
        // Prefixes deeper than the screen is wide: cut the row rather than
        // let the terminal wrap it.
        if row.width() > self.width.max(1) {
            self.out.extend(wrap::hard_wrap(&row, self.width.max(1)));
        } else {
            self.out.push(row);
        }
    }

    /// `content` after the containers' prefixes.
    fn prefixed(&mut self, content: Line) -> Line {
        let bar = self.style(Role::QuoteBar);
        let mut row = Line::default();
        for c in &mut self.containers {
            match c {
                Container::Quote { .. } => row.push("│ ", bar),
                Container::Item {
                    first, rest, used, ..
                } => {
                    row.extend(if *used { rest } else { first });
                    *used = true;
                }
            }
        }
        if content.is_empty() {
            trim_end(&mut row);
        }
        row.extend(&content);
        row
    }

    /// Code rows: never word-wrapped, broken at the width, tabs expanded.
    fn emit_code(&mut self, code: &str) {
        if code.is_empty() {
            return;
        }
        let style = self.style(Role::CodeBlock);
        let avail = self.avail();
        let top = self.containers.is_empty();
        let body = code.strip_suffix('\n').unwrap_or(code);
        for line in body.split('\n') {
            if top {
                // Its first row comes after the blank row held before it.
                let row = self.out.len() + usize::from(self.held.is_some());
                self.code_rows.push(row);
            }
            let line = line.strip_suffix('\r').unwrap_or(line);
            for row in wrap::hard_wrap(&Line::styled(line, style), avail) {
                self.emit(row);
            }
        }
    }

    fn new_table_row(&mut self) {
        if let Some(t) = &mut self.table {
            t.rows.push(Vec::new());
        }
    }

    /// A table: columns as wide as their widest cell, or shrunk to fit with
    /// the cells' text wrapped inside them; ` │ ` between columns and a
    /// rule under the header.
    fn emit_table(&mut self, table: Table) {
        let cols = table
            .rows
            .iter()
            .map(Vec::len)
            .max()
            .unwrap_or(0)
            .max(table.aligns.len());
        if cols == 0 {
            return;
        }
        let mut natural = vec![1; cols];
        for row in &table.rows {
            for (i, cell) in row.iter().enumerate() {
                natural[i] = natural[i].max(cell.width());
            }
        }
        let budget = self.avail().saturating_sub(3 * (cols - 1));
        let widths = fit_columns(&natural, budget);
        let border = self.style(Role::TableBorder);
        let empty = Line::default();
        for (r, row) in table.rows.iter().enumerate() {
            let cells: Vec<Vec<Line>> = (0..cols)
                .map(|i| wrap::wrap(row.get(i).unwrap_or(&empty), widths[i]))
                .collect();
            let height = cells.iter().map(Vec::len).max().unwrap_or(1);
            for k in 0..height {
                let mut line = Line::default();
                for i in 0..cols {
                    if i > 0 {
                        line.push(" │ ", border);
                    }
                    let cell = cells[i].get(k).unwrap_or(&empty);
                    let space = widths[i].saturating_sub(cell.width());
                    let (left, right) = match table.aligns.get(i) {
                        Some(Alignment::Right) => (space, 0),
                        Some(Alignment::Center) => (space / 2, space - space / 2),
                        _ => (0, space),
                    };
                    let right = if i + 1 == cols { 0 } else { right };
                    line.push(&" ".repeat(left), Style::default());
                    line.extend(cell);
                    line.push(&" ".repeat(right), Style::default());
                }
                trim_end(&mut line);
                self.emit(line);
            }
            if r + 1 == table.head_rows {
                let rule: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
                self.emit(Line::styled(rule.join("─┼─"), border));
            }
        }
    }
}

/// Column widths for a table: the natural widths when they fit `budget`,
/// else narrow columns keep their width and the wide ones share what is
/// left equally (at least one cell each).
fn fit_columns(natural: &[usize], budget: usize) -> Vec<usize> {
    let n = natural.len();
    if natural.iter().sum::<usize>() <= budget {
        return natural.to_vec();
    }
    if budget <= n {
        return vec![1; n];
    }
    let mut widths = vec![0; n];
    let mut left: Vec<usize> = (0..n).collect();
    let mut budget = budget;
    while !left.is_empty() {
        let fair = budget / left.len();
        let (small, big): (Vec<usize>, Vec<usize>) =
            left.iter().partition(|&&i| natural[i] <= fair);
        if small.is_empty() {
            let extra = budget % big.len();
            for (k, &i) in big.iter().enumerate() {
                widths[i] = fair + usize::from(k < extra);
            }
            return widths;
        }
        for &i in &small {
            widths[i] = natural[i];
            budget -= natural[i];
        }
        left = big;
    }
    widths
}

/// Drops trailing spaces from a row.
fn trim_end(row: &mut Line) {
    while let Some(last) = row.spans.last_mut() {
        let kept = last.text.trim_end_matches(' ').len();
        last.text.truncate(kept);
        if !last.text.is_empty() {
            break;
        }
        row.spans.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::style::Span;

    fn color() -> Theme {
        Theme::new(true)
    }

    fn style(role: Role) -> Style {
        color().style(role)
    }

    /// The rows' text, rendered in colour.
    fn texts(md: &str, width: usize) -> Vec<String> {
        render(md, width, &color()).iter().map(Line::text).collect()
    }

    /// Everything a reply may hold, for the tests that take all of it.
    const DOC: &str = "# Plan\n\nFirst *read* the **config**, then `build` it.\nSee [the docs](https://example.com/docs) or <https://example.com>.\n\n## Steps\n\n1. Parse the file\n2. Check it:\n   - keys are **known**\n   - values fit\n3. Write it back\n\n- [x] done\n- [ ] todo with words enough to wrap\n\n> A quote that goes on\n> > and nests\n\n```rust\nfn main() {\n\tprintln!(\"hello, world and a line longer than most screens are wide\");\n}\n```\n\n| name | size | note |\n|:-----|-----:|:----:|\n| a.rs | 12 | small |\n| long_file_name.rs | 4096 | the biggest one by far |\n\n---\n\n<details>\nraw html\n</details>\n\nline  \nbreak and 你好世界 wide, and ~~gone~~.\n\n    indented code\n";

    #[test]
    fn headings_drop_their_marks_and_take_the_heading_style() {
        let rows = render("# Title\n\n## Sub\ntext", 40, &color());
        assert_eq!(rows[0], Line::styled("Title", style(Role::Heading)));
        assert_eq!(
            texts("# Title\n\n## Sub\ntext", 40),
            ["Title", "", "Sub", "", "text"]
        );
        assert_eq!(texts("Setext\n===", 40), ["Setext"]);
    }

    #[test]
    fn blocks_are_apart_by_one_blank_row_and_none_at_the_ends() {
        assert_eq!(texts("\n\na\n\n\n\nb\n\n", 40), ["a", "", "b"]);
        // A block with nothing to show leaves no blank behind.
        assert_eq!(texts("a\n\n```\n```\n", 40), ["a"]);
        assert_eq!(texts("a\n\n```\n```\n\nb", 40), ["a", "", "b"]);
    }

    #[test]
    fn inline_styles_nest() {
        let rows = render("a *em* **strong** ~~gone~~ `code` ***both***", 80, &color());
        let both = style(Role::Emphasis).patch(style(Role::Strong));
        let plain = Style::default();
        assert_eq!(
            rows,
            vec![Line::new(vec![
                Span::new("a ", plain),
                Span::new("em", style(Role::Emphasis)),
                Span::new(" ", plain),
                Span::new("strong", style(Role::Strong)),
                Span::new(" ", plain),
                Span::new("gone", style(Role::Strike)),
                Span::new(" ", plain),
                Span::new("code", style(Role::Code)),
                Span::new(" ", plain),
                Span::new("both", both),
            ])]
        );
    }

    #[test]
    fn links_show_their_url_after_the_text_unless_it_is_the_text() {
        let md = "[docs](https://x.dev/a) and <https://y.dev> and <me@x.y>";
        assert_eq!(
            texts(md, 100),
            ["docs (https://x.dev/a) and https://y.dev and me@x.y"]
        );
        let rows = render(md, 100, &color());
        assert_eq!(rows[0].spans[0], Span::new("docs", style(Role::Link)));
        assert_eq!(
            rows[0].spans[1],
            Span::new(" (https://x.dev/a)", style(Role::LinkUrl))
        );
        assert_eq!(
            texts("![a diagram](d.png)", 100),
            ["a diagram (image: d.png)"]
        );
        // A long URL fills the row and breaks where it must.
        assert_eq!(
            texts("[x](https://example.com/a/long/path)", 16),
            ["x (https://examp", "le.com/a/long/pa", "th)"]
        );
    }

    #[test]
    fn lists_have_bullets_numbers_and_aligned_continuations() {
        assert_eq!(
            texts("- one\n- two\n  - inner\n- three", 40),
            ["• one", "• two", "  • inner", "• three"]
        );
        assert_eq!(texts("3. c\n4. d\n9. e", 40), ["3. c", "4. d", "5. e"]);
        assert_eq!(
            texts("- a long item that wraps", 12),
            ["• a long", "  item that", "  wraps"]
        );
        assert_eq!(
            texts("10. a long item that wraps", 12),
            ["10. a long", "    item", "    that", "    wraps"]
        );
        let rows = render("- one", 40, &color());
        assert_eq!(rows[0].spans[0], Span::new("• ", style(Role::ListMarker)));
        assert_eq!(texts("-\n- x", 40), ["•", "• x"]);
        assert_eq!(
            texts("- a\n\n  ```sh\n  ls\n  ```", 40),
            ["• a", "", "  ── sh", "  ls"]
        );
    }

    #[test]
    fn task_items_show_their_box_and_align_under_the_text() {
        assert_eq!(
            texts("- [x] done\n- [ ] todo with more words", 16),
            ["• [x] done", "• [ ] todo with", "      more words"]
        );
    }

    #[test]
    fn loose_lists_have_blank_rows_between_items() {
        assert_eq!(texts("- a\n\n- b", 40), ["• a", "", "• b"]);
        assert_eq!(texts("- a\n\n  b\n- c", 40), ["• a", "", "  b", "", "• c"]);
        // Loose as a whole, though the first item has no text to show it.
        assert_eq!(texts("-\n- a\n\n  b", 40), ["•", "", "• a", "", "  b"]);
        assert_eq!(texts("- > q\n\n- > r", 40), ["• │ q", "", "• │ r"]);
    }

    #[test]
    fn quotes_have_a_bar_on_every_row_and_nest() {
        assert_eq!(
            texts("> one\n> two\n>\n> > deep\n\nafter", 40),
            ["│ one two", "│", "│ │ deep", "", "after"]
        );
        assert_eq!(texts("> aaa bbb ccc", 9), ["│ aaa bbb", "│ ccc"]);
        let rows = render("> q", 40, &color());
        assert_eq!(
            rows[0],
            Line::new(vec![
                Span::new("│ ", style(Role::QuoteBar)),
                Span::new("q", style(Role::Quote)),
            ])
        );
    }

    #[test]
    fn a_rule_spans_the_width() {
        assert_eq!(texts("a\n\n---\n\nb", 10), ["a", "", "──────────", "", "b"]);
        assert_eq!(texts("> ***", 6), ["│ ────"]);
        let rows = render("***", 3, &color());
        assert_eq!(rows, vec![Line::styled("───", style(Role::Rule))]);
    }

    #[test]
    fn fenced_code_shows_its_language_and_keeps_its_columns() {
        let rows = render("```rust\nfn main() {\n\tlet x = 1;\n}\n```", 40, &color());
        assert_eq!(
            rows,
            vec![
                Line::styled("── rust", style(Role::CodeLang)),
                Line::styled("fn main() {", style(Role::CodeBlock)),
                Line::styled("    let x = 1;", style(Role::CodeBlock)),
                Line::styled("}", style(Role::CodeBlock)),
            ]
        );
        assert_eq!(texts("```rust,ignore extra\nx\n```", 40), ["── rust", "x"]);
        assert_eq!(texts("```\n\n  two\n```", 40), ["", "  two"]);
    }

    #[test]
    fn code_wider_than_the_screen_is_broken_not_wrapped() {
        assert_eq!(
            texts("```\nlet value = compute(alpha, beta);\n```", 12),
            ["let value = ", "compute(alph", "a, beta);"]
        );
        assert_eq!(texts("> ```\n> abcdef\n> ```", 5), ["│ abc", "│ def"]);
    }

    #[test]
    fn indented_code_has_no_language_row() {
        assert_eq!(
            texts("para\n\n    indented code\n", 40),
            ["para", "", "indented code"]
        );
    }

    #[test]
    fn tables_fit_their_columns_and_align_cells() {
        let md = "| name | n |\n|---|--:|\n| apple | 3 |\n| kiwi | 12 |";
        assert_eq!(
            texts(md, 40),
            ["name  │  n", "──────┼───", "apple │  3", "kiwi  │ 12"]
        );
        let rows = render(md, 40, &color());
        assert_eq!(rows[0].spans[0], Span::new("name", style(Role::Strong)));
        assert_eq!(rows[0].spans[2], Span::new(" │ ", style(Role::TableBorder)));
        assert_eq!(
            rows[1],
            Line::styled("──────┼───", style(Role::TableBorder))
        );
        assert_eq!(
            texts("| c |\n|:-:|\n| x |\n| long |", 40),
            [" c", "────", " x", "long"]
        );
    }

    #[test]
    fn narrow_tables_shrink_wide_columns_and_wrap_their_cells() {
        let md = "| key | about |\n|---|---|\n| a | the first letter of it |";
        let rule = format!("{}─┼─{}", "─".repeat(3), "─".repeat(8));
        assert_eq!(
            texts(md, 14),
            [
                "key │ about",
                rule.as_str(),
                "a   │ the",
                "    │ first",
                "    │ letter",
                "    │ of it",
            ]
        );
        for width in 0..20 {
            for row in render(md, width, &color()) {
                assert!(row.width() <= width.max(1), "{width}: {:?}", row.text());
            }
        }
    }

    #[test]
    fn column_widths_share_what_is_left() {
        assert_eq!(fit_columns(&[3, 22], 11), [3, 8]);
        assert_eq!(fit_columns(&[3, 4], 20), [3, 4]);
        assert_eq!(fit_columns(&[10, 10, 10], 10), [4, 3, 3]);
        assert_eq!(fit_columns(&[10, 10], 1), [1, 1]);
    }

    #[test]
    fn html_is_shown_as_text() {
        assert_eq!(texts("<div>\nhi\n</div>", 40), ["<div>", "hi", "</div>"]);
        assert_eq!(texts("a <b>x</b>", 40), ["a <b>x</b>"]);
    }

    #[test]
    fn hard_breaks_start_a_row_and_soft_breaks_are_spaces() {
        assert_eq!(
            texts("line one  \nline two\\\nthree\nsoft", 40),
            ["line one", "line two", "three soft"]
        );
    }

    #[test]
    fn wide_characters_wrap_whole() {
        assert_eq!(
            texts("# 你好世界\n\n- 日本語のテキスト", 7),
            ["你好世", "界", "", "• 日本", "  語の", "  テキ", "  スト"]
        );
    }

    #[test]
    fn half_written_markdown_renders_sensibly() {
        let rows = render("```py\nprint(1)", 40, &color());
        assert_eq!(
            rows,
            vec![
                Line::styled("── py", style(Role::CodeLang)),
                Line::styled("print(1)", style(Role::CodeBlock)),
            ]
        );
        assert_eq!(texts("a **lone", 40), ["a **lone"]);
        assert_eq!(texts("[text](http://x", 40), ["[text](http://x"]);
        assert_eq!(texts("- ", 40), ["•"]);
        assert_eq!(texts("#", 40), Vec::<String>::new());
        assert_eq!(texts("| a | b |\n|--", 40), ["| a | b | |--"]);
    }

    #[test]
    fn no_row_is_wider_than_the_screen() {
        for width in 0..=60 {
            for row in render(DOC, width, &color()) {
                // A wide character alone is two cells even at width 1.
                assert!(row.width() <= width.max(2), "{width}: {:?}", row.text());
                if width >= 2 {
                    assert!(row.width() <= width, "{width}: {:?}", row.text());
                }
            }
        }
    }

    #[test]
    fn escapes_in_model_output_never_reach_a_row() {
        let md = "\x1b[2J# head\x1b]0;x\x07\n\n```\x1b[31m\nrm \x1b[2J\n```\n\n| a\x1b | b |\n|---|---|\n| \x1b[5m | \u{9b}x |\n\n[x](http://e/\x1b[2J) `\x1b` <div>\x1b</div>\n\n- \x1b\n\n> \x07";
        let rows = render(md, 30, &color());
        assert!(rows.len() > 8);
        for row in &rows {
            let t = row.text();
            assert!(!t.chars().any(char::is_control), "{t:?}");
        }
        assert_eq!(texts("\x1b[2J# head", 40), ["␛[2J# head"]);
    }

    #[test]
    fn the_monochrome_theme_uses_no_colour() {
        let rows = render(DOC, 50, &Theme::new(false));
        for span in rows.iter().flat_map(|r| &r.spans) {
            assert_eq!(
                (span.style.fg, span.style.bg),
                (None, None),
                "{:?}",
                span.text
            );
        }
        assert!(rows[0].spans[0].style.bold);
        let text: Vec<String> = rows.iter().map(Line::text).collect();
        assert_eq!(text, texts(DOC, 50));
    }

    /// Feeds `md` in deltas of `step` bytes, rendering after each, and
    /// checks the rows against a one-shot render of what was fed so far.
    fn check_streaming(md: &str, width: usize, step: usize) {
        let theme = color();
        let mut m = Markdown::new();
        let (mut at, mut fed) = (0, 0);
        while at < md.len() {
            at = (at + step).min(md.len());
            while !md.is_char_boundary(at) {
                at += 1;
            }
            m.push_str(&md[fed..at]);
            fed = at;
            let got = m.lines(width, &theme);
            let want = render(&md[..at], width, &theme);
            if got != want {
                let got: Vec<String> = got.iter().map(Line::text).collect();
                let want: Vec<String> = want.iter().map(Line::text).collect();
                panic!("after {:?}\n got {got:#?}\nwant {want:#?}", &md[..at]);
            }
        }
        assert_eq!(m.text(), md);
    }

    #[test]
    fn streaming_renders_what_a_one_shot_render_does_after_every_delta() {
        for (width, step) in [(40, 1), (13, 1), (80, 7), (25, 20)] {
            check_streaming(DOC, width, step);
        }
    }

    #[test]
    fn streaming_matches_on_random_documents() {
        // Lines that change how the lines before them parse: lists turning
        // loose, lazy continuations, setext underlines, tables interrupting
        // paragraphs, fences opened and closed, items in quotes, references.
        const LINES: &[&str] = &[
            "- a",
            "- b **bold** words here",
            "  - nested",
            "    - deeper",
            "1. one",
            "2. two",
            "10) ten",
            "* star",
            "+ plus",
            "",
            "",
            "",
            "text line",
            "  continued",
            "> quote",
            "> - in quote",
            ">",
            "```rust",
            "```",
            "~~~",
            "    indented",
            "| a | b |",
            "|---|---|",
            "| 1 | 2 |",
            "| x |",
            "# head",
            "===",
            "---",
            "***",
            "- [ ] task",
            "- [x] done",
            "<div>",
            "</div>",
            "<!--",
            "-->",
            "  ```",
            "  code in item",
            "  > quote in item",
            "\tx",
            "3. three",
            "-",
            "- ",
            "  ",
            "a\\",
            "hard  ",
            "[link](http://x)",
            "[ref]",
            "`code` and *em*",
            "   - three-space item",
            "  1. nested ordered",
            "  2. more",
            "- a\n\n  second para",
            "1. x\n\n   y",
            "   > q",
            "  *  *  *",
            "- - x",
            "你好 世界",
        ];
        // A fixed-seed LCG: the same documents on every run.
        let mut seed: u64 = 7;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as usize) % n
        };
        for round in 0..60 {
            let n = 3 + next(24);
            let mut doc = (0..n)
                .map(|_| LINES[next(LINES.len())])
                .collect::<Vec<_>>()
                .join("\n");
            // A definition before its uses (after them is the exception).
            if next(3) == 0 {
                doc = format!("[ref]: http://r\n{doc}");
            }
            let doc = doc.replace('\n', ["\n", "\r\n", "\r"][round % 3]);
            check_streaming(&doc, 30, 1);
            check_streaming(&doc, 5 + next(30), 1 + next(4));
        }
    }

    #[test]
    fn tiny_widths_render_every_block_without_panic() {
        let wide = "# 見出し\n\n- 日本語 😀 x\n  1. a\n\n> > 引用\n\n| 二 | b |\n|---|---|\n| 😀 | c |\n\n```\n\t日本\u{1b}[2J\n```\n";
        for doc in [DOC, wide] {
            for width in 0..=6 {
                let mut m = Markdown::new();
                // Streamed in small pieces, then whole: both paths.
                for piece in doc.as_bytes().chunks(7) {
                    m.push_str(&String::from_utf8_lossy(piece));
                    m.lines(width, &color());
                }
                let rows = render(doc, width, &color());
                assert!(!rows.is_empty());
                for r in &rows {
                    assert!(!r.text().contains('\u{1b}'), "{:?}", r.text());
                }
            }
        }
    }

    #[test]
    fn a_block_is_finished_only_when_what_follows_cannot_change_it() {
        // `|` alone ends a table, `| 1` is its next row.
        check_streaming("| a |\n|---|\n| 1 |\n\nafter\n", 20, 1);
        // A table interrupts a paragraph only if its delimiter row fits.
        check_streaming("para\n| x |\n|---|--\n", 20, 1);
        // `\n\n-` starts a loose list's item, `\n\n--` is a paragraph.
        check_streaming("- a\n- b\n\n--\n", 20, 1);
        // A definition's title may come on the next line.
        check_streaming("[r]: http://r\n\"title\"\n\n[r]\n", 20, 1);
    }

    #[test]
    fn references_defined_in_finished_text_resolve_later() {
        let md = "[docs]: https://d.dev\n\npara\n\n- a\n- b\n\nsee [docs]\n\nmore\n";
        check_streaming(md, 40, 1);
        assert_eq!(
            texts(md, 40),
            [
                "para",
                "",
                "• a",
                "• b",
                "",
                "see docs (https://d.dev)",
                "",
                "more"
            ]
        );
    }

    #[test]
    fn a_continued_loose_list_keeps_its_blank_rows() {
        // The last item alone parses as tight; the list is loose.
        let md = "- a\n\n  more\n- b\n  ***\n  c\n- d\n";
        check_streaming(md, 20, 1);
        assert_eq!(
            texts(md, 8),
            [
                "• a",
                "",
                "  more",
                "",
                "• b",
                "",
                "  ──────",
                "",
                "  c",
                "",
                "• d"
            ]
        );
    }

    #[test]
    fn streaming_takes_any_line_ending() {
        for ending in ["\r\n", "\r"] {
            let md = DOC.replace('\n', ending);
            check_streaming(&md, 40, 1);
            check_streaming(&md, 21, 5);
        }
    }

    #[test]
    fn finished_blocks_and_list_items_are_not_parsed_again() {
        let theme = color();
        let mut m = Markdown::new();
        let md = "para one\n\npara two\n\n- a\n- b\n- c\n";
        m.push_str(md);
        let rows = m.rows(30, &theme).to_vec();
        assert_eq!(rows, render(md, 30, &theme));
        // Open from the last item on: the paragraphs and items a and b are
        // kept as rows.
        assert_eq!(m.open, md.find("- c").unwrap());
        assert_eq!(m.done, 6);
        assert_eq!(m.rows[..m.done], rows[..6]);
        // A list that turns loose is rendered again as a whole.
        m.push_str("\n- d\n");
        let md = format!("{md}\n- d\n");
        assert_eq!(m.lines(30, &theme), render(&md, 30, &theme));
        assert_eq!(
            texts(&md, 30)[4..],
            ["• a", "", "• b", "", "• c", "", "• d"]
        );
    }

    #[test]
    fn a_long_code_block_is_not_parsed_again_line_by_line() {
        let theme = color();
        let mut m = Markdown::new();
        let mut md = String::from("text\n\n  ~~~~py\n");
        m.push_str(&md);
        for i in 0..50 {
            let line = format!("  print({i})\n");
            md.push_str(&line);
            m.push_str(&line);
            m.rows(20, &theme);
        }
        assert_eq!(m.lines(20, &theme), render(&md, 20, &theme));
        // The open part is the line being written, after a copy of the fence.
        assert_eq!(m.open, md.len());
        assert_eq!(m.fence.as_deref(), Some("  ~~~~"));
        assert_eq!(m.done, 3 + 50);
        m.push_str("  ~~~~\nafter\n");
        md.push_str("  ~~~~\nafter\n");
        let rows = m.lines(20, &theme);
        assert_eq!(rows, render(&md, 20, &theme));
        assert_eq!(rows.last().map(Line::text).as_deref(), Some("after"));
        assert_eq!(m.fence, None);
    }

    #[test]
    fn a_new_width_renders_everything_again() {
        let theme = color();
        let mut m = Markdown::new();
        let half = DOC.len() / 2;
        m.push_str(&DOC[..half]);
        assert_eq!(m.lines(40, &theme), render(&DOC[..half], 40, &theme));
        assert_eq!(m.lines(20, &theme), render(&DOC[..half], 20, &theme));
        m.push_str(&DOC[half..]);
        assert_eq!(m.lines(20, &theme), render(DOC, 20, &theme));
        assert_eq!(
            m.rows(20, &Theme::new(false)),
            render(DOC, 20, &Theme::new(false))
        );
    }
}
