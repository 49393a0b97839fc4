//! Helpers shared by the providers' unit tests.

use super::{CallOptions, Flow, StreamError, Wire};
use crate::assemble::Assembler;
use crate::conversation::{Conversation, Ending, ReadReport, read};
use crate::framing::Framer;
use std::fmt::Display;
use zerostack::config::Config;
use zerostack::lines::{LineReader, Writer};
use zerostack::protocol::{Assistant, Event, StopReason};

/// The conversation zs-chat reads from `lines`, each of which must be
/// usable.
pub(crate) fn conv(lines: &[impl Display]) -> Conversation {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let mut w = Writer::new(Vec::new());
    let mut report = ReadReport::default();
    let round = read(&mut LineReader::new(text.as_bytes()), &mut w, &mut report).unwrap();
    assert_eq!(report.bad_lines, 0);
    assert_eq!(round.ending, Ending::Eof);
    round.conv
}

/// [`conv`], which must also pass the checks made before any request.
pub(crate) fn valid_conv(lines: &[impl Display]) -> Conversation {
    let c = conv(lines);
    c.validate().unwrap();
    c
}

/// The options for a call to `provider` of the config given as JSON, with
/// no key, token limit or thinking level.
pub(crate) fn opts(config: &str, provider: &str, model: &str) -> CallOptions {
    let provider = Config::parse(config)
        .unwrap()
        .resolve_provider(provider)
        .unwrap();
    CallOptions {
        provider,
        model: model.into(),
        api_key: None,
        max_tokens: None,
        thinking: None,
    }
}

/// What feeding a body through a wire format's decoder gave.
pub(crate) struct Run {
    /// The finished message; its stop is `error` when the stream failed.
    pub msg: Assistant,
    /// The deltas, in order.
    pub deltas: Vec<Event>,
    /// The first error, else end()'s verdict (Ok once the terminal event
    /// was seen).
    pub result: Result<(), StreamError>,
    /// Whether the terminal event made the decoder ask to stop reading.
    pub stopped: bool,
}

/// Feeds `body` through the wire format's framing and decoder as zs-chat
/// does: stop at the terminal event or the first error, else call `end`.
pub(crate) fn run(wire: &dyn Wire, body: &str) -> Run {
    run_cut(wire, body, usize::MAX)
}

/// [`run`], with the body arriving in two reads split at `cut`, so a
/// separator may fall across reads.
pub(crate) fn run_cut(wire: &dyn Wire, body: &str, cut: usize) -> Run {
    let bytes = body.as_bytes();
    let cut = cut.min(bytes.len());
    let mut framer = Framer::new(wire.framing());
    let mut events = framer.feed(&bytes[..cut]).unwrap();
    events.extend(framer.feed(&bytes[cut..]).unwrap());
    events.extend(framer.finish());
    let mut dec = wire.decoder();
    let mut out = Assembler::new();
    let mut deltas = Vec::new();
    let mut seen = None;
    let mut stopped = false;
    for ev in &events {
        let r = dec.event(ev, &mut out);
        deltas.extend(out.take_events());
        match r {
            Ok(Flow::More) => {}
            Ok(Flow::Done) => {
                stopped = true;
                seen = Some(Ok(()));
                break;
            }
            Err(e) => {
                seen = Some(Err(e));
                break;
            }
        }
    }
    let result = match seen {
        Some(Ok(())) => Ok(()),
        Some(Err(e)) => {
            // As zs-chat does: the decoder puts away what it holds; the
            // verdict is already known.
            let _ = dec.end(&mut out);
            Err(e)
        }
        None => dec.end(&mut out),
    };
    deltas.extend(out.take_events());
    let outcome = result.is_err().then_some(StopReason::Error);
    Run {
        msg: out.finish(outcome),
        deltas,
        result,
        stopped,
    }
}
