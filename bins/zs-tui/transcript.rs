//! The transcript: what was said and done, as entries (a user message, a
//! reply, reasoning, one tool call, a notice, ...), built from the
//! wrapper's `--json` event stream or a stored session's lines, and
//! rendered to rows. Each entry caches its rows per width and toggles, so
//! a new delta re-renders only the entry it grows.

use crate::capped::Capped;
use crate::markdown::Markdown;
use crate::style::{Line, Role, Span, Style, Theme};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::time::Instant;
use zerostack::protocol::{Block, Decision, Event, Usage};

/// Output lines shown for an expanded tool call, the first of them from
/// its start and the rest from its end; a row counts what is between.
const MAX_OUTPUT_ROWS: usize = 400;
const OUTPUT_HEAD_ROWS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolStatus {
    /// Waiting for its permission decision.
    Pending,
    Running,
    Done,
    Failed,
    /// Denied, with the reason.
    Denied(String),
}

#[derive(Debug)]
pub struct Tool {
    pub name: String,
    pub key_arg: String,
    pub status: ToolStatus,
    /// When it was allowed (or shown, if no decision came): a duration is
    /// measured from here when the result does not carry one.
    pub started: Instant,
    pub duration_ms: Option<u64>,
    /// What went wrong, in a few words (`exit 2`, `timed out`), for the row.
    pub note: String,
    /// Live output while it runs, then the result's content (their start
    /// and end past a few dozen KB).
    pub output: Capped,
    /// A click's choice for this row; `None` follows Ctrl-O.
    pub expanded: Option<bool>,
}

impl Tool {
    /// A call shown before its decision.
    fn new(name: &str, key_arg: String) -> Tool {
        Tool {
            name: name.to_string(),
            key_arg,
            status: ToolStatus::Pending,
            started: Instant::now(),
            duration_ms: None,
            note: String::new(),
            output: Capped::new(),
            expanded: None,
        }
    }
}

#[derive(Debug)]
pub enum Kind {
    User(String),
    Assistant {
        md: Markdown,
        done: bool,
    },
    Reasoning {
        text: String,
        done: bool,
    },
    Tool(Tool),
    Error(String),
    Notice(String),
    /// `!cmd`: the command, its output so far (its start and end past a
    /// few dozen KB), its exit code once done (`Some(None)`: ended by a
    /// signal).
    Shell {
        cmd: String,
        output: Capped,
        code: Option<Option<i32>>,
    },
    /// `/btw`: the question and the streamed answer.
    Btw {
        question: String,
        answer: Markdown,
        done: bool,
        error: Option<String>,
    },
}

impl Kind {
    /// Whether the entry can still change (inline mode prints only
    /// finished entries into the scrollback).
    pub fn finished(&self) -> bool {
        match self {
            Kind::Assistant { done, .. } | Kind::Reasoning { done, .. } => *done,
            Kind::Btw { done, .. } => *done,
            Kind::Tool(t) => !matches!(t.status, ToolStatus::Pending | ToolStatus::Running),
            Kind::Shell { code, .. } => code.is_some(),
            Kind::User(_) | Kind::Error(_) | Kind::Notice(_) => true,
        }
    }
}

/// How rows were rendered, to know when the cache is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CacheKey {
    width: usize,
    version: u64,
    show_reasoning: bool,
    expand_tools: bool,
}

#[derive(Debug)]
pub struct Entry {
    pub kind: Kind,
    /// A blank row above this entry, to set it apart from the one before.
    gap: bool,
    version: u64,
    cache: Option<(CacheKey, Vec<Line>)>,
}

impl Entry {
    fn touch(&mut self) {
        self.version += 1;
    }
}

/// What a stream line told the app beyond the transcript.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    None,
    /// The session header: its fields (id, name, model, provider, mode...).
    Session(Map<String, Value>),
    /// Later changes of the session's details (`session_meta`).
    Meta(Map<String, Value>),
    /// A model call's usage, with the model and provider that answered.
    Usage {
        usage: Usage,
        model: Option<String>,
        provider: Option<String>,
    },
}

#[derive(Debug)]
pub struct Transcript {
    pub entries: Vec<Entry>,
    pub show_reasoning: bool,
    pub expand_tools: bool,
    pub theme: Theme,
    /// The entries the current round is streaming into.
    cur_text: Option<usize>,
    cur_reasoning: Option<usize>,
    /// Tool rows by call id.
    tools: HashMap<String, usize>,
    /// Inline mode: entries before this one are in the terminal's
    /// scrollback.
    pub committed: usize,
}

impl Transcript {
    pub fn new(theme: Theme) -> Transcript {
        Transcript {
            entries: Vec::new(),
            show_reasoning: true,
            expand_tools: false,
            theme,
            cur_text: None,
            cur_reasoning: None,
            tools: HashMap::new(),
            committed: 0,
        }
    }

    /// Empties the transcript (/clear, loading another session).
    pub fn clear(&mut self) {
        let (show, expand, theme) = (self.show_reasoning, self.expand_tools, self.theme);
        *self = Transcript::new(theme);
        self.show_reasoning = show;
        self.expand_tools = expand;
    }

