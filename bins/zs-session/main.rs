//! zs-session: the append-only session store of zerostack. It creates,
//! lists and shows sessions, records a turn's events as a tee, and writes
//! the context zs-chat reads, replaying native tool calls and results. See
//! zs-session(1) and docs/sessions.md.

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

fn main() -> std::process::ExitCode {
    zerostack::cli::run("zs-session", commands::run)
}
