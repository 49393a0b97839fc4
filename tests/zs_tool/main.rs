//! zs-tool integration tests: they run the built binary. Golden transcripts
//! (fixtures under tests/fixtures/zs-tool/) cover every tool and every bad
//! input; table tests cover edit and apply_patch matching; the rest cover
//! interrupts, rounds (one process fed round after round), the web tools
//! against a local server, and the subcommands.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod docs;
mod golden;
mod grep;
mod interrupt;
mod rounds;
mod tables;
mod web;

use common::{Home, Live};
use serde_json::Value;
use std::process::Command;
use std::time::Duration;

/// zs-tool as the wrapper runs it (permission checks on) in `home`, with
/// its session folder there; arguments and stdio are left to the caller.
fn tool_cmd(home: &Home) -> Command {
    let mut cmd = home.std_cmd("zs-tool");
    cmd.env("ZS_SESSION_DIR", home.path().join("session"));
    cmd
}

/// Starts zs-tool with `cmd`, stdin kept open ([`Live`]); every wait
/// within 20 s.
fn live(cmd: &mut Command) -> Live {
    Live::start(cmd, "zs-tool", Duration::from_secs(20))
}

/// The JSON lines of stdout up to and including the next one `f` accepts,
/// all within the bound; lines that are not JSON are passed over.
fn until(live: &mut Live, f: impl Fn(&Value) -> bool) -> Vec<Value> {
    live.until(|l| serde_json::from_str(l).is_ok_and(|v| f(&v)))
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The next JSON line that `f` accepts ([`until`]).
fn next_matching(live: &mut Live, f: impl Fn(&Value) -> bool) -> Value {
    until(live, f).pop().expect("the matching line")
}

/// Whether `v` is output of a command that says `started` (the tests'
/// commands write it once they run).
fn started(v: &Value) -> bool {
    v["type"] == "tool_output" && v["text"].as_str().unwrap_or("").contains("started")
}

/// After an interrupt: `refused`, the result of a call that came after it,
/// says so; the end of input ends zs-tool with 130; and the call (it would
/// have touched `ran`) did not run.
fn assert_refused_after_the_interrupt(live: Live, home: &Home, refused: &Value) {
    assert!(
        refused["content"].as_str().unwrap().contains("interrupted"),
        "{refused}"
    );
    assert_eq!(live.finish().status.code(), Some(130));
    assert!(
        !home.path().join("ran").exists(),
        "no call runs after an interrupt"
    );
}
