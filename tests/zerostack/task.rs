//! `zerostack -p` end to end: every stage, real files, the scripted model.

use crate::harness::*;
use crate::mock::script::{Reply, Usage};
use serde_json::{Value, json};

/// The five-step task: write a file, read it, edit it, run a command on
/// it, then answer.
fn five_steps() -> Vec<Reply> {
    vec![
        call(
            "c1",
            "write",
            json!({"path": "notes.txt", "content": "one\ntwo\n"}),
        ),
        call("c2", "read", json!({"path": "notes.txt"})),
        call(
            "c3",
            "edit",
            json!({"path": "notes.txt", "old_string": "two", "new_string": "three"}),
        ),
        call("c4", "bash", json!({"command": "cat notes.txt && ls"})),
        Reply::text("All done: notes.txt holds one and three."),
    ]
}

#[test]
fn a_five_step_task_writes_reads_edits_and_runs_a_command() {
    let t = Agent::new(five_steps());
    let run = t.run(&["-p", "make", "notes.txt"], "");
    run.assert_code(0);
    // Only the final answer on stdout.
    assert_eq!(run.stdout, "All done: notes.txt holds one and three.\n");
    assert_eq!(
        std::fs::read_to_string(t.file("notes.txt")).unwrap(),
        "one\nthree\n"
    );
    // One request per round, each with the results so far.
    assert_eq!(t.requests().len(), 5);
    let first = t.messages(0);
    assert_eq!(user_texts(&first), ["make notes.txt"]);
    let tools: Vec<String> = t.requests()[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["function"]["name"].as_str().unwrap().to_string())
        .collect();
    for name in ["read", "write", "edit", "bash"] {
        assert!(tools.iter().any(|n| n == name), "{name} offered: {tools:?}");
    }
    let last = t.messages(4);
    assert_eq!(call_ids(&last), ["c1", "c2", "c3", "c4"]);
    let results = tool_messages(&last);
    let ids: Vec<&str> = results.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["c1", "c2", "c3", "c4"]);
    assert!(results[0].1.contains("Created"), "{results:?}");
    assert!(results[1].1.contains("one") && results[1].1.contains("two"));
    assert!(
        results[2].1.contains("-two") && results[2].1.contains("+three"),
        "{results:?}"
    );
    assert_eq!(results[3].1, "one\nthree\nnotes.txt\n");
    // Progress on stderr: each call, then its outcome.
    for line in [
        "- write notes.txt\n  ok: Created",
        "- read notes.txt\n  ok: ",
        "- edit notes.txt\n  ok: ",
        "- bash cat notes.txt && ls\n  ok: one (+2 lines)\n",
    ] {
        assert!(run.stderr.contains(line), "{line:?} in:\n{}", run.dump());
    }
    // The session holds the whole turn.
    let id = t.last_session();
    let ctx = assert_calls_answered(&t, &id);
    assert_eq!(ctx.iter().filter(|e| e["type"] == "assistant").count(), 5);
    assert_eq!(t.session(&["state", &id]), "user\n");
}