    pub fn push(&mut self, kind: Kind) -> usize {
        let gap = self
            .entries
            .last()
            .is_some_and(|p| gap_between(&p.kind, &kind));
        self.entries.push(Entry {
            kind,
            gap,
            version: 0,
            cache: None,
        });
        self.entries.len() - 1
    }

    pub fn user(&mut self, text: &str) -> usize {
        self.end_round();
        self.push(Kind::User(text.to_string()))
    }

    pub fn notice(&mut self, text: impl Into<String>) -> usize {
        self.push(Kind::Notice(text.into()))
    }

    pub fn error(&mut self, text: impl Into<String>) -> usize {
        self.push(Kind::Error(text.into()))
    }

    pub fn get_mut(&mut self, i: usize) -> Option<&mut Kind> {
        let e = self.entries.get_mut(i)?;
        e.touch();
        Some(&mut e.kind)
    }

    /// The current round is over (a run ended): nothing streams into the
    /// entries it left, and anything left running is marked as stopped.
    pub fn end_round(&mut self) {
        for i in [self.cur_text.take(), self.cur_reasoning.take()]
            .into_iter()
            .flatten()
        {
            if let Some(Kind::Assistant { done, .. } | Kind::Reasoning { done, .. }) =
                self.get_mut(i)
            {
                *done = true;
            }
        }
        let open: Vec<usize> = self.tools.drain().map(|(_, i)| i).collect();
        for i in open {
            if let Some(Kind::Tool(t)) = self.get_mut(i)
                && matches!(t.status, ToolStatus::Pending | ToolStatus::Running)
            {
                t.status = ToolStatus::Failed;
                t.note = "stopped".into();
                t.duration_ms = Some(t.started.elapsed().as_millis() as u64);
            }
        }
    }

