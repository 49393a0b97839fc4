//! Rounds: one zs-perm process fed round after round, as the wrapper does
//! when the stages stay up across the rounds of a prompt. A `round_end`
//! line passes through after the decisions of the assistant line before
//! it, and the doom-loop history is on disk by the time round_end comes
//! out, while stdin is still open. After a SIGINT round_end still passes.
//! Every wait is bounded.

use crate::{Project, assistant};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

const ROUND_END: &str = r#"{"type":"round_end"}"#;

/// zs-perm in the project with nobody to ask and stdin kept open by the
/// caller; its stdout lines arrive on the receiver.
fn start(p: &Project) -> (Child, ChildStdin, Receiver<Value>) {
    let mut child = p
        .cmd()
        .args(["--non-interactive", "deny"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines() {
            let Ok(l) = l else { break };
            let v = serde_json::from_str::<Value>(&l).unwrap_or(Value::String(l));
            if tx.send(v).is_err() {
                break;
            }
        }
    });
    let stdin = child.stdin.take().unwrap();
    (child, stdin, rx)
}

/// The next `n` lines, each within 10 s.
fn next(rx: &Receiver<Value>, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            rx.recv_timeout(Duration::from_secs(10))
                .unwrap_or_else(|_| panic!("line {} of {n} did not come", i + 1))
        })
        .collect()
}

fn ls_call(id: &str) -> String {
    assistant(&[(id, "bash", json!({"command": "ls -la"}))])
}

/// The doom-loop history file, parsed; `None` while it does not exist.
fn history(p: &Project) -> Option<Value> {
    let text = std::fs::read_to_string(p.session().join("perm-history.json")).ok()?;
    Some(serde_json::from_str(&text).unwrap())
}

fn exit_code(child: &mut Child) -> Option<i32> {
    crate::common::wait_for("zs-perm to exit", Duration::from_secs(10), || {
        child.try_wait().unwrap().is_some()
    });
    child.wait().unwrap().code()
}

#[test]
fn round_end_follows_the_decisions_and_each_rounds_history_is_on_disk_at_its_end() {
    let p = Project::new();
    let (mut child, mut stdin, rx) = start(&p);

    // The same call, one round after another, in one process: the count
    // carries over in memory, and the file holds it at each round's end.
    for (round, id) in ["c1", "c2", "c3"].into_iter().enumerate() {
        let count = round as u64 + 1;
        stdin.write_all(ls_call(id).as_bytes()).unwrap();
        stdin.flush().unwrap();
        let lines = next(&rx, 2);
        assert_eq!(lines[0]["type"], "assistant", "{lines:?}");
        assert_eq!(
            (lines[1]["type"].as_str(), lines[1]["call_id"].as_str()),
            (Some("permission"), Some(id)),
            "{lines:?}"
        );
        if round == 0 {
            // Nothing is written per call: the round has not ended yet.
            assert_eq!(
                history(&p),
                None,
                "the history was written before round_end"
            );
        }
        writeln!(stdin, "{ROUND_END}").unwrap();
        stdin.flush().unwrap();
        let end = next(&rx, 1);
        assert_eq!(end[0], json!({"type": "round_end"}), "round {count}");
        // zs-perm saves before it passes round_end on, so the file is there
        // now, while stdin is still open.
        let h = history(&p).unwrap_or_else(|| panic!("no history after round {count}"));
        assert_eq!(h["count"], count, "round {count}: {h}");
        let d = &lines[1];
        if count < 3 {
            assert_eq!(d["decision"], "allow", "round {count}: {d}");
        } else {
            assert_eq!(
                (d["decision"].as_str(), d["repeats"].as_u64()),
                (Some("deny"), Some(3)),
                "{d}"
            );
            assert!(
                d["rule"].as_str().unwrap().starts_with("doom_loop ask"),
                "{d}"
            );
        }
    }
    assert!(child.try_wait().unwrap().is_none(), "zs-perm exited early");
    drop(stdin);
    assert_eq!(exit_code(&mut child), Some(0));
    // A new process reads what the last round saved.
    let out = p.run(&["--non-interactive", "deny"], &ls_call("c4"));
    let d = &crate::decisions(&out)[0];
    assert_eq!(d["repeats"], 4, "{d}");
}

#[test]
fn after_sigint_round_end_still_passes_and_later_calls_are_denied() {
    let p = Project::new();
    let (mut child, mut stdin, rx) = start(&p);
    let read = |id: &str| assistant(&[(id, "read", json!({"path": "src/main.rs"}))]);
    stdin
        .write_all(format!("{}{ROUND_END}\n", read("c1")).as_bytes())
        .unwrap();
    stdin.flush().unwrap();
    // The filter is reading, so its SIGINT handler is in place.
    let r1 = next(&rx, 3);
    assert_eq!(r1[1]["decision"], "allow", "{r1:?}");
    assert_eq!(r1[2]["type"], "round_end", "{r1:?}");
    crate::common::signal(child.id(), "INT");
    stdin
        .write_all(format!("{}{ROUND_END}\n", read("c2")).as_bytes())
        .unwrap();
    stdin.flush().unwrap();
    let r2 = next(&rx, 3);
    assert_eq!(r2[0]["type"], "assistant", "{r2:?}");
    assert_eq!(
        (r2[1]["call_id"].as_str(), r2[1]["decision"].as_str()),
        (Some("c2"), Some("deny")),
        "{r2:?}"
    );
    assert!(
        r2[1]["reason"].as_str().unwrap().contains("interrupted"),
        "{r2:?}"
    );
    assert_eq!(r2[2], json!({"type": "round_end"}), "{r2:?}");
    drop(stdin);
    assert_eq!(exit_code(&mut child), Some(130));
}
