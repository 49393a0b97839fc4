//! zs-chat: one streamed model call, for any provider, as a Unix filter.
//! Reads a conversation on stdin, writes deltas and one `assistant` message
//! on stdout. See zs-chat(1); the work is done in run.rs.
// Entered through `main` below, not std's runtime; unit tests keep the
// test harness's own main.
#![cfg_attr(not(test), no_main)]

mod args;
mod assemble;
mod conversation;
mod framing;
mod http;
mod providers;
mod run;

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
    zerostack::cli::start("zs-chat", run::run)
}