    /// Applies one line of the event stream. `history`: the line comes
    /// from a stored session (its `user` lines are shown; in a live run
    /// the user's message is already on screen when the wrapper echoes it).
    pub fn apply(&mut self, line: &str, history: bool) -> Applied {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            return Applied::None;
        };
        let kind = v.get("type").and_then(Value::as_str).unwrap_or("");
        match kind {
            "session" => {
                return Applied::Session(v.as_object().cloned().unwrap_or_default());
            }
            "session_meta" => return Applied::Meta(v.as_object().cloned().unwrap_or_default()),
            "user" => {
                if history && let Some(t) = v.get("text").and_then(Value::as_str) {
                    self.user(t);
                }
            }
            "text_delta" => {
                if let Some(t) = v.get("text").and_then(Value::as_str) {
                    self.text_delta(t);
                }
            }
            "reasoning_delta" => {
                if let Some(t) = v.get("text").and_then(Value::as_str) {
                    self.reasoning_delta(t);
                }
            }
            "assistant" | "tool_result" | "permission" | "tool_output" | "retry" | "error"
            | "compaction" => {
                // The typed events check the fields this needs; a line the
                // types refuse is not shown rather than half shown.
                if let Ok(ev) = serde_json::from_value::<Event>(v) {
                    return self.apply_event(ev);
                }
            }
            _ => {}
        }
        Applied::None
    }

    fn apply_event(&mut self, ev: Event) -> Applied {
        match ev {
            Event::Assistant(a) => {
                self.assistant(&a.content);
                if a.stop == zerostack::protocol::StopReason::Length {
                    self.notice("the reply reached the output token limit");
                }
                return Applied::Usage {
                    usage: a.usage,
                    model: a.model,
                    provider: a.provider,
                };
            }
            Event::Permission(p) => {
                let Some(&i) = self.tools.get(&p.call_id) else {
                    return Applied::None;
                };
                if let Some(Kind::Tool(t)) = self.get_mut(i) {
                    match p.decision {
                        Decision::Allow => {
                            t.status = ToolStatus::Running;
                            t.started = Instant::now();
                        }
                        Decision::Deny => {
                            let reason = p.reason.unwrap_or_else(|| format!("denied by {}", p.by));
                            t.status = ToolStatus::Denied(reason);
                        }
                    }
                }
            }
            Event::ToolOutput(o) => {
                if let Some(&i) = self.tools.get(&o.call_id)
                    && let Some(Kind::Tool(t)) = self.get_mut(i)
                {
                    t.output.push_str(&o.text);
                }
            }
            Event::ToolResult(r) => {
                let i = match self.tools.remove(&r.call_id) {
                    Some(i) => i,
                    // A result without its call on screen (history that
                    // starts after a compaction): a row of its own.
                    None => self.push(Kind::Tool(Tool::new(&r.name, String::new()))),
                };
                if let Some(Kind::Tool(t)) = self.get_mut(i) {
                    // A denied call never ran: no duration, and its row
                    // keeps the reason.
                    if !matches!(t.status, ToolStatus::Denied(_)) {
                        let ms = r.extra.get("duration_ms").and_then(Value::as_u64);
                        t.duration_ms =
                            Some(ms.unwrap_or_else(|| t.started.elapsed().as_millis() as u64));
                        t.note = failure_note(&r.extra, r.is_error, &r.content);
                        t.status = if r.is_error || !t.note.is_empty() {
                            ToolStatus::Failed
                        } else {
                            ToolStatus::Done
                        };
                    }
                    t.output.set(&r.content);
                }
            }
            Event::Retry(r) => {
                self.notice(format!(
                    "retrying in {:.1}s (attempt {} of {}): {}",
                    r.delay_ms as f64 / 1000.0,
                    r.attempt,
                    r.max_attempts,
                    r.reason
                ));
            }
            Event::Error(e) => {
                self.error(e.message);
            }
            Event::Compaction(_) => {
                self.notice("compacted");
            }
            _ => {}
        }
        Applied::None
    }

    fn text_delta(&mut self, t: &str) {
        let i = self.streaming(true);
        if let Some(Kind::Assistant { md, .. }) = self.get_mut(i) {
            md.push_str(t);
        }
    }

    fn reasoning_delta(&mut self, t: &str) {
        let i = self.streaming(false);
        if let Some(Kind::Reasoning { text, .. }) = self.get_mut(i) {
            text.push_str(t);
        }
    }

    /// The entry the round's text (or reasoning) streams into, made at
    /// its first delta.
    fn streaming(&mut self, text: bool) -> usize {
        let cur = if text {
            self.cur_text
        } else {
            self.cur_reasoning
        };
        if let Some(i) = cur {
            return i;
        }
        let i = self.push(if text {
            Kind::Assistant {
                md: Markdown::new(),
                done: false,
            }
        } else {
            Kind::Reasoning {
                text: String::new(),
                done: false,
            }
        });
        if text {
            self.cur_text = Some(i);
        } else {
            self.cur_reasoning = Some(i);
        }
        i
    }

    /// The whole message: its text replaces what was streamed, its tool
    /// calls become rows.
    fn assistant(&mut self, content: &[Block]) {
        let mut reasoning = String::new();
        let mut text = String::new();
        for b in content {
            match b {
                Block::Reasoning(r) => reasoning.push_str(&r.text),
                Block::Text(t) => text.push_str(&t.text),
                Block::ToolCall(_) => {}
            }
        }
        match self.cur_reasoning.take() {
            Some(i) => {
                if let Some(Kind::Reasoning { text: t, done }) = self.get_mut(i) {
                    if !reasoning.is_empty() {
                        *t = reasoning;
                    }
                    *done = true;
                }
            }
            None if !reasoning.trim().is_empty() => {
                self.push(Kind::Reasoning {
                    text: reasoning,
                    done: true,
                });
            }
            None => {}
        }
        match self.cur_text.take() {
            Some(i) => {
                if let Some(Kind::Assistant { md, done }) = self.get_mut(i) {
                    if md.text() != text {
                        let mut m = Markdown::new();
                        m.push_str(&text);
                        *md = m;
                    }
                    *done = true;
                }
            }
            None if !text.trim().is_empty() => {
                let mut md = Markdown::new();
                md.push_str(&text);
                self.push(Kind::Assistant { md, done: true });
            }
            None => {}
        }
        for b in content {
            if let Block::ToolCall(c) = b {
                let key_arg = key_argument(&c.name, &c.arguments);
                let i = self.push(Kind::Tool(Tool::new(&c.name, key_arg)));
                self.tools.insert(c.id.clone(), i);
            }
        }
    }

    /// Whether a tool row shows its output now.
    fn tool_expanded(&self, t: &Tool) -> bool {
        t.expanded.unwrap_or(self.expand_tools)
    }

    /// Toggles one tool row (a click on it); false if `i` is no tool.
    pub fn toggle_tool(&mut self, i: usize) -> bool {
        let global = self.expand_tools;
        match self.get_mut(i) {
            Some(Kind::Tool(t)) => {
                t.expanded = Some(!t.expanded.unwrap_or(global));
                true
            }
            _ => false,
        }
    }

    /// Ctrl-O: every tool row follows the new global choice.
    pub fn toggle_all_tools(&mut self) {
        self.expand_tools = !self.expand_tools;
        for e in &mut self.entries {
            if let Kind::Tool(t) = &mut e.kind
                && t.expanded.take().is_some()
            {
                e.version += 1;
            }
        }
    }

    /// The rows of entry `i` at `width`, from the cache when still good.
    pub fn rows(&mut self, i: usize, width: usize) -> &[Line] {
        let key = CacheKey {
            width,
            version: self.entries[i].version,
            show_reasoning: self.show_reasoning,
            expand_tools: self.expand_tools,
        };
        let fresh = matches!(&self.entries[i].cache, Some((k, _)) if *k == key);
        if !fresh {
            let theme = self.theme;
            let show = self.show_reasoning;
            let expanded = match &self.entries[i].kind {
                Kind::Tool(t) => self.tool_expanded(t),
                _ => false,
            };
            let e = &mut self.entries[i];
            let mut rows = Vec::new();
            if e.gap {
                rows.push(Line::default());
            }
            render(&mut e.kind, width.max(1), &theme, show, expanded, &mut rows);
            e.cache = Some((key, rows));
        }
        match &self.entries[i].cache {
            Some((_, rows)) => rows,
            None => &[],
        }
    }
}

