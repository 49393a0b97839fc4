//! zs-session in the ring, where the stages stay up for all the rounds of a
//! prompt and a `round_end` line closes each round: `context --follow`
//! writes a fresh context per input line, and `record` closes a round at
//! its `round_end` (synced, the lock let go, round_end passed on, then the
//! state line), so other writers get in between rounds.

use super::common::{Home, Live, signal, wait_for};
use super::*;
use std::io::Read;
use zerostack::protocol::ROUND_END_LINE;

/// The bound on every wait of these tests: far above what any step takes.
const LIMIT: Duration = Duration::from_secs(20);

/// A zs-session with `args` that stays up, every wait within [`LIMIT`].
fn start(h: &Home, args: &[&str]) -> Live {
    let what = format!("zs-session {}", args.join(" "));
    Live::start(h.std_cmd("zs-session").args(args), &what, LIMIT)
}

/// The lines of stdout up to and including the next `round_end`, each
/// within [`LIMIT`].
fn round(live: &mut Live) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        let l = live.line();
        let end = l == ROUND_END_LINE;
        lines.push(l);
        if end {
            return lines;
        }
    }
}

/// The text of the file at `path` once it has `n` lines (waited for).
fn lines_of(path: &Path, n: usize) -> String {
    let mut text = String::new();
    wait_for(&format!("{n} lines in {}", path.display()), LIMIT, || {
        text = std::fs::read_to_string(path).unwrap_or_default();
        text.lines().count() >= n
    });
    text
}

