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

use std::io::{BufRead, BufReader};
use std::process::Child;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// Reads stdout lines on a thread, so the test can wait with a timeout.
fn lines(child: &mut Child) -> Receiver<serde_json::Value> {
    let out = child.stdout.take().unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if let Ok(v) = serde_json::from_str(&line)
                && tx.send(v).is_err()
            {
                break;
            }
        }
    });
    rx
}

/// The next line that `f` accepts, within 20 s; every line read is kept in
/// `seen` (for the failure message, and for order checks).
fn next_matching(
    rx: &Receiver<serde_json::Value>,
    seen: &mut Vec<serde_json::Value>,
    f: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let v = rx
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no matching line; seen: {seen:?}"));
        seen.push(v.clone());
        if f(&v) {
            return v;
        }
    }
}

/// Waits at most 20 s for `child` to exit; its exit code.
fn wait_exit(child: &mut Child) -> i32 {
    let start = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st.code().unwrap_or(-1);
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("zs-tool did not exit within 20 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