/// Whether a blank row separates `cur` from `prev`: around messages, not
/// between the tool rows and notices of one step.
fn gap_between(prev: &Kind, cur: &Kind) -> bool {
    let small = |k: &Kind| matches!(k, Kind::Tool(_) | Kind::Notice(_) | Kind::Error(_));
    match cur {
        Kind::User(_) | Kind::Btw { .. } | Kind::Shell { .. } => true,
        Kind::Assistant { .. } | Kind::Reasoning { .. } => true,
        Kind::Tool(_) => !small(prev),
        Kind::Notice(_) | Kind::Error(_) => !small(prev) && !matches!(prev, Kind::Shell { .. }),
    }
}

/// The argument that says what a call does: the command, the path, the
/// pattern, the URL.
pub fn key_argument(tool: &str, args: &Value) -> String {
    let get = |k: &str| args.get(k).and_then(Value::as_str).map(str::to_string);
    let found = match tool {
        "bash" => get("command"),
        "grep" | "find_files" => get("pattern"),
        "webfetch" => get("url"),
        "websearch" => get("query"),
        "read" | "write" | "edit" | "multiedit" | "list_dir" => get("path"),
        "apply_patch" => get("patch").and_then(|p| {
            p.lines().find_map(|l| {
                ["*** Update File: ", "*** Add File: ", "*** Delete File: "]
                    .iter()
                    .find_map(|h| l.strip_prefix(h))
                    .map(str::to_string)
            })
        }),
        "todo_write" => args
            .get("todos")
            .and_then(Value::as_array)
            .map(|t| format!("{} items", t.len())),
        _ => None,
    };
    let s = found
        .or_else(|| {
            // Any other tool (MCP, later ones): its first string argument.
            args.as_object()?
                .values()
                .find_map(|v| v.as_str().map(str::to_string))
        })
        .or_else(|| args.as_str().map(str::to_string))
        .unwrap_or_default();
    one_line(&s)
}

/// Why a result counts as failed, in a few words: a command's non-zero
/// exit (zs-tool reports it as data, not as an error), a timeout, an
/// interrupt, else the first line of an error's text.
fn failure_note(extra: &Map<String, Value>, is_error: bool, content: &str) -> String {
    if extra.get("timed_out").and_then(Value::as_bool) == Some(true) {
        return "timed out".into();
    }
    if extra.get("interrupted").and_then(Value::as_bool) == Some(true) {
        return "interrupted".into();
    }
    match extra.get("exit_code").and_then(Value::as_i64) {
        Some(0) | None => {}
        Some(n) => return format!("exit {n}"),
    }
    if is_error {
        one_line(content)
    } else {
        String::new()
    }
}

/// The first line of `s`, with `…` when there was more.
fn one_line(s: &str) -> String {
    let t = s.trim();
    match t.split_once('\n') {
        Some((first, _)) => format!("{}…", first.trim_end()),
        None => t.to_string(),
    }
}

/// A duration as people read it: `12ms`, `1.2s`, `3m05s`.
pub fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        format!("{}m{:02}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// Wraps plain text (several lines) into rows of `width` cells, each row
/// starting with `first` (the first row) or `rest` (the others).
pub fn wrap_text(text: &str, width: usize, style: Style, first: &str, rest: &str) -> Vec<Line> {
    let indent = crate::wrap::width(first).max(crate::wrap::width(rest));
    let inner = width.saturating_sub(indent).max(1);
    let mut out = Vec::new();
    for logical in text.split('\n') {
        let logical = logical.trim_end_matches('\r');
        let rows = crate::wrap::wrap(&Line::styled(logical.replace('\t', "    "), style), inner);
        let rows = if rows.is_empty() {
            vec![Line::default()]
        } else {
            rows
        };
        for r in rows {
            let prefix = if out.is_empty() { first } else { rest };
            out.push(prefixed(prefix, style, r));
        }
    }
    out
}

fn prefixed(prefix: &str, style: Style, row: Line) -> Line {
    let mut spans = Vec::with_capacity(row.spans.len() + 1);
    if !prefix.is_empty() {
        spans.push(Span::new(prefix, style));
    }
    spans.extend(row.spans);
    Line { spans }
}

/// Markdown rows indented by `indent` spaces.
fn indented(rows: Vec<Line>, indent: &str) -> impl Iterator<Item = Line> + '_ {
    rows.into_iter()
        .map(move |r| prefixed(indent, Style::default(), r))
}

