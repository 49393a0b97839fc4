//! Tests of the subcommands beyond the core store: fork, export and
//! import, rename and delete, stats, compact (against a fake zs-chat).

use super::common::{Home, ndjson};
use super::*;
use serde_json::Value;

/// A session with one whole turn: user, calls, results, answer.
fn turn(h: &Home, extra: &[&str]) -> String {
    let id = new_session(h, extra);
    ok(record(h, &id, &[USER, CALLS, RES1, RES2, ANSWER]));
    id
}

#[test]
fn fork_copies_entries_up_to_the_one_named() {
    let h = Home::new();
    let id = turn(&h, &["--model", "m1", "--name", "orig"]);
    std::fs::write(dir_of(&h, &id).join("todo.json"), "[]").unwrap();
    let out = ok(zs(&h, &["fork", "orig", "--at", "3"], ""));
    let header: Value = serde_json::from_str(out.trim()).unwrap();
    let fid = header["id"].as_str().unwrap().to_string();
    assert_ne!(fid, id);
    assert_eq!(header["model"], "m1");
    assert_eq!(
        header["forked_from"],
        serde_json::json!({"id": id, "entry": 3})
    );
    assert!(header.get("name").is_none());
    assert_eq!(entries(&h, &fid), [USER, CALLS, RES1]);
    // The call cut off from its result is interrupted in the fork only.
    assert!(context(&h, &fid, &[])[4].contains("\"interrupted\":true"));
    assert_eq!(context(&h, &id, &[])[4], RES2);
    // A fork from an earlier entry leaves the task list behind; a whole copy takes it.
    assert!(!dir_of(&h, &fid).join("todo.json").exists());
    let copy = ok(zs(&h, &["fork", &id, "--print-id", "--name", "copy"], ""));
    let copy = copy.trim();
    assert_eq!(entries(&h, copy), entries(&h, &id));
    assert!(dir_of(&h, copy).join("todo.json").exists());
    assert_eq!(ok(zs(&h, &["last", "copy"], "")), "It says hello.\n");
    let out = zs(&h, &["fork", &id, "--at", "99"], "");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn export_markdown_shows_messages_calls_and_results() {
    let h = Home::new();
    let id = turn(&h, &["--name", "demo"]);
    let md = ok(zs(&h, &["export", &id], ""));
    assert!(md.starts_with("# demo\n\n- id: "), "{md}");
    assert!(md.contains("## User\n\nread a.txt\n"), "{md}");
    assert!(md.contains("## Assistant\n\nReading.\n\n**Tool call** `read` (c1)\n\n```json\n{\n  \"path\": \"a.txt\"\n}\n```"), "{md}");
    assert!(
        md.contains("**Result** of `read` (c1)\n\n```\nhello\n```"),
        "{md}"
    );
    assert!(md.contains("It says hello."), "{md}");
    assert!(!md.contains("hm"), "reasoning is left out: {md}");
    let file = h.path().join("out.md");
    ok(zs(&h, &["export", &id, "-o", file.to_str().unwrap()], ""));
    assert_eq!(std::fs::read_to_string(file).unwrap(), md);
}

#[test]
fn export_and_import_round_trip() {
    let h = Home::new();
    let id = turn(&h, &["--model", "m1", "--provider", "p", "--name", "src"]);
    ok(record(
        &h,
        &id,
        &[r#"{"type":"compaction","summary":"S","first_kept":5}"#],
    ));
    let raw = ok(zs(&h, &["export", &id, "--jsonl"], ""));
    assert_eq!(raw, std::fs::read_to_string(file_of(&h, &id)).unwrap());
    let path = h.path().join("s.jsonl");
    std::fs::write(&path, &raw).unwrap();
    let out = ok(zs(&h, &["import", path.to_str().unwrap()], ""));
    let header: Value = serde_json::from_str(out.trim()).unwrap();
    let nid = header["id"].as_str().unwrap();
    assert_ne!(nid, id);
    assert_eq!(header["imported_from"], id.as_str());
    assert_eq!(
        (
            header["model"].as_str(),
            header["provider"].as_str(),
            header["name"].as_str()
        ),
        (Some("m1"), Some("p"), Some("src"))
    );
    assert_eq!(entries(&h, nid), entries(&h, &id));
    assert_eq!(context(&h, nid, &[])[1..], context(&h, &id, &[])[1..]);

    // A captured pipeline transcript imports too, from stdin: transient
    // lines are left out, and the compaction still points at the answer.
    let transcript = [
        USER,
        r#"{"type":"text_delta","text":"Reading."}"#,
        CALLS,
        r#"{"type":"permission","call_id":"c1","decision":"allow","by":"mode"}"#,
        RES1,
        RES2,
        ANSWER,
        r#"{"type":"compaction","summary":"S","first_kept":7}"#,
    ]
    .join("\n");
    let out = zs(
        &h,
        &["import", "-", "--print-id", "--name", "piped"],
        &transcript,
    );
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("2 lines left out"), "{err}");
    let pid = ok(out).trim().to_string();
    let got = entries(&h, &pid);
    assert_eq!(got.len(), 6);
    let c: Value = serde_json::from_str(&got[5]).unwrap();
    assert_eq!(c["first_kept"], 5);
    assert_eq!(context(&h, &pid, &[])[1..], [got[5].as_str(), ANSWER]);

    // A broken stream creates nothing.
    let before = ok(zs(&h, &["list"], "")).lines().count();
    let out = zs(&h, &["import", "-"], &format!("{USER}\n{{broken\n"));
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2"));
    assert_eq!(ok(zs(&h, &["list"], "")).lines().count(), before);
}

#[test]
fn rename_appends_a_meta_entry_and_delete_removes_file_and_folder() {
    let h = Home::new();
    let id = turn(&h, &["--name", "old"]);
    let before = std::fs::read(file_of(&h, &id)).unwrap();
    ok(zs(&h, &["rename", "old", "new name"], ""));
    let after = std::fs::read(file_of(&h, &id)).unwrap();
    assert_eq!(&after[..before.len()], &before[..], "rename only appends");
    let meta: Value = serde_json::from_str(entries(&h, &id).last().unwrap()).unwrap();
    assert_eq!(meta["type"], "session_meta");
    assert_eq!(meta["name"], "new name");
    assert!(meta["at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        ok(zs(&h, &["dir", "new name"], "")),
        ok(zs(&h, &["dir", &id], ""))
    );
    assert_eq!(zs(&h, &["dir", "old"], "").status.code(), Some(2));
    let json = ndjson(ok(zs(&h, &["list", "--json"], "")).as_bytes());
    assert_eq!(json[0]["name"], "new name");
    // The meta entry stays out of the context.
    assert_eq!(context(&h, &id, &[]).len(), 6);

    let f = file_of(&h, &id);
    let d = dir_of(&h, &id);
    ok(zs(&h, &["delete", &id], ""));
    assert!(!f.exists() && !d.exists());
    assert_eq!(ok(zs(&h, &["list"], "")), "");
    assert_eq!(zs(&h, &["show", &id], "").status.code(), Some(2));
}

#[test]
fn stats_count_messages_and_tokens_and_price_them() {
    let h = Home::new();
    h.write_config(
        r#"{"models":{"m1":{"context_window":10000,"pricing":{"input":3.0,"output":15.0,"cache_read":0.3,"cache_write":3.75}}}}"#,
    );
    let id = turn(&h, &["--model", "m1"]);
    let st = ndjson(ok(zs(&h, &["stats", &id, "--json"], "")).as_bytes());
    let st = &st[0];
    assert_eq!(st["type"], "session_stats");
    assert_eq!(st["messages"]["user"], 1);
    assert_eq!(st["messages"]["assistant"], 2);
    assert_eq!(st["tool_calls"], 2);
    assert_eq!(st["tool_results"], 2);
    assert_eq!(st["tokens"]["input"], 300);
    assert_eq!(st["tokens"]["output"], 30);
    assert_eq!(st["tokens"]["cache_read"], 200);
    assert_eq!(st["tokens"]["cache_write"], 10);
    assert_eq!(st["tokens"]["reasoning"], 5);
    assert_eq!(st["tokens"]["total"], 330);
    // (40 * 3 + 50 * 0.3 + 10 * 3.75 + 20 * 15) + (50 * 3 + 150 * 0.3 + 10 * 15), per Mtok.
    let want = (120.0 + 15.0 + 37.5 + 300.0 + 150.0 + 45.0 + 150.0) / 1e6;
    assert!((st["cost"].as_f64().unwrap() - want).abs() < 1e-12, "{st}");
    assert_eq!(st["cost_complete"], true);
    // The last call's own count (200 in + 10 out) is the context now.
    assert_eq!(st["context"]["tokens"], 210);
    assert_eq!(st["context"]["window"], 10000);
    assert_eq!(st["context"]["percent"], 2.1);
    let text = ok(zs(&h, &["stats", &id], ""));
    assert!(text.contains("tool calls   2 (0 failed)"), "{text}");
    assert!(
        text.contains("context      210 of 10000 tokens (2.1%)"),
        "{text}"
    );
    assert!(text.contains("cost         $0.0008"), "{text}");
    // Without pricing the cost is unknown, not zero.
    h.write_config(r#"{"models":{"m1":{"context_window":10000}}}"#);
    let st = ndjson(ok(zs(&h, &["stats", &id, "--json"], "")).as_bytes());
    assert_eq!(st[0]["cost_complete"], false);
    assert!(
        ok(zs(&h, &["stats", &id], "")).contains("cost         unknown: 2 calls without pricing")
    );
}

/// A fake zs-chat that saves its stdin and arguments and answers with a
/// canned summary.
fn fake_chat(h: &Home) -> PathBuf {
    let p = h.path().join("fake-chat");
    script(
        &p,
        &format!(
            "cat > '{dir}/chat-stdin'\necho \"$@\" > '{dir}/chat-args'\necho '{{\"type\":\"text_delta\",\"text\":\"The summary.\"}}'\necho '{{\"type\":\"assistant\",\"content\":[{{\"type\":\"text\",\"text\":\"The summary.\"}}],\"stop\":\"end\",\"usage\":{{\"input\":1000,\"output\":50}},\"model\":\"m1\"}}'",
            dir = h.path().display()
        ),
    );
    p
}

fn compact_cmd(h: &Home, args: &[&str]) -> Output {
    let chat = fake_chat(h);
    h.cmd("zs-session")
        .env("ZS_CHAT", &chat)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn compact_summarizes_the_older_part_through_zs_chat() {
    let h = Home::new();
    let id = turn(&h, &["--model", "m1", "--provider", "p"]);
    ok(zs(&h, &["append", &id, "now b.txt"], ""));
    let out = ok(compact_cmd(
        &h,
        &[
            "compact",
            &id,
            "--keep-recent",
            "1",
            "--instructions",
            "mind the files",
        ],
    ));
    let c: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(c["type"], "compaction");
    assert_eq!(c["summary"], "The summary.");
    assert_eq!(c["first_kept"], 6);
    assert!(c["tokens_before"].as_u64().unwrap() > c["tokens_after"].as_u64().unwrap());
    assert_eq!(c["usage"]["input"], 1000);
    assert_eq!(entries(&h, &id).last().unwrap(), out.trim());

    // The request: the compaction prompt, then the transcript of entries 1-5.
    let req = ndjson(&std::fs::read(h.path().join("chat-stdin")).unwrap());
    assert_eq!(req.len(), 2);
    assert_eq!(req[0]["type"], "system");
    assert!(
        req[0]["text"]
            .as_str()
            .unwrap()
            .starts_with("You summarize a conversation")
    );
    let t = req[1]["text"].as_str().unwrap();
    assert!(t.contains("[user]\nread a.txt"), "{t}");
    assert!(
        t.contains("[tool call: read (c1) {\"path\":\"a.txt\"}]"),
        "{t}"
    );
    assert!(t.contains("[tool result: bash (c2)]\na.txt"), "{t}");
    assert!(t.contains("[assistant]\nIt says hello."), "{t}");
    assert!(
        !t.contains("now b.txt"),
        "the kept part is not summarized: {t}"
    );
    assert!(t.contains("Also: mind the files"), "{t}");
    let args = std::fs::read_to_string(h.path().join("chat-args")).unwrap();
    assert_eq!(args.trim(), "--model m1 --provider p");

    // The context now starts from the summary.
    let lines = context(&h, &id, &[]);
    assert_eq!(lines[1], out.trim());
    assert_eq!(lines[2], r#"{"type":"user","text":"now b.txt"}"#);
    assert_eq!(lines.len(), 3);
    // Nothing was deleted.
    assert_eq!(entries(&h, &id)[..5], [USER, CALLS, RES1, RES2, ANSWER]);
    let st = ndjson(ok(zs(&h, &["stats", &id, "--json"], "")).as_bytes());
    assert_eq!(st[0]["compactions"], 1);
    assert_eq!(st[0]["tokens"]["input"], 1300);
}

#[test]
fn auto_compaction_waits_for_the_window_to_fill() {
    let h = Home::new();
    h.write_config(r#"{"models":{"m1":{"context_window":100000}},"session":{"compact_reserve":1000,"keep_recent_tokens":1}}"#);
    let id = turn(&h, &["--model", "m1"]);
    ok(zs(&h, &["append", &id, "more"], ""));
    let before = entries(&h, &id);
    assert_eq!(ok(compact_cmd(&h, &["compact", &id, "--auto"])), "");
    assert_eq!(entries(&h, &id), before);
    assert!(!h.path().join("chat-stdin").exists(), "zs-chat is not run");
    // A small window: the same session is now over the line.
    h.write_config(r#"{"models":{"m1":{"context_window":1100}},"session":{"compact_reserve":1000,"keep_recent_tokens":1}}"#);
    let out = ok(compact_cmd(&h, &["compact", &id, "--auto"]));
    assert!(out.contains("\"type\":\"compaction\""), "{out}");
    // Off in the config: never.
    h.write_config(r#"{"models":{"m1":{"context_window":1100}},"session":{"auto_compact":false,"compact_reserve":1000}}"#);
    assert_eq!(ok(compact_cmd(&h, &["compact", &id, "--auto"])), "");
}

#[test]
fn a_failed_summary_appends_nothing() {
    let h = Home::new();
    let id = turn(&h, &[]);
    ok(zs(&h, &["append", &id, "more"], ""));
    let bad = h.path().join("bad-chat");
    script(
        &bad,
        "cat >/dev/null\necho '{\"type\":\"error\",\"source\":\"zs-chat\",\"message\":\"no API key\",\"fatal\":true}'\nexit 5",
    );
    let before = entries(&h, &id);
    let out = h
        .cmd("zs-session")
        .env("ZS_CHAT", &bad)
        .args(["compact", &id, "--keep-recent", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the summary failed") && err.contains("no API key"),
        "{err}"
    );
    assert_eq!(entries(&h, &id), before);
    // Too little to summarize is not an error.
    let small = new_session(&h, &[]);
    ok(zs(&h, &["append", &small, "hi"], ""));
    let out = compact_cmd(&h, &["compact", &small]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to compact"));
    ok(out);
}

#[test]
fn a_model_named_after_the_dashes_replaces_the_sessions_for_the_call_and_the_window() {
    let h = Home::new();
    h.write_config(r#"{"models":{"m1":{"context_window":100000},"m2":{"context_window":1100}},"session":{"compact_reserve":1000,"keep_recent_tokens":1}}"#);
    let id = turn(&h, &["--model", "m1", "--provider", "p"]);
    ok(zs(&h, &["append", &id, "more"], ""));
    // m1's window is far from full; m2's is over the line.
    assert_eq!(ok(compact_cmd(&h, &["compact", &id, "--auto"])), "");
    let out = ok(compact_cmd(
        &h,
        &[
            "compact",
            &id,
            "--auto",
            "--",
            "--model",
            "m2",
            "--thinking",
            "low",
        ],
    ));
    assert!(out.contains("\"type\":\"compaction\""), "{out}");
    let args = std::fs::read_to_string(h.path().join("chat-args")).unwrap();
    assert_eq!(args.trim(), "--provider p --model m2 --thinking low");
}
