//! The HTTP side of the mock model: a std-only HTTP/1.1 server on
//! 127.0.0.1 that answers each request with the next scripted reply.
//!
//! `MockServer::start(Script)` binds a free port; `.url()` is
//! `http://127.0.0.1:PORT`; `.requests()` is every request received so far,
//! each with the number of the connection it came on; dropping the value
//! stops the server. One thread accepts, one thread serves each connection.
//! By default every response ends its connection (`Connection: close`), so
//! a client never waits on a keep-alive socket;
//! `MockServer::start_keep_alive` serves request after request on one
//! connection instead (`Connection: keep-alive`) until the client closes it
//! or leaves it idle for [`IDLE_MAX`].
//!
//! A streamed reply goes out as `Transfer-Encoding: chunked`, one chunk per
//! rendered event, flushed at once, so the client sees events as they would
//! arrive from a real provider; the last event goes out in one write with
//! the end of the body. Faults are acted out here: HTTP errors, a
//! cut connection, a malformed event, an idle gap, the format's own error
//! event, no answer at all, a connection closed as a request came or right
//! after a reply, a stream held open after its last event.

use crate::mock::render::{self, Format};
use crate::mock::script::{Fault, Reply, Script};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query, as sent.
    pub path: String,
    /// Header names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON (Null when it was not JSON).
    pub body: serde_json::Value,
    /// The connection it came on: 1 for the first the server accepted, 2
    /// for the next, and so on.
    pub connection: u64,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The request as one JSON object (for the standalone server's log).
    pub fn to_json(&self) -> serde_json::Value {
        let headers: serde_json::Map<String, serde_json::Value> = self
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        serde_json::json!({
            "method": self.method,
            "path": self.path,
            "headers": headers,
            "body": self.body,
            "connection": self.connection,
        })
    }
}

/// Called with every request as it is recorded (the standalone server logs
/// them to a file with it).
pub type OnRequest = Arc<dyn Fn(&Recorded) + Send + Sync>;

/// How long a `Hang` fault holds the connection when the client never
/// gives up.
const HANG_MAX: Duration = Duration::from_secs(30);
/// How long a connection may stay idle before (or between) requests; a
/// keep-alive connection idle for longer is closed.
pub const IDLE_MAX: Duration = Duration::from_secs(10);
/// The cap on a request's head (request line and headers).
const MAX_HEAD: usize = 1 << 20;
/// The cap on a request body.
const MAX_BODY: usize = 256 << 20;

struct State {
    replies: Mutex<Queue>,
    requests: Mutex<Vec<Recorded>>,
    stop: AtomicBool,
    on_request: Option<OnRequest>,
    /// Serve several requests per connection.
    keep_alive: bool,
}

struct Queue {
    left: VecDeque<Reply>,
    last: Option<Reply>,
    repeat_last: bool,
}

impl Queue {
    fn next(&mut self) -> Option<Reply> {
        match self.left.pop_front() {
            Some(r) => {
                self.last = Some(r.clone());
                Some(r)
            }
            None if self.repeat_last => self.last.clone(),
            None => None,
        }
    }
}

pub struct MockServer {
    addr: SocketAddr,
    state: Arc<State>,
    accept: Option<JoinHandle<()>>,
}

impl MockServer {
    /// Starts a server on a free port of 127.0.0.1; each response closes
    /// its connection.
    pub fn start(script: Script) -> MockServer {
        MockServer::start_on(script, false, 0, None).expect("mock: cannot bind 127.0.0.1:0")
    }

    /// [`MockServer::start`], but connections stay open for further
    /// requests, as a real provider's do.
    pub fn start_keep_alive(script: Script) -> MockServer {
        MockServer::start_on(script, true, 0, None).expect("mock: cannot bind 127.0.0.1:0")
    }

