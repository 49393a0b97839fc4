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

zerostack::entry!("zs-tool", app::run);