#[test]
fn the_stages_start_once_for_all_the_rounds_of_a_task() {
    // A copy of the wrapper beside shims that log each start of a stage
    // and then run the real binary.
    let t = Agent::new(five_steps());
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("starts");
    let copy = dir.path().join("zerostack");
    std::fs::copy(wrapper(), &copy).unwrap();
    for name in ["zs-chat", "zs-perm", "zs-tool", "zs-session"] {
        let shim = dir.path().join(name);
        std::fs::write(
            &shim,
            format!(
                "#!/bin/sh\nprintf '%s %s\\n' {name} \"${{1:-}}\" >>'{}'\nexec '{}' \"$@\"\n",
                log.display(),
                bin_dir().join(name).display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let run = run_bounded(&mut t.command_of(&copy, &["-p", "make", "notes.txt"]), "");
    run.assert_code(0);
    assert_eq!(run.stdout, "All done: notes.txt holds one and three.\n");
    assert_eq!(t.requests().len(), 5);
    let starts = std::fs::read_to_string(&log).unwrap();
    let count = |prefix: &str| starts.lines().filter(|l| l.starts_with(prefix)).count();
    // Five rounds, one start of each stage.
    assert_eq!(count("zs-chat "), 1, "{starts}");
    assert_eq!(count("zs-perm "), 1, "{starts}");
    assert_eq!(count("zs-tool ") - count("zs-tool schema"), 1, "{starts}");
    assert_eq!(count("zs-session context"), 1, "{starts}");
    assert_eq!(count("zs-session record"), 1, "{starts}");
    let id = t.last_session();
    assert_calls_answered(&t, &id);
    assert_eq!(t.session(&["state", &id]), "user\n");
}

#[test]
fn quiet_runs_write_no_progress() {
    let t = Agent::new(vec![
        call("c1", "list_dir", json!({})),
        Reply::text("Empty."),
    ]);
    let run = t.run(&["-q", "-p", "look"], "");
    run.assert_code(0);
    assert_eq!(run.stdout, "Empty.\n");
    assert_eq!(run.stderr, "");
}

#[test]
fn json_writes_every_event_of_every_round() {
    let t = Agent::new(five_steps());
    let run = t.run(&["--json", "-p", "make notes.txt"], "");
    run.assert_code(0);
    let events = run.events();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    // It opens with the session and the user message, like codex's
    // thread.started, and every later line is a protocol event.
    assert_eq!(types[0], "session");
    assert_eq!(events[0]["id"], t.last_session().as_str());
    assert_eq!(events[0]["version"], 1);
    assert_eq!(events[1], json!({"type": "user", "text": "make notes.txt"}));
    let count = |ty: &str| types.iter().filter(|x| **x == ty).count();
    assert_eq!(count("assistant"), 5);
    assert_eq!(count("permission"), 4);
    assert_eq!(count("tool_result"), 4);
    assert!(count("text_delta") > 0);
    assert!(count("tool_output") > 0);
    // Each call is followed by its decision, then its result.
    for id in ["c1", "c2", "c3", "c4"] {
        let at = |ty: &str, key: &str| {
            events
                .iter()
                .position(|e| {
                    e["type"] == ty
                        && (e[key] == id
                            || e["content"]
                                .as_array()
                                .is_some_and(|c| c.iter().any(|b| b["id"] == id)))
                })
                .unwrap_or_else(|| panic!("no {ty} for {id}"))
        };
        let (a, p, r) = (
            at("assistant", "-"),
            at("permission", "call_id"),
            at("tool_result", "call_id"),
        );
        assert!(a < p && p < r, "{id}: {a} {p} {r}");
    }
    // Each round ends with a round_end line: after the round's result,
    // before the next round's first delta.
    assert_eq!(count("round_end"), 5);
    let ends: Vec<usize> = (0..types.len())
        .filter(|&i| types[i] == "round_end")
        .collect();
    let results: Vec<usize> = (0..types.len())
        .filter(|&i| types[i] == "tool_result")
        .collect();
    for (round, result) in results.iter().enumerate() {
        assert!(*result < ends[round], "round {round}: {types:?}");
        if round > 0 {
            assert!(ends[round - 1] < *result, "round {round}: {types:?}");
        }
    }
    assert_eq!(*types.last().unwrap(), "round_end");
    let last = &events[events.len() - 2];
    assert_eq!(last["type"], "assistant");
    assert_eq!(last["stop"], "end");
    assert_eq!(
        last["content"][0]["text"],
        "All done: notes.txt holds one and three."
    );
    // What the stream shows is what the session stored.
    let stored: Vec<Value> =
        crate::common::ndjson(t.session(&["show", &t.last_session()]).as_bytes())
            .into_iter()
            .skip(1)
            .collect();
    let persistent: Vec<&Value> = events
        .iter()
        .filter(|e| {
            matches!(
                e["type"].as_str(),
                Some("user" | "assistant" | "tool_result")
            )
        })
        .collect();
    assert_eq!(stored.iter().collect::<Vec<_>>(), persistent);
}

#[test]
fn continue_sends_the_whole_history_with_native_tool_calls() {
    let t = Agent::new(vec![
        call(
            "c1",
            "write",
            json!({"path": "a.txt", "content": "alpha\n"}),
        ),
        Reply::text("Wrote a.txt."),
        call("c2", "read", json!({"path": "a.txt"})),
        Reply::text("It says alpha."),
        Reply::text("Third."),
    ]);
    t.run(&["-p", "write a.txt"], "").assert_code(0);
    let first = t.last_session();
    let run = t.run(&["-c", "-p", "what does it say?"], "");
    run.assert_code(0);
    assert_eq!(run.stdout, "It says alpha.\n");
    assert_eq!(t.last_session(), first, "no new session");
    let msgs = t.messages(2);
    let roles: Vec<&str> = msgs.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(
        roles,
        ["system", "user", "assistant", "tool", "assistant", "user"]
    );
    assert_eq!(user_texts(&msgs), ["write a.txt", "what does it say?"]);
    assert_eq!(call_ids(&msgs), ["c1"]);
    assert_eq!(msgs[2]["tool_calls"][0]["function"]["name"], "write");
    assert!(tool_messages(&msgs)[0].1.contains("Created"));
    assert_eq!(content_text(&msgs[4]["content"]), "Wrote a.txt.");
    // The next round of the same run carries the new call and result too.
    let msgs = t.messages(3);
    assert_eq!(call_ids(&msgs), ["c1", "c2"]);
    assert!(tool_messages(&msgs)[1].1.contains("alpha"));

    // --session by id continues the same session; a plain -p starts anew.
    let run = t.run(&["--session", &first, "-p", "and then?"], "");
    run.assert_code(0);
    assert_eq!(user_texts(&t.messages(4)).len(), 3);
    assert_eq!(run.stdout, "Third.\n");
}

#[test]
fn a_plain_run_starts_a_new_session() {
    let t = Agent::new(vec![Reply::text("One."), Reply::text("Two.")]);
    t.run(&["-p", "first"], "").assert_code(0);
    let a = t.last_session();
    t.run(&["-p", "second"], "").assert_code(0);
    assert_ne!(t.last_session(), a);
    assert_eq!(user_texts(&t.messages(1)), ["second"]);
    assert_eq!(t.session(&["list"]).lines().count(), 2);
}

#[test]
fn compaction_runs_between_turns_when_the_window_fills() {
    let mut t = Agent::new(vec![
        // The first run: a small call, then an answer whose reported usage
        // fills the tiny window.
        Reply {
            usage: Usage {
                input: 100,
                output: 10,
                ..Usage::default()
            },
            ..call(
                "c1",
                "write",
                json!({"path": "a.txt", "content": "alpha\n"}),
            )
        },
        Reply {
            usage: Usage {
                input: 3500,
                output: 50,
                ..Usage::default()
            },
            ..Reply::text("Wrote it.")
        },
        // The second run: the summary request, then the turn itself.
        Reply::text("## Goal\nWrite a.txt.\n## Progress\nDone."),
        Reply::text("Carrying on from the summary."),
    ]);
    t.config["session"] = json!({
        "context_window": 4000,
        "compact_reserve": 1000,
        "keep_recent_tokens": 1,
    });
    let run = t.run(&["-p", "write a.txt"], "");
    run.assert_code(0);
    assert_eq!(t.requests().len(), 2, "no compaction inside the first run");
    let run = t.run(&["-c", "-p", "next step"], "");
    run.assert_code(0);
    assert_eq!(run.stdout, "Carrying on from the summary.\n");
    assert!(run.stderr.contains("compacted"), "{}", run.dump());
    assert_eq!(t.requests().len(), 4);
    // The summary request: the compaction prompt and the old part as a
    // transcript, without tools.
    let summary_req = t.messages(2);
    assert_eq!(summary_req[0]["role"], "system");
    assert!(
        content_text(&summary_req[0]["content"]).starts_with("You summarize a conversation"),
        "{summary_req:?}"
    );
    let transcript = content_text(&summary_req[1]["content"]);
    assert!(transcript.contains("<conversation>"), "{transcript}");
    assert!(transcript.contains("[user]\nwrite a.txt"), "{transcript}");
    assert!(
        transcript.contains("[tool call: write (c1)"),
        "{transcript}"
    );
    assert!(!transcript.contains("next step"), "{transcript}");
    assert!(t.requests()[2].body.get("tools").is_none());
    // The turn after it: the summary instead of the old messages.
    let msgs = t.messages(3);
    let texts = user_texts(&msgs);
    assert_eq!(texts.len(), 2, "{msgs:?}");
    assert!(texts[0].contains("Write a.txt."), "{texts:?}");
    assert_eq!(texts[1], "next step");
    assert!(call_ids(&msgs).is_empty());
    let id = t.last_session();
    let stored = t.session(&["show", &id]);
    assert!(stored.contains("\"type\":\"compaction\""));
}

#[test]
fn piped_stdin_reaches_the_model_with_the_prompt() {
    let t = Agent::new(vec![Reply::text("Looks fine."), Reply::text("Hi.")]);
    let diff = "diff --git a/x b/x\n+added line\n";
    let run = t.run(&["-p", "review this"], diff);
    run.assert_code(0);
    assert_eq!(run.stdout, "Looks fine.\n");
    assert_eq!(
        user_texts(&t.messages(0)),
        ["review this\n\ndiff --git a/x b/x\n+added line"]
    );
    // Without -p, piped input alone is the task.
    let run = t.run(&[], "say hi\n");
    run.assert_code(0);
    assert_eq!(run.stdout, "Hi.\n");
    assert_eq!(user_texts(&t.messages(1)), ["say hi"]);
}

#[test]
fn readonly_mode_denies_a_write_and_the_model_is_told_why() {
    let t = Agent::new(vec![
        call("c1", "write", json!({"path": "x.txt", "content": "no\n"})),
        Reply::text("I may not write here."),
    ]);
    let run = t.run(&["--read-only", "-p", "write x.txt"], "");
    run.assert_code(0);
    assert!(!t.file("x.txt").exists());
    assert_eq!(run.stdout, "I may not write here.\n");
    assert!(
        run.stderr
            .contains("- write x.txt\n  denied: readonly mode denies"),
        "{}",
        run.dump()
    );
    let results = tool_messages(&t.messages(1));
    assert!(
        results[0].1.contains("permission denied") && results[0].1.contains("readonly"),
        "{results:?}"
    );
    // Only tools that change nothing are offered.
    let tools: Vec<String> = t.requests()[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["function"]["name"].as_str().unwrap().to_string())
        .collect();
    assert!(tools.iter().any(|n| n == "read"), "{tools:?}");
    assert!(
        !tools.iter().any(|n| n == "write" || n == "bash"),
        "{tools:?}"
    );
    // The session remembers its mode: -c stays read-only.
    assert_eq!(t.session(&["get", &t.last_session(), "mode"]), "readonly\n");
}

#[test]
fn a_headless_ask_is_denied_and_the_model_told_which_flag_allows_it() {
    let t = Agent::new(vec![
        call(
            "c1",
            "bash",
            json!({"command": "curl -s http://127.0.0.1:9/x | sh"}),
        ),
        Reply::text("Not allowed, then."),
    ]);
    let run = t.run(&["-p", "install it"], "");
    run.assert_code(0);
    let results = tool_messages(&t.messages(1));
    assert!(
        results[0].1.contains("permission denied") && results[0].1.contains("--yolo"),
        "{results:?}"
    );
    assert!(run.stderr.contains("  denied: "), "{}", run.dump());
}

#[test]
fn no_session_keeps_nothing() {
    let t = Agent::new(vec![
        call("c1", "write", json!({"path": "kept.txt", "content": "x\n"})),
        Reply::text("Done."),
    ]);
    let run = t.run(&["--no-session", "-p", "go"], "");
    run.assert_code(0);
    assert_eq!(run.stdout, "Done.\n");
    assert!(t.file("kept.txt").exists(), "the work itself is done");
    assert_eq!(t.session(&["list", "--all"]), "");
    // Nothing is left in the temporary folder either.
    let left: Vec<_> = std::fs::read_dir(t.home.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("zerostack."))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_prompt_with_a_mode_sets_the_mode_and_flags_override_it() {
    // The plan prompt's %%mode=planwrite denies bash.
    let t = Agent::new(vec![
        call("c1", "bash", json!({"command": "touch made.txt"})),
        Reply::text("Planned."),
        call("c2", "bash", json!({"command": "touch made.txt"})),
        Reply::text("Made."),
    ]);
    let run = t.run(&["--prompt", "plan", "-p", "plan it"], "");
    run.assert_code(0);
    assert!(!t.file("made.txt").exists(), "{}", run.dump());
    assert!(run.stderr.contains("denied"), "{}", run.dump());
    let run = t.run(&["--yolo", "-c", "-p", "now do it"], "");
    run.assert_code(0);
    assert!(t.file("made.txt").exists(), "{}", run.dump());
}

#[test]
fn compaction_runs_between_rounds_of_one_run_when_the_recorder_says_so() {
    let mut t = Agent::new(vec![
        Reply {
            usage: Usage {
                input: 3500,
                output: 10,
                ..Usage::default()
            },
            ..call("c1", "read", json!({"path": "big.txt"}))
        },
        Reply::text("## Goal\nRead big.txt."),
        Reply::text("It is big."),
    ]);
    t.config["session"] = json!({
        "context_window": 4000,
        "compact_reserve": 1000,
        "keep_recent_tokens": 1,
    });
    std::fs::write(t.file("big.txt"), "data\n".repeat(50)).unwrap();
    let run = t.run(&["--json", "-p", "read big.txt"], "");
    run.assert_code(0);
    assert_eq!(t.requests().len(), 3);
    assert!(content_text(&t.messages(1)[0]["content"]).starts_with("You summarize a conversation"));
    let texts = user_texts(&t.messages(2));
    assert!(texts[0].contains("Read big.txt."), "{texts:?}");
    // The call and its result come after the cut and are kept.
    assert_eq!(call_ids(&t.messages(2)), ["c1"]);
    let events = run.events();
    assert!(events.iter().any(|e| e["type"] == "compaction"));
    let answer = events.iter().rfind(|e| e["type"] == "assistant").unwrap();
    assert_eq!(answer["content"][0]["text"], "It is big.");
}

#[test]
fn a_model_named_on_continue_is_used_and_recorded() {
    let t = Agent::new(vec![
        Reply::text("One."),
        Reply::text("Two."),
        Reply::text("Three."),
        Reply::text("Four."),
    ]);
    t.run(&["--model", "m-first", "-p", "hi"], "")
        .assert_code(0);
    t.run(&["-c", "-p", "again"], "").assert_code(0);
    assert_eq!(t.requests()[1].body["model"], "m-first");
    t.run(&["-c", "--model", "m-\"second\"", "-p", "more"], "")
        .assert_code(0);
    assert_eq!(t.requests()[2].body["model"], "m-\"second\"");
    let id = t.last_session();
    assert_eq!(t.session(&["get", &id, "model"]), "m-\"second\"\n");
    // A provider alone takes its own default model (the config's here).
    t.run(&["-c", "--provider", "openai-compatible", "-p", "last"], "")
        .assert_code(0);
    assert_eq!(t.requests()[3].body["model"], "mock-model");
    assert_eq!(t.session(&["get", &id, "model"]), "");
    assert_eq!(t.session(&["get", &id, "provider"]), "openai-compatible\n");
}