    /// Starts a server on `port` (0: a free one), keeping connections open
    /// when `keep_alive`; `on_request` sees every request as it is recorded.
    pub fn start_on(
        script: Script,
        keep_alive: bool,
        port: u16,
        on_request: Option<OnRequest>,
    ) -> std::io::Result<MockServer> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            replies: Mutex::new(Queue {
                left: script.replies.into(),
                last: None,
                repeat_last: script.repeat_last,
            }),
            requests: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
            on_request,
            keep_alive,
        });
        let st = state.clone();
        let accept = std::thread::Builder::new()
            .name("mock-accept".into())
            .spawn(move || accept_loop(listener, st))?;
        Ok(MockServer {
            addr,
            state,
            accept: Some(accept),
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.state.requests).clone()
    }

    /// Waits up to `timeout` until at least `n` requests were received;
    /// returns what was received by then.
    pub fn wait_requests(&self, n: usize, timeout: Duration) -> Vec<Recorded> {
        let end = Instant::now() + timeout;
        loop {
            let got = self.requests();
            if got.len() >= n || Instant::now() >= end {
                return got;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Replies not yet used.
    pub fn replies_left(&self) -> usize {
        lock(&self.state.replies).left.len()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop, which blocks in accept().
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(500));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

/// A poisoned lock only means a connection thread panicked; the data is
/// still what the test wants to see.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn accept_loop(listener: TcpListener, state: Arc<State>) {
    let mut accepted = 0u64;
    for conn in listener.incoming() {
        if state.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = conn else { continue };
        accepted += 1;
        let id = accepted;
        let st = state.clone();
        let _ = std::thread::Builder::new()
            .name("mock-conn".into())
            .spawn(move || {
                let _ = serve(stream, id, &st);
            });
    }
}

/// A parsed request head and body.
struct Incoming {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Reads the next request of a connection; None when the client closed it
/// first. `r` is kept for the connection's life, so nothing it read ahead
/// is lost.
fn read_request(r: &mut impl BufRead) -> std::io::Result<Option<Incoming>> {
    let mut head_len = 0usize;
    let mut line = String::new();
    // Request line; skip stray blank lines before it (RFC 9112 2.2).
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        head_len += line.len();
        if !line.trim().is_empty() {
            break;
        }
        if head_len > MAX_HEAD {
            return Err(bad("request head too long"));
        }
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Err(bad("connection closed inside the request head"));
        }
        head_len += line.len();
        if head_len > MAX_HEAD {
            return Err(bad("request head too long"));
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let chunked =
        header("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let body = if chunked {
        read_chunked(r)?
    } else {
        let len: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if len > MAX_BODY {
            return Err(bad("request body too large"));
        }
        let mut body = vec![0; len];
        r.read_exact(&mut body)?;
        body
    };
    Ok(Some(Incoming {
        method,
        path,
        headers,
        body,
    }))
}

fn read_chunked(r: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Err(bad("connection closed inside a chunked body"));
        }
        let size = line.trim().split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size, 16).map_err(|_| bad("bad chunk size"))?;
        if size == 0 {
            // Trailers, up to the blank line.
            loop {
                line.clear();
                if r.read_line(&mut line)? == 0 || line.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        if body.len() + size > MAX_BODY {
            return Err(bad("request body too large"));
        }
        let start = body.len();
        body.resize(start + size, 0);
        r.read_exact(&mut body[start..])?;
        line.clear();
        r.read_line(&mut line)?; // the CRLF after the chunk
    }
}

fn bad(msg: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg.to_string())
}

/// Serves the requests of one connection: one, or with keep-alive as many
/// as the client sends.
fn serve(stream: TcpStream, id: u64, state: &State) -> std::io::Result<()> {
    stream.set_read_timeout(Some(IDLE_MAX))?;
    let _ = stream.set_nodelay(true);
    let mut reader = BufReader::new(&stream);
    loop {
        let Some(req) = read_request(&mut reader)? else {
            return Ok(());
        };
        if state.stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        match answer(req, id, &stream, state)? {
            Next::Open if state.keep_alive => {}
            _ => return Ok(()),
        }
    }
}

/// What becomes of a connection after a response.
enum Next {
    /// It may carry another request (with keep-alive).
    Open,
    /// It was closed, or cannot carry another request.
    Closed,
}

/// Records `req` and acts out the next reply for it.
fn answer(req: Incoming, id: u64, stream: &TcpStream, state: &State) -> std::io::Result<Next> {
    let body: serde_json::Value =
        serde_json::from_slice(&req.body).unwrap_or(serde_json::Value::Null);
    let rec = Recorded {
        method: req.method,
        path: req.path,
        headers: req.headers,
        body,
        connection: id,
    };
    if let Some(f) = &state.on_request {
        f(&rec);
    }
    lock(&state.requests).push(rec.clone());
    let mut out = stream.try_clone()?;
    let keep = state.keep_alive;

    let Some(format) = Format::from_path(&rec.path) else {
        return simple(
            &mut out,
            keep,
            404,
            "text/plain",
            &[],
            &format!("mock: no wire format serves {}", rec.path),
        );
    };
    let reply = lock(&state.replies).next();
    let Some(reply) = reply else {
        return simple(
            &mut out,
            keep,
            500,
            "text/plain",
            &[],
            "mock: script exhausted",
        );
    };

    match &reply.fault {
        Some(Fault::Status {
            status,
            retry_after,
            body,
        }) => {
            let extra: Vec<(&str, &str)> = retry_after
                .as_deref()
                .map(|v| vec![("Retry-After", v)])
                .unwrap_or_default();
            let body = body.clone().unwrap_or_else(|| {
                render::error_body(format, *status, &format!("mock: HTTP {status}"))
            });
            return simple(&mut out, keep, *status, "application/json", &extra, &body);
        }
        Some(Fault::Hang) => {
            hang(stream, state)?;
            return Ok(Next::Closed);
        }
        Some(Fault::Close) => {
            let _ = stream.shutdown(Shutdown::Both);
            return Ok(Next::Closed);
        }
        _ => {}
    }

    let events = render::render(format, &reply, &rec.body);
    write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nTransfer-Encoding: chunked\r\nCache-Control: no-cache\r\nConnection: {}\r\n\r\n",
        format.content_type(),
        connection_header(keep),
    )?;
    out.flush()?;
    // The last event goes out with the end of the body, in one write, as
    // from a server whose handler returns at once: a client that reads on
    // past the terminal event finds the end there, however loaded the
    // machine. (Not when a fault comes after it.)
    let hold_last = matches!(reply.fault, None | Some(Fault::CloseAfterReply));
    let mut last = None;
    for (i, ev) in events.iter().enumerate() {
        if state.stop.load(Ordering::SeqCst) {
            return Ok(Next::Closed);
        }
        match &reply.fault {
            Some(Fault::Disconnect { after }) if *after == i => return cut(stream),
            Some(Fault::Malformed { after }) if *after == i => {
                chunk(&mut out, &render::malformed(format))?;
            }
            Some(Fault::Drip { after, pause_ms }) if *after == i => {
                pause(state, Duration::from_millis(*pause_ms));
            }
            Some(Fault::StreamError { after, message }) if *after == i => {
                chunk(&mut out, &render::stream_error(format, message))?;
                return end(&mut out, stream, keep, None);
            }
            _ => {}
        }
        if i > 0 && reply.delay_ms > 0 {
            pause(state, Duration::from_millis(reply.delay_ms));
        }
        if hold_last && i + 1 == events.len() {
            last = Some(ev.as_str());
        } else {
            chunk(&mut out, ev)?;
        }
    }
    // A fault placed at or past the end happens after the last event.
    match &reply.fault {
        Some(Fault::Disconnect { after }) if *after >= events.len() => return cut(stream),
        Some(Fault::Malformed { after }) if *after >= events.len() => {
            chunk(&mut out, &render::malformed(format))?;
        }
        Some(Fault::StreamError { after, message }) if *after >= events.len() => {
            chunk(&mut out, &render::stream_error(format, message))?;
        }
        Some(Fault::CloseAfterReply) => return end(&mut out, stream, false, last),
        Some(Fault::HoldOpen) => {
            hang(stream, state)?;
            return Ok(Next::Closed);
        }
        _ => {}
    }
    end(&mut out, stream, keep, last)
}

