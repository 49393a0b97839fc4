//! zerostack wrapper end-to-end tests: `bins/zerostack` runs every real
//! binary (the target dir first in PATH) against the scripted model server,
//! in a temporary project with a hermetic home. The tasks themselves
//! (task.rs), faults in the middle of a turn (faults.rs), and the command
//! line (cli.rs).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
#[path = "../mock/lib.rs"]
mod mock;

mod cli;
mod faults;
mod harness;
mod task;
