//! The conversation zs-chat sends: read from stdin, checked before any
//! request is made.
//!
//! Input is protocol lines (`system`, `tools`, `user`, `assistant`,
//! `tool_result`, `compaction`) or plain text lines, which are the user's
//! words (`echo "explain grep" | zs-chat`); consecutive plain lines form one
//! message. Other protocol types (deltas, permissions, status, a session
//! header) are not part of a conversation and are skipped. zs-chat is a
//! source of new events, not a filter: it never echoes its input (the one
//! exception is `round_end`, which run.rs writes through after the reply).
//!
//! The input may hold several rounds: a `round_end` line closes one, and
//! [`read`] returns there with the conversation read since the previous
//! `round_end`, so each call is made with its own round's lines only. The
//! caller keeps one [`LineReader`] and one [`ReadReport`] across rounds, so
//! line numbers and the count of bad lines run over the whole input.

use zerostack::error::Error;
use zerostack::lines::{Input, LineReader, Writer};
use zerostack::protocol::{Assistant, Event, ROUND_END, ToolResult, ToolSpec};

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

/// What reading the input found besides the conversation, over all rounds.
#[derive(Debug, Default)]
pub struct ReadReport {
    /// Input lines that could not be used (an `error` event was written for
    /// each); the process exits 3 at the end when there were any.
    pub bad_lines: u64,
}

/// How a round's input ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// A `round_end` line, kept as received so it can be written through
    /// unchanged.
    RoundEnd(String),
    /// The end of the input.
    Eof,
}

/// One round of input: its conversation and how it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Round {
    pub conv: Conversation,
    pub ending: Ending,
    /// The non-blank lines read in this round before its end (used, skipped
    /// or bad): at the end of input, zero means nothing came after the last
    /// `round_end`.
    pub lines: u64,
}

