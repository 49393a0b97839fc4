//! Asking: a front end's socket (answering allow, deny, always, or never),
//! the terminal (through a pseudo-terminal), and the non-interactive policy.
//! Every wait here has a deadline.

use crate::{Project, assistant, decision_for, decisions, run_with, stderr};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Serves one connection per answer: reads the request line, then writes
/// the answer (`None`: never answers, holds the connection until the client
/// leaves). Returns the requests seen. Stops by itself after 10 s.
fn serve(path: &Path, answers: Vec<Option<Value>>) -> JoinHandle<Vec<Value>> {
    let listener = UnixListener::bind(path).unwrap();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut seen = Vec::new();
        for answer in answers {
            let stream = loop {
                match listener.accept() {
                    Ok((s, _)) => break s,
                    Err(_) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(5))
                    }
                    Err(_) => return seen,
                }
            };
            stream.set_nonblocking(false).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut r = BufReader::new(&stream);
            let mut line = String::new();
            if r.read_line(&mut line).is_err() {
                return seen;
            }
            seen.push(serde_json::from_str(&line).unwrap_or(Value::Null));
            match answer {
                Some(a) => {
                    let _ = (&stream).write_all(format!("{a}\n").as_bytes());
                }
                None => {
                    // Hold the line open until zs-perm gives up and closes it.
                    let mut sink = Vec::new();
                    let _ = r.read_to_end(&mut sink);
                }
            }
        }
        seen
    })
}

/// A child in a session of its own, so it has no controlling terminal and
/// no prompt can appear whatever terminal runs the tests.
#[allow(unsafe_code)]
fn without_tty(cmd: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: setsid is async-signal-safe and touches no memory of the
    // parent; it is the only call made between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd
}

fn curl(id: &str, url: &str) -> (String, String, Value) {
    (
        id.into(),
        "bash".into(),
        json!({"command": format!("curl {url}")}),
    )
}

fn line(calls: &[(String, String, Value)]) -> String {
    let refs: Vec<(&str, &str, Value)> = calls
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.clone()))
        .collect();
    assistant(&refs)
}

#[test]
fn the_socket_answers_allow_once_deny_and_deny_with_a_note() {
    let p = Project::new();
    let sock = p.home.path().join("ask.sock");
    let server = serve(
        &sock,
        vec![
            Some(json!({"answer": "allow_once"})),
            Some(json!({"answer": "deny"})),
            Some(json!({"answer": "deny", "note": "use the docs instead"})),
        ],
    );
    let input = line(&[
        curl("c1", "https://a"),
        curl("c2", "https://b"),
        curl("c3", "https://c"),
    ]);
    let out = run_with(without_tty(p.cmd().env("ZS_ASK_SOCKET", &sock)), &input);
    assert!(out.status.success(), "{}", stderr(&out));
    let ds = decisions(&out);
    let c1 = decision_for(&ds, "c1");
    assert_eq!(
        (
            c1["decision"].as_str(),
            c1["by"].as_str(),
            c1["asked"].as_str()
        ),
        (Some("allow"), Some("user"), Some("socket"))
    );
    let c2 = decision_for(&ds, "c2");
    assert_eq!(
        (c2["decision"].as_str(), c2["by"].as_str()),
        (Some("deny"), Some("user"))
    );
    let c3 = decision_for(&ds, "c3");
    assert_eq!(c3["decision"], "deny");
    assert_eq!(c3["note"], "use the docs instead");
    assert!(
        c3["reason"]
            .as_str()
            .unwrap()
            .contains("use the docs instead")
    );
    // The request carries what a front end needs to show.
    let reqs = server.join().unwrap();
    assert_eq!(reqs.len(), 3);
    let r = &reqs[0];
    assert_eq!(r["type"], "ask");
    assert_eq!(r["version"], 1);
    assert_eq!(r["call_id"], "c1");
    assert_eq!(r["tool"], "bash");
    assert_eq!(r["summary"], "curl https://a");
    assert_eq!(r["mode"], "standard");
    assert_eq!(r["rule"], "mode standard");
    assert_eq!(r["always"], json!([{"tool": "bash", "pattern": "curl *"}]));
    assert!(
        r["reason"]
            .as_str()
            .unwrap()
            .contains("not on the safe list")
    );
}