fn connection_header(keep_alive: bool) -> &'static str {
    if keep_alive { "keep-alive" } else { "close" }
}

/// A whole (non-streamed) response; the connection is closed after it
/// unless `keep_alive`.
fn simple(
    out: &mut TcpStream,
    keep_alive: bool,
    status: u16,
    content_type: &str,
    extra: &[(&str, &str)],
    body: &str,
) -> std::io::Result<Next> {
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: {}\r\n",
        reason(status),
        body.len(),
        connection_header(keep_alive),
    );
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    out.write_all(body.as_bytes())?;
    out.flush()?;
    if keep_alive {
        return Ok(Next::Open);
    }
    let _ = out.shutdown(Shutdown::Write);
    Ok(Next::Closed)
}

fn chunk(out: &mut TcpStream, data: &str) -> std::io::Result<()> {
    if data.is_empty() {
        return Ok(());
    }
    write!(out, "{:x}\r\n", data.len())?;
    out.write_all(data.as_bytes())?;
    out.write_all(b"\r\n")?;
    out.flush()
}

/// The event `last` if any and the last chunk, in one write; then close
/// unless `keep_alive`.
fn end(
    out: &mut TcpStream,
    stream: &TcpStream,
    keep_alive: bool,
    last: Option<&str>,
) -> std::io::Result<Next> {
    let mut tail = Vec::new();
    if let Some(ev) = last.filter(|e| !e.is_empty()) {
        tail.extend_from_slice(format!("{:x}\r\n{ev}\r\n", ev.len()).as_bytes());
    }
    tail.extend_from_slice(b"0\r\n\r\n");
    out.write_all(&tail)?;
    out.flush()?;
    if keep_alive {
        return Ok(Next::Open);
    }
    let _ = stream.shutdown(Shutdown::Write);
    // Let the client read to the end before the socket goes away, so a
    // reset cannot overtake the last bytes.
    drain(stream, Duration::from_secs(2));
    Ok(Next::Closed)
}

