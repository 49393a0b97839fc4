//! Progress lines for people, written on stderr by `zs-session record
//! --progress` as a turn's stream passes through it: `record` is the one
//! stage that sees every event, so the wrapper needs no JSON parsing of its
//! own. One line when a tool call starts (its name and key argument), one
//! when its result comes (ok, error, denied or interrupted, with the first
//! line of the output), and one per model retry:
//!
//! ```text
//! - write notes.txt
//!   ok: Created 'notes.txt' (1 line, 6 B)
//! - bash rm -rf build
//!   denied: readonly mode denies bash
//! ```
//!
//! zs-tool runs the calls of a message in order and writes their results
//! in that order, so a call is shown as started when its message arrives
//! (the first call) or when the result before it came (the others): a long
//! command is named while it runs. An outcome that does not follow its own
//! call's line repeats the call's label. Progress is best effort: a line
//! that does not parse is skipped here (the recording side reports it),
//! and a failed write to stderr is ignored.

use std::io::Write;
use zerostack::protocol::{Block, Decision, Event};

/// The longest key argument or output line shown, in characters.
const MAX_CHARS: usize = 100;

/// The argument that says what a call does, by the names tools give it.
const KEY_ARGS: &[&str] = &[
    "command",
    "path",
    "file_path",
    "pattern",
    "url",
    "query",
    "patch",
];

pub struct Progress<W: Write> {
    out: W,
    /// Calls seen and not yet answered, in order: id, label, and whether
    /// its start line was written.
    pending: Vec<(String, String, bool)>,
    /// Denied calls: id and the reason given.
    denied: Vec<(String, String)>,
    /// The call whose start line was the last line written.
    last_started: Option<String>,
}

impl<W: Write> Progress<W> {
    pub fn new(out: W) -> Progress<W> {
        Progress {
            out,
            pending: Vec::new(),
            denied: Vec::new(),
            last_started: None,
        }
    }

    /// Looks at one line of the stream, of type `kind`.
    pub fn see(&mut self, kind: &str, text: &str) {
        if !matches!(kind, "assistant" | "permission" | "tool_result" | "retry") {
            return;
        }
        match serde_json::from_str::<Event>(text) {
            Ok(Event::Assistant(a)) => {
                for b in &a.content {
                    if let Block::ToolCall(c) = b {
                        let label = label(&c.name, &c.arguments);
                        self.pending.push((c.id.clone(), label, false));
                    }
                }
                self.start_next();
            }
            Ok(Event::Permission(p)) if p.decision == Decision::Deny => {
                let reason = p.reason.or(p.rule).unwrap_or_default();
                self.denied.push((p.call_id, reason));
            }
            Ok(Event::ToolResult(r)) => {
                let label = match self.pending.iter().position(|(id, ..)| *id == r.call_id) {
                    Some(i) => {
                        let (id, label, started) = self.pending.remove(i);
                        if !started {
                            self.start(&id, &label);
                        }
                        label
                    }
                    None => r.name.clone(),
                };
                let denied = self
                    .denied
                    .iter()
                    .position(|(id, _)| *id == r.call_id)
                    .map(|i| self.denied.remove(i).1);
                let interrupted =
                    r.extra.get("interrupted") == Some(&serde_json::Value::Bool(true));
                let outcome = match denied {
                    Some(reason) if reason.trim().is_empty() => "denied".to_string(),
                    Some(reason) => format!("denied: {}", first_line(&reason)),
                    None if interrupted => "interrupted".to_string(),
                    None if r.is_error => format!("error: {}", summary(&r.content)),
                    None => format!("ok: {}", summary(&r.content)),
                };
                let own = self.last_started.as_deref() == Some(r.call_id.as_str());
                let line = if own {
                    format!("  {outcome}")
                } else {
                    format!("  {outcome} ({label})")
                };
                self.write(&line);
                self.start_next();
            }
            Ok(Event::Retry(r)) => {
                self.write(&format!(
                    "  retrying the model call in {} ms (attempt {} of {}): {}",
                    r.delay_ms,
                    r.attempt,
                    r.max_attempts,
                    first_line(&r.reason)
                ));
            }
            _ => {}
        }
    }

    /// Writes the start line of the first call not yet started, unless a
    /// started call still waits for its result.
    fn start_next(&mut self) {
        if self.pending.iter().any(|(.., started)| *started) {
            return;
        }
        if let Some((id, label, started)) = self.pending.first_mut() {
            *started = true;
            let (id, label) = (id.clone(), label.clone());
            self.start(&id, &label);
        }
    }

    fn start(&mut self, id: &str, label: &str) {
        self.write(&format!("- {label}"));
        self.last_started = Some(id.to_string());
    }

    fn write(&mut self, line: &str) {
        self.last_started = None;
        let _ = writeln!(self.out, "{line}");
        let _ = self.out.flush();
    }
}

/// A call as one short line: its name and its key argument.
pub fn label(name: &str, args: &serde_json::Value) -> String {
    let key = match args {
        serde_json::Value::Object(m) => KEY_ARGS
            .iter()
            .find_map(|k| m.get(*k).and_then(|v| v.as_str()).map(|v| (*k, v)))
            .or_else(|| {
                m.iter()
                    .find_map(|(k, v)| v.as_str().map(|v| (k.as_str(), v)))
            }),
        serde_json::Value::String(s) => Some(("", s.as_str())),
        _ => None,
    };
    match key {
        Some(("patch", p)) => {
            let files: Vec<&str> = p
                .lines()
                .filter_map(|l| {
                    ["*** Add File: ", "*** Update File: ", "*** Delete File: "]
                        .iter()
                        .find_map(|h| l.strip_prefix(h))
                })
                .collect();
            format!("{name} {}", cut(&files.join(" ")))
        }
        Some((_, v)) => format!("{name} {}", cut(first_line(v))),
        None => name.to_string(),
    }
    .trim_end()
    .to_string()
}

