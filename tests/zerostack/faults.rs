//! Faults in the middle of a turn: Ctrl-C to the whole pipeline while a
//! command runs, the recorder killed, the model failing, the turn limit.
//! Afterwards the session opens, every call has a result, and `-c` goes on.

use crate::harness::*;
use crate::mock::script::{Fault, Reply};
use serde_json::json;
use std::time::{Duration, Instant};

#[test]
fn ctrl_c_stops_every_stage_kills_the_command_and_c_resumes() {
    // A duration no other test uses, so its process can be found.
    let sleep = ["sleep", "30.0713"];
    let t = Agent::new(vec![
        call(
            "c1",
            "write",
            json!({"path": "before.txt", "content": "x\n"}),
        ),
        call("c2", "bash", json!({"command": "sleep 30.0713"})),
        Reply::text("Resumed after the interrupt."),
    ]);
    let mut child = t.spawn(&["--yolo", "-p", "start a long job"], "");
    let pgid = child.id();
    wait_for("the command to start", Duration::from_secs(20), || {
        !pids_of(&sleep).is_empty()
    });
    let sent = Instant::now();
    // What a terminal does on Ctrl-C: SIGINT to the foreground group.
    signal_group(pgid, "INT");
    let (code, stdout, stderr) = wait_bounded(&mut child, Duration::from_secs(20));
    let took = sent.elapsed();
    assert_eq!(code, Some(130), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(took < Duration::from_secs(8), "took {took:?}");
    assert_eq!(stdout, "", "no answer after an interrupt");
    assert!(
        stderr.contains("interrupted") && stderr.contains("zerostack -c"),
        "{stderr}"
    );
    wait_for("the command to be gone", Duration::from_secs(5), || {
        pids_of(&sleep).is_empty()
    });
    assert_eq!(t.requests().len(), 2, "no round after the interrupt");

    // The session opens and every call has a result.
    let id = t.last_session();
    let ctx = assert_calls_answered(&t, &id);
    let result = ctx
        .iter()
        .find(|e| e["type"] == "tool_result" && e["call_id"] == "c2")
        .unwrap();
    assert_eq!(result["is_error"], true);
    assert!(t.file("before.txt").exists());

    // -c resumes: the model sees the whole history, the interrupted call
    // answered, and the new message.
    let run = t.run(&["-c", "-p", "go on"], "");
    run.assert_code(0);
    assert_eq!(run.stdout, "Resumed after the interrupt.\n");
    let msgs = t.messages(2);
    assert_eq!(call_ids(&msgs), ["c1", "c2"]);
    let results = tool_messages(&msgs);
    assert_eq!(results.len(), 2);
    assert!(
        results[1].1.to_lowercase().contains("interrupt"),
        "{results:?}"
    );
    assert_eq!(user_texts(&msgs), ["start a long job", "go on"]);
}

#[test]
fn a_killed_recorder_leaves_a_valid_session_and_c_resumes_without_a_prompt() {
    let sleep = ["sleep", "1.4142"];
    let t = Agent::new(vec![
        call("c1", "bash", json!({"command": "sleep 1.4142"})),
        Reply::text("Picked up where it stopped."),
    ]);
    let mut child = t.spawn(&["--yolo", "-p", "run it"], "");
    wait_for("the command to start", Duration::from_secs(20), || {
        !pids_of(&sleep).is_empty()
    });
    let id = t.last_session();
    wait_for("the call to be stored", Duration::from_secs(10), || {
        t.session(&["show", &id]).contains("sleep 1.4142")
    });
    let recorders = pids_running("zs-session", &format!("record {id}"));
    assert_eq!(recorders.len(), 1, "one recorder: {recorders:?}");
    signal(recorders[0], "KILL");
    let (code, stdout, stderr) = wait_bounded(&mut child, Duration::from_secs(20));
    assert_eq!(code, Some(1), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stderr.contains("zs-session record was killed by signal 9")
            && stderr.contains("zerostack -c"),
        "{stderr}"
    );
    assert_eq!(stdout, "");

    // The result never reached the file: the context makes one up.
    let ctx = assert_calls_answered(&t, &id);
    let result = ctx.iter().find(|e| e["type"] == "tool_result").unwrap();
    assert_eq!(result["interrupted"], true);
    assert_eq!(t.session(&["state", &id]), "interrupted\n");

    // -c with no new message resumes the waiting turn.
    let run = t.run(&["-c"], "");
    run.assert_code(0);
    assert_eq!(run.stdout, "Picked up where it stopped.\n");
    let msgs = t.messages(1);
    assert_eq!(call_ids(&msgs), ["c1"]);
    assert!(tool_messages(&msgs)[0].1.contains("interrupted"));
    assert_eq!(user_texts(&msgs), ["run it"]);
}

#[test]
fn a_failed_model_call_exits_4_and_keeps_the_session() {
    let t = Agent::new(vec![
        Reply {
            fault: Some(Fault::Status {
                status: 500,
                retry_after: None,
                body: None,
            }),
            ..Reply::default()
        },
        Reply::text("Back."),
    ]);
    let run = t.run(&["-p", "hello"], "");
    run.assert_code(4);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("the model call failed"),
        "{}",
        run.dump()
    );
    let id = t.last_session();
    assert_eq!(t.session(&["state", &id]), "model\n");
    // Nothing to add: -c calls the model again.
    let run = t.run(&["-c", "-p"], "");
    run.assert_code(0);
    assert_eq!(run.stdout, "Back.\n");
    assert_eq!(user_texts(&t.messages(1)), ["hello"]);
}

#[test]
fn a_rejected_key_exits_5() {
    let t = Agent::new(vec![Reply {
        fault: Some(Fault::Status {
            status: 401,
            retry_after: None,
            body: None,
        }),
        ..Reply::default()
    }]);
    let run = t.run(&["-p", "hello"], "");
    run.assert_code(5);
}

