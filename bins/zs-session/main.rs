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

/// The C entry point, in place of std's runtime (see zerostack::cli). In
/// unit tests it is an ordinary function, and the harness has the symbol.
#[allow(unsafe_code)]
// SAFETY: the crate is `no_main`, so this is the only `main` symbol, and
// the C runtime calls it once with argc and argv, which std reads itself.
#[cfg_attr(not(test), unsafe(no_mangle))]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    zerostack::cli::start("zs-session", commands::run)
}
