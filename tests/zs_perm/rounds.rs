//! Rounds: one zs-perm process fed round after round, as the wrapper does
//! when the stages stay up across the rounds of a prompt. A `round_end`
//! line passes through after the decisions of the assistant line before
//! it, and the doom-loop history is on disk by the time round_end comes
//! out, while stdin is still open. After a SIGINT round_end still passes.
//! Every wait is bounded.

use crate::common::Live;
use crate::{Project, assistant};
use serde_json::{Value, json};
use std::time::Duration;

const ROUND_END: &str = r#"{"type":"round_end"}"#;

/// zs-perm in the project with nobody to ask and stdin kept open; every
/// wait within 10 s.
fn start(p: &Project) -> Live {
    let mut cmd = p.cmd();
    cmd.args(["--non-interactive", "deny"]);
    Live::start(&mut cmd, "zs-perm", Duration::from_secs(10))
}

/// The next `n` lines, each within the bound, parsed (a line that is not
/// JSON as a string).
fn next(live: &mut Live, n: usize) -> Vec<Value> {
    live.next(n)
        .into_iter()
        .map(|l| serde_json::from_str::<Value>(&l).unwrap_or(Value::String(l)))
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

#[test]
fn round_end_follows_the_decisions_and_each_rounds_history_is_on_disk_at_its_end() {
    let p = Project::new();
    let mut live = start(&p);

    // The same call, one round after another, in one process: the count
    // carries over in memory, and the file holds it at each round's end.
    for (round, id) in ["c1", "c2", "c3"].into_iter().enumerate() {
        let count = round as u64 + 1;
        live.send(&ls_call(id));
        let lines = next(&mut live, 2);
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
        live.send_lines(&[ROUND_END]);
        let end = next(&mut live, 1);
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
    assert!(live.running(), "zs-perm exited early");
    assert_eq!(live.finish().status.code(), Some(0));
    // A new process reads what the last round saved.
    let out = p.run(&["--non-interactive", "deny"], &ls_call("c4"));
    let d = &crate::decisions(&out)[0];
    assert_eq!(d["repeats"], 4, "{d}");
}

#[test]
fn after_sigint_round_end_still_passes_and_later_calls_are_denied() {
    let p = Project::new();
    let mut live = start(&p);
    let read = |id: &str| assistant(&[(id, "read", json!({"path": "src/main.rs"}))]);
    live.send(&format!("{}{ROUND_END}\n", read("c1")));
    // The filter is reading, so its SIGINT handler is in place.
    let r1 = next(&mut live, 3);
    assert_eq!(r1[1]["decision"], "allow", "{r1:?}");
    assert_eq!(r1[2]["type"], "round_end", "{r1:?}");
    crate::common::signal(live.pid(), "INT");
    live.send(&format!("{}{ROUND_END}\n", read("c2")));
    let r2 = next(&mut live, 3);
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
    assert_eq!(live.finish().status.code(), Some(130));
}
