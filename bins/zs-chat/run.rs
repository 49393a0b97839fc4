//! The model stage, start to end: settle the options (flags, environment,
//! config) and watch for signals once, then for each round of input read
//! and check its conversation, send the request, and turn the streamed reply
//! into deltas and one `assistant` message on stdout.
//!
//! Rounds: a `round_end` line closes one (the stages of a prompt stay up
//! across its rounds, see docs/protocol.md). The call is made with the
//! conversation read since the previous `round_end`; after the reply the
//! `round_end` line is written through unchanged, the conversation is
//! forgotten, and reading goes on; the connection to the provider is kept
//! for the next round (http.rs). At the end of input a call is made only
//! when lines came after the last `round_end`; an input with no `round_end`
//! is one round, answered at its end. SIGINT or SIGTERM while waiting for
//! input makes no further call: the stage exits interrupted at the next
//! `round_end` or the end of input.
//!
//! Failure rules (zs-chat(1), EXIT STATUS): nothing is sent when the input
//! or the options are wrong. A call that fails before the model produced
//! anything writes no `assistant`, only the fatal error. A stream that
//! breaks part-way writes the partial `assistant` (stop `error`, or
//! `interrupted` on SIGINT/SIGTERM) before the error, so what the model
//! said is not lost. A failed call ends the stage: no `round_end` is written
//! and no later round is read. Bad input lines are reported as they are
//! read, the calls are still made, and the exit status is 3 at the end.

use crate::args::Args;
use crate::assemble::Assembler;
use crate::conversation::{self, Ending, ReadReport};
use crate::framing::{Framer, SseEvent};
use crate::http::{self, Guard, Policy};
use crate::providers::{self, CallOptions, Decoder, Flow, Request, Wire};
use std::io::{IsTerminal, Read, Write};
use std::time::Duration;
use zerostack::cli;
use zerostack::config::{Config, Provider};
use zerostack::error::Error;
use zerostack::lines::{LineReader, Writer};
use zerostack::protocol::{Event, StopReason};

const NAME: &str = "zs-chat";

/// The size of one read from the response body.
const READ_BUF: usize = 16 * 1024;

