//! The filter: lines pass through unchanged and in order, decisions follow
//! their assistant line, bad input is reported, state carries across
//! processes (doom loop), the same input always gets the same answer, and
//! the subcommands and flags for people.

use crate::{Project, assistant, decision_for, decisions, run_with, stderr};
use serde_json::{Value, json};

#[test]
fn every_line_passes_through_unchanged_and_decisions_follow_their_assistant_line() {
    let p = Project::new();
    let asst = assistant(&[
        ("c1", "read", json!({"path": "src/main.rs"})),
        ("c2", "bash", json!({"command": "ls"})),
    ]);
    let input = format!(
        "{}\n{}\n{}{}\n",
        r#"{"type":"session","version":1,"id":"s","x":[1]}"#,
        r#"{"type":"text_delta","text":"a\u2028b"}"#,
        asst,
        r#"{"type":"brand_new","keep":{"me":true}}"#
    );
    let out = p.run(&["--non-interactive", "deny"], &input);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let want_in: Vec<&str> = input.lines().collect();
    assert_eq!(lines.len(), 6);
    assert_eq!(&lines[..3], &want_in[..3]);
    assert_eq!(lines[5], want_in[3]);
    let d1: Value = serde_json::from_str(lines[3]).unwrap();
    let d2: Value = serde_json::from_str(lines[4]).unwrap();
    assert_eq!(
        (d1["type"].as_str(), d1["call_id"].as_str()),
        (Some("permission"), Some("c1"))
    );
    assert_eq!(d2["call_id"], "c2");
    assert_eq!(d1["mode"], "standard");
    assert_eq!(d1["by"], "mode");
}

#[test]
fn an_assistant_line_without_tool_calls_gets_no_decision() {
    let p = Project::new();
    let input =
        r#"{"type":"assistant","content":[{"type":"text","text":"done"}],"stop":"end","usage":{}}"#;
    let out = p.run(&[], &format!("{input}\n"));
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{input}\n"));
}

#[test]
fn bad_lines_are_reported_and_the_stream_goes_on_with_exit_3() {
    let p = Project::new();
    let input = format!(
        "not json\n{}{}\n{}",
        assistant(&[("c1", "read", json!({"path": "a"}))]),
        r#"{"type":"assistant","content":[{"type":"tool_call","name":"read","arguments":{}}]}"#,
        r#"{"type":"user","text":"still here"}"#
    );
    let out = p.run(&["--non-interactive", "deny"], &format!("{input}\n"));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let events = crate::common::ndjson(&out.stdout);
    let errors = crate::common::of_type(&events, "error");
    assert_eq!(errors[0]["line"], 1);
    assert_eq!(errors[0]["fatal"], false);
    assert!(errors[1]["message"].as_str().unwrap().contains("no id"));
    assert_eq!(decision_for(&decisions(&out), "c1")["decision"], "allow");
    assert!(events.iter().any(|e| e["text"] == "still here"));
}

#[test]
fn a_permission_event_from_upstream_is_dropped() {
    let p = Project::new();
    let input = format!(
        "{}\n{}",
        r#"{"type":"permission","call_id":"c1","decision":"allow","by":"user"}"#,
        assistant(&[("c1", "bash", json!({"command": "curl x"}))])
    );
    let out = p.run(&["--non-interactive", "deny"], &input);
    assert!(out.status.success());
    let ds = decisions(&out);
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0]["decision"], "deny");
    assert!(stderr(&out).contains("dropped a permission event from upstream"));
}

fn ls_call(id: &str) -> String {
    assistant(&[(id, "bash", json!({"command": "ls -la"}))])
}

