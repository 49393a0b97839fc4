//! zs-session integration tests: the real binary, a hermetic home per test.
//! The store (new, list, show, append, last), record as a tee and under
//! signals, the context (native replay, interrupted calls, trimming,
//! context files, compaction), torn lines, the lock, and the other
//! subcommands; ring.rs: the stages that stay up across rounds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod loop_support;
mod more;
mod ring;

use common::{Home, ndjson, of_type};
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

pub const USER: &str = r#"{"type":"user","text":"read a.txt"}"#;
pub const CALLS: &str = r#"{"type":"assistant","content":[{"type":"reasoning","text":"hm","signature":"sig"},{"type":"text","text":"Reading."},{"type":"tool_call","id":"c1","name":"read","arguments":{"path":"a.txt"}},{"type":"tool_call","id":"c2","name":"bash","arguments":{"command":"ls"}}],"stop":"tool_calls","usage":{"input":100,"output":20,"cache_read":50,"cache_write":10,"reasoning":5},"model":"m1","provider":"p"}"#;
pub const RES1: &str = r#"{"type":"tool_result","call_id":"c1","name":"read","content":"hello","is_error":false,"lines":1}"#;
pub const RES2: &str =
    r#"{"type":"tool_result","call_id":"c2","name":"bash","content":"a.txt\n","is_error":false}"#;
pub const ANSWER: &str = r#"{"type":"assistant","content":[{"type":"text","text":"It says hello."}],"stop":"end","usage":{"input":200,"output":10,"cache_read":150,"cache_write":0,"reasoning":0},"model":"m1"}"#;

/// Runs zs-session with `args` and `stdin`.
pub fn zs(h: &Home, args: &[&str], stdin: &str) -> Output {
    h.cmd("zs-session")
        .args(args)
        .write_stdin(stdin)
        .output()
        .unwrap()
}

pub fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A new session; returns its id.
pub fn new_session(h: &Home, extra: &[&str]) -> String {
    let mut args = vec!["new", "--print-id"];
    args.extend_from_slice(extra);
    ok(zs(h, &args, "")).trim().to_string()
}

/// The session's file.
pub fn file_of(h: &Home, id: &str) -> PathBuf {
    let dir = ok(zs(h, &["dir", id], ""));
    PathBuf::from(format!("{}.jsonl", dir.trim()))
}

pub fn dir_of(h: &Home, id: &str) -> PathBuf {
    PathBuf::from(ok(zs(h, &["dir", id], "")).trim())
}

/// Records `lines` into session `id`.
pub fn record(h: &Home, id: &str, lines: &[&str]) -> Output {
    let mut input = lines.join("\n");
    input.push('\n');
    zs(h, &["record", id], &input)
}

/// The context lines of `id`, system line first.
pub fn context(h: &Home, id: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["context", id];
    args.extend_from_slice(extra);
    ok(zs(h, &args, "")).lines().map(str::to_string).collect()
}

/// The stored lines after the header.
pub fn entries(h: &Home, id: &str) -> Vec<String> {
    std::fs::read_to_string(file_of(h, id))
        .unwrap()
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect()
}