fn render(
    kind: &mut Kind,
    width: usize,
    theme: &Theme,
    show_reasoning: bool,
    expanded: bool,
    out: &mut Vec<Line>,
) {
    match kind {
        Kind::User(text) => {
            out.extend(wrap_text(text, width, theme.style(Role::User), "› ", "  "));
        }
        Kind::Assistant { md, .. } => out.extend(md.lines(width, theme)),
        Kind::Reasoning { text, .. } => {
            let style = theme.style(Role::Reasoning);
            let text = text.trim();
            if show_reasoning {
                out.extend(wrap_text(text, width, style, "", ""));
            } else {
                let n = text.lines().count();
                let row = format!(
                    "thinking ({n} line{}, Ctrl-T to show)",
                    if n == 1 { "" } else { "s" }
                );
                out.push(crate::view::fit(&Line::styled(row, style), width));
            }
        }
        Kind::Tool(t) => render_tool(t, width, theme, expanded, out),
        Kind::Error(msg) => {
            out.extend(wrap_text(
                &format!("error: {msg}"),
                width,
                theme.style(Role::Error),
                "",
                "  ",
            ));
        }
        Kind::Notice(msg) => {
            out.extend(wrap_text(msg, width, theme.style(Role::Notice), "", ""));
        }
        Kind::Shell { cmd, output, code } => {
            out.extend(wrap_text(cmd, width, theme.style(Role::User), "! ", "  "));
            let output = output.text();
            let body = output.strip_suffix('\n').unwrap_or(&output);
            if !body.is_empty() {
                out.extend(wrap_text(body, width, Style::default(), "  ", "  "));
            }
            match code {
                // Still running: say so below what it printed so far.
                None => out.push(crate::view::fit(
                    &Line::styled("  … running (Ctrl-C stops it)", theme.style(Role::Notice)),
                    width,
                )),
                Some(Some(0)) => {}
                Some(Some(n)) => {
                    out.push(Line::styled(format!("exit {n}"), theme.style(Role::Error)))
                }
                Some(None) => out.push(Line::styled("killed", theme.style(Role::Error))),
            }
        }
        Kind::Btw {
            question,
            answer,
            error,
            ..
        } => {
            out.extend(wrap_text(
                question,
                width,
                theme.style(Role::User),
                "btw › ",
                "      ",
            ));
            let rows = answer.lines(width.saturating_sub(2).max(1), theme);
            out.extend(indented(rows, "  "));
            if let Some(e) = error {
                out.extend(wrap_text(e, width, theme.style(Role::Notice), "  ", "  "));
            }
        }
    }
}

fn render_tool(t: &Tool, width: usize, theme: &Theme, expanded: bool, out: &mut Vec<Line>) {
    let (icon, role) = match &t.status {
        ToolStatus::Pending | ToolStatus::Running => ("…", Role::ToolRunning),
        ToolStatus::Done => ("✓", Role::ToolOk),
        ToolStatus::Failed => ("✗", Role::ToolError),
        ToolStatus::Denied(_) => ("⊘", Role::ToolDenied),
    };
    let notice = theme.style(Role::Notice);
    // After the key argument: the status (why it failed, why it was
    // denied) and the duration, at the row's end.
    let status = match &t.status {
        ToolStatus::Denied(reason) => one_line(reason),
        ToolStatus::Failed => t.note.clone(),
        // The last line a running call printed, so a long one shows life.
        ToolStatus::Running if !expanded => t
            .output
            .last_line()
            .map(|l| l.trim().to_string())
            .unwrap_or_default(),
        _ => String::new(),
    };
    let dur = t.duration_ms.map(duration).unwrap_or_default();
    let head = format!("{icon} {}", t.name);
    let w = crate::wrap::width;
    let fixed = w(&head) + if dur.is_empty() { 0 } else { 2 + w(&dur) };
    let room = width.saturating_sub(fixed);
    let arg_w = w(&t.key_arg);
    // The argument first, but a status keeps at least a few cells; a
    // denial's reason takes what is left and is cut at the row's end.
    let (arg_room, status_room) = if status.is_empty() {
        (room.saturating_sub(1), 0)
    } else {
        let status_min = w(&status).min((room / 3).max(8));
        let arg_room = (arg_w + 1)
            .min(room.saturating_sub(status_min + 2))
            .saturating_sub(1);
        let used = if arg_room > 0 { arg_room + 1 } else { 0 };
        (arg_room, room.saturating_sub(used + 2))
    };
    let arg = crate::view::cut(&t.key_arg, arg_room);
    let mut spans = vec![
        Span::new(icon, theme.style(role)),
        Span::new(
            format!(" {}", t.name),
            Style {
                bold: true,
                ..Style::default()
            },
        ),
    ];
    if !arg.is_empty() {
        spans.push(Span::new(format!(" {arg}"), Style::default()));
    }
    if !status.is_empty() && status_room > 0 {
        let st = match t.status {
            ToolStatus::Failed => theme.style(Role::ToolError),
            ToolStatus::Denied(_) => theme.style(Role::ToolDenied),
            _ => notice,
        };
        spans.push(Span::new(
            format!("  {}", crate::view::cut(&status, status_room)),
            st,
        ));
    }
    if !dur.is_empty() {
        spans.push(Span::new(format!("  {dur}"), notice));
    }
    out.push(crate::view::fit(&Line { spans }, width));
    if !expanded {
        return;
    }
    let output = t.output.text();
    let body = output.trim_end_matches(['\n', '\r']);
    if body.is_empty() {
        out.push(Line::styled("    (no output)", notice));
        return;
    }
    let diff = matches!(
        t.name.as_str(),
        "edit" | "multiedit" | "apply_patch" | "write"
    );
    let lines: Vec<&str> = body.split('\n').collect();
    // A long output shows its start and, where errors and summaries tend
    // to be, its end.
    let (head, tail) = if lines.len() > MAX_OUTPUT_ROWS {
        (OUTPUT_HEAD_ROWS, MAX_OUTPUT_ROWS - OUTPUT_HEAD_ROWS)
    } else {
        (lines.len(), 0)
    };
    let line = |out: &mut Vec<Line>, l: &str| {
        let style = if diff {
            diff_style(l, theme)
        } else {
            Style::default()
        };
        out.extend(wrap_text(l, width, style, "    ", "    "));
    };
    for l in &lines[..head] {
        line(out, l);
    }
    if tail > 0 {
        // The lines between, and what the transcript did not keep of them.
        let dropped = t
            .output
            .dropped()
            .map_or_else(String::new, |d| format!(" ({d} more not kept)"));
        out.push(Line::styled(
            format!("    … {} more lines{dropped} …", lines.len() - head - tail),
            notice,
        ));
        for l in &lines[lines.len() - tail..] {
            line(out, l);
        }
    }
}