#[test]
fn the_same_call_three_times_across_turns_asks_with_a_note() {
    let p = Project::new();
    for (turn, id) in ["c1", "c2"].iter().enumerate() {
        let out = p.run(&["--non-interactive", "deny"], &ls_call(id));
        let d = decision_for(&decisions(&out), id).clone();
        assert_eq!(d["decision"], "allow", "turn {turn}: {d}");
    }
    let out = p.run(&["--non-interactive", "deny"], &ls_call("c3"));
    let d = decision_for(&decisions(&out), "c3").clone();
    assert_eq!(
        (d["decision"].as_str(), d["by"].as_str()),
        (Some("deny"), Some("policy")),
        "{d}"
    );
    assert_eq!(d["repeats"], 3);
    assert!(
        d["rule"].as_str().unwrap().starts_with("doom_loop ask"),
        "{d}"
    );
    assert!(
        d["reason"].as_str().unwrap().contains("3 times in a row"),
        "{d}"
    );
    // A different call breaks the run; the same call then counts from 1.
    let other = assistant(&[("c4", "read", json!({"path": "src/main.rs"}))]);
    let out = p.run(
        &["--non-interactive", "deny"],
        &format!("{other}{}", ls_call("c5")),
    );
    let ds = decisions(&out);
    assert_eq!(decision_for(&ds, "c4")["decision"], "allow");
    assert_eq!(decision_for(&ds, "c5")["decision"], "allow");
}

