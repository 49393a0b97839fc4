//! zs-tui end to end: the real binary in a tmux pane of its own, driven by
//! keys (send-keys) and read from the screen (capture-pane), against the
//! scripted model server, in a temporary project with a hermetic home.
//! Each test checks the screen against the UI contract (zs-tui(1)) and,
//! where it matters, what reached the model and the session.
//!
//! - turn.rs: a prompt with streamed Markdown and a tool call, reasoning,
//!   tool output, errors, the status bar;
//! - permission.rs: the permission dialog, answered every way;
//! - queue.rs: prompts queued during a run, /queue, Ctrl-C cancelling a run;
//! - btw.rs: /btw side questions;
//! - screen.rs: resize, scrollback, mouse, copy, --no-color, --inline;
//! - input.rs: the editor, history, pickers, `!cmd`, $EDITOR, quitting;
//! - sessions.rs: /session, -c, --session, /clear, /model;
//! - cli.rs: the command line without a terminal, the man page, the
//!   wrapper starting zs-tui.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
#[path = "../mock/lib.rs"]
mod mock;

mod btw;
mod cli;
mod harness;
mod input;
mod permission;
mod queue;
mod screen;
mod sessions;
mod turn;
