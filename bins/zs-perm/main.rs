//! zs-perm: writes a permission decision for every tool call in the event
//! stream, passing every other line through. See zs-perm(1) and
//! docs/permissions.md.

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

fn main() -> std::process::ExitCode {
    zerostack::cli::run("zs-perm", app::run)
}