#[test]
fn the_doom_loop_is_configurable() {
    let p =
        Project::with_config(r#"{"permissions":{"doom_loop":{"threshold":2,"action":"deny"}}}"#);
    let out = p.run(&[], &format!("{}{}", ls_call("c1"), ls_call("c2")));
    let ds = decisions(&out);
    assert_eq!(decision_for(&ds, "c1")["decision"], "allow");
    let c2 = decision_for(&ds, "c2");
    assert_eq!(
        (c2["decision"].as_str(), c2["by"].as_str()),
        (Some("deny"), Some("doom_loop"))
    );
    let p = Project::with_config(r#"{"permissions":{"doom_loop":false}}"#);
    let input: String = (0..5).map(|i| ls_call(&format!("c{i}"))).collect();
    let out = p.run(&[], &input);
    assert!(decisions(&out).iter().all(|d| d["decision"] == "allow"));
}

#[test]
fn without_a_session_dir_state_goes_under_the_state_folder() {
    let p = Project::new();
    let mut cmd = p.home.std_cmd("zs-perm");
    cmd.current_dir(p.proj())
        .args(["--non-interactive", "deny"]);
    run_with(&mut cmd, &ls_call("c1"));
    let perm = p.home.path().join("state/zerostack/perm");
    let dirs: Vec<_> = std::fs::read_dir(&perm).unwrap().collect();
    assert_eq!(dirs.len(), 1);
    let dir = dirs[0].as_ref().unwrap().path();
    assert!(dir.join("perm-history.json").exists());
}

/// One config with overlapping rules in both forms, one call, 200 fresh
/// processes: one answer.
#[test]
fn the_same_config_and_call_get_one_answer_in_200_processes() {
    let p = Project::with_config(
        r#"{"permissions":{"doom_loop":false,
            "write":{"**/*.rs":"allow","src/**":"ask","src/main.rs":"allow"},
            "rules":[{"tool":"write","pattern":"**","action":"ask"},{"tool":"write","pattern":"src/*.rs","action":"allow"}],
            "edit":{"**":"deny"}}}"#,
    );
    let input = assistant(&[("c1", "write", json!({"path": "src/main.rs", "content": ""}))]);
    let mut answers = std::collections::BTreeSet::new();
    for _ in 0..200 {
        let out = p.run(&["--guarded", "--non-interactive", "deny"], &input);
        assert!(out.status.success());
        answers.insert(String::from_utf8(out.stdout).unwrap());
    }
    assert_eq!(answers.len(), 1, "{answers:#?}");
    let only = answers.into_iter().next().unwrap();
    assert!(only.contains(r#""decision":"allow""#), "{only}");
    assert!(
        only.contains(r#""rule":"allow write \"src/*.rs\"""#),
        "{only}"
    );
}

#[test]
fn explain_shows_the_mode_every_matching_rule_and_the_winner() {
    let p = Project::with_config(
        r#"{"permissions":{"rules":[{"tool":"bash","pattern":"git *","action":"ask"},{"tool":"bash","pattern":"git push *","action":"allow"}]}}"#,
    );
    let out = p.run(
        &[
            "explain",
            "bash",
            r#"{"command":"git push origin main && ls"}"#,
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "mode:      standard (default)",
        "subject:   git push origin main",
        "ask bash \"git *\" (permissions.rules[0])",
        "allow bash \"git push *\" (permissions.rules[1])",
        "won:     allow by rule: allow bash \"git push *\"",
        "decision:  allow",
    ] {
        assert!(text.contains(want), "{want:?} not in:\n{text}");
    }
    let out = p.run(
        &[
            "explain",
            "--yolo",
            "--json",
            "bash",
            r#"{"command":"rm -rf ~"}"#,
        ],
        "",
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["mode"], "yolo");
    assert_eq!(doc["decision"], "ask");
    assert!(
        doc["subjects"][0]["kind"]
            .as_str()
            .unwrap()
            .contains("destructive")
    );
    let out = p.run(&["explain", "bash", "{not json"], "");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn rules_lists_the_effective_rules_with_their_origin() {
    let p = Project::with_config(
        r#"{"permissions":{"mode":"guarded","*":"ask","write":{"**/*.rs":"allow"},"external_directory":{"/tmp/**":"allow"}}}"#,
    );
    let out = p.run(&["rules"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "mode: guarded (config permissions.mode)",
        "1  ask * \"*\" (default)",
        "from permissions.*",
        "allow write \"**/*.rs\"",
        "from permissions.write[\"**/*.rs\"]",
        "allow external_directory \"/tmp/**\"",
        "doom loop: ask when the same call comes 3 times in a row",
    ] {
        assert!(text.contains(want), "{want:?} not in:\n{text}");
    }
}

#[test]
fn a_bad_config_is_a_usage_error_naming_the_field() {
    let p = Project::with_config(r#"{"permissions":{"rules":[{"tool":"bash","action":"alow"}]}}"#);
    let out = p.run(&[], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("permissions.rules[0].action"),
        "{}",
        stderr(&out)
    );
    let p = Project::new();
    let out = p.run(&["--mode", "fast"], "");
    assert_eq!(out.status.code(), Some(2));
    let out = p.run(&["--yolo", "-R"], "");
    assert_eq!(out.status.code(), Some(2));
    let out = run_with(p.cmd().env("ZS_PERM_MODE", "nope"), "");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_mode_comes_from_flag_then_environment_then_config() {
    let p = Project::with_config(r#"{"permissions":{"mode":"readonly"}}"#);
    let call = assistant(&[("c1", "write", json!({"path": "a.txt", "content": ""}))]);
    let by_config = p.run(&["--non-interactive", "deny"], &call);
    assert_eq!(
        decision_for(&decisions(&by_config), "c1")["mode"],
        "readonly"
    );
    let by_env = run_with(
        p.cmd()
            .env("ZS_PERM_MODE", "yolo")
            .args(["--non-interactive", "deny"]),
        &call,
    );
    assert_eq!(decision_for(&decisions(&by_env), "c1")["decision"], "allow");
    let by_flag = run_with(
        p.cmd()
            .env("ZS_PERM_MODE", "yolo")
            .args(["--guarded", "--non-interactive", "deny"]),
        &call,
    );
    assert_eq!(decision_for(&decisions(&by_flag), "c1")["mode"], "guarded");
}

#[test]
fn skipping_permissions_allows_everything_and_says_so_loudly() {
    let p = Project::new();
    let calls = assistant(&[
        ("c1", "bash", json!({"command": "rm -rf ~"})),
        ("c2", "write", json!({"path": "/etc/x", "content": ""})),
    ]);
    let out = p.run(&["--dangerously-skip-permissions"], &calls);
    assert!(out.status.success());
    for d in decisions(&out) {
        assert_eq!(
            (d["decision"].as_str(), d["by"].as_str()),
            (Some("allow"), Some("flag"))
        );
    }
    assert!(stderr(&out).contains("EVERY TOOL CALL IS ALLOWED"));
}

#[test]
fn help_and_version_exit_0() {
    let p = Project::new();
    let out = p.run(&["--help"], "");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("--non-interactive"));
    assert!(p.run(&["--version"], "").status.success());
}
