//! zs-session: the append-only session store of zerostack. It creates,
//! lists and shows sessions, records a turn's events as a tee, and writes
//! the context zs-chat reads, replaying native tool calls and results. See
//! zs-session(1) and docs/sessions.md.
// Entered through `main` below, not std's runtime; unit tests keep the
// test harness's own main.
#![cfg_attr(not(test), no_main)]

mod args;
mod clock;
mod commands;
mod compact;
mod context;
mod entries;
mod history;
mod lock;
mod progress;
mod project;
mod prompts;
mod record;
mod settings;
mod stats;
mod store;
mod transfer;

zerostack::entry!("zs-session", commands::run);
