//! The conversation zs-chat sends: read from stdin, checked before any
//! request is made.
//!
//! Input is protocol lines (`system`, `tools`, `user`, `assistant`,
//! `tool_result`, `compaction`) or plain text lines, which are the user's
//! words (`echo "explain grep" | zs-chat`); consecutive plain lines form one
//! message. Other protocol types (deltas, permissions, status, a session
//! header) are not part of a conversation and are skipped. zs-chat is a
//! source of new events, not a filter: it never echoes its input.

use zerostack::error::Error;
use zerostack::lines::{Input, LineReader, Writer};
use zerostack::protocol::{Assistant, Event, ToolResult, ToolSpec};

/// One message of the conversation, in the order given.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    User(String),
    Assistant(Assistant),
    ToolResult(ToolResult),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conversation {
    pub system: Option<String>,
    pub tools: Vec<ToolSpec>,
    pub messages: Vec<Message>,
}

/// What reading the input found besides the conversation.
#[derive(Debug, Default)]
pub struct ReadReport {
    /// Input lines that could not be used (an `error` event was written for
    /// each); the process exits 3 at the end when there were any.
    pub bad_lines: u64,
}

/// Reads the whole input. Each bad line gets a non-fatal `error` event on
/// `out` naming its number, and reading goes on.
pub fn read<R: std::io::BufRead, W: std::io::Write>(
    input: R,
    out: &mut Writer<W>,
) -> Result<(Conversation, ReadReport), Error> {
    let mut conv = Conversation::default();
    let mut report = ReadReport::default();
    let mut plain: Option<String> = None;
    let mut reader = LineReader::new(input);
    while let Some(item) = reader.next_line()? {
        let (no, text) = match item {
            Input::Line { no, text } => (no, text),
            Input::Bad { no, error } => {
                report.bad_lines += 1;
                out.bad_line("zs-chat", no, &error)?;
                continue;
            }
        };
        if !text.trim_start().starts_with('{') {
            let p = plain.get_or_insert_with(String::new);
            if !p.is_empty() {
                p.push('\n');
            }
            p.push_str(&text);
            continue;
        }
        if let Some(p) = plain.take() {
            conv.messages.push(Message::User(p));
        }
        let kind = match zerostack::protocol::line_type(&text) {
            Ok(k) => k,
            Err(e) => {
                report.bad_lines += 1;
                out.bad_line("zs-chat", no, &format!("line {no}: {e}"))?;
                continue;
            }
        };
        if !matches!(
            kind.as_str(),
            "system" | "tools" | "user" | "assistant" | "tool_result" | "compaction"
        ) {
            continue;
        }
        let ev: Event = match serde_json::from_str(&text) {
            Ok(ev) => ev,
            Err(e) => {
                report.bad_lines += 1;
                out.bad_line("zs-chat", no, &format!("line {no}: bad {kind} event: {e}"))?;
                continue;
            }
        };
        match ev {
            Event::System(s) => match &mut conv.system {
                Some(sys) => {
                    sys.push_str("\n\n");
                    sys.push_str(&s.text);
                }
                None => conv.system = Some(s.text),
            },
            Event::Tools(t) => conv.tools = t.tools,
            Event::User(u) => conv.messages.push(Message::User(u.text)),
            Event::Assistant(a) => conv.messages.push(Message::Assistant(a)),
            Event::ToolResult(r) => conv.messages.push(Message::ToolResult(r)),
            // What came before a compaction reaches the model only as its
            // summary; the one who builds the context (zs-session) decides
            // what precedes it.
            Event::Compaction(c) => conv.messages.push(Message::User(format!(
                "Summary of the conversation so far:\n\n{}",
                c.summary
            ))),
            _ => {}
        }
    }
    if let Some(p) = plain.take() {
        conv.messages.push(Message::User(p));
    }
    Ok((conv, report))
}

