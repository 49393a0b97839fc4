//! What the zerostack wrapper's turn loop asks of zs-session beyond the
//! store: `get` (a session's details, for `-c` and `--json`), `append
//! --echo`, `record --progress` (progress lines on stderr) and `record
//! --state` without rounds (ring.rs has the stages that stay up).

use super::common::Home;
use super::*;
use serde_json::Value;

#[test]
fn get_prints_details_as_now_set() {
    let h = Home::new();
    let id = new_session(&h, &["--model", "m1", "--prompt", "plan", "--name", "n1"]);
    let get = |key: &str| ok(zs(&h, &["get", &id, key], ""));
    assert_eq!(get("id"), format!("{id}\n"));
    assert_eq!(get("model"), "m1\n");
    assert_eq!(get("mode"), "planwrite\n");
    assert_eq!(get("provider"), "");
    assert_eq!(get("file"), format!("{}\n", file_of(&h, &id).display()));
    assert_eq!(get("dir"), format!("{}\n", dir_of(&h, &id).display()));
    ok(record(
        &h,
        &id,
        &[r#"{"type":"session_meta","model":"m2","mode":null}"#],
    ));
    assert_eq!(get("model"), "m2\n");
    assert_eq!(get("mode"), "");
    // By name, and @last.
    assert_eq!(ok(zs(&h, &["get", "n1", "id"], "")), format!("{id}\n"));
    assert_eq!(ok(zs(&h, &["get", "@last", "id"], "")), format!("{id}\n"));
    // Without a key: the header with the change applied.
    let all: Value = serde_json::from_str(ok(zs(&h, &["get", &id], "")).trim()).unwrap();
    assert_eq!(all["type"], "session");
    assert_eq!(all["id"], id.as_str());
    assert_eq!(all["model"], "m2");
    assert!(all.get("mode").is_none());
    let out = zs(&h, &["get", &id, "colour"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown key 'colour'"));
}

#[test]
fn append_echo_prints_the_stored_line() {
    let h = Home::new();
    let id = new_session(&h, &[]);
    let out = ok(zs(&h, &["append", &id, "--echo"], "hello\nthere\n\n"));
    assert_eq!(out, "{\"type\":\"user\",\"text\":\"hello\\nthere\"}\n");
    assert_eq!(entries(&h, &id), [out.trim_end()]);
    assert_eq!(ok(zs(&h, &["append", &id, "quiet"], "")), "");
}

#[test]
fn record_progress_names_each_call_and_its_outcome_on_stderr() {
    let h = Home::new();
    let id = new_session(&h, &[]);
    let deny = r#"{"type":"permission","call_id":"c2","decision":"deny","by":"mode","reason":"readonly mode denies bash"}"#;
    let res2 = r#"{"type":"tool_result","call_id":"c2","name":"bash","content":"permission denied","is_error":true}"#;
    let input = [USER, CALLS, RES1, deny, res2, ANSWER].join("\n") + "\n";
    let out = h
        .cmd("zs-session")
        .args(["record", &id, "--progress"])
        .write_stdin(input.clone())
        .output()
        .unwrap();
    assert!(out.status.success());
    // stdout and the store are as without --progress.
    assert_eq!(String::from_utf8_lossy(&out.stdout), input);
    assert_eq!(entries(&h, &id), [USER, CALLS, RES1, res2, ANSWER]);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "- read a.txt\n  ok: hello\n- bash ls\n  denied: readonly mode denies bash\n"
    );
    // Without the flag, stderr stays quiet.
    let id2 = new_session(&h, &[]);
    let out = zs(&h, &["record", &id2], &input);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn record_state_writes_what_the_conversation_waits_for() {
    let h = Home::new();
    let id = new_session(&h, &[]);
    let file = h.path().join("state");
    // A stream without round_end is one round: one line, at the end,
    // appended to what the file held.
    let rec = |lines: &[&str]| {
        let out = zs(
            &h,
            &["record", &id, "--state", file.to_str().unwrap()],
            &(lines.join("\n") + "\n"),
        );
        assert!(out.status.success());
        std::fs::read_to_string(&file).unwrap()
    };
    assert_eq!(rec(&[USER, CALLS, RES1]), "interrupted\n");
    assert_eq!(rec(&[RES2]), "interrupted\nmodel\n");
    assert_eq!(rec(&[ANSWER]), "interrupted\nmodel\nuser\n");
    assert_eq!(ok(zs(&h, &["state", &id], "")), "user\n");
}

#[test]
fn record_state_says_when_the_next_call_needs_a_compaction() {
    let h = Home::new();
    h.write_config(
        r#"{"session":{"context_window":2000,"compact_reserve":1000,"keep_recent_tokens":1}}"#,
    );
    let id = new_session(&h, &[]);
    let file = h.path().join("state");
    let big = r#"{"type":"assistant","content":[{"type":"tool_call","id":"c1","name":"read","arguments":{"path":"a.txt"}}],"stop":"tool_calls","usage":{"input":1500,"output":10}}"#;
    let out = zs(
        &h,
        &["record", &id, "--state", file.to_str().unwrap()],
        &[USER, big, RES1].join("\n"),
    );
    assert!(out.status.success());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "model compact\n");
    // Off in the config: never. Empty input still gets its line.
    h.write_config(
        r#"{"session":{"auto_compact":false,"context_window":2000,"compact_reserve":1000}}"#,
    );
    let out = zs(&h, &["record", &id, "--state", file.to_str().unwrap()], "");
    assert!(out.status.success());
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "model compact\nmodel\n"
    );
}

#[test]
fn get_with_several_keys_prints_a_line_each() {
    let h = Home::new();
    let id = new_session(&h, &["--model", "m1"]);
    let out = ok(zs(&h, &["get", &id, "id", "provider", "model"], ""));
    assert_eq!(out, format!("{id}\n\nm1\n"));
    let out = zs(&h, &["get", &id, "id", "nope"], "");
    assert_eq!(out.status.code(), Some(2));
    // Nothing is printed before the bad key is found.
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&id));
}