#[test]
fn the_turn_limit_stops_the_loop_with_exit_6() {
    let t = Agent::new(vec![
        call("c1", "list_dir", json!({})),
        call("c2", "list_dir", json!({})),
        call("c3", "list_dir", json!({})),
        Reply::text("Finally."),
    ]);
    let run = t.run(&["--max-turns", "2", "--json", "-p", "loop"], "");
    run.assert_code(6);
    assert_eq!(t.requests().len(), 2);
    assert!(run.stderr.contains("--max-turns"), "{}", run.dump());
    let last = run.events().pop().unwrap();
    assert_eq!(last["type"], "error");
    assert_eq!(last["source"], "zerostack");
    assert_eq!(last["fatal"], true);
    // The limit counts the calls of one run: -c goes on.
    let run = t.run(&["-c", "-p", "--max-turns=5"], "");
    run.assert_code(0);
    assert_eq!(run.stdout, "Finally.\n");
}

#[test]
fn ctrl_c_while_the_model_streams_leaves_a_session_that_goes_on() {
    let t = Agent::new(vec![
        Reply {
            text: "This answer streams slowly and is cut short".into(),
            chunk: 1,
            delay_ms: 50,
            ..Reply::default()
        },
        Reply::text("Finished now."),
    ]);
    let mut child = t.spawn(&["-p", "tell me"], "");
    wait_for("the reply to start", Duration::from_secs(20), || {
        !t.requests().is_empty()
    });
    std::thread::sleep(Duration::from_millis(300));
    signal_group(child.id(), "INT");
    let (code, stdout, stderr) = wait_bounded(&mut child, Duration::from_secs(20));
    assert_eq!(code, Some(130), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(stdout, "");
    // zs-chat writes the partial reply with stop "interrupted"; zs-perm and
    // zs-tool pass it on after the Ctrl-C until their input ends, and the
    // recorder stores it: nothing the model said is lost.
    let id = t.last_session();
    let out = t.zs("zs-session", &["last", &id, "--json"]);
    assert!(
        out.status.success(),
        "the partial reply was not stored: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last: serde_json::Value = serde_json::from_slice(&out.stdout).expect("an assistant line");
    assert_eq!(last["stop"], "interrupted", "{last}");
    let text = last["content"][0]["text"].as_str().unwrap_or_default();
    assert!(
        !text.is_empty() && "This answer streams slowly and is cut short".starts_with(text),
        "{last}"
    );
    assert_eq!(t.session(&["state", &id]), "user\n");
    let run = t.run(&["-c", "-p", "go on"], "");
    run.assert_code(0);
    assert_eq!(run.stdout, "Finished now.\n");
    let texts = user_texts(&t.messages(1));
    assert_eq!(texts.first().map(String::as_str), Some("tell me"));
    assert_eq!(texts.last().map(String::as_str), Some("go on"));
}

#[test]
fn sigterm_to_the_wrapper_alone_lets_the_round_finish_then_stops() {
    // A duration no other test uses, so its process can be found.
    let sleep = ["sleep", "1.7321"];
    let t = Agent::new(vec![
        call("c1", "bash", json!({"command": "sleep 1.7321; echo woke"})),
        Reply::text("Picked up after the stop."),
    ]);
    let mut child = t.spawn(&["--yolo", "-p", "nap"], "");
    wait_for("the command to start", Duration::from_secs(20), || {
        !pids_of(&sleep).is_empty()
    });
    // The wrapper only: the stages go on with the round in hand.
    signal(child.id(), "TERM");
    let (code, stdout, stderr) = wait_bounded(&mut child, Duration::from_secs(20));
    assert_eq!(code, Some(130), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(stdout, "");
    assert!(stderr.contains("interrupted"), "{stderr}");
    // The command ran to its end and its result was stored; no round
    // started after the signal.
    assert_eq!(t.requests().len(), 1);
    let id = t.last_session();
    let ctx = assert_calls_answered(&t, &id);
    let result = ctx
        .iter()
        .find(|e| e["type"] == "tool_result" && e["call_id"] == "c1")
        .unwrap();
    assert_eq!(result["is_error"], false, "{result}");
    assert_eq!(content_text(&result["content"]).trim(), "woke");
    assert_eq!(t.session(&["state", &id]), "model\n");
    // -c with no new message asks the model for the next step.
    let run = t.run(&["-c"], "");
    run.assert_code(0);
    assert_eq!(run.stdout, "Picked up after the stop.\n");
}

#[test]
fn a_model_call_failing_in_a_later_round_stops_every_stage_and_keeps_the_rounds_before() {
    let t = Agent::new(vec![
        call("c1", "write", json!({"path": "a.txt", "content": "a\n"})),
        Reply {
            fault: Some(Fault::Status {
                status: 400,
                retry_after: None,
                body: Some(r#"{"error":{"message":"context too long"}}"#.into()),
            }),
            ..Reply::default()
        },
        Reply::text("Back again."),
    ]);
    let run = t.run(&["--yolo", "-p", "write a"], "");
    run.assert_code(4);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("zs-chat exit 4") && run.stderr.contains("zerostack -c"),
        "{}",
        run.dump()
    );
    assert_eq!(t.requests().len(), 2);
    // The first round is stored whole; the session waits for the model.
    assert!(t.file("a.txt").exists());
    let id = t.last_session();
    assert_calls_answered(&t, &id);
    assert_eq!(t.session(&["state", &id]), "model\n");
    let run = t.run(&["-c"], "");
    run.assert_code(0);
    assert_eq!(run.stdout, "Back again.\n");
    assert_eq!(call_ids(&t.messages(2)), ["c1"]);
}