#[test]
fn a_socket_that_never_answers_is_a_denial_after_the_timeout() {
    let p = Project::with_config(r#"{"permissions":{"ask_timeout_ms":300}}"#);
    let sock = p.home.path().join("ask.sock");
    let server = serve(&sock, vec![None]);
    let input = line(&[
        curl("c1", "https://a"),
        ("c2".into(), "read".into(), json!({"path": "src/main.rs"})),
    ]);
    let out = run_with(without_tty(p.cmd().env("ZS_ASK_SOCKET", &sock)), &input);
    assert!(out.status.success(), "{}", stderr(&out));
    let ds = decisions(&out);
    let c1 = decision_for(&ds, "c1");
    assert_eq!(
        (
            c1["decision"].as_str(),
            c1["by"].as_str(),
            c1["asked"].as_str()
        ),
        (Some("deny"), Some("policy"), Some("socket"))
    );
    assert!(
        c1["reason"]
            .as_str()
            .unwrap()
            .contains("no answer from the front end within 300 ms"),
        "{c1}"
    );
    // The stream goes on after the timeout.
    assert_eq!(decision_for(&ds, "c2")["decision"], "allow");
    assert_eq!(server.join().unwrap().len(), 1);
}

#[test]
fn allow_always_is_stored_and_survives_a_second_process() {
    let p = Project::new();
    let sock = p.home.path().join("ask.sock");
    let server = serve(&sock, vec![Some(json!({"answer": "allow_always"}))]);
    let out = run_with(
        without_tty(p.cmd().env("ZS_ASK_SOCKET", &sock)),
        &line(&[curl("c1", "https://a/x")]),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let c1 = decision_for(&decisions(&out), "c1").clone();
    assert_eq!(
        (c1["decision"].as_str(), c1["by"].as_str()),
        (Some("allow"), Some("user"))
    );
    assert_eq!(c1["always"], json!([{"tool": "bash", "pattern": "curl *"}]));
    server.join().unwrap();
    let stored: Value =
        serde_json::from_slice(&std::fs::read(p.session().join("allowlist.json")).unwrap())
            .unwrap();
    assert_eq!(
        stored["entries"],
        json!([{"tool": "bash", "pattern": "curl *"}])
    );

    // A new process, nobody to ask: the allowlist answers.
    let out = p.run(
        &["--non-interactive", "deny"],
        &line(&[curl("c2", "https://b/y")]),
    );
    let c2 = decision_for(&decisions(&out), "c2").clone();
    assert_eq!(
        (c2["decision"].as_str(), c2["by"].as_str()),
        (Some("allow"), Some("allowlist")),
        "{c2}"
    );
    assert_eq!(c2["rule"], "allowlist: allow bash \"curl *\"");
    // Not in another session.
    let out = run_with(
        p.cmd()
            .env("ZS_SESSION_DIR", p.home.path().join("other"))
            .args(["--non-interactive", "deny"]),
        &line(&[curl("c3", "https://b/y")]),
    );
    assert_eq!(decision_for(&decisions(&out), "c3")["decision"], "deny");
    // `rules` lists the entry.
    let out = p.run(&["rules"], "");
    assert!(String::from_utf8_lossy(&out.stdout).contains("allow bash \"curl *\""));
}

#[test]
fn the_allowlist_never_allows_a_destructive_command() {
    let p = Project::new();
    std::fs::write(
        p.session().join("allowlist.json"),
        r#"{"version":1,"entries":[{"tool":"bash","pattern":"*"}]}"#,
    )
    .unwrap();
    let calls = [
        (
            "c1".to_string(),
            "bash".to_string(),
            json!({"command": "curl x"}),
        ),
        (
            "c2".to_string(),
            "bash".to_string(),
            json!({"command": "rm -rf ~"}),
        ),
    ];
    let out = p.run(&["--non-interactive", "deny"], &line(&calls));
    let ds = decisions(&out);
    assert_eq!(decision_for(&ds, "c1")["by"], "allowlist");
    assert_eq!(decision_for(&ds, "c2")["decision"], "deny");
    assert_eq!(decision_for(&ds, "c2")["by"], "policy");
}

#[test]
fn an_unreachable_socket_falls_through_to_the_policy_with_a_warning() {
    let p = Project::new();
    let out = run_with(
        without_tty(
            p.cmd()
                .env("ZS_ASK_SOCKET", p.home.path().join("nobody.sock")),
        ),
        &line(&[curl("c1", "x"), curl("c2", "y")]),
    );
    assert!(out.status.success());
    let ds = decisions(&out);
    assert_eq!(decision_for(&ds, "c1")["by"], "policy");
    assert_eq!(decision_for(&ds, "c2")["by"], "policy");
    let err = stderr(&out);
    assert_eq!(
        err.matches("cannot reach the ask socket").count(),
        1,
        "{err}"
    );
}

#[test]
fn the_default_policy_denies_naming_the_rule_and_the_flag() {
    let p = Project::new();
    let out = run_with(without_tty(&mut p.cmd()), &line(&[curl("c1", "https://x")]));
    assert!(out.status.success());
    let c1 = decision_for(&decisions(&out), "c1").clone();
    assert_eq!(
        (c1["decision"].as_str(), c1["by"].as_str()),
        (Some("deny"), Some("policy"))
    );
    assert_eq!(c1["rule"], "mode standard");
    let reason = c1["reason"].as_str().unwrap();
    for want in [
        "mode standard",
        "--non-interactive deny",
        "--yolo",
        "--non-interactive allow",
        "\"pattern\":\"curl *\"",
    ] {
        assert!(reason.contains(want), "{want:?} not in {reason}");
    }
}

#[test]
fn the_allow_policy_allows_and_says_so() {
    let p = Project::new();
    let out = p.run(
        &["--non-interactive", "allow"],
        &line(&[curl("c1", "https://x")]),
    );
    let c1 = decision_for(&decisions(&out), "c1").clone();
    assert_eq!(
        (c1["decision"].as_str(), c1["by"].as_str()),
        (Some("allow"), Some("policy"))
    );
    assert!(
        c1["reason"]
            .as_str()
            .unwrap()
            .contains("--non-interactive allow")
    );
}

#[test]
fn the_fail_policy_denies_the_call_and_stops_with_exit_1() {
    let p = Project::new();
    let calls = [
        (
            "c0".to_string(),
            "read".to_string(),
            json!({"path": "src/main.rs"}),
        ),
        curl("c1", "https://x"),
        curl("c2", "https://y"),
    ];
    let out = p.run(&["--non-interactive", "fail"], &line(&calls));
    assert_eq!(out.status.code(), Some(1));
    let ds = decisions(&out);
    assert_eq!(decision_for(&ds, "c0")["decision"], "allow");
    assert_eq!(decision_for(&ds, "c1")["decision"], "deny");
    assert!(ds.iter().all(|d| d["call_id"] != "c2"));
    let events = crate::common::ndjson(&out.stdout);
    let last = events.last().unwrap();
    assert_eq!(
        (last["type"].as_str(), last["fatal"].as_bool()),
        (Some("error"), Some(true))
    );
    assert!(stderr(&out).contains("zs-perm: error: call c1 (bash) needs approval"));
}

/// The terminal prompt, through a pseudo-terminal that is the child's
/// controlling terminal while its stdin stays the event pipe.
#[test]
#[allow(unsafe_code)]
fn the_terminal_prompt_answers_always_and_deny_with_a_note() {
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;

    let p = Project::with_config(r#"{"permissions":{"ask_timeout_ms":10000}}"#);
    let mut master: libc::c_int = -1;
    let mut slave: libc::c_int = -1;
    // SAFETY: openpty writes two new descriptors into the two ints; the
    // name, termios and window-size pointers may be null.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened by openpty and are owned
    // here and nowhere else.
    let (master, slave) = unsafe {
        (
            std::fs::File::from_raw_fd(master),
            OwnedFd::from_raw_fd(slave),
        )
    };
    let slave_fd = std::os::fd::AsRawFd::as_raw_fd(&slave);
    let mut cmd = p.cmd();
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setsid and ioctl are async-signal-safe; nothing else runs
    // between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setsid() < 0 || libc::ioctl(slave_fd, libc::TIOCSCTTY as _, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    drop(slave);
    let input = line(&[
        curl("c1", "https://a"),
        (
            "c2".into(),
            "bash".into(),
            json!({"command": "wget https://b"}),
        ),
    ]);
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();

    // Read the terminal on a thread; answer each prompt as it appears.
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let mut reader = master.try_clone().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut master = master;
    let mut screen = String::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    let script: [(&str, &str); 3] = [
        ("> ", "a\n"),
        ("> ", "d\n"),
        ("note for the model: ", "use curl\n"),
    ];
    let mut step = 0;
    let mut consumed = 0;
    while step < script.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "no prompt on the terminal; it shows:\n{screen}"
        );
        if let Ok(chunk) = rx.recv_timeout(left.min(Duration::from_millis(200))) {
            screen.push_str(&String::from_utf8_lossy(&chunk));
        }
        let (want, answer) = script[step];
        if let Some(k) = screen[consumed..].find(want) {
            consumed += k + want.len();
            master.write_all(answer.as_bytes()).unwrap();
            step += 1;
        }
    }
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(child.wait_with_output());
    });
    let out = done_rx
        .recv_timeout(Duration::from_secs(15))
        .expect("zs-perm did not finish")
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        screen.contains("permission needed for bash: curl https://a"),
        "{screen}"
    );
    assert!(
        screen.contains("[a] allow always (bash \"curl *\")"),
        "{screen}"
    );
    let ds = decisions(&out);
    let c1 = decision_for(&ds, "c1");
    assert_eq!(
        (
            c1["decision"].as_str(),
            c1["by"].as_str(),
            c1["asked"].as_str()
        ),
        (Some("allow"), Some("user"), Some("tty"))
    );
    let c2 = decision_for(&ds, "c2");
    assert_eq!(
        (c2["decision"].as_str(), c2["note"].as_str()),
        (Some("deny"), Some("use curl"))
    );
    let stored = std::fs::read_to_string(p.session().join("allowlist.json")).unwrap();
    assert!(stored.contains("curl *"), "{stored}");
}

