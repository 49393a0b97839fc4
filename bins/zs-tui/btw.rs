//! /btw: a side question on a fork of the context, answered by zs-chat and
//! never recorded.
//!
//! The input is what the session's next model call would see (`zs-session
//! context`, with the tools line so a history of tool calls stays valid for
//! the provider), plus one `user` line with the question. zs-chat alone
//! answers it: no zs-perm, no zs-tool, no `zs-session record`. So nothing
//! is written to the session, and a tool call the model may ask for in its
//! answer is never run (the app shows only the text). The side question
//! runs as a `Run` of its own, so it can be cancelled without touching the
//! main run, and alongside it.

use crate::pipeline::{Run, RunEvent};
use crate::sessions::Sessions;
use serde::Serialize;
use std::ffi::OsString;
use std::io;
use std::path::Path;

/// Starts the side question; zs-chat's NDJSON lines arrive as
/// `RunEvent::Line`. The run is cancellable on its own.
/// `sessions` reads the context, and its environment (the store in use)
/// goes to zs-chat too.
pub fn start(
    sessions: &Sessions,
    zs_chat: &Path,
    session: Option<&str>,
    question: &str,
    chat_args: &[String],
    on_event: impl Fn(RunEvent) + Send + Sync + 'static,
) -> io::Result<Run> {
    let (context, args) = match session {
        Some(sid) => session_context(sessions, sid, chat_args)?,
        None => (Vec::new(), chat_args.to_vec()),
    };
    let mut argv: Vec<OsString> = vec![zs_chat.into()];
    argv.extend(args.into_iter().map(OsString::from));
    Run::start_with_input(
        &argv,
        &sessions.env(),
        Path::new("."),
        input(&context, question),
        on_event,
    )
}

/// The session's context and the chat args with the session's model
/// filled in, as the wrapper would run the session.
fn session_context(
    sessions: &Sessions,
    sid: &str,
    chat_args: &[String],
) -> io::Result<(Vec<u8>, Vec<String>)> {
    let details = sessions
        .get(sid, &["id", "dir", "model", "provider"])
        .map_err(io::Error::other)?;
    let [id, dir, model, provider] = &details[..] else {
        return Err(io::Error::other("zs-session get printed too few lines"));
    };
    // The wrapper writes tools.json before every round; a session that
    // never ran a round has none, and its context needs no tools line.
    let tools = Path::new(dir).join("tools.json");
    let tools = (!dir.is_empty() && tools.is_file()).then_some(tools);
    let context = sessions
        .context(id, tools.as_deref())
        .map_err(io::Error::other)?;
    Ok((context, with_session_model(chat_args, model, provider)))
}

/// `chat_args` with the session's provider and model added the way the
/// wrapper adds them: with no provider given, the session's provider, and
/// its model unless one is given; a provider given alone keeps its own
/// default model.
fn with_session_model(chat_args: &[String], model: &str, provider: &str) -> Vec<String> {
    let has = |flag: &str| {
        chat_args
            .iter()
            .any(|a| a == flag || a.starts_with(&format!("{flag}=")))
    };
    let mut v = chat_args.to_vec();
    if !has("--provider") {
        if !provider.is_empty() {
            v.extend(["--provider".to_string(), provider.to_string()]);
        }
        if !has("--model") && !model.is_empty() {
            v.extend(["--model".to_string(), model.to_string()]);
        }
    }
    v
}

