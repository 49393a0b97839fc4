//! zs-tui: the interactive front end. It runs the same turn loop as the
//! wrapper (`zerostack -p --json`) for every prompt and renders the event
//! stream. See zs-tui(1).

mod app;
mod args;
mod capped;
mod dialog;
mod events;
mod keys;
mod runs;
mod select;
mod slash;
mod status;
mod term;
mod transcript;
mod view;

// These modules offer more than the app uses yet (their tests, and the
// issues after #6, use the rest).
#[allow(dead_code)]
mod ask;
#[allow(dead_code)]
mod btw;
#[allow(dead_code)]
mod commands;
#[allow(dead_code)]
mod editor;
#[allow(dead_code)]
mod markdown;
#[allow(dead_code)]
mod picker;
#[allow(dead_code)]
mod pipeline;
#[allow(dead_code)]
mod sessions;
#[allow(dead_code)]
mod style;
#[allow(dead_code)]
mod wrap;

fn main() -> std::process::ExitCode {
    zerostack::cli::run("zs-tui", app::run)
}