/// The first non-blank line of an output, cut, and how many more lines
/// there are.
fn summary(content: &str) -> String {
    let mut lines = content.lines().filter(|l| !l.trim().is_empty());
    let Some(first) = lines.next() else {
        return "(no output)".to_string();
    };
    let more = lines.count();
    if more == 0 {
        cut(first.trim_end())
    } else {
        format!(
            "{} (+{more} line{})",
            cut(first.trim_end()),
            if more == 1 { "" } else { "s" }
        )
    }
}

fn first_line(s: &str) -> &str {
    s.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
}

/// `s` kept to [`MAX_CHARS`] characters, with `…` when cut.
fn cut(s: &str) -> String {
    if s.chars().count() <= MAX_CHARS {
        return s.to_string();
    }
    let mut t: String = s.chars().take(MAX_CHARS - 1).collect();
    t.push('…');
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(lines: &[&str]) -> String {
        let mut buf = Vec::new();
        {
            let mut p = Progress::new(&mut buf);
            for l in lines {
                let kind = zerostack::protocol::line_type(l).unwrap();
                p.see(&kind, l);
            }
        }
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn labels_show_the_key_argument() {
        assert_eq!(
            label("bash", &json!({"command": "ls -la\nrm x", "timeout": 5})),
            "bash ls -la"
        );
        assert_eq!(
            label("read", &json!({"offset": 3, "path": "a.txt"})),
            "read a.txt"
        );
        assert_eq!(label("todo_read", &json!({})), "todo_read");
        assert_eq!(
            label("mcp__x__y", &json!({"zeta": 1, "alpha": "A"})),
            "mcp__x__y A"
        );
        assert_eq!(
            label(
                "apply_patch",
                &json!({"patch": "*** Begin Patch\n*** Add File: a\n+x\n*** Update File: b\n*** End Patch"})
            ),
            "apply_patch a b"
        );
        assert_eq!(
            label("bash", &json!({"command": "x".repeat(300)}))
                .chars()
                .count(),
            5 + MAX_CHARS
        );
    }

    #[test]
    fn each_call_gets_a_start_and_an_outcome() {
        let out = run(&[
            r#"{"type":"text_delta","text":"hi"}"#,
            r#"{"type":"assistant","content":[{"type":"text","text":"x"},{"type":"tool_call","id":"c1","name":"write","arguments":{"path":"a","content":"b"}}],"stop":"tool_calls"}"#,
            r#"{"type":"permission","call_id":"c1","decision":"allow","by":"mode"}"#,
            r#"{"type":"tool_result","call_id":"c1","name":"write","content":"Created 'a'","is_error":false}"#,
            r#"{"type":"assistant","content":[{"type":"tool_call","id":"c2","name":"bash","arguments":{"command":"rm -rf /"}},{"type":"tool_call","id":"c3","name":"read","arguments":{"path":"b"}}],"stop":"tool_calls"}"#,
            r#"{"type":"permission","call_id":"c2","decision":"deny","by":"mode","reason":"readonly mode denies bash"}"#,
            r#"{"type":"tool_result","call_id":"c2","name":"bash","content":"permission denied","is_error":true}"#,
            r#"{"type":"tool_result","call_id":"c3","name":"read","content":"File: b (2 lines)\n1\tx\n2\ty\n","is_error":false}"#,
            r#"{"type":"assistant","content":[{"type":"tool_call","id":"c4","name":"bash","arguments":{"command":"sleep 30"}}],"stop":"tool_calls"}"#,
            r#"{"type":"tool_output","call_id":"c4","text":"..."}"#,
            r#"{"type":"tool_result","call_id":"c4","name":"bash","content":"","is_error":true,"interrupted":true}"#,
            r#"{"type":"retry","source":"zs-chat","attempt":2,"max_attempts":4,"delay_ms":500,"reason":"HTTP 429"}"#,
        ]);
        assert_eq!(
            out,
            "- write a\n  ok: Created 'a'\n\
             - bash rm -rf /\n  denied: readonly mode denies bash\n- read b\n  ok: File: b (2 lines) (+2 lines)\n\
             - bash sleep 30\n  interrupted\n\
             \x20 retrying the model call in 500 ms (attempt 2 of 4): HTTP 429\n"
        );
    }

    #[test]
    fn results_out_of_order_repeat_their_label() {
        let out = run(&[
            r#"{"type":"assistant","content":[{"type":"tool_call","id":"c1","name":"read","arguments":{"path":"a"}},{"type":"tool_call","id":"c2","name":"read","arguments":{"path":"b"}}],"stop":"tool_calls"}"#,
            r#"{"type":"tool_result","call_id":"c2","name":"read","content":"B","is_error":false}"#,
            r#"{"type":"tool_result","call_id":"c1","name":"read","content":"A","is_error":false}"#,
            r#"{"type":"tool_result","call_id":"c9","name":"grep","content":"","is_error":true}"#,
        ]);
        assert_eq!(
            out,
            "- read a\n- read b\n  ok: B\n  ok: A (read a)\n  error: (no output) (grep)\n"
        );
    }

    #[test]
    fn broken_lines_are_skipped() {
        assert_eq!(run(&[r#"{"type":"assistant","content":"x"}"#]), "");
    }
}
