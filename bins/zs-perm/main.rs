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

zerostack::entry!("zs-perm", app::run);
