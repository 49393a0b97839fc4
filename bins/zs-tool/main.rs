//! zs-tool: runs the tool calls in an NDJSON event stream and adds their
//! results; `zs-tool schema` prints the tool list, `zs-tool call` runs one
//! call. See zs-tool(1) and docs/tools.md.
// Entered through `main` below, not std's runtime; unit tests keep the
// test harness's own main.
#![cfg_attr(not(test), no_main)]

mod app;
mod bash;
mod call;
mod capture;
mod diff;
mod edit;
mod file;
mod filter;
mod grep;
mod html;
mod matcher;
mod patch;
mod read;
mod sandbox;
mod settings;
mod signals;
mod spec;
mod sys;
mod todo;
mod validate;
mod walk;
mod web;
mod write;

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
    zerostack::cli::start("zs-tool", app::run)
}