/// zs-chat's input: the context, then the question as a `user` line.
pub fn input(context: &[u8], question: &str) -> Vec<u8> {
    #[derive(Serialize)]
    struct User<'a> {
        #[serde(rename = "type")]
        kind: &'a str,
        text: &'a str,
    }
    let mut v = context.to_vec();
    if !v.is_empty() && !v.ends_with(b"\n") {
        v.push(b'\n');
    }
    let line = serde_json::to_string(&User {
        kind: "user",
        text: question,
    })
    // Two strings: encoding cannot fail.
    .unwrap_or_default();
    v.extend_from_slice(line.as_bytes());
    v.push(b'\n');
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::sync::Mutex;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn the_question_is_one_user_line_after_the_context() {
        let ctx = b"{\"type\":\"system\",\"text\":\"s\"}\n{\"type\":\"user\",\"text\":\"a\"}";
        let got = input(ctx, "why \"this\"?\nand that");
        assert_eq!(
            String::from_utf8(got).unwrap(),
            "{\"type\":\"system\",\"text\":\"s\"}\n{\"type\":\"user\",\"text\":\"a\"}\n{\"type\":\"user\",\"text\":\"why \\\"this\\\"?\\nand that\"}\n"
        );
        assert_eq!(
            input(b"", "q"),
            b"{\"type\":\"user\",\"text\":\"q\"}\n".to_vec()
        );
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_session_model_fills_in_like_the_wrapper() {
        assert_eq!(
            with_session_model(&[], "m1", "p1"),
            s(&["--provider", "p1", "--model", "m1"])
        );
        assert_eq!(
            with_session_model(&s(&["--model", "m2"]), "m1", "p1"),
            s(&["--model", "m2", "--provider", "p1"])
        );
        assert_eq!(
            with_session_model(&s(&["--provider=p2"]), "m1", "p1"),
            s(&["--provider=p2"])
        );
        assert_eq!(
            with_session_model(&s(&["--thinking", "low"]), "", ""),
            s(&["--thinking", "low"])
        );
    }

    /// A fake zs-session (`get` prints id, dir, model, provider; `context`
    /// prints a context and records its argv) and a fake zs-chat that
    /// echoes its argv and input.
    fn fakes(dir: &Path, with_tools: bool) -> (std::path::PathBuf, std::path::PathBuf) {
        let sdir = dir.join("sess");
        std::fs::create_dir(&sdir).unwrap();
        if with_tools {
            std::fs::write(sdir.join("tools.json"), "{}").unwrap();
        }
        let session = dir.join("zs-session");
        std::fs::write(
            &session,
            format!(
                "#!/bin/sh\ncase \"$1\" in\n get) printf 'sid-1\\n%s\\nm1\\np1\\n' '{}' ;;\n context) echo \"$*\" >'{}/context-argv'; echo '{{\"type\":\"system\",\"text\":\"s\"}}' ;;\n *) exit 9 ;;\nesac\n",
                sdir.display(),
                dir.display()
            ),
        )
        .unwrap();
        let chat = dir.join("zs-chat");
        std::fs::write(&chat, "#!/bin/sh\necho \"args: $*\"\ncat\n").unwrap();
        for p in [&session, &chat] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        (session, chat)
    }

    fn lines(run_dir: &Path, session: Option<&str>, with_tools: bool) -> Vec<String> {
        let (zs_session, zs_chat) = fakes(run_dir, with_tools);
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        let _run = start(
            &Sessions::new(&zs_session),
            &zs_chat,
            session,
            "what is x?",
            &s(&["--thinking", "low"]),
            move |e| {
                let _ = tx.lock().unwrap().send(e);
            },
        )
        .unwrap();
        let mut out = Vec::new();
        loop {
            match rx.recv_timeout(Duration::from_secs(20)).unwrap() {
                RunEvent::Line(l) => out.push(l),
                RunEvent::Stderr(l) => panic!("stderr: {l}"),
                RunEvent::Exited(c) => {
                    assert_eq!(c, Some(0));
                    return out;
                }
            }
        }
    }

    #[test]
    fn a_session_question_gets_its_context_tools_and_model() {
        let dir = tempfile::tempdir().unwrap();
        let out = lines(dir.path(), Some("@last"), true);
        assert_eq!(
            out,
            [
                "args: --thinking low --provider p1 --model m1",
                r#"{"type":"system","text":"s"}"#,
                r#"{"type":"user","text":"what is x?"}"#,
            ]
        );
        let ctx = std::fs::read_to_string(dir.path().join("context-argv")).unwrap();
        assert_eq!(
            ctx.trim_end(),
            format!(
                "context sid-1 --tools {}/sess/tools.json",
                dir.path().display()
            )
        );
    }

    #[test]
    fn without_tools_json_the_context_has_no_tools_line() {
        let dir = tempfile::tempdir().unwrap();
        lines(dir.path(), Some("sid-1"), false);
        let ctx = std::fs::read_to_string(dir.path().join("context-argv")).unwrap();
        assert_eq!(ctx.trim_end(), "context sid-1");
    }

    #[test]
    fn without_a_session_only_the_question_goes_in() {
        let dir = tempfile::tempdir().unwrap();
        let out = lines(dir.path(), None, true);
        assert_eq!(
            out,
            [
                "args: --thinking low",
                r#"{"type":"user","text":"what is x?"}"#
            ]
        );
        assert!(!dir.path().join("context-argv").exists());
    }

    #[test]
    fn a_failing_context_is_an_error_before_anything_runs() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("zs-session");
        std::fs::write(
            &bad,
            "#!/bin/sh\necho 'zs-session: error: no session x' >&2\nexit 2\n",
        )
        .unwrap();
        std::fs::set_permissions(&bad, std::fs::Permissions::from_mode(0o755)).unwrap();
        let err = start(
            &Sessions::new(&bad),
            Path::new("/bin/cat"),
            Some("x"),
            "q",
            &[],
            |_| {},
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "no session x");
    }
}