/// Reads one round: up to the next `round_end` line or the end of input.
/// Each bad line gets a non-fatal `error` event on `out` naming its number
/// (counted from the start of the input) and is counted in `report`;
/// reading goes on.
pub fn read<R: std::io::BufRead, W: std::io::Write>(
    reader: &mut LineReader<R>,
    out: &mut Writer<W>,
    report: &mut ReadReport,
) -> Result<Round, Error> {
    let mut conv = Conversation::default();
    let mut plain: Option<String> = None;
    let mut lines = 0;
    let ending = loop {
        let Some(item) = reader.next_line()? else {
            break Ending::Eof;
        };
        let (no, text) = match item {
            Input::Line { no, text } => (no, text),
            Input::Bad { no, error } => {
                lines += 1;
                report.bad_lines += 1;
                out.bad_line("zs-chat", no, &error)?;
                continue;
            }
        };
        if !text.trim_start().starts_with('{') {
            lines += 1;
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
                lines += 1;
                report.bad_lines += 1;
                out.bad_line("zs-chat", no, &format!("line {no}: {e}"))?;
                continue;
            }
        };
        if kind == ROUND_END {
            break Ending::RoundEnd(text);
        }
        lines += 1;
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
    };
    if let Some(p) = plain.take() {
        conv.messages.push(Message::User(p));
    }
    Ok(Round {
        conv,
        ending,
        lines,
    })
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

    /// Reads `input` as one round (it holds no `round_end`).
    fn conv(input: &str) -> (Conversation, u64, String) {
        let mut w = Writer::new(Vec::new());
        let mut report = ReadReport::default();
        let round = read(&mut LineReader::new(input.as_bytes()), &mut w, &mut report).unwrap();
        assert_eq!(round.ending, Ending::Eof);
        (
            round.conv,
            report.bad_lines,
            String::from_utf8(w.into_inner()).unwrap(),
        )
    }

    /// Reads `input` round after round to its end: the rounds, the bad
    /// lines over all of them and what was written.
    fn rounds(input: &str) -> (Vec<Round>, u64, String) {
        let mut w = Writer::new(Vec::new());
        let mut report = ReadReport::default();
        let mut reader = LineReader::new(input.as_bytes());
        let mut got = Vec::new();
        loop {
            let round = read(&mut reader, &mut w, &mut report).unwrap();
            let last = round.ending == Ending::Eof;
            got.push(round);
            if last {
                break;
            }
        }
        (
            got,
            report.bad_lines,
            String::from_utf8(w.into_inner()).unwrap(),
        )
    }

    const END: &str = r#"{"type":"round_end"}"#;

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

    #[test]
    fn a_round_end_closes_a_round_and_the_next_one_starts_empty() {
        let input = format!(
            "{}\n{}\n{END}\n{}\n{END}\n",
            r#"{"type":"system","text":"s1"}"#,
            r#"{"type":"user","text":"one"}"#,
            r#"{"type":"user","text":"two"}"#,
        );
        let (got, bad, out) = rounds(&input);
        assert_eq!((bad, out.as_str()), (0, ""));
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].ending, Ending::RoundEnd(END.into()));
        assert_eq!(got[0].conv.system.as_deref(), Some("s1"));
        assert_eq!(got[0].conv.messages, vec![Message::User("one".into())]);
        assert_eq!(got[0].lines, 2);
        // Nothing of the first round is carried into the second.
        assert_eq!(got[1].ending, Ending::RoundEnd(END.into()));
        assert_eq!(got[1].conv.system, None);
        assert_eq!(got[1].conv.messages, vec![Message::User("two".into())]);
        assert_eq!(got[1].lines, 1);
        // The input ended right after a round_end: an empty last round.
        assert_eq!(
            got[2],
            Round {
                conv: Conversation::default(),
                ending: Ending::Eof,
                lines: 0,
            }
        );
    }

    #[test]
    fn plain_text_before_a_round_end_is_one_message_of_that_round() {
        let (got, _, _) = rounds(&format!("explain\ngrep\n{END}\nmore\n"));
        assert_eq!(
            got[0].conv.messages,
            vec![Message::User("explain\ngrep".into())]
        );
        assert_eq!(got[1].ending, Ending::Eof);
        assert_eq!(got[1].conv.messages, vec![Message::User("more".into())]);
        assert_eq!(got[1].lines, 1);
    }

    #[test]
    fn the_round_end_line_is_kept_as_received() {
        let line = r#"{"type":"round_end","seq":7,"x":{"y":[1]}}"#;
        let (got, _, _) = rounds(&format!("hi\n{line}\r\n"));
        assert_eq!(got[0].ending, Ending::RoundEnd(line.into()));
    }

    #[test]
    fn line_numbers_and_bad_lines_count_across_rounds() {
        let input = format!("{{broken\nhi\n{END}\n\nhello\n{{\"type\":\"user\"}}\n{END}\n");
        let (got, bad, out) = rounds(&input);
        assert_eq!(bad, 2);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].lines, 2);
        assert_eq!(got[1].lines, 2);
        assert_eq!(got[1].conv.messages, vec![Message::User("hello".into())]);
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["line"], 1);
        // Line 4 is blank: the bad user line is line 6 of the input, not
        // line 2 of its round.
        assert_eq!(lines[1]["line"], 6);
        assert!(lines[1]["message"].as_str().unwrap().contains("line 6"));
    }

    #[test]
    fn skipped_and_bad_lines_after_the_last_round_end_still_count_as_lines() {
        let perm = r#"{"type":"permission","call_id":"c1","decision":"allow","by":"mode"}"#;
        let (got, _, _) = rounds(&format!("hi\n{END}\n{perm}\n"));
        assert_eq!((got[1].ending.clone(), got[1].lines), (Ending::Eof, 1));
        assert!(got[1].conv.messages.is_empty());
        let (got, bad, _) = rounds(&format!("hi\n{END}\n{{nope\n"));
        assert_eq!((got[1].lines, bad), (1, 1));
        // Blank lines are not lines.
        let (got, _, _) = rounds(&format!("hi\n{END}\n\n  \n"));
        assert_eq!(got[1].lines, 0);
    }

    #[test]
    fn without_a_round_end_the_whole_input_is_one_round() {
        let (got, _, _) = rounds("a\n{\"type\":\"user\",\"text\":\"b\"}\nc\n");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].ending, Ending::Eof);
        assert_eq!(got[0].lines, 3);
        assert_eq!(
            got[0].conv.messages,
            vec![
                Message::User("a".into()),
                Message::User("b".into()),
                Message::User("c".into()),
            ]
        );
    }
}