pub fn run() -> Result<(), Error> {
    let args: Args = cli::parse_args_with(crate::args::fast)?;
    let config = Config::load()?;
    let name = config.provider_name(args.provider.as_deref());
    let mut provider = config.resolve_provider(&name)?;
    if let Some(u) = &args.base_url {
        provider.base_url = u.trim().to_string();
    }
    if provider.base_url.trim().is_empty() {
        return Err(Error::usage(format!(
            "provider '{name}' has no base URL: set providers.{name}.base_url in the config or pass --base-url"
        )));
    }
    let base = provider.base_url.trim().to_ascii_lowercase();
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(Error::usage(format!(
            "provider '{name}': base URL '{}' is not an http:// or https:// URL",
            provider.base_url.trim()
        )));
    }
    let model = config
        .model_name(args.model.as_deref(), &provider)
        .ok_or_else(|| {
            Error::usage(format!(
                "no model for provider '{name}': pass --model, set ZS_MODEL, or set \"model\" in the config"
            ))
        })?;
    let api_key = provider.api_key()?;
    let model_config = config.model(&model);
    let thinking = match args.thinking {
        Some(t)
            if !providers::thinking::supported(
                &provider,
                &model,
                model_config.and_then(|m| m.thinking),
            ) =>
        {
            cli::warn(
                NAME,
                &format!(
                    "model '{model}' takes no thinking parameter; --thinking {} ignored (set models.\"{model}\".thinking in the config if it does)",
                    t.as_str()
                ),
            );
            None
        }
        t => t,
    };
    let max_tokens = args
        .max_tokens
        .or_else(|| model_config.and_then(|m| m.max_tokens));
    let policy = Policy::from_config(&config.retry);
    drop(config);

    let opts = CallOptions {
        provider,
        model,
        api_key,
        max_tokens,
        thinking,
    };
    let wire = providers::wire(opts.provider.kind);
    let key = opts.api_key.clone();

    let stdin = std::io::stdin();
    let tty = stdin.is_terminal();
    if tty {
        let _ = writeln!(
            std::io::stderr(),
            "{NAME}: reading the conversation from stdin (end it with ctrl-d)"
        );
    }
    let guard = Guard::new();
    // Over a pipe, signals are watched from the start, so one that comes
    // while zs-chat waits for the next round is remembered and answered at
    // that round's end. A person typing at a terminal who presses ctrl-c
    // expects zs-chat to stop there and then, as the default action does:
    // at a terminal the watch starts before the first call.
    let mut watching = false;
    if !tty {
        guard.watch_signals()?;
        watching = true;
    }
    let mut out = Writer::new(std::io::stdout().lock());
    let mut reader = LineReader::new(stdin.lock());
    let mut report = ReadReport::default();
    let mut rounds_closed = false;
    loop {
        let round = conversation::read(&mut reader, &mut out, &mut report)?;
        // A signal that came while zs-chat waited for input: no new call,
        // and the exit status says the run was cut short, even when no
        // call was due.
        if guard.cancelled() {
            return Err(http::interrupted());
        }
        if round.ending == Ending::Eof && rounds_closed && round.lines == 0 {
            // The input ended right after a round_end: every round is
            // answered.
            break;
        }
        let mut conv = round.conv;
        if let Some(s) = &args.system {
            // `--system ""` takes the system prompt away.
            conv.system = (!s.is_empty()).then(|| s.clone());
        }
        conv.validate()?;
        let mut req = wire.build(&conv, &opts)?;
        // The conversation and the request as a JSON tree are not needed
        // once the body is encoded; only one copy of a large context stays.
        drop(conv);
        let body = serde_json::to_vec(&req.body)
            .map_err(|e| Error::failure(format!("cannot encode the request: {e}")))?;
        req.body = serde_json::Value::Null;
        if !watching {
            guard.watch_signals()?;
            watching = true;
        }
        call(wire.as_ref(), &req, body, &opts, &policy, &guard, &mut out)
            .map_err(|e| http::redact(e, key.as_deref()))?;
        match round.ending {
            Ending::RoundEnd(line) => {
                out.pass(&line)?;
                rounds_closed = true;
            }
            Ending::Eof => break,
        }
    }
    if report.bad_lines > 0 {
        return Err(Error::input(format!(
            "{} input line{} could not be used",
            report.bad_lines,
            if report.bad_lines == 1 { "" } else { "s" }
        )));
    }
    Ok(())
}

/// How a stream ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    /// The terminal event was seen (or the format's complete end).
    Complete,
    /// The stream broke part-way; the message says how.
    Broken(String),
    /// SIGINT or SIGTERM.
    Interrupted,
}

fn call<W: Write>(
    wire: &dyn Wire,
    req: &Request,
    body: Vec<u8>,
    opts: &CallOptions,
    policy: &Policy,
    guard: &Guard,
    out: &mut Writer<W>,
) -> Result<(), Error> {
    let p = &opts.provider;
    let response = http::send(
        req,
        &body,
        wire.framing(),
        p,
        opts.api_key.as_deref(),
        policy,
        guard,
        &mut |r| out.emit(&Event::Retry(r.clone())),
    )?;
    drop(body);
    let idle = Duration::from_millis(p.timeouts.idle_ms);
    let mut reader = response.into_reader();
    let (asm, end, open) = stream(&mut reader, wire, guard, idle, out, p)?;
    // A body read to its end has put its connection back in the pool, and
    // a broken one goes with its connection; only one whose stream is
    // complete before its end is kept, to be read on.
    let rest = open.then_some(reader);
    let has_content = asm.has_content();
    let outcome = match end {
        End::Complete => None,
        End::Broken(_) => Some(StopReason::Error),
        End::Interrupted => Some(StopReason::Interrupted),
    };
    let mut msg = asm.finish(outcome);
    msg.provider = Some(p.name.clone());
    msg.api = Some(p.kind.as_str().to_string());
    if msg.model.is_none() {
        msg.model = Some(opts.model.clone());
    }
    match end {
        End::Complete => {
            let refused = (msg.stop == StopReason::Error).then(|| {
                format!(
                    "provider '{}' ended the reply with '{}'",
                    p.name,
                    msg.provider_stop.as_deref().unwrap_or("error")
                )
            });
            out.emit(&Event::Assistant(msg))?;
            if let Some(m) = refused {
                return Err(Error::upstream(m));
            }
            // The reply is out (the next stages need not wait); what the
            // server sends after the terminal event is read now, so the
            // connection serves the next round.
            if let Some(rest) = rest {
                guard.finish_body(rest);
            }
            Ok(())
        }
        End::Broken(why) => {
            if has_content {
                out.emit(&Event::Assistant(msg))?;
            }
            Err(Error::upstream(format!(
                "the stream from provider '{}' broke off: {why}",
                p.name
            )))
        }
        End::Interrupted => {
            if has_content {
                out.emit(&Event::Assistant(msg))?;
            }
            Err(http::interrupted())
        }
    }
}

