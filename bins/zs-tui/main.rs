//! zs-tui: the interactive front end. It runs the same turn loop as the
//! wrapper (`zerostack -p --json`) for every prompt and renders the event
//! stream. See zs-tui(1).

// Until app.rs uses every module (the modules land one by one).
#![allow(dead_code)]

mod app;
mod args;
mod ask;
mod btw;
mod commands;
mod dialog;
mod editor;
mod events;
mod markdown;
mod picker;
mod pipeline;
mod runs;
mod select;
mod sessions;
mod slash;
mod status;
mod style;
mod term;
mod transcript;
mod view;
mod wrap;

fn main() -> std::process::ExitCode {
    zerostack::cli::run("zs-tui", app::run)
}