/// Starts zs-session with `args` and its stdin, stdout and stderr piped,
/// for a test that holds its input open or drops its output.
pub fn spawn(h: &Home, args: &[&str]) -> std::process::Child {
    h.std_cmd("zs-session")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Appends `text` to the file at `path` as it is: a torn line (a writer
/// that died mid-line) or one glued to the next.
pub fn append_raw(path: &Path, text: &str) {
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

/// The `torn-*` files kept in the session's folder: the bytes of torn
/// lines cut off its file.
pub fn torn_kept(h: &Home, id: &str) -> Vec<PathBuf> {
    std::fs::read_dir(dir_of(h, id))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("torn-")
        })
        .collect()
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn new_writes_a_header_and_list_show_append_last_work() {
    let h = Home::new();
    let out = ok(zs(
        &h,
        &[
            "new",
            "--model",
            "m1",
            "--provider",
            "p",
            "--name",
            "first",
            "--prompt",
            "review",
        ],
        "",
    ));
    let header: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(header["type"], "session");
    assert_eq!(header["version"], 1);
    assert_eq!(header["model"], "m1");
    assert_eq!(header["provider"], "p");
    assert_eq!(header["prompt"], "review");
    // The review prompt's %%mode line decides the mode.
    assert_eq!(header["mode"], "readonly");
    assert_eq!(header["name"], "first");
    assert!(header["created"].as_str().unwrap().ends_with('Z'));
    let id = header["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), "20261120-224501-1a2b".len(), "{id}");

    ok(zs(&h, &["append", "first", "read", "a.txt"], ""));
    ok(zs(&h, &["append", &id[..10]], "second message\n"));
    ok(record(&h, &id, &[ANSWER]));

    let shown = ok(zs(&h, &["show", &id], ""));
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0], out.trim());
    assert_eq!(lines[1], r#"{"type":"user","text":"read a.txt"}"#);
    assert_eq!(lines[2], r#"{"type":"user","text":"second message"}"#);
    assert_eq!(lines[3], ANSWER);
    assert_eq!(
        ok(zs(&h, &["cat", "first", "--from", "3"], "")),
        format!("{ANSWER}\n")
    );

    assert_eq!(ok(zs(&h, &["last", "first"], "")), "It says hello.\n");
    assert_eq!(
        ok(zs(&h, &["last", "first", "--json"], "")),
        format!("{ANSWER}\n")
    );
    assert_eq!(ok(zs(&h, &["state", "first"], "")), "user\n");

    let second = new_session(&h, &[]);
    let listed = ok(zs(&h, &["list"], ""));
    let rows: Vec<&str> = listed.lines().collect();
    assert_eq!(rows.len(), 2);
    assert!(rows[0].starts_with(&second), "newest first: {listed}");
    assert!(
        rows[1].starts_with(&id) && rows[1].contains("first") && rows[1].contains("read a.txt")
    );
    let json = ndjson(ok(zs(&h, &["list", "--json"], "")).as_bytes());
    assert_eq!(json[1]["type"], "session_info");
    assert_eq!(json[1]["id"], id.as_str());
    assert_eq!(json[1]["entries"], 3);
    assert_eq!(json[1]["first_user"], "read a.txt");
    assert_eq!(
        ok(zs(&h, &["list", "-n", "1", "--json"], ""))
            .lines()
            .count(),
        1
    );
    // @last is the most recently written session of this project.
    assert_eq!(
        ok(zs(&h, &["dir", "@last"], "")),
        ok(zs(&h, &["dir", &second], ""))
    );
    ok(zs(&h, &["append", &id, "again"], ""));
    assert_eq!(
        ok(zs(&h, &["dir", "@last"], "")),
        ok(zs(&h, &["dir", &id], ""))
    );
}

#[test]
fn sessions_are_found_by_prefix_or_name_and_ambiguity_is_an_error() {
    let h = Home::new();
    let a = new_session(&h, &["--name", "alpha"]);
    let b = new_session(&h, &[]);
    assert_eq!(
        ok(zs(&h, &["dir", "alpha"], "")),
        ok(zs(&h, &["dir", &a], ""))
    );
    let common_prefix = &a[..8];
    if b.starts_with(common_prefix) {
        let out = zs(&h, &["dir", common_prefix], "");
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("ambiguous"));
    }
    let out = zs(&h, &["dir", "nope"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("zs-session: error: no session 'nope'"));
    // A path to the file works too.
    let f = file_of(&h, &b);
    assert_eq!(
        ok(zs(&h, &["dir", f.to_str().unwrap()], "")),
        ok(zs(&h, &["dir", &b], ""))
    );
}

#[test]
fn record_is_a_tee_that_stores_only_persistent_events() {
    let h = Home::new();
    let id = new_session(&h, &[]);
    ok(zs(&h, &["append", &id, "read a.txt"], ""));
    let input = [
        r#"{"type":"reasoning_delta","text":"hm"}"#,
        r#"{"type":"text_delta","text":"Reading."}"#,
        CALLS,
        r#"{"type":"permission","call_id":"c1","decision":"allow","by":"mode"}"#,
        r#"{"type":"permission","call_id":"c2","decision":"allow","by":"mode"}"#,
        r#"{"type":"tool_output","call_id":"c2","text":"a.txt\n"}"#,
        RES1,
        RES2,
        r#"{"type":"future_thing","x":{"y":[1,2]}}"#,
        r#"{"type":"status","source":"zs-tool","message":"done"}"#,
    ];
    let mut text = input.join("\n");
    text.push('\n');
    let out = zs(&h, &["record", &id], &text);
    assert_eq!(ok(out), text, "every line passes through unchanged");
    assert_eq!(entries(&h, &id), [USER, CALLS, RES1, RES2]);
}

#[test]
fn record_passes_bad_lines_on_reports_them_and_stores_nothing_of_them() {
    let h = Home::new();
    let id = new_session(&h, &[]);
    let out = record(
        &h,
        &id,
        &[
            "not json",
            r#"{"type":"user"}"#,
            r#"{"type":"user","text":"ok"}"#,
        ],
    );
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "not json");
    let e: Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(
        (e["type"].as_str(), e["line"].as_u64(), e["fatal"].as_bool()),
        (Some("error"), Some(1), Some(false))
    );
    assert_eq!(lines[2], r#"{"type":"user"}"#);
    let e: Value = serde_json::from_str(lines[3]).unwrap();
    assert_eq!(e["line"], 2);
    assert_eq!(lines[4], r#"{"type":"user","text":"ok"}"#);
    assert_eq!(entries(&h, &id), [r#"{"type":"user","text":"ok"}"#]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 bad input lines"));
}

#[test]
fn context_replays_native_tool_calls_and_results_exactly() {
    let h = Home::new();
    let id = new_session(&h, &[]);
    ok(record(&h, &id, &[USER, CALLS, RES1, RES2, ANSWER]));
    let lines = context(&h, &id, &[]);
    let system: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(system["type"], "system");
    let text = system["text"].as_str().unwrap();
    assert!(text.starts_with("You are zerostack"), "{text}");
    assert!(text.contains(&format!(
        "- Working directory: {}",
        std::fs::canonicalize(h.path()).unwrap().display()
    )));
    assert!(text.contains("- Date: 20"));
    assert_eq!(&lines[1..], [USER, CALLS, RES1, RES2, ANSWER]);
    assert_eq!(ok(zs(&h, &["state", &id], "")), "user\n");
}

#[test]
fn a_tool_call_without_a_result_gets_an_interrupted_one() {
    let h = Home::new();
    let id = new_session(&h, &[]);
    ok(record(&h, &id, &[USER, CALLS, RES1]));
    assert_eq!(ok(zs(&h, &["state", &id], "")), "interrupted\n");
    let lines = context(&h, &id, &[]);
    assert_eq!(&lines[1..4], [USER, CALLS, RES1]);
    let synth: Value = serde_json::from_str(&lines[4]).unwrap();
    assert_eq!(synth["type"], "tool_result");
    assert_eq!(synth["call_id"], "c2");
    assert_eq!(synth["name"], "bash");
    assert_eq!(synth["is_error"], true);
    assert_eq!(synth["interrupted"], true);
    assert!(synth["content"].as_str().unwrap().contains("interrupted"));
    assert_eq!(lines.len(), 5);
    // A later user message comes after the synthesized result.
    ok(zs(&h, &["append", &id, "go on"], ""));
    let lines = context(&h, &id, &[]);
    assert_eq!(lines.len(), 6);
    assert!(lines[4].contains("\"interrupted\":true"));
    assert_eq!(lines[5], r#"{"type":"user","text":"go on"}"#);
    assert_eq!(ok(zs(&h, &["state", &id], "")), "model\n");
}

#[test]
fn big_tool_outputs_are_trimmed_in_context_and_kept_in_full() {
    let h = Home::new();
    h.write_config(r#"{"session":{"trim_chars":100,"trim_head":10,"trim_tail":20}}"#);
    let id = new_session(&h, &[]);
    let big: String = (0..50).map(|i| format!("line {i:03}\n")).collect();
    let res =
        json!({"type":"tool_result","call_id":"c1","name":"read","content":big,"is_error":false})
            .to_string();
    ok(record(&h, &id, &[USER, CALLS, &res, RES2]));
    let lines = context(&h, &id, &[]);
    let trimmed: Value = serde_json::from_str(&lines[3]).unwrap();
    let content = trimmed["content"].as_str().unwrap();
    let full = dir_of(&h, &id).join("outputs/c1.txt");
    assert!(content.starts_with(&big[..10]), "{content}");
    assert!(content.ends_with(&big[big.len() - 20..]), "{content}");
    assert!(
        content.contains(&format!("{} characters omitted", big.len() - 30)),
        "{content}"
    );
    assert!(content.contains(&full.display().to_string()), "{content}");
    assert_eq!(std::fs::read_to_string(&full).unwrap(), big);
    assert_eq!(trimmed["call_id"], "c1");
    // The stored entry is untouched.
    assert_eq!(entries(&h, &id)[2], res);
    // A second context gives the same bytes (prompt caches stay warm).
    assert_eq!(context(&h, &id, &[]), lines);
}

#[test]
fn context_files_come_from_the_repository_and_can_be_left_out() {
    let h = Home::new();
    let repo = h.path().join("repo");
    let sub = repo.join("crates/x");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::create_dir(repo.join(".git")).unwrap();
    std::fs::write(repo.join("AGENTS.md"), "ROOT AGENTS").unwrap();
    std::fs::write(sub.join("CLAUDE.md"), "SUB CLAUDE").unwrap();
    std::fs::write(repo.join("ARCHITECTURE.md"), "THE ARCHITECTURE").unwrap();
    std::fs::write(h.config_dir().join("AGENTS.md"), "GLOBAL AGENTS").unwrap();
    std::fs::write(h.path().join("AGENTS.md"), "OUTSIDE THE REPO").unwrap();
    let id = new_session(&h, &["--cwd", sub.to_str().unwrap()]);
    ok(zs(&h, &["append", &id, "hi"], ""));
    let sys: Value = serde_json::from_str(&context(&h, &id, &[])[0]).unwrap();
    let text = sys["text"].as_str().unwrap();
    let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("no {s} in {text}"));
    assert!(at("GLOBAL AGENTS") < at("ROOT AGENTS"));
    assert!(at("ROOT AGENTS") < at("SUB CLAUDE"));
    assert!(at("SUB CLAUDE") < at("THE ARCHITECTURE"));
    assert!(at("THE ARCHITECTURE") < at("Working directory:"));
    assert!(!text.contains("OUTSIDE THE REPO"));
    assert!(text.contains(&format!(
        "- Repository root: {}",
        std::fs::canonicalize(&repo).unwrap().display()
    )));
    for flag in ["--no-context-files", "-n"] {
        let sys: Value = serde_json::from_str(&context(&h, &id, &[flag])[0]).unwrap();
        let text = sys["text"].as_str().unwrap();
        assert!(
            !text.contains("ROOT AGENTS")
                && !text.contains("SUB CLAUDE")
                && !text.contains("THE ARCHITECTURE")
        );
        assert!(text.contains("Working directory:"));
    }
}

#[test]
fn context_starts_from_the_last_compaction() {
    let h = Home::new();
    let id = new_session(&h, &[]);
    let compaction = r#"{"type":"compaction","summary":"They read a.txt.","first_kept":6,"tokens_before":900,"tokens_after":100}"#;
    ok(record(&h, &id, &[USER, CALLS, RES1, RES2, ANSWER]));
    ok(zs(&h, &["append", &id, "and b?"], ""));
    ok(record(&h, &id, &[ANSWER, compaction]));
    let lines = context(&h, &id, &[]);
    assert_eq!(
        &lines[1..],
        [compaction, r#"{"type":"user","text":"and b?"}"#, ANSWER]
    );
}

#[test]
fn the_prompt_and_tools_can_be_chosen_for_the_context() {
    let h = Home::new();
    let id = new_session(&h, &[]);
    ok(zs(&h, &["append", &id, "hi"], ""));
    let tools = r#"{"type":"tools","tools":[{"name":"read","description":"Read a file","parameters":{"type":"object","properties":{"path":{"type":"string"}}}}]}"#;
    std::fs::write(h.path().join("tools.jsonl"), format!("{tools}\n")).unwrap();
    let lines = context(&h, &id, &["--tools", "tools.jsonl", "--prompt", "ask"]);
    assert_eq!(lines[1], tools);
    let sys: Value = serde_json::from_str(&lines[0]).unwrap();
    let text = sys["text"].as_str().unwrap();
    assert!(
        text.starts_with("You are zerostack answering questions"),
        "{text}"
    );
    assert!(!text.contains("%%mode"));
    // A user prompt overrides the built-in of the same name.
    let d = h.config_dir().join("prompts");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("code.md"), "%%mode=guarded\nMY OWN PROMPT\n").unwrap();
    let sys: Value = serde_json::from_str(&context(&h, &id, &[])[0]).unwrap();
    assert!(sys["text"].as_str().unwrap().starts_with("MY OWN PROMPT\n"));
    assert_eq!(ok(zs(&h, &["prompt", "code", "--mode"], "")), "guarded\n");
    assert_eq!(ok(zs(&h, &["prompt", "plan", "--mode"], "")), "planwrite\n");
    assert_eq!(ok(zs(&h, &["prompt", "debug", "--mode"], "")), "");
    let list = ok(zs(&h, &["prompt", "--list"], ""));
    assert!(list.contains("review-security\tbuilt-in"), "{list}");
    assert!(
        list.lines()
            .any(|l| l.starts_with("code\t") && l.ends_with("code.md")),
        "{list}"
    );
    let out = zs(&h, &["context", &id, "--prompt", "nope"], "");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_torn_last_line_is_cut_with_a_warning_and_its_bytes_kept() {
    let h = Home::new();
    let id = new_session(&h, &[]);
    ok(record(&h, &id, &[USER, CALLS]));
    let f = file_of(&h, &id);
    let before = std::fs::read(&f).unwrap();
    let torn = &RES1[..30];
    append_raw(&f, torn);
    let out = zs(&h, &["show", &id], "");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("zs-session: warning:") && err.contains("torn"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&f).unwrap(),
        before,
        "the file is back to its last whole line"
    );
    let kept = torn_kept(&h, &id);
    assert_eq!(kept.len(), 1);
    assert_eq!(std::fs::read_to_string(&kept[0]).unwrap(), torn);
    // Appending goes on from a clean end.
    ok(record(&h, &id, &[RES1, RES2]));
    assert_eq!(entries(&h, &id), [USER, CALLS, RES1, RES2]);
    // A torn line glued to a later one (a writer that did not repair) is cut too.
    append_raw(&f, &format!("{{\"type\":\"assi{ANSWER}\n"));
    let out = zs(&h, &["append", &id, "next"], "");
    assert!(String::from_utf8_lossy(&out.stderr).contains("torn"));
    ok(out);
    assert_eq!(
        entries(&h, &id),
        [USER, CALLS, RES1, RES2, r#"{"type":"user","text":"next"}"#]
    );
}

#[test]
fn a_session_of_a_newer_protocol_version_is_refused() {
    let h = Home::new();
    let id = new_session(&h, &[]);
    let f = file_of(&h, &id);
    let text = std::fs::read_to_string(&f)
        .unwrap()
        .replace("\"version\":1", "\"version\":7");
    std::fs::write(&f, text).unwrap();
    for args in [
        vec!["context", id.as_str()],
        vec!["append", id.as_str(), "x"],
        vec!["show", id.as_str()],
    ] {
        let out = zs(&h, &args, "");
        assert_eq!(out.status.code(), Some(3), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("version 7") && err.contains("version 1"),
            "{err}"
        );
    }
}

#[test]
fn sigkill_of_record_mid_turn_leaves_a_valid_resumable_session() {
    let h = Home::new();
    let id = new_session(&h, &[]);
    ok(zs(&h, &["append", &id, "read a.txt"], ""));
    let mut child = spawn(&h, &["record", &id]);
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, r#"{{"type":"text_delta","text":"Reading."}}"#).unwrap();
    writeln!(stdin, "{CALLS}").unwrap();
    writeln!(stdin, "{RES1}").unwrap();
    stdin.flush().unwrap();
    let f = file_of(&h, &id);
    wait_for("the result to be stored", || {
        std::fs::read_to_string(&f).unwrap().contains(RES1)
    });
    child.kill().unwrap();
    child.wait().unwrap();
    drop(stdin);
    assert_eq!(entries(&h, &id)[1..], [CALLS, RES1]);
    let lines = context(&h, &id, &[]);
    assert_eq!(
        &lines[1..4],
        [r#"{"type":"user","text":"read a.txt"}"#, CALLS, RES1]
    );
    assert!(lines[4].contains(r#""call_id":"c2""#) && lines[4].contains("\"interrupted\":true"));
    // The lock died with the process: the session takes writers again.
    ok(record(&h, &id, &[RES2]));
    assert_eq!(context(&h, &id, &[])[4], RES2);
}

#[test]
fn sigint_does_not_stop_record_before_its_input_ends() {
    let h = Home::new();
    let id = new_session(&h, &[]);
    let mut child = spawn(&h, &["record", &id]);
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{USER}").unwrap();
    stdin.flush().unwrap();
    let f = file_of(&h, &id);
    wait_for("the first line", || {
        std::fs::read_to_string(&f).unwrap().contains(USER)
    });
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        child.try_wait().unwrap().is_none(),
        "record must survive SIGINT"
    );
    writeln!(stdin, "{ANSWER}").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{USER}\n{ANSWER}\n")
    );
    assert_eq!(entries(&h, &id), [USER, ANSWER]);
}

#[test]
fn the_lock_refuses_a_second_writer() {
    let h = Home::new();
    h.write_config(r#"{"session":{"lock_wait_ms":100}}"#);
    let id = new_session(&h, &[]);
    let mut child = h
        .std_cmd("zs-session")
        .args(["record", &id])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lock = dir_of(&h, &id).join("lock");
    let pid = child.id().to_string();
    wait_for("the lock", || {
        std::fs::read_to_string(&lock).is_ok_and(|s| s.trim() == pid)
    });
    for args in [
        vec!["append", id.as_str(), "x"],
        vec!["record", id.as_str()],
        vec!["rename", id.as_str(), "n"],
    ] {
        let out = zs(&h, &args, "");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("being written by another process") && err.contains(&pid),
            "{err}"
        );
        let events = ndjson(&out.stdout);
        assert_eq!(of_type(&events, "error")[0]["fatal"], true);
    }
    // Readers are not blocked.
    ok(zs(&h, &["context", &id], ""));
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    ok(zs(&h, &["append", &id, "x"], ""));
}

/// Writes an executable script.
pub fn script(path: &Path, body: &str) {
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    let mut perm = std::fs::metadata(path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(path, perm).unwrap();
}

#[test]
fn record_keeps_storing_when_its_reader_goes_away() {
    let h = Home::new();
    let id = new_session(&h, &[]);
    let mut child = spawn(&h, &["record", &id]);
    drop(child.stdout.take());
    let mut stdin = child.stdin.take().unwrap();
    for line in [USER, CALLS, RES1, RES2, ANSWER] {
        writeln!(stdin, "{line}").unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(entries(&h, &id), [USER, CALLS, RES1, RES2, ANSWER]);
}

#[test]
fn fixture_sessions_replay_as_their_golden_context() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/zs-session");
    let mut cases = 0;
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let Some(case) = name.strip_suffix(".context.jsonl") else {
            continue;
        };
        cases += 1;
        let h = Home::new();
        let copy = h.path().join(format!("{case}.jsonl"));
        std::fs::copy(fixtures.join(format!("{case}.jsonl")), &copy).unwrap();
        let out = zs(&h, &["context", copy.to_str().unwrap(), "-n"], "");
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        let got = ok(out);
        let want = std::fs::read_to_string(&path).unwrap();
        let got: Vec<&str> = got.lines().skip(1).collect();
        assert_eq!(
            got,
            want.lines().collect::<Vec<_>>(),
            "case {case}; stderr: {err}"
        );
    }
    assert!(cases > 0, "no fixtures in {}", fixtures.display());
}