/// Reads the body to its end (or its break, or its terminal event),
/// feeding events through the decoder into an assembler and writing the
/// deltas as they come. The flag is true when the stream is complete but
/// its body still open: the terminal event came before the body's end.
fn stream<R: Read, W: Write>(
    reader: &mut R,
    wire: &dyn Wire,
    guard: &Guard,
    idle: Duration,
    out: &mut Writer<W>,
    p: &Provider,
) -> Result<(Assembler, End, bool), Error> {
    let mut asm = Assembler::new();
    let mut dec = wire.decoder();
    let mut framer = Framer::new(wire.framing());
    let mut buf = vec![0u8; READ_BUF];
    guard.arm_idle(idle);
    // Whether the decoder was told the body ended.
    let mut ended = false;
    let end = loop {
        let read = reader.read(&mut buf);
        // A cancel or the idle watchdog ends the read by shutting the
        // connection, which looks like an EOF or an I/O error: the flags
        // say which it was.
        if guard.cancelled() {
            break End::Interrupted;
        }
        if guard.idle_fired() {
            break End::Broken(format!(
                "nothing arrived for {} ms (idle_ms)",
                p.timeouts.idle_ms
            ));
        }
        let n = match read {
            Ok(0) => {
                let last: Vec<SseEvent> = framer.finish().into_iter().collect();
                if let Some(end) = feed(dec.as_mut(), &last, &mut asm, out)? {
                    break end;
                }
                ended = true;
                break match dec.end(&mut asm) {
                    Ok(()) => End::Complete,
                    Err(e) => End::Broken(e.0),
                };
            }
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                // A connection lost after the reply was whole (a finish
                // reason seen, only the sentinel missing) loses nothing.
                ended = true;
                break match dec.end(&mut asm) {
                    Ok(()) => End::Complete,
                    Err(_) => End::Broken(read_error(e)),
                };
            }
        };
        guard.touch();
        let events = match framer.feed(&buf[..n]) {
            Ok(evs) => evs,
            Err(e) => break End::Broken(e),
        };
        if let Some(end) = feed(dec.as_mut(), &events, &mut asm, out)? {
            break end;
        }
    };
    guard.disarm_idle();
    if !ended && end != End::Complete {
        // Let the decoder put away what it holds (reasoning details, say);
        // the stream's verdict is already known.
        let _ = dec.end(&mut asm);
    }
    for ev in asm.take_events() {
        out.emit(&ev)?;
    }
    let open = !ended && end == End::Complete;
    Ok((asm, end, open))
}

/// Feeds events to the decoder, writing the deltas after each. Some(end)
/// when the stream is over (its terminal event, or a broken event).
fn feed<W: Write>(
    dec: &mut dyn Decoder,
    events: &[SseEvent],
    asm: &mut Assembler,
    out: &mut Writer<W>,
) -> Result<Option<End>, Error> {
    for ev in events {
        let r = dec.event(ev, asm);
        for d in asm.take_events() {
            out.emit(&d)?;
        }
        match r {
            Ok(Flow::More) => {}
            Ok(Flow::Done) => return Ok(Some(End::Complete)),
            Err(e) => return Ok(Some(End::Broken(e.0))),
        }
    }
    Ok(None)
}

/// A read error of the body in words. ureq wraps its own errors in
/// io::Error; unwrap them for a better message.
fn read_error(e: std::io::Error) -> String {
    match ureq::Error::from(e) {
        ureq::Error::Io(io) => http::io_text(&io),
        ureq::Error::Timeout(t) => format!("timed out ({t:?})").to_lowercase(),
        other => http::one_line(&other.to_string()),
    }
}
