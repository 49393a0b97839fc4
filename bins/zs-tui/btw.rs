//! /btw: a side question on a fork of the context, answered by zs-chat and
//! never recorded (stub: owned by the backend helper).
use crate::pipeline::{Run, RunEvent};
use std::io;
use std::path::Path;

/// Starts the side question; zs-chat's NDJSON lines arrive as
/// `RunEvent::Line`. The run is cancellable on its own.
pub fn start(
    zs_session: &Path,
    zs_chat: &Path,
    session: Option<&str>,
    question: &str,
    chat_args: &[String],
    on_event: impl Fn(RunEvent) + Send + Sync + 'static,
) -> io::Result<Run> {
    let _ = (zs_session, zs_chat, session, question, chat_args, on_event);
    Err(io::Error::other("not built yet"))
}