/// A `user` line as `append` stores it.
fn user(text: &str) -> String {
    format!(r#"{{"type":"user","text":{}}}"#, json!(text))
}

#[test]
fn context_follow_writes_the_session_as_it_stands_for_every_line() {
    let h = Home::new();
    let id = new_session(&h, &[]);
    ok(zs(&h, &["append", &id, "first"], ""));
    let tools = h.path().join("tools.json");
    std::fs::write(
        &tools,
        r#"{"type":"tools","tools":[{"name":"read","description":"Read a file","parameters":{"type":"object"}}]}"#,
    )
    .unwrap();
    let tools = tools.to_str().unwrap();
    let mut live = start(&h, &["context", &id, "--follow", "--tools", tools]);

    live.send_lines(&["next"]);
    let r1 = round(&mut live);
    // What `context` writes, then round_end.
    let once = context(&h, &id, &["--tools", tools]);
    assert!(!once.iter().any(|l| l.contains("round_end")), "{once:?}");
    assert_eq!(r1[..r1.len() - 1], once[..]);
    assert_eq!(r1.last().unwrap(), ROUND_END_LINE);
    assert_eq!(r1[r1.len() - 2], user("first"));

    // Between rounds: an entry, and a context file (re-read every round).
    ok(zs(&h, &["append", &id, "second"], ""));
    std::fs::write(h.config_dir().join("AGENTS.md"), "Indent with tabs.").unwrap();
    assert!(live.running());
    // The line's content is ignored.
    live.send_lines(&["anything at all"]);
    let r2 = round(&mut live);
    let once = context(&h, &id, &["--tools", tools]);
    assert_eq!(r2[..r2.len() - 1], once[..]);
    assert_eq!(r2.last().unwrap(), ROUND_END_LINE);
    assert_eq!(
        r2[r2.len() - 3..r2.len() - 1],
        [user("first"), user("second")]
    );
    assert!(r2[0].contains("Indent with tabs."), "{}", r2[0]);
    assert!(!r1[0].contains("Indent with tabs."));
    assert!(r2[1].starts_with(r#"{"type":"tools""#), "{}", r2[1]);

    // End of input: exit 0, nothing more.
    let end = live.finish();
    assert!(end.status.success(), "{}: {}", end.status, end.stderr);
    assert!(end.rest.is_empty(), "{:?}", end.rest);
    assert!(end.stderr.is_empty(), "{}", end.stderr);
}

#[test]
fn context_follow_on_empty_input_writes_nothing_and_exits_0() {
    let h = Home::new();
    let id = new_session(&h, &[]);
    let out = zs(&h, &["context", &id, "--follow"], "");
    assert_eq!(ok(out), "");
    // Two lines, the last without its newline: two contexts.
    let out = ok(zs(&h, &["context", &id, "--follow"], "next\nnext"));
    let ends = out.lines().filter(|l| *l == ROUND_END_LINE).count();
    assert_eq!(ends, 2, "{out}");
    assert!(out.ends_with(&format!("{ROUND_END_LINE}\n")));
}

#[test]
fn context_follow_exits_quietly_when_its_reader_goes_away() {
    let h = Home::new();
    let id = new_session(&h, &[]);
    ok(zs(&h, &["append", &id, "hi"], ""));
    let mut child = spawn(&h, &["context", &id, "--follow"]);
    drop(child.stdout.take());
    let mut stdin = child.stdin.take().unwrap();
    // It may be gone before the later lines: their write errors are fine.
    let _ = stdin.write_all(b"next\nnext\nnext\n");
    drop(stdin);
    let mut err = child.stderr.take().unwrap();
    let mut text = String::new();
    err.read_to_string(&mut text).unwrap();
    let mut status = None;
    wait_for("context --follow to exit", LIMIT, || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    assert_eq!(status.unwrap().code(), Some(0), "{text}");
    assert!(text.is_empty(), "{text}");
}

#[test]
fn context_follow_ends_on_sigint_while_waiting() {
    let h = Home::new();
    let id = new_session(&h, &[]);
    let mut live = start(&h, &["context", &id, "--follow"]);
    live.send_lines(&["next"]);
    round(&mut live);
    signal(live.pid(), "INT");
    // It ends with stdin still open.
    let status = live.wait().status;
    assert!(!status.success(), "{status:?}");
}

#[test]
fn record_closes_each_round_and_lets_writers_in_between() {
    let h = Home::new();
    // No waiting for the lock anywhere: a writer between rounds gets it
    // only if record has truly let go of it when the state line comes.
    h.write_config(r#"{"session":{"lock_wait_ms":0}}"#);
    let id = new_session(&h, &[]);
    ok(zs(&h, &["append", &id, "read a.txt"], ""));
    let state = h.path().join("state");
    let mut live = start(&h, &["record", &id, "--state", state.to_str().unwrap()]);

    let delta = r#"{"type":"text_delta","text":"Reading."}"#;
    live.send_lines(&[delta, CALLS, RES1, RES2, ROUND_END_LINE]);
    assert_eq!(round(&mut live), [delta, CALLS, RES1, RES2, ROUND_END_LINE]);
    // A line for round 1 before the input ends: tool results, so the
    // model is next.
    assert_eq!(lines_of(&state, 1), "model\n");
    let first = user("read a.txt");
    assert_eq!(entries(&h, &id), [first.as_str(), CALLS, RES1, RES2]);

    // Another writer while record runs, between rounds.
    let out = zs(&h, &["append", &id, "and b.txt"], "");
    assert!(live.running());
    ok(out);

    live.send_lines(&[ANSWER, ROUND_END_LINE]);
    assert_eq!(round(&mut live), [ANSWER, ROUND_END_LINE]);
    assert_eq!(lines_of(&state, 2), "model\nuser\n");

    let end = live.finish();
    assert!(end.status.success(), "{}: {}", end.status, end.stderr);
    assert!(end.rest.is_empty(), "{:?}", end.rest);
    assert!(end.stderr.is_empty(), "{}", end.stderr);
    // The last round_end closed everything: no line at the end of input.
    assert_eq!(std::fs::read_to_string(&state).unwrap(), "model\nuser\n");
    // Round 2 landed after the other writer's entry, and the file opens
    // cleanly.
    assert_eq!(
        entries(&h, &id),
        [
            first.as_str(),
            CALLS,
            RES1,
            RES2,
            user("and b.txt").as_str(),
            ANSWER
        ]
    );
    let out = zs(&h, &["show", &id, "--from", "6"], "");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(ok(out), format!("{ANSWER}\n"));
    assert_eq!(ok(zs(&h, &["state", &id], "")), "user\n");
    ok(zs(&h, &["append", &id, "x"], ""));
}

#[test]
fn round_end_leaves_record_before_the_state_line() {
    let h = Home::new();
    let id = new_session(&h, &[]);
    // The state file is record's own stdout: one pipe shows the order.
    let out = ok(zs(
        &h,
        &["record", &id, "--state", "/dev/stdout"],
        &[USER, CALLS, RES1, RES2, ROUND_END_LINE, ANSWER, ""].join("\n"),
    ));
    let want = [USER, CALLS, RES1, RES2, ROUND_END_LINE, "model", ANSWER];
    // The answer came after the last round_end: a round cut short, so no
    // state line for it (it is stored all the same).
    assert_eq!(out.lines().collect::<Vec<_>>(), want);
    // A stream that ends with round_end gets no line at the end.
    let id = new_session(&h, &[]);
    let out = ok(zs(
        &h,
        &["record", &id, "--state", "/dev/stdout"],
        &format!("{USER}\n{ROUND_END_LINE}\n"),
    ));
    assert_eq!(out, format!("{USER}\n{ROUND_END_LINE}\nmodel\n"));
    // Without --state, round_end is passed on and nothing else.
    let out = ok(zs(&h, &["record", &id], &format!("{ROUND_END_LINE}\n")));
    assert_eq!(out, format!("{ROUND_END_LINE}\n"));
    assert_eq!(entries(&h, &id), [USER]);
}

/// Starts a `record` that holds the session's lock, and waits until it does.
fn holder(h: &Home, id: &str) -> Live {
    let live = start(h, &["record", id]);
    let lock = dir_of(h, id).join("lock");
    let pid = live.pid().to_string();
    wait_for("the other writer's lock", LIMIT, || {
        std::fs::read_to_string(&lock).is_ok_and(|s| s.trim() == pid)
    });
    live
}

#[test]
fn record_waits_for_the_lock_between_rounds_and_repairs_a_torn_tail() {
    let h = Home::new();
    h.write_config(r#"{"session":{"lock_wait_ms":20000}}"#);
    let id = new_session(&h, &[]);
    let state = h.path().join("state");
    let mut live = start(&h, &["record", &id, "--state", state.to_str().unwrap()]);
    live.send_lines(&[USER, CALLS, RES1, RES2, ROUND_END_LINE]);
    round(&mut live);
    assert_eq!(lines_of(&state, 1), "model\n");

    // Another writer takes the lock between rounds; round 2 waits for it
    // (an entry is stored before it is passed on), so it comes after the
    // other writer's entry and the torn line that writer leaves as it dies.
    let mut other = holder(&h, &id);
    live.send_lines(&[ANSWER, ROUND_END_LINE]);
    let from_other = user("from the other writer");
    other.send_lines(&[&from_other]);
    assert_eq!(other.line(), from_other);
    let f = file_of(&h, &id);
    let torn = &RES1[..25];
    append_raw(&f, torn);
    assert!(live.running());
    other.kill();

    assert_eq!(round(&mut live), [ANSWER, ROUND_END_LINE]);
    assert_eq!(lines_of(&state, 2), "model\nuser\n");
    let end = live.finish();
    let err = end.stderr;
    assert!(end.status.success(), "{}: {err}", end.status);
    assert!(
        err.contains("zs-session: warning:") && err.contains("torn"),
        "{err}"
    );
    assert_eq!(
        entries(&h, &id),
        [USER, CALLS, RES1, RES2, from_other.as_str(), ANSWER]
    );
    let kept = torn_kept(&h, &id);
    assert_eq!(kept.len(), 1);
    assert_eq!(std::fs::read_to_string(&kept[0]).unwrap(), torn);
    let out = zs(&h, &["show", &id], "");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    ok(out);
}

#[test]
fn record_fails_when_the_lock_stays_held_past_the_lock_wait() {
    let h = Home::new();
    h.write_config(r#"{"session":{"lock_wait_ms":100}}"#);
    let id = new_session(&h, &[]);
    let mut live = start(&h, &["record", &id]);
    live.send_lines(&[USER, ROUND_END_LINE]);
    round(&mut live);
    let other = holder(&h, &id);
    let pid = other.pid().to_string();
    live.send_lines(&[ANSWER, ROUND_END_LINE]);
    let end = live.finish();
    let err = end.stderr;
    assert_eq!(end.status.code(), Some(1), "{err}");
    assert!(
        err.contains("being written by another process") && err.contains(&pid),
        "{err}"
    );
    let end = other.finish();
    assert!(end.status.success(), "{}", end.stderr);
    assert_eq!(entries(&h, &id), [USER]);
}
