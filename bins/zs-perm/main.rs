//! zs-perm: writes a permission decision for every tool call in the event
//! stream, passing every other line through. See zs-perm(1) and
//! docs/permissions.md.
// Entered through `main` below, not std's runtime; unit tests keep the
// test harness's own main.
#![cfg_attr(not(test), no_main)]

mod app;
mod args;
mod ask;
mod commands;
mod decide;
mod explain;
mod glob;
mod interrupt;
mod ordered;
mod policy;
mod resolve;
mod shell;
mod state;
mod stream;
mod subject;

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
    zerostack::cli::start("zs-perm", app::run)
}