fn diff_style(line: &str, theme: &Theme) -> Style {
    if line.starts_with("+++") || line.starts_with("---") {
        theme.style(Role::Strong)
    } else if line.starts_with('+') {
        theme.style(Role::ToolOk)
    } else if line.starts_with('-') {
        theme.style(Role::ToolError)
    } else if line.starts_with("@@") {
        theme.style(Role::ListMarker)
    } else {
        Style::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(t: &mut Transcript, width: usize) -> Vec<String> {
        let mut out = Vec::new();
        for i in 0..t.entries.len() {
            out.extend(t.rows(i, width).iter().map(Line::text));
        }
        out
    }

    fn feed(t: &mut Transcript, lines: &[&str]) -> Vec<Applied> {
        lines.iter().map(|l| t.apply(l, false)).collect()
    }

    #[test]
    fn a_round_with_a_tool_call_becomes_text_and_a_tool_row() {
        let mut t = Transcript::new(Theme::new(false));
        t.user("show notes");
        let applied = feed(
            &mut t,
            &[
                r#"{"type":"session","version":1,"id":"s1","model":"m"}"#,
                r#"{"type":"user","text":"show notes"}"#,
                r#"{"type":"text_delta","text":"Let me "}"#,
                r#"{"type":"text_delta","text":"look."}"#,
                r#"{"type":"assistant","content":[{"type":"text","text":"Let me look."},{"type":"tool_call","id":"c1","name":"bash","arguments":{"command":"cat notes.txt"}}],"stop":"tool_calls","usage":{"input":100,"output":5}}"#,
                r#"{"type":"permission","call_id":"c1","decision":"allow","by":"mode"}"#,
                r#"{"type":"tool_output","call_id":"c1","text":"one\n"}"#,
                r#"{"type":"tool_result","call_id":"c1","name":"bash","content":"one\ntwo\n","is_error":false,"duration_ms":12}"#,
            ],
        );
        assert!(matches!(&applied[0], Applied::Session(m) if m["id"] == "s1"));
        assert!(matches!(&applied[4], Applied::Usage { usage, .. } if usage.input == 100));
        assert_eq!(
            texts(&mut t, 40),
            [
                "› show notes",
                "",
                "Let me look.",
                "",
                "✓ bash cat notes.txt  12ms"
            ]
        );
        t.toggle_all_tools();
        let rows = texts(&mut t, 40);
        assert_eq!(rows[rows.len() - 2..], ["    one", "    two"]);
    }

    #[test]
    fn denied_and_failed_calls_show_why() {
        let mut t = Transcript::new(Theme::new(false));
        feed(
            &mut t,
            &[
                r#"{"type":"assistant","content":[{"type":"tool_call","id":"a","name":"bash","arguments":{"command":"curl https://x"}},{"type":"tool_call","id":"b","name":"read","arguments":{"path":"nope.txt"}}],"stop":"tool_calls"}"#,
                r#"{"type":"permission","call_id":"a","decision":"deny","by":"policy","reason":"standard mode asks for curl"}"#,
                r#"{"type":"permission","call_id":"b","decision":"allow","by":"mode"}"#,
            ],
        );
        assert_eq!(texts(&mut t, 60)[1], "… read nope.txt");
        feed(
            &mut t,
            &[
                r#"{"type":"tool_result","call_id":"a","name":"bash","content":"denied","is_error":true,"duration_ms":0}"#,
                r#"{"type":"tool_result","call_id":"b","name":"read","content":"no such file\nmore","is_error":true,"duration_ms":3}"#,
            ],
        );
        assert_eq!(
            texts(&mut t, 60),
            [
                "⊘ bash curl https://x  standard mode asks for curl",
                "✗ read nope.txt  no such file…  3ms"
            ]
        );
        // Cut to the row.
        let rows = texts(&mut t, 30);
        assert_eq!(rows[0], "⊘ bash curl https:/…  standar…");
        // A command's non-zero exit is a failure too, said before the
        // duration.
        t.apply(
            r#"{"type":"assistant","content":[{"type":"tool_call","id":"e","name":"bash","arguments":{"command":"ls nope"}}],"stop":"tool_calls"}"#,
            false,
        );
        t.apply(
            r#"{"type":"tool_result","call_id":"e","name":"bash","content":"ls: nope\n[exit code 2]\n","is_error":false,"exit_code":2,"duration_ms":8}"#,
            false,
        );
        assert_eq!(texts(&mut t, 60)[2], "✗ bash ls nope  exit 2  8ms");
        // Narrow: the status wins over the argument.
        assert_eq!(texts(&mut t, 20)[2], "✗ bash  exit 2  8ms");
    }

    #[test]
    fn streamed_text_is_replaced_by_the_final_message() {
        let mut t = Transcript::new(Theme::new(false));
        feed(
            &mut t,
            &[
                r#"{"type":"reasoning_delta","text":"hmm\nyes"}"#,
                r#"{"type":"text_delta","text":"Hel"}"#,
            ],
        );
        assert!(!t.entries[1].kind.finished());
        feed(
            &mut t,
            &[
                r#"{"type":"assistant","content":[{"type":"reasoning","text":"hmm\nyes"},{"type":"text","text":"Hello"}],"stop":"end"}"#,
            ],
        );
        assert_eq!(texts(&mut t, 40), ["hmm", "yes", "", "Hello"]);
        assert!(t.entries.iter().all(|e| e.kind.finished()));
        t.show_reasoning = false;
        assert_eq!(
            texts(&mut t, 40),
            ["thinking (2 lines, Ctrl-T to show)", "", "Hello"]
        );
    }

    #[test]
    fn history_shows_user_lines_and_results_without_calls() {
        let mut t = Transcript::new(Theme::new(false));
        for l in [
            r#"{"type":"session","version":1,"id":"s"}"#,
            r#"{"type":"user","text":"hi\nthere"}"#,
            r#"{"type":"compaction","summary":"x","first_kept":3}"#,
            r#"{"type":"tool_result","call_id":"z","name":"read","content":"x","is_error":false}"#,
            r#"{"type":"mystery","text":"?"}"#,
            "not json",
        ] {
            t.apply(l, true);
        }
        let rows = texts(&mut t, 40);
        assert_eq!(rows[..3], ["› hi", "  there", ""]);
        assert_eq!(rows[3], "compacted");
        assert!(rows[4].starts_with("✓ read"), "{rows:?}");
    }

    #[test]
    fn errors_retries_and_an_unfinished_round() {
        let mut t = Transcript::new(Theme::new(false));
        feed(
            &mut t,
            &[
                r#"{"type":"retry","source":"zs-chat","attempt":2,"max_attempts":5,"delay_ms":1500,"reason":"HTTP 529"}"#,
                r#"{"type":"error","source":"zs-chat","message":"the provider failed","fatal":true}"#,
                r#"{"type":"assistant","content":[{"type":"tool_call","id":"c","name":"bash","arguments":{"command":"sleep 9"}}],"stop":"tool_calls"}"#,
            ],
        );
        t.end_round();
        let rows = texts(&mut t, 60);
        assert_eq!(rows[0], "retrying in 1.5s (attempt 2 of 5): HTTP 529");
        assert_eq!(rows[1], "error: the provider failed");
        assert_eq!(rows[2], "✗ bash sleep 9  stopped  0ms");
    }

    #[test]
    fn a_running_call_shows_its_last_line_of_output() {
        let mut t = Transcript::new(Theme::new(false));
        feed(
            &mut t,
            &[
                r#"{"type":"assistant","content":[{"type":"tool_call","id":"c","name":"bash","arguments":{"command":"make"}}],"stop":"tool_calls"}"#,
                r#"{"type":"permission","call_id":"c","decision":"allow","by":"mode"}"#,
                r#"{"type":"tool_output","call_id":"c","text":"cc a.c\ncc b.c\n\n"}"#,
            ],
        );
        assert_eq!(texts(&mut t, 40), ["… bash make  cc b.c"]);
        t.toggle_all_tools();
        assert_eq!(
            texts(&mut t, 40),
            ["… bash make", "    cc a.c", "    cc b.c"]
        );
    }

    #[test]
    fn a_tool_that_prints_without_end_keeps_a_bounded_output() {
        let mut t = Transcript::new(Theme::new(false));
        feed(
            &mut t,
            &[
                r#"{"type":"assistant","content":[{"type":"tool_call","id":"c","name":"bash","arguments":{"command":"yes"}}],"stop":"tool_calls"}"#,
                r#"{"type":"permission","call_id":"c","decision":"allow","by":"mode"}"#,
            ],
        );
        let line = r#"{"type":"tool_output","call_id":"c","text":"y\ny\ny\ny\ny\ny\ny\ny\n"}"#;
        for _ in 0..100_000 {
            t.apply(line, false);
        }
        t.apply(
            r#"{"type":"tool_output","call_id":"c","text":"the last line\n"}"#,
            false,
        );
        assert_eq!(texts(&mut t, 40), ["… bash yes  the last line"]);
        let Kind::Tool(tool) = &t.entries[0].kind else {
            panic!("a tool row")
        };
        assert_eq!(tool.output.seen(), 1_600_000 + 14);
        assert!(tool.output.text().len() < 128 * 1024);
        t.toggle_all_tools();
        let rows = texts(&mut t, 40);
        assert_eq!(rows.len(), 1 + 400 + 1, "the row, 400 lines, a note");
        assert_eq!(rows[1], "    y");
        let note = &rows[101];
        assert!(note.starts_with("    … "), "{note}");
        assert!(
            note.ends_with(" more lines (1.5 MB more not kept) …"),
            "{note}"
        );
        assert_eq!(rows.last().unwrap(), "    the last line");
    }

    #[test]
    fn user_rows_wrap_by_cells_with_wide_characters() {
        let mut t = Transcript::new(Theme::new(false));
        t.user("日本語のテキスト and more");
        let rows = texts(&mut t, 10);
        assert_eq!(rows, ["› 日本語の", "  テキスト", "  and more"]);
        for r in &rows {
            assert!(crate::wrap::width(r) <= 10, "{r:?}");
        }
    }

    #[test]
    fn a_code_block_in_a_reply_keeps_its_language_row_and_columns() {
        let mut t = Transcript::new(Theme::new(false));
        t.apply(
            r#"{"type":"text_delta","text":"Run:\n\n```rust\nlet x  =  1;\n```\n"}"#,
            false,
        );
        let rows = texts(&mut t, 30);
        let lang = rows
            .iter()
            .position(|r| r.trim_start() == "── rust")
            .unwrap();
        assert!(rows[lang + 1].contains("let x  =  1;"), "{rows:?}");
    }

    #[test]
    fn key_arguments_by_tool() {
        let k = |n, v: &str| key_argument(n, &serde_json::from_str(v).unwrap());
        assert_eq!(k("read", r#"{"path":"a.rs","offset":3}"#), "a.rs");
        assert_eq!(
            k("grep", r#"{"path":"src","pattern":"fn main"}"#),
            "fn main"
        );
        assert_eq!(k("webfetch", r#"{"url":"https://x"}"#), "https://x");
        assert_eq!(k("bash", r#"{"command":"cd x\nmake"}"#), "cd x…");
        assert_eq!(
            k(
                "apply_patch",
                r#"{"patch":"*** Begin Patch\n*** Update File: b.rs\n"}"#
            ),
            "b.rs"
        );
        assert_eq!(k("mcp_thing", r#"{"n":1,"q":"z"}"#), "z");
        assert_eq!(k("bash", r#""{not json""#), "{not json");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(12), "12ms");
        assert_eq!(duration(1250), "1.2s");
        assert_eq!(duration(65_000), "1m05s");
    }

    #[test]
    fn shell_and_btw_entries() {
        let mut t = Transcript::new(Theme::new(false));
        t.push(Kind::Shell {
            cmd: "ls x".into(),
            output: Capped::from("a\nb\n"),
            code: Some(Some(2)),
        });
        let mut answer = Markdown::new();
        answer.push_str("Because.");
        t.push(Kind::Btw {
            question: "why?".into(),
            answer,
            done: true,
            error: None,
        });
        assert_eq!(
            texts(&mut t, 40),
            [
                "! ls x",
                "  a",
                "  b",
                "exit 2",
                "",
                "btw › why?",
                "  Because."
            ]
        );
    }

    #[test]
    fn a_running_shell_command_says_so_until_it_ends() {
        let mut t = Transcript::new(Theme::new(false));
        let i = t.push(Kind::Shell {
            cmd: "make".into(),
            output: Capped::from("cc a.c\n"),
            code: None,
        });
        assert_eq!(
            texts(&mut t, 40),
            ["! make", "  cc a.c", "  … running (Ctrl-C stops it)"]
        );
        if let Some(Kind::Shell { code, .. }) = t.get_mut(i) {
            *code = Some(Some(0));
        }
        assert_eq!(texts(&mut t, 40), ["! make", "  cc a.c"]);
    }

    #[test]
    fn the_cache_follows_changes() {
        let mut t = Transcript::new(Theme::new(false));
        t.apply(r#"{"type":"text_delta","text":"a"}"#, false);
        assert_eq!(texts(&mut t, 10), ["a"]);
        t.apply(r#"{"type":"text_delta","text":"b"}"#, false);
        assert_eq!(texts(&mut t, 10), ["ab"]);
    }
}