/// Reads a child's stdout lines on a thread, so waits can time out.
fn stdout_lines(child: &mut std::process::Child) -> mpsc::Receiver<Value> {
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines() {
            let Ok(l) = l else { break };
            if let Ok(v) = serde_json::from_str::<Value>(&l)
                && tx.send(v).is_err()
            {
                break;
            }
        }
    });
    rx
}

#[test]
fn sigint_ends_a_pending_ask_denies_what_follows_and_passes_the_stream_on() {
    use std::process::Stdio;
    // The socket never answers and the timeout is long: only the interrupt
    // can end the wait within the test's deadlines.
    let p = Project::with_config(r#"{"permissions":{"ask_timeout_ms":60000}}"#);
    let sock = p.home.path().join("ask.sock");
    let _server = serve(&sock, vec![None]);
    let mut child = without_tty(p.cmd().env("ZS_ASK_SOCKET", &sock))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = stdout_lines(&mut child);
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(line(&[curl("c1", "https://a")]).as_bytes())
        .unwrap();
    // The assistant line passes through before the question is asked.
    let first = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(first["type"], "assistant");
    std::thread::sleep(Duration::from_millis(300));
    let sent = Instant::now();
    let st = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let c1 = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(
        sent.elapsed() < Duration::from_secs(5),
        "the ask waited past the interrupt"
    );
    assert_eq!(
        (c1["call_id"].as_str(), c1["decision"].as_str()),
        (Some("c1"), Some("deny"))
    );
    assert!(
        c1["reason"].as_str().unwrap().contains("interrupted"),
        "{c1}"
    );
    // zs-perm is still there: what upstream flushes after the Ctrl-C passes
    // on, and a call that would be allowed is denied now.
    let late = json!({"type": "assistant", "stop": "interrupted", "content": [
        {"type": "text", "text": "partial"},
        {"type": "tool_call", "id": "c2", "name": "read", "arguments": {"path": "src/main.rs"}}
    ]});
    writeln!(stdin, "{late}").unwrap();
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), late);
    let c2 = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(
        (c2["call_id"].as_str(), c2["decision"].as_str()),
        (Some("c2"), Some("deny"))
    );
    assert!(
        c2["reason"].as_str().unwrap().contains("interrupted"),
        "{c2}"
    );
    drop(stdin);
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "zs-perm did not exit at end of input"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
}
