//! zs-tool integration tests: they run the built binary. Golden transcripts
//! (fixtures under tests/fixtures/zs-tool/) cover every tool and every bad
//! input; table tests cover edit and apply_patch matching; the rest cover
//! interrupts, the web tools against a local server, and the subcommands.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod docs;
mod golden;
mod grep;
mod interrupt;
mod tables;
mod web;
