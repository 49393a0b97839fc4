//! The ask socket zs-perm connects to (`ZS_ASK_SOCKET`; the protocol is in
//! docs/permissions.md, the client in bins/zs-perm/ask.rs).
//!
//! One connection per question, one JSON line each way. An accept thread
//! hands every connection to a thread of its own, which reads the request
//! (bounded in size and time) and passes an `Ask` to the app. The `Ask`
//! holds the connection: answering it writes the answer line and closes,
//! and dropping it unanswered writes a denial, so zs-perm is never left
//! waiting on a question the app lost. A request that cannot be read is
//! denied at once and never reaches the app.

use serde::Serialize;
use serde_json::Value;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// The protocol version this server speaks.
pub const ASK_VERSION: u64 = 1;

/// The socket's file name inside the folder the app gives.
pub const SOCKET_NAME: &str = "ask.sock";

/// The longest socket path: `sun_path` holds 108 bytes with the final NUL.
const MAX_SOCKET_PATH: usize = 107;

/// A request line longer than this is refused. Strings in the arguments are
/// cut to 2000 characters by zs-perm, so real requests stay far below.
const MAX_REQUEST: u64 = 1 << 20;

/// How long a connection may take to send its request line.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How long an answer may take to write (it fits a socket buffer, so this
/// only guards against a peer that stopped reading).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlwaysPattern {
    pub tool: String,
    pub pattern: String,
}

/// A question from zs-perm.
#[derive(Debug, Clone, PartialEq)]
pub struct AskRequest {
    pub call_id: String,
    pub tool: String,
    pub summary: String,
    pub reason: String,
    pub rule: String,
    pub mode: String,
    pub arguments: Value,
    /// What "allow always" would store; empty: not offered.
    pub always: Vec<AlwaysPattern>,
    pub repeats: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AskAnswer {
    Once,
    Always,
    Deny(Option<String>),
}

/// A pending question; dropping it unanswered denies.
#[derive(Debug)]
pub struct Ask {
    pub request: AskRequest,
    /// The connection the answer goes to; None once answered (or for a
    /// detached ask).
    stream: Option<UnixStream>,
}

impl Ask {
    /// An ask with no connection behind it (for tests and previews of the
    /// dialog): answering it does nothing.
    pub fn detached(request: AskRequest) -> Ask {
        Ask {
            request,
            stream: None,
        }
    }

    /// `detached`, under the name the dialog's tests use.
    #[cfg(test)]
    pub fn for_test(request: AskRequest) -> Ask {
        Ask::detached(request)
    }

    pub fn answer(mut self, answer: AskAnswer) {
        self.send(&answer);
    }

    /// Whether zs-perm has stopped waiting (it timed out, was interrupted or
    /// died): the dialog can close. Never true for a detached ask.
    pub fn abandoned(&self) -> bool {
        let Some(s) = &self.stream else {
            return false;
        };
        if s.set_nonblocking(true).is_err() {
            return false;
        }
        // zs-perm sends nothing after its request, so a read that returns
        // anything but "would block" means the other end is closed.
        let mut b = [0u8; 1];
        let r = (&*s).read(&mut b);
        let _ = s.set_nonblocking(false);
        match r {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => !matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
            ),
        }
    }

    fn send(&mut self, answer: &AskAnswer) {
        if let Some(stream) = self.stream.take() {
            write_line(&stream, &answer_line(&self.request, answer));
        }
    }
}

impl Drop for Ask {
    fn drop(&mut self) {
        self.send(&AskAnswer::Deny(None));
    }
}

/// The answer as it goes on the wire.
#[derive(Serialize)]
struct Reply<'a> {
    answer: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    always: Option<&'a [AlwaysPattern]>,
}

