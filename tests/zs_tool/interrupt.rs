//! Interrupts and runaway commands: a SIGINT to zs-tool (or to its process
//! group, as a terminal sends it) stops a running command with everything
//! it started, still writes the call's result, and exits 130; background
//! jobs a command leaves behind are stopped when it ends. Every wait here is
//! bounded.

use crate::common::{Home, Live};
use crate::{assert_refused_after_the_interrupt, live, next_matching, started};
use serde_json::Value;
use std::os::unix::process::CommandExt;
use std::time::{Duration, Instant};

/// Whether `pid` is a live process (a zombie counts as gone: it has
/// exited, only its parent has not collected it).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rfind(')')
                .and_then(|i| stat[i + 1..].split_whitespace().next());
            state != Some("Z")
        }
        Err(_) => false,
    }
}

fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// zs-tool without permission checks, in its own process group (like a
/// pipeline in a terminal's foreground), fed `call` and waited for until
/// the command has written `started`; stdin stays open.
fn running(home: &Home, call: &Value) -> Live {
    let mut cmd = home.std_cmd("zs-tool");
    cmd.arg("--no-permission-check").process_group(0);
    let mut live = live(&mut cmd);
    live.send_lines(&[call]);
    next_matching(&mut live, started);
    live
}

/// Starts zs-tool on a call that runs two `sleep 300` grandchildren, waits
/// until both run, interrupts with `signal` (a `kill` argument list built
/// from zs-tool's pid), and checks the aftermath.
fn interrupt_a_running_command(target: impl Fn(u32) -> Vec<String>) {
    let home = Home::new();
    let call = serde_json::json!({
        "type": "assistant",
        "stop": "tool_calls",
        "content": [
            {"type": "tool_call", "id": "long", "name": "bash", "arguments": {
                "command": "sleep 300 & echo $! > pids; sleep 300 & echo $! >> pids; echo started; wait"
            }},
            {"type": "tool_call", "id": "after", "name": "read", "arguments": {"path": "pids"}}
        ]
    });
    // stdin stays open: the interrupt, not the end of input, must stop the
    // command.
    let mut live = running(&home, &call);
    let pids: Vec<u32> = std::fs::read_to_string(home.path().join("pids"))
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    assert_eq!(pids.len(), 2);
    assert!(pids.iter().all(|&p| alive(p)), "the sleeps should run");

    let st = std::process::Command::new("kill")
        .args(target(live.pid()))
        .status()
        .unwrap();
    assert!(st.success());

    let result = next_matching(&mut live, |v| {
        v["type"] == "tool_result" && v["call_id"] == "long"
    });
    assert_eq!(result["is_error"], true, "{result}");
    assert_eq!(result["interrupted"], true, "{result}");
    assert!(
        result["content"]
            .as_str()
            .unwrap()
            .contains("[interrupted; the command and its process group were stopped]"),
        "{result}"
    );
    let skipped = next_matching(&mut live, |v| {
        v["type"] == "tool_result" && v["call_id"] == "after"
    });
    assert_eq!(skipped["is_error"], true);
    assert!(
        skipped["content"].as_str().unwrap().contains("interrupted"),
        "{skipped}"
    );
    // zs-tool goes on passing its input through until the input ends, so
    // what upstream flushes after a Ctrl-C (zs-chat's partial message)
    // still reaches the session; a call in it does not run.
    let late = serde_json::json!({
        "type": "assistant",
        "stop": "interrupted",
        "content": [
            {"type": "text", "text": "partial"},
            {"type": "tool_call", "id": "late", "name": "bash", "arguments": {"command": "touch ran"}}
        ]
    });
    live.send_lines(&[&late]);
    next_matching(&mut live, |v| v == &late);
    let refused = next_matching(&mut live, |v| {
        v["type"] == "tool_result" && v["call_id"] == "late"
    });
    assert_eq!(refused["is_error"], true, "{refused}");
    assert_refused_after_the_interrupt(live, &home, &refused);
    for p in pids {
        wait_until(
            "the sleep grandchildren to be gone",
            Duration::from_secs(10),
            || !alive(p),
        );
    }
}

#[test]
fn sigint_to_zs_tool_kills_the_command_and_its_grandchildren_and_still_writes_results() {
    interrupt_a_running_command(|pid| vec!["-INT".into(), pid.to_string()]);
}

#[test]
fn sigint_to_the_process_group_as_a_terminal_sends_it_works_the_same() {
    interrupt_a_running_command(|pid| vec!["-INT".into(), "--".into(), format!("-{pid}")]);
}

#[test]
fn sigterm_is_an_interrupt_too() {
    interrupt_a_running_command(|pid| vec!["-TERM".into(), pid.to_string()]);
}

#[test]
fn background_jobs_are_stopped_when_the_command_ends() {
    let home = Home::new();
    let start = Instant::now();
    let out = home
        .cmd("zs-tool")
        .args([
            "call",
            "bash",
            r#"{"command": "sleep 300 > /dev/null 2>&1 & echo $! > pid; sleep 300 & echo $! >> pid; echo done"}"#,
        ])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert!(out.status.success());
    let r = &crate::common::ndjson(&out.stdout)[0];
    assert_eq!(r["content"], "done\n", "{r}");
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "the call waited for its background job"
    );
    for line in std::fs::read_to_string(home.path().join("pid"))
        .unwrap()
        .lines()
    {
        let p: u32 = line.trim().parse().unwrap();
        wait_until(
            "the background sleep to be gone",
            Duration::from_secs(10),
            || !alive(p),
        );
    }
}

#[test]
fn a_timeout_kills_grandchildren_that_ignore_term() {
    let home = Home::new();
    home.write_config(r#"{"tools": {"bash": {"kill_grace_ms": 300}}}"#);
    let out = home
        .cmd("zs-tool")
        .args([
            "call",
            "bash",
            r#"{"command": "trap '' TERM; (trap '' TERM; sleep 300) & echo $! > pid; wait", "timeout": 500}"#,
        ])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let r = &crate::common::ndjson(&out.stdout)[0];
    assert_eq!(r["timed_out"], true, "{r}");
    assert_eq!(r["is_error"], true, "{r}");
    let p: u32 = std::fs::read_to_string(home.path().join("pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    wait_until(
        "the stubborn child to be gone",
        Duration::from_secs(10),
        || !alive(p),
    );
}

#[test]
fn a_second_interrupt_ends_zs_tool_while_its_input_is_still_open() {
    let home = Home::new();
    let call = serde_json::json!({
        "type": "assistant",
        "stop": "tool_calls",
        "content": [{"type": "tool_call", "id": "c", "name": "bash",
                     "arguments": {"command": "echo started; sleep 300"}}]
    });
    let mut live = running(&home, &call);
    let pid = live.pid().to_string();
    let kill = |sig: &str| {
        let st = std::process::Command::new("kill")
            .args([sig, pid.as_str()])
            .status()
            .unwrap();
        assert!(st.success());
    };
    kill("-INT");
    next_matching(&mut live, |v| {
        v["type"] == "tool_result" && v["call_id"] == "c"
    });
    // The first interrupt leaves zs-tool passing input through; the second
    // ends it although its input is still open.
    assert!(live.running(), "exited on the first signal");
    kill("-INT");
    assert_eq!(live.wait().status.code(), Some(130));
}