impl Conversation {
    /// Checks that the conversation can be sent: it has a message, every
    /// tool call has exactly one result, every result answers a call, and it
    /// ends on the user's side (a user message or tool results).
    pub fn validate(&self) -> Result<(), Error> {
        let Some(last) = self.messages.last() else {
            return Err(Error::input("no user message in the input"));
        };
        // Calls of the latest assistant message still waiting for a result.
        let mut open: Vec<(String, String)> = Vec::new();
        let mut answered: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for m in &self.messages {
            match m {
                Message::Assistant(a) => {
                    check_open(&open)?;
                    open = a
                        .tool_calls()
                        .map(|c| (c.id.clone(), c.name.clone()))
                        .collect();
                    for c in a.tool_calls() {
                        if !answered.insert(c.id.as_str()) {
                            return Err(Error::input(format!(
                                "tool call id '{}' is used twice",
                                c.id
                            )));
                        }
                    }
                }
                Message::ToolResult(r) => match open.iter().position(|(id, _)| *id == r.call_id) {
                    Some(i) => {
                        open.remove(i);
                    }
                    None => {
                        return Err(Error::input(format!(
                            "tool_result for '{}' answers no pending tool call",
                            r.call_id
                        )));
                    }
                },
                Message::User(_) => check_open(&open)?,
            }
        }
        check_open(&open)?;
        if let Message::Assistant(_) = last {
            return Err(Error::input(
                "the conversation ends with an assistant message: nothing to answer",
            ));
        }
        Ok(())
    }
}

fn check_open(open: &[(String, String)]) -> Result<(), Error> {
    match open.first() {
        None => Ok(()),
        Some((id, name)) => Err(Error::input(format!(
            "tool call '{id}' ({name}) has no tool_result{}",
            if open.len() > 1 {
                format!(" (and {} more unanswered)", open.len() - 1)
            } else {
                String::new()
            }
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(input: &str) -> (Conversation, u64, String) {
        let mut w = Writer::new(Vec::new());
        let (c, r) = read(input.as_bytes(), &mut w).unwrap();
        (c, r.bad_lines, String::from_utf8(w.into_inner()).unwrap())
    }

    const CALL: &str = r#"{"type":"assistant","content":[{"type":"tool_call","id":"c1","name":"read","arguments":{"path":"a"}}],"stop":"tool_calls"}"#;

    #[test]
    fn plain_lines_form_one_user_message() {
        let (c, bad, _) = conv("explain grep\nbriefly\n");
        assert_eq!(bad, 0);
        assert_eq!(
            c.messages,
            vec![Message::User("explain grep\nbriefly".into())]
        );
        c.validate().unwrap();
    }

    #[test]
    fn protocol_lines_build_the_conversation_and_others_are_skipped() {
        let input = format!(
            "{}\n{}\n{}\n{}\n{}\n{}\n",
            r#"{"type":"session","version":1,"id":"s"}"#,
            r#"{"type":"system","text":"be brief"}"#,
            r#"{"type":"user","text":"read a"}"#,
            CALL,
            r#"{"type":"permission","call_id":"c1","decision":"allow","by":"mode"}"#,
            r#"{"type":"tool_result","call_id":"c1","name":"read","content":"x"}"#,
        );
        let (c, bad, out) = conv(&input);
        assert_eq!((bad, out.as_str()), (0, ""));
        assert_eq!(c.system.as_deref(), Some("be brief"));
        assert_eq!(c.messages.len(), 3);
        c.validate().unwrap();
    }

    #[test]
    fn a_bad_line_is_reported_by_number_and_reading_goes_on() {
        let (c, bad, out) =
            conv("{\"type\":\"user\",\"text\":\"a\"}\n{broken\n{\"type\":\"user\"}\nhi\n");
        assert_eq!(bad, 2);
        assert_eq!(c.messages.len(), 2);
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["line"], 2);
        assert_eq!(lines[1]["line"], 3);
        assert_eq!(lines[0]["fatal"], false);
    }

    #[test]
    fn an_unanswered_tool_call_is_refused() {
        let (c, _, _) = conv(&format!("{}\n{}\n", r#"{"type":"user","text":"x"}"#, CALL));
        let e = c.validate().unwrap_err();
        assert!(
            e.message.contains("'c1' (read) has no tool_result"),
            "{}",
            e.message
        );
        let (c, _, _) = conv(&format!(
            "{}\n{}\nnext\n",
            r#"{"type":"user","text":"x"}"#, CALL
        ));
        assert!(c.validate().is_err());
    }

    #[test]
    fn an_orphan_result_and_an_empty_input_are_refused() {
        let (c, _, _) = conv(
            "hi\n{\"type\":\"tool_result\",\"call_id\":\"zz\",\"name\":\"read\",\"content\":\"\"}\n",
        );
        assert!(c.validate().unwrap_err().message.contains("'zz'"));
        let (c, _, _) = conv("");
        assert!(c.validate().is_err());
    }
}