/// Closes the connection in the middle of the body.
fn cut(stream: &TcpStream) -> std::io::Result<Next> {
    let _ = stream.shutdown(Shutdown::Both);
    Ok(Next::Closed)
}

/// Holds the connection without sending more until the client closes it,
/// the server stops, or [`HANG_MAX`] passes.
fn hang(stream: &TcpStream, state: &State) -> std::io::Result<()> {
    let end = Instant::now() + HANG_MAX;
    stream.set_read_timeout(Some(Duration::from_millis(50)))?;
    let mut buf = [0u8; 1024];
    let mut s = stream;
    while Instant::now() < end && !state.stop.load(Ordering::SeqCst) {
        match s.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

/// Reads and drops what the client still sends until it closes, for at most
/// `max`.
fn drain(stream: &TcpStream, max: Duration) {
    let _ = stream.set_read_timeout(Some(max));
    let mut buf = [0u8; 1024];
    let mut s = stream;
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
    }
}

/// Sleeps `d`, waking early when the server stops.
fn pause(state: &State, d: Duration) {
    let end = Instant::now() + d;
    while !state.stop.load(Ordering::SeqCst) {
        let now = Instant::now();
        if now >= end {
            return;
        }
        std::thread::sleep((end - now).min(Duration::from_millis(20)));
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        425 => "Too Early",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        529 => "Overloaded",
        _ => "Status",
    }
}