/// One answer line, without the LF. "Allow always" stores the patterns
/// zs-perm suggested; a blank note is no note.
fn answer_line(req: &AskRequest, answer: &AskAnswer) -> String {
    let reply = match answer {
        AskAnswer::Once => Reply {
            answer: "allow_once",
            note: None,
            always: None,
        },
        AskAnswer::Always => Reply {
            answer: "allow_always",
            note: None,
            always: Some(&req.always),
        },
        AskAnswer::Deny(note) => Reply {
            answer: "deny",
            note: note.as_deref().map(str::trim).filter(|n| !n.is_empty()),
            always: None,
        },
    };
    // Strings and a list of string pairs: encoding cannot fail.
    serde_json::to_string(&reply).unwrap_or_else(|_| r#"{"answer":"deny"}"#.into())
}

/// Writes one line and closes; a peer that went away is no error here (it
/// counted the question as denied already).
fn write_line(stream: &UnixStream, line: &str) {
    let _ = stream.set_write_timeout(Some(ANSWER_TIMEOUT));
    let mut w = stream;
    let _ = w
        .write_all(line.as_bytes())
        .and_then(|()| w.write_all(b"\n"))
        .and_then(|()| w.flush());
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

/// The listening socket; dropping it removes the socket file.
#[derive(Debug)]
pub struct AskServer {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl AskServer {
    /// Listens on a new socket in `dir`; every question goes to `on_ask`.
    /// `dir` should be private to this user (0700): the socket answers
    /// anyone who can reach it.
    pub fn start(
        dir: &Path,
        on_ask: impl Fn(Ask) + Send + Sync + 'static,
    ) -> io::Result<AskServer> {
        let path = dir.join(SOCKET_NAME);
        let len = path.as_os_str().len();
        if len > MAX_SOCKET_PATH {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "the ask socket path '{}' is too long ({len} bytes; a Unix socket path holds at most {MAX_SOCKET_PATH})",
                    path.display()
                ),
            ));
        }
        // A socket left by an earlier server in the same folder.
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("cannot remove the old socket '{}': {e}", path.display()),
                ));
            }
        }
        let listener = UnixListener::bind(&path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot listen on '{}': {e}", path.display()),
            )
        })?;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
        let stop = Arc::new(AtomicBool::new(false));
        let on_ask: Arc<dyn Fn(Ask) + Send + Sync> = Arc::new(on_ask);
        let flag = stop.clone();
        let accept = thread::Builder::new()
            .name("ask-accept".into())
            .spawn(move || accept_loop(&listener, &flag, &on_ask));
        let accept = match accept {
            Ok(h) => h,
            Err(e) => {
                let _ = std::fs::remove_file(&path);
                return Err(e);
            }
        };
        Ok(AskServer {
            path,
            stop,
            accept: Some(accept),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for AskServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // accept(2) blocks; a connection of our own wakes it to see the flag.
        // If that fails, the thread is left blocked rather than waited on.
        if UnixStream::connect(&self.path).is_ok()
            && let Some(h) = self.accept.take()
        {
            let _ = h.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

fn accept_loop(
    listener: &UnixListener,
    stop: &AtomicBool,
    on_ask: &Arc<dyn Fn(Ask) + Send + Sync>,
) {
    loop {
        let conn = listener.accept();
        if stop.load(Ordering::SeqCst) {
            return;
        }
        match conn {
            Ok((stream, _)) => {
                let on_ask = on_ask.clone();
                // If no thread can be made, the stream is dropped: zs-perm
                // sees the socket close and counts the question as denied.
                let _ = thread::Builder::new()
                    .name("ask-conn".into())
                    .spawn(move || serve(stream, &*on_ask));
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // Out of descriptors and the like: wait a little rather than
            // spin on an error that will come back at once.
            Err(_) => thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// One connection: read the request, then hand it on or deny it.
fn serve(stream: UnixStream, on_ask: &(dyn Fn(Ask) + Send + Sync)) {
    let _ = stream.set_read_timeout(Some(REQUEST_TIMEOUT));
    let mut buf = Vec::new();
    let read = BufReader::new((&stream).take(MAX_REQUEST)).read_until(b'\n', &mut buf);
    let request = match read {
        // Closed before a word: nobody to answer.
        Ok(0) => return,
        Ok(_) if !buf.ends_with(b"\n") && buf.len() as u64 >= MAX_REQUEST => {
            Err(format!("the request is longer than {MAX_REQUEST} bytes"))
        }
        Ok(_) => parse_request(&buf),
        Err(e) => Err(format!("cannot read the request: {e}")),
    };
    let _ = stream.set_read_timeout(None);
    match request {
        Ok(request) => on_ask(Ask {
            request,
            stream: Some(stream),
        }),
        Err(why) => write_line(
            &stream,
            &answer_line(
                &empty_request(),
                &AskAnswer::Deny(Some(format!("zs-tui could not read the question: {why}"))),
            ),
        ),
    }
}

fn empty_request() -> AskRequest {
    AskRequest {
        call_id: String::new(),
        tool: String::new(),
        summary: String::new(),
        reason: String::new(),
        rule: String::new(),
        mode: String::new(),
        arguments: Value::Null,
        always: Vec::new(),
        repeats: None,
    }
}

/// Parses a request line. Only `tool` is required; a `type` other than
/// `ask` or a newer `version` is refused; other fields default when missing
/// or of the wrong type, and malformed `always` entries are skipped.
fn parse_request(line: &[u8]) -> Result<AskRequest, String> {
    let v: Value = serde_json::from_slice(line).map_err(|e| format!("not JSON: {e}"))?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    if let Some(t) = obj.get("type")
        && t.as_str() != Some("ask")
    {
        return Err(format!("type {t} is not \"ask\""));
    }
    if let Some(n) = obj.get("version") {
        match n.as_u64() {
            Some(n) if n <= ASK_VERSION => {}
            _ => {
                return Err(format!(
                    "version {n} is not supported (this is version {ASK_VERSION})"
                ));
            }
        }
    }
    let text = |k: &str| {
        obj.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let tool = text("tool");
    if tool.is_empty() {
        return Err("no tool named".into());
    }
    let always = obj
        .get("always")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    Some(AlwaysPattern {
                        tool: p.get("tool")?.as_str()?.to_string(),
                        pattern: p.get("pattern")?.as_str()?.to_string(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(AskRequest {
        call_id: text("call_id"),
        summary: text("summary"),
        reason: text("reason"),
        rule: text("rule"),
        mode: text("mode"),
        arguments: obj.get("arguments").cloned().unwrap_or(Value::Null),
        always,
        repeats: obj
            .get("repeats")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok()),
        tool,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::mpsc;

    const WAIT: Duration = Duration::from_secs(20);

    const REQUEST: &str = r#"{"type":"ask","version":1,"call_id":"c1","tool":"bash","summary":"curl https://x","arguments":{"command":"curl https://x"},"mode":"standard","rule":"mode standard","reason":"standard mode asks for `curl https://x` (not known-safe): curl is not on the safe list","always":[{"tool":"bash","pattern":"curl *"}],"cwd":"/home/me/proj"}"#;

    /// A server whose asks arrive on a channel.
    fn server(dir: &Path) -> (AskServer, mpsc::Receiver<Ask>) {
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        let s = AskServer::start(dir, move |a| {
            let _ = tx.lock().unwrap().send(a);
        })
        .unwrap();
        (s, rx)
    }

    /// Connects, sends `line` (and LF), returns the stream.
    fn send(path: &Path, line: &str) -> UnixStream {
        let mut s = UnixStream::connect(path).unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        s.write_all(line.as_bytes()).unwrap();
        s.write_all(b"\n").unwrap();
        s
    }

    /// Everything the server writes until it closes.
    fn reply(mut s: UnixStream) -> String {
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    fn round_trip(answer: AskAnswer) -> String {
        let dir = tempfile::tempdir().unwrap();
        let (srv, rx) = server(dir.path());
        let s = send(srv.path(), REQUEST);
        let ask = rx.recv_timeout(WAIT).unwrap();
        ask.answer(answer);
        reply(s)
    }

    #[test]
    fn a_request_is_parsed_whole() {
        let dir = tempfile::tempdir().unwrap();
        let (srv, rx) = server(dir.path());
        let _s = send(srv.path(), REQUEST);
        let ask = rx.recv_timeout(WAIT).unwrap();
        assert_eq!(
            ask.request,
            AskRequest {
                call_id: "c1".into(),
                tool: "bash".into(),
                summary: "curl https://x".into(),
                reason: "standard mode asks for `curl https://x` (not known-safe): curl is not on the safe list".into(),
                rule: "mode standard".into(),
                mode: "standard".into(),
                arguments: serde_json::json!({"command": "curl https://x"}),
                always: vec![AlwaysPattern {
                    tool: "bash".into(),
                    pattern: "curl *".into()
                }],
                repeats: None,
            }
        );
    }

    #[test]
    fn allow_once_is_answered_exactly() {
        assert_eq!(round_trip(AskAnswer::Once), "{\"answer\":\"allow_once\"}\n");
    }

    #[test]
    fn allow_always_carries_the_suggested_patterns() {
        assert_eq!(
            round_trip(AskAnswer::Always),
            "{\"answer\":\"allow_always\",\"always\":[{\"tool\":\"bash\",\"pattern\":\"curl *\"}]}\n"
        );
    }

    #[test]
    fn deny_with_and_without_a_note() {
        assert_eq!(round_trip(AskAnswer::Deny(None)), "{\"answer\":\"deny\"}\n");
        assert_eq!(
            round_trip(AskAnswer::Deny(Some(" use the \"cached\" copy ".into()))),
            "{\"answer\":\"deny\",\"note\":\"use the \\\"cached\\\" copy\"}\n"
        );
        assert_eq!(
            round_trip(AskAnswer::Deny(Some("  ".into()))),
            "{\"answer\":\"deny\"}\n"
        );
    }

    #[test]
    fn dropping_an_ask_unanswered_denies() {
        let dir = tempfile::tempdir().unwrap();
        let (srv, rx) = server(dir.path());
        let s = send(srv.path(), REQUEST);
        drop(rx.recv_timeout(WAIT).unwrap());
        assert_eq!(reply(s), "{\"answer\":\"deny\"}\n");
    }

    #[test]
    fn an_ask_lost_on_the_way_denies() {
        // The app's receiver is gone: the ask is dropped inside on_ask.
        let dir = tempfile::tempdir().unwrap();
        let (srv, rx) = server(dir.path());
        drop(rx);
        assert_eq!(reply(send(srv.path(), REQUEST)), "{\"answer\":\"deny\"}\n");
    }

    #[test]
    fn malformed_requests_are_denied_and_never_reach_the_app() {
        let dir = tempfile::tempdir().unwrap();
        let (srv, rx) = server(dir.path());
        for bad in [
            "not json",
            "[1,2]",
            r#"{"type":"ask","version":1,"call_id":"c1"}"#,
            r#"{"type":"hello","tool":"bash"}"#,
            r#"{"type":"ask","version":2,"tool":"bash"}"#,
        ] {
            let out = reply(send(srv.path(), bad));
            let v: Value = serde_json::from_str(out.trim_end()).unwrap();
            assert_eq!(v["answer"], "deny", "{bad}: {out}");
            assert!(
                v["note"]
                    .as_str()
                    .unwrap()
                    .starts_with("zs-tui could not read the question"),
                "{out}"
            );
            assert!(out.ends_with('\n') && out.lines().count() == 1);
        }
        assert!(rx.try_recv().is_err());
        // The server still serves good requests after bad ones.
        let s = send(srv.path(), REQUEST);
        rx.recv_timeout(WAIT).unwrap().answer(AskAnswer::Once);
        assert_eq!(reply(s), "{\"answer\":\"allow_once\"}\n");
    }

    #[test]
    fn missing_optional_fields_are_tolerated() {
        let r = parse_request(br#"{"tool":"write","repeats":3,"always":[{"tool":"write"},{"tool":"write","pattern":"src/**"}],"summary":null}"#).unwrap();
        assert_eq!(r.tool, "write");
        assert_eq!(r.repeats, Some(3));
        assert_eq!(r.summary, "");
        assert_eq!(r.arguments, Value::Null);
        assert_eq!(
            r.always,
            [AlwaysPattern {
                tool: "write".into(),
                pattern: "src/**".into()
            }]
        );
    }

    #[test]
    fn a_connection_closed_early_is_no_ask() {
        let dir = tempfile::tempdir().unwrap();
        let (srv, rx) = server(dir.path());
        drop(UnixStream::connect(srv.path()).unwrap());
        let mut half = UnixStream::connect(srv.path()).unwrap();
        half.write_all(br#"{"type":"ask","tool":"bash""#).unwrap();
        half.shutdown(std::net::Shutdown::Write).unwrap();
        // An unterminated, unparsable request is denied.
        assert!(reply(half).contains("\"deny\""));
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn abandoned_tells_when_zs_perm_gave_up() {
        let dir = tempfile::tempdir().unwrap();
        let (srv, rx) = server(dir.path());
        let s = send(srv.path(), REQUEST);
        let ask = rx.recv_timeout(WAIT).unwrap();
        assert!(!ask.abandoned());
        drop(s);
        assert!(ask.abandoned());
        // Answering a question nobody waits for is harmless.
        ask.answer(AskAnswer::Once);
        assert!(!Ask::detached(empty_request()).abandoned());
    }

    #[test]
    fn dropping_the_server_removes_the_socket_and_stops_listening() {
        let dir = tempfile::tempdir().unwrap();
        let (srv, _rx) = server(dir.path());
        let path = srv.path().to_path_buf();
        assert_eq!(path, dir.path().join("ask.sock"));
        assert!(path.exists());
        drop(srv);
        assert!(!path.exists());
        assert!(UnixStream::connect(&path).is_err());
    }

    #[test]
    fn a_stale_socket_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let old = UnixListener::bind(dir.path().join(SOCKET_NAME)).unwrap();
        let (srv, rx) = server(dir.path());
        let s = send(srv.path(), REQUEST);
        rx.recv_timeout(WAIT).unwrap().answer(AskAnswer::Once);
        assert_eq!(reply(s), "{\"answer\":\"allow_once\"}\n");
        drop(old);
    }

    #[test]
    fn a_path_too_long_for_a_socket_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("d".repeat(120));
        let err = AskServer::start(&deep, |_| {}).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("too long"), "{err}");
    }

    #[test]
    fn asks_are_served_in_parallel() {
        // A question waiting for the person must not hold up the next one.
        let dir = tempfile::tempdir().unwrap();
        let (srv, rx) = server(dir.path());
        let a = send(srv.path(), REQUEST);
        let first = rx.recv_timeout(WAIT).unwrap();
        let b = send(srv.path(), &REQUEST.replace("\"c1\"", "\"c2\""));
        let second = rx.recv_timeout(WAIT).unwrap();
        assert_eq!(second.request.call_id, "c2");
        second.answer(AskAnswer::Deny(None));
        first.answer(AskAnswer::Once);
        assert_eq!(reply(b), "{\"answer\":\"deny\"}\n");
        assert_eq!(reply(a), "{\"answer\":\"allow_once\"}\n");
    }
}
