//! The HTTP side of a model call: send the request with retries, hand back
//! the streaming body, and make cancel and the stream's idle timeout work
//! while a read blocks.
//!
//! Connections: one ureq `Agent` serves every attempt of every round of a
//! zs-chat process, and its pool keeps one idle connection to the provider
//! between calls, so a round after the first pays no TCP connect and no TLS
//! handshake. A connection goes back to the pool only when its response
//! body was read to its end: a stream's body is read on past its terminal
//! event ([`Guard::finish_body`], bounded), an error body when it is short
//! enough to read whole. ureq probes a pooled connection before reusing it
//! (one that the server closed is dropped) and keeps it at most
//! [`POOL_IDLE`]. A request that fails on a reused connection before a
//! response came (the server closed it just as the request went out) is
//! sent again at once on a new connection, once, without a `retry` event.
//!
//! `Agent::shutdown` (how a blocked read is broken off) is permanent, so a
//! [`Guard`] holds the agent: SIGINT/SIGTERM and the idle watchdog both act
//! by shutting it down, which takes it out of the guard, and setting a flag;
//! the reader checks the flags to tell such an end from a real one. The
//! next attempt after that, or after a transport failure, builds a new
//! agent.
//!
//! One guard serves every round of a zs-chat process. Its cancel flag is
//! set in the signal handler itself, so a signal that came while zs-chat
//! waited for input is seen by the check before the next call, whatever
//! the signal thread is doing; the thread then does what a handler cannot
//! (shut the agent down, wake a sleeping retry).
//!
//! Timeouts: `connect_ms` is ureq's connect timeout and `first_byte_ms` its
//! time to the response head. The idle gap between two reads of the body
//! (`idle_ms`) is watched here rather than with ureq's `timeout_per_read`,
//! because ureq applies that one to the wait for the response head too, and
//! a model may think for longer than the idle limit before its first byte.
//!
//! Retries: the statuses in [`RETRY_STATUS`] and failures before the first
//! response byte (refused, reset, timed out) are retried with exponential
//! backoff and jitter, or after the server's `Retry-After`/`retry-after-ms`;
//! each retry is announced with a `retry` event first. Nothing is retried
//! once the body has begun. The API key never appears in a message.
//!
//! Which connection a request went out on is told by counting the
//! connections the agent sets out to make ([`Counted`], through ureq's
//! `unversioned` transport API, pinned by Cargo.lock): a request during
//! which the count did not move went out on a pooled one.

use crate::providers::{Framing, Request};
use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};
use ureq::unversioned::resolver::DefaultResolver;
use ureq::unversioned::transport::{ConnectionDetails, Connector, DefaultConnector};
use zerostack::config::{Provider, RetryConfig, Timeouts};
use zerostack::error::{Error, Kind};
use zerostack::protocol::Retry;

/// Statuses worth another attempt: timeouts, conflicts, rate limits,
/// server errors and Anthropic's 529 overloaded.
pub const RETRY_STATUS: &[u16] = &[408, 409, 425, 429, 500, 502, 503, 504, 529];

/// The longest `Retry-After` zs-chat waits out; past it, it gives up and
/// says so (a caller with a longer horizon, zs-loop, can retry later).
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(60);

/// How much of an error body is read, and how long its message may be.
/// An error body read whole leaves its connection for the next attempt.
const ERROR_BODY_MAX: u64 = 64 * 1024;
const MESSAGE_MAX: usize = 300;

/// The longest a connection waits in the pool for the next call. Servers
/// close idle connections after their own timeout: 60 s is the usual floor
/// of the large providers' load balancers (nginx keeps 75 s), and NAT
/// gateways, which drop idle flows silently (no FIN for the probe to see),
/// after minutes. Staying under all of those means a pooled connection is
/// almost never dead unnoticed. Servers that close sooner (uvicorn and Node
/// keep 5 s) do so with a FIN, which ureq's probe sees before reuse; the
/// rare close that crosses our request is sent again at once (see
/// [`send`]).
pub const POOL_IDLE: Duration = Duration::from_secs(45);

/// What may follow a stream's terminal event before its body ends: the
/// chunked terminator, maybe a blank line or a `[DONE]` the decoder did
/// not wait for. More than this and the connection is let go instead.
const DRAIN_MAX: u64 = 16 * 1024;

/// How long the end of the body may take after the terminal event. A
/// server sends it with or right after that event, so this is only ever
/// waited out by a server that holds the stream open; the guard then
/// stops reading on after the terminal event for the rest of the process
/// (each later call connects anew, as if there were no pool).
const DRAIN_WAIT: Duration = Duration::from_millis(200);

/// The retry policy: attempts in all and the backoff range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub max_attempts: u32,
    pub initial_delay: Duration,
    pub max_delay: Duration,
}

impl Policy {
    pub fn from_config(c: &RetryConfig) -> Policy {
        Policy {
            max_attempts: c.max_attempts.unwrap_or(4).max(1),
            initial_delay: Duration::from_millis(c.initial_delay_ms.unwrap_or(500)),
            max_delay: Duration::from_millis(c.max_delay_ms.unwrap_or(30_000)),
        }
    }

    /// The backoff before attempt `next` (2 for the first retry): doubling
    /// from the initial delay, capped, with the lower half jittered so that
    /// many clients do not retry in step.
    pub fn backoff(&self, next: u32) -> Duration {
        let exp = next.saturating_sub(2).min(30);
        let base = self
            .initial_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        let half = base / 2;
        half + half.mul_f64(jitter())
    }
}

/// A number in [0, 1) that differs between runs; the clock's nanoseconds
/// mixed with the pid are plenty for spreading retries.
fn jitter() -> f64 {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64 ^ d.as_secs())
        .unwrap_or(0);
    let mut x = nanos ^ (u64::from(std::process::id()) << 32) ^ 0x9E37_79B9_7F4A_7C15;
    // xorshift64*
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    let r = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
    (r >> 11) as f64 / (1u64 << 53) as f64
}

/// Cancel and idle-timeout state shared by the caller, the signal thread and
/// the watchdog thread.
#[derive(Clone)]
pub struct Guard {
    inner: Arc<Inner>,
}

struct Inner {
    slot: Mutex<Slot>,
    cv: Condvar,
    /// Set by the signal handler (signal_hook::flag) and by [`Guard::cancel`].
    cancelled: Arc<AtomicBool>,
    /// Set when the watchdog broke a read off since it was last armed.
    idle_fired: AtomicBool,
    /// Milliseconds since `start` of the last body read.
    last_read_ms: AtomicU64,
    start: Instant,
    /// Connections the agents set out to make ([`Counted`]).
    connects: Arc<AtomicU64>,
    /// The server held a stream open after its terminal event once: bodies
    /// are no longer read on past it ([`Guard::finish_body`]).
    holds_open: AtomicBool,
}

#[derive(Default)]
struct Slot {
    /// The agent of every attempt, kept across calls for its pool; None
    /// before the first attempt and after a shutdown or a transport failure.
    agent: Option<ureq::Agent>,
    /// The idle limit while a body is being read.
    idle: Option<Duration>,
    watchdog: bool,
}

impl Default for Guard {
    fn default() -> Guard {
        Guard::new()
    }
}

impl Guard {
    pub fn new() -> Guard {
        Guard {
            inner: Arc::new(Inner {
                slot: Mutex::new(Slot::default()),
                cv: Condvar::new(),
                cancelled: Arc::new(AtomicBool::new(false)),
                idle_fired: AtomicBool::new(false),
                last_read_ms: AtomicU64::new(0),
                start: Instant::now(),
                connects: Arc::new(AtomicU64::new(0)),
                holds_open: AtomicBool::new(false),
            }),
        }
    }

    fn slot(&self) -> MutexGuard<'_, Slot> {
        // A panic elsewhere cannot leave the slot half-written.
        self.inner.slot.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Turns SIGINT and SIGTERM into [`Guard::cancel`].
    pub fn watch_signals(&self) -> Result<(), Error> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        for sig in [SIGINT, SIGTERM] {
            signal_hook::flag::register(sig, Arc::clone(&self.inner.cancelled))
                .map_err(|e| Error::failure(format!("cannot watch signals: {e}")))?;
        }
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
            .map_err(|e| Error::failure(format!("cannot watch signals: {e}")))?;
        let g = self.clone();
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                for _ in signals.forever() {
                    g.cancel();
                }
            })
            .map_err(|e| Error::failure(format!("cannot start the signal thread: {e}")))?;
        Ok(())
    }

    /// Stops the call: the request in flight is shut down (and with it the
    /// pool), sleeps wake.
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::SeqCst);
        let agent = self.slot().agent.take();
        if let Some(a) = agent {
            a.shutdown();
        }
        self.inner.cv.notify_all();
    }

    pub fn cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    /// Whether the idle watchdog broke the stream off.
    pub fn idle_fired(&self) -> bool {
        self.inner.idle_fired.load(Ordering::SeqCst)
    }

    /// The agent for the next attempt: the one kept from earlier attempts,
    /// else a new one, held here so a cancel can shut it down. None when
    /// the call was cancelled (the caller must stop).
    fn agent(&self, t: &Timeouts) -> Option<ureq::Agent> {
        let agent = self
            .slot()
            .agent
            .get_or_insert_with(|| new_agent(t, &self.inner.connects))
            .clone();
        // A cancel that came before the agent was stored found nothing to
        // shut down; it set the flag first, so it is seen here.
        (!self.cancelled()).then_some(agent)
    }

    /// Lets go of the agent (and its pool): the next attempt builds a new
    /// one.
    fn drop_agent(&self) {
        self.slot().agent = None;
    }

    /// Connections set out to be made so far, by every agent.
    fn connects(&self) -> u64 {
        self.inner.connects.load(Ordering::SeqCst)
    }

    /// Reads what is left of a body whose stream is complete (its terminal
    /// event seen), so that its connection goes back to the pool for the
    /// next call: at most [`DRAIN_MAX`] bytes for at most [`DRAIN_WAIT`].
    /// A body that goes on past that, or ends in an error, is dropped with
    /// its connection; one that is still open after [`DRAIN_WAIT`] makes the
    /// guard drop every later body at once. True when the body ended.
    pub fn finish_body(&self, mut body: impl Read) -> bool {
        if self.cancelled() || self.inner.holds_open.load(Ordering::SeqCst) {
            return false;
        }
        // Reads are not counted as progress here (no touch): the wait is
        // bounded as a whole.
        self.arm_idle(DRAIN_WAIT);
        let mut buf = [0u8; 4096];
        let mut left = DRAIN_MAX;
        let ended = loop {
            match body.read(&mut buf) {
                Ok(0) => break true,
                Ok(n) if (n as u64) < left => left -= n as u64,
                Ok(_) => break false,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break false,
            }
        };
        self.disarm_idle();
        if self.idle_fired() {
            // The watchdog shut the agent down (a shutdown can look like an
            // end, so `ended` says nothing then).
            self.inner.holds_open.store(true, Ordering::SeqCst);
            return false;
        }
        ended && !self.cancelled()
    }

    /// Starts watching the body: when no read completes for `idle`, the
    /// agent is shut down and [`Guard::idle_fired`] turns true.
    pub fn arm_idle(&self, idle: Duration) {
        self.touch();
        self.inner.idle_fired.store(false, Ordering::SeqCst);
        let start_thread = {
            let mut s = self.slot();
            s.idle = Some(idle);
            !std::mem::replace(&mut s.watchdog, true)
        };
        if start_thread {
            let g = self.clone();
            let _ = std::thread::Builder::new()
                .name("idle-watchdog".into())
                .spawn(move || g.watchdog());
        }
        self.inner.cv.notify_all();
    }

    /// Stops the idle watch (the body was read to its end).
    pub fn disarm_idle(&self) {
        self.slot().idle = None;
        self.inner.cv.notify_all();
    }

    /// Records that a read completed.
    pub fn touch(&self) {
        let ms = self.inner.start.elapsed().as_millis() as u64;
        self.inner.last_read_ms.store(ms, Ordering::Relaxed);
    }

    fn watchdog(&self) {
        let mut s = self.slot();
        loop {
            if self.cancelled() {
                return;
            }
            let Some(idle) = s.idle else {
                s = self.inner.cv.wait(s).unwrap_or_else(|p| p.into_inner());
                continue;
            };
            let last = Duration::from_millis(self.inner.last_read_ms.load(Ordering::Relaxed));
            let since = self.inner.start.elapsed().saturating_sub(last);
            if since >= idle {
                self.inner.idle_fired.store(true, Ordering::SeqCst);
                s.idle = None;
                if let Some(a) = s.agent.take() {
                    a.shutdown();
                }
                continue;
            }
            s = self
                .inner
                .cv
                .wait_timeout(s, idle - since)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }

    /// Sleeps `d`; false when woken by a cancel.
    pub fn sleep(&self, d: Duration) -> bool {
        let end = Instant::now() + d;
        let mut s = self.slot();
        loop {
            if self.cancelled() {
                return false;
            }
            let now = Instant::now();
            if now >= end {
                return true;
            }
            s = self
                .inner
                .cv
                .wait_timeout(s, end - now)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }
}

/// The error of a cancelled call.
pub fn interrupted() -> Error {
    Error::new(Kind::Interrupted, "interrupted")
}

/// Counts the connections an agent sets out to make. It is first in the
/// connector chain, so a connect that fails is counted too; a pooled
/// connection is reused without calling the chain at all.
#[derive(Debug)]
struct Counted(Arc<AtomicU64>);

impl Connector<()> for Counted {
    type Out = ();

    fn connect(
        &self,
        _: &ConnectionDetails,
        chained: Option<()>,
    ) -> Result<Option<()>, ureq::Error> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(chained)
    }
}

/// An agent with zs-chat's settings, its connects counted in `connects`.
fn new_agent(t: &Timeouts, connects: &Arc<AtomicU64>) -> ureq::Agent {
    let ms = Duration::from_millis;
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(ms(t.connect_ms)))
        .timeout_recv_response(Some(ms(t.first_byte_ms)))
        // Sending is bounded too, in case a server stops reading.
        .timeout_send_request(Some(ms(t.connect_ms.max(t.first_byte_ms))))
        .timeout_send_body(Some(ms(t.connect_ms.max(t.first_byte_ms))))
        // A POST is never followed to another place (a redirect would turn it
        // into a GET or carry the key elsewhere); a 3xx is reported instead.
        .max_redirects(0)
        .max_redirects_will_error(false)
        .user_agent(concat!("zerostack/", env!("CARGO_PKG_VERSION")))
        // ureq zero-fills both buffers (128 KiB each by default) on the
        // first request: a quarter of a short call's CPU went to those page
        // faults. The input buffer must hold a whole response head, so it
        // keeps the 64 KiB that ureq allows a head; the output buffer only
        // passes the request through, in pieces when the body is larger.
        .input_buffer_size(64 * 1024)
        .output_buffer_size(16 * 1024)
        // One call at a time goes to one provider: one idle connection is
        // all a later call can use.
        .max_idle_connections(1)
        .max_idle_connections_per_host(1)
        .max_idle_age(POOL_IDLE)
        .build();
    let connector = Counted(Arc::clone(connects)).chain(DefaultConnector::new());
    ureq::Agent::with_parts(config, connector, DefaultResolver::default())
}

/// What one failed attempt says about the next.
struct Failure {
    error: Error,
    /// Worth another attempt.
    retry: bool,
    /// What the server asked to wait, if it said.
    wait: Option<Duration>,
    /// Short, for the `retry` event (`HTTP 429`, `connection refused`).
    reason: String,
    /// The connection failed (no response came): the agent is let go.
    transport: bool,
    /// ... on a pooled connection, which the server may have closed as the
    /// request went out: worth sending again at once on a new one.
    stale: bool,
}

impl Failure {
    /// A failure that ends the call as it is.
    fn fatal(error: Error) -> Failure {
        Failure {
            error,
            retry: false,
            wait: None,
            reason: String::new(),
            transport: false,
            stale: false,
        }
    }
}

/// Sends `req` with `body` (the request body already encoded), retrying by
/// `policy`; `on_retry` is called before each wait. Returns the body of the
/// successful response, to be read as a stream; the agent stays in `guard`
/// so a cancel or the idle watchdog can break the read off.
///
/// A request that failed on a pooled connection before a response came is
/// sent again at once on a new connection, once per call, without a
/// `retry` event or a wait, and without counting as an attempt: the server
/// closed an idle connection just as it was reused, which says nothing of
/// the server.
#[allow(clippy::too_many_arguments)]
pub fn send(
    req: &Request,
    body: &[u8],
    framing: Framing,
    provider: &Provider,
    key: Option<&str>,
    policy: &Policy,
    guard: &Guard,
    on_retry: &mut dyn FnMut(&Retry) -> Result<(), Error>,
) -> Result<ureq::Body, Error> {
    let mut attempt = 1;
    let mut resent = false;
    loop {
        if guard.cancelled() {
            return Err(interrupted());
        }
        let f = match attempt_once(req, body, framing, provider, guard) {
            Ok(b) => return Ok(b),
            Err(f) => f,
        };
        if f.transport {
            guard.drop_agent();
        }
        if guard.cancelled() {
            return Err(interrupted());
        }
        if f.stale && !resent {
            resent = true;
            continue;
        }
        if !f.retry {
            return Err(redact(f.error, key));
        }
        if attempt >= policy.max_attempts {
            let e = f.error;
            let msg = if policy.max_attempts > 1 {
                format!(
                    "{} (gave up after {} attempts)",
                    e.message, policy.max_attempts
                )
            } else {
                e.message
            };
            return Err(redact(Error::new(e.kind, msg), key));
        }
        let delay = match f.wait {
            Some(w) if w > RETRY_AFTER_CAP => {
                return Err(redact(
                    Error::new(
                        f.error.kind,
                        format!(
                            "{} (the provider asks to retry after {} s, longer than the {} s zs-chat waits)",
                            f.error.message,
                            w.as_secs(),
                            RETRY_AFTER_CAP.as_secs()
                        ),
                    ),
                    key,
                ));
            }
            Some(w) => w,
            None => policy.backoff(attempt + 1),
        };
        attempt += 1;
        on_retry(&Retry {
            source: "zs-chat".into(),
            attempt,
            max_attempts: policy.max_attempts,
            delay_ms: delay.as_millis() as u64,
            reason: redact_str(&f.reason, key),
        })?;
        if !guard.sleep(delay) {
            return Err(interrupted());
        }
    }
}

fn attempt_once(
    req: &Request,
    body: &[u8],
    framing: Framing,
    provider: &Provider,
    guard: &Guard,
) -> Result<ureq::Body, Failure> {
    let Some(agent) = guard.agent(&provider.timeouts) else {
        return Err(Failure::fatal(interrupted()));
    };
    let connects = guard.connects();
    let mut rb = agent
        .post(&req.url)
        .header("Content-Type", "application/json")
        .header(
            "Accept",
            match framing {
                Framing::Sse => "text/event-stream",
                Framing::Ndjson => "application/x-ndjson",
            },
        );
    for (k, v) in &req.headers {
        rb = rb.header(k.as_str(), v.as_str());
    }
    let resp = match rb.send(body) {
        Ok(r) => r,
        Err(e) => {
            let reused = guard.connects() == connects;
            return Err(transport_failure(e, req, provider, reused));
        }
    };
    let status = resp.status().as_u16();
    let json_body = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    if (200..300).contains(&status) && !(json_body && framing == Framing::Sse) {
        return Ok(resp.into_body());
    }
    let wait = retry_after(resp.headers());
    let mut raw = Vec::new();
    // A body cut short still says something; the error is the status. One
    // read to its end leaves its connection in the pool for the next
    // attempt; a longer one is dropped with it. A server that stalls in it
    // is given the stream's idle limit.
    guard.arm_idle(Duration::from_millis(provider.timeouts.idle_ms));
    let _ = resp
        .into_body()
        .into_reader()
        .take(ERROR_BODY_MAX)
        .read_to_end(&mut raw);
    guard.disarm_idle();
    let message = error_message(&String::from_utf8_lossy(&raw));
    let name = &provider.name;
    if (200..300).contains(&status) {
        // A 200 with a JSON body where a stream was asked for: a proxy or
        // server that reports errors this way, or one that ignored
        // `stream: true`. Either way there is no stream to read.
        return Err(Failure::fatal(Error::upstream(format!(
            "provider '{name}' answered with a JSON body instead of a stream: {message}"
        ))));
    }
    if status == 401 || status == 403 {
        let check = match &provider.api_key_env {
            Some(var) => format!("check {var}"),
            None => format!("check the key of provider '{name}' (api_key_env in the config)"),
        };
        return Err(Failure::fatal(Error::auth(format!(
            "provider '{name}' rejected the API key (HTTP {status}): {message}; {check}"
        ))));
    }
    Err(Failure {
        error: Error::upstream(format!(
            "provider '{name}' answered HTTP {status}: {message}"
        )),
        retry: RETRY_STATUS.contains(&status),
        wait,
        reason: format!("HTTP {status}: {message}"),
        transport: false,
        stale: false,
    })
}

/// A failure before any response: refused, reset, timed out, unresolvable.
/// `reused`: the request went out on a pooled connection.
fn transport_failure(e: ureq::Error, req: &Request, provider: &Provider, reused: bool) -> Failure {
    let t = &provider.timeouts;
    let (what, retry) = match &e {
        ureq::Error::Timeout(ureq::Timeout::Connect) => (
            format!(
                "connecting timed out after {} ms (connect_ms)",
                t.connect_ms
            ),
            true,
        ),
        ureq::Error::Timeout(ureq::Timeout::RecvResponse) => (
            format!("no response within {} ms (first_byte_ms)", t.first_byte_ms),
            true,
        ),
        ureq::Error::Timeout(_) => ("the request timed out".to_string(), true),
        ureq::Error::Io(io) => (io_text(io), true),
        ureq::Error::ConnectionFailed => ("cannot connect".to_string(), true),
        ureq::Error::HostNotFound => ("host not found".to_string(), true),
        ureq::Error::BadUri(_) => ("the URL is not valid".to_string(), false),
        ureq::Error::Http(e) => (format!("the request is not valid ({e})"), false),
        other => (one_line(&other.to_string()), false),
    };
    let kind = match &e {
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => Kind::Usage,
        _ => Kind::Upstream,
    };
    Failure {
        error: Error::new(
            kind,
            format!(
                "cannot reach provider '{}' at {}: {what}",
                provider.name,
                without_query(&req.url)
            ),
        ),
        retry,
        wait: None,
        reason: what,
        transport: true,
        stale: reused && is_stale(&e),
    }
}

/// Whether `e`, on a pooled connection, is how one closed by the server
/// looks: the connection ended, was reset or refused the write. A timeout
/// is not: the server is there, only slow, and may be working on the
/// request.
fn is_stale(e: &ureq::Error) -> bool {
    use std::io::ErrorKind as K;
    matches!(e, ureq::Error::Io(io) if matches!(
        io.kind(),
        K::UnexpectedEof | K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe
    ))
}

/// An I/O error in words, without Rust's `(os error N)` suffix.
pub fn io_text(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => "connection refused".into(),
        K::ConnectionReset => "connection reset".into(),
        K::ConnectionAborted => "connection aborted".into(),
        K::UnexpectedEof => "the connection closed early".into(),
        K::TimedOut => "timed out".into(),
        _ => {
            let s = e.to_string();
            let s = match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            };
            one_line(&s).to_lowercase()
        }
    }
}

/// The URL without its query string, which may hold a key.
pub fn without_query(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

/// The server's requested wait: `retry-after-ms`, else `Retry-After` in
/// seconds or as an HTTP date.
pub fn retry_after(h: &ureq::http::HeaderMap) -> Option<Duration> {
    let get = |n: &str| h.get(n).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(ms) = get("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_millis(ms as u64));
    }
    let v = get("retry-after")?;
    if let Ok(s) = v.parse::<f64>() {
        return (s.is_finite() && s >= 0.0).then(|| Duration::from_millis((s * 1000.0) as u64));
    }
    let at = parse_http_date(v)?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form
/// RFC 9110 requires senders to use.
pub fn parse_http_date(s: &str) -> Option<SystemTime> {
    let rest = s.split_once(',').map(|(_, r)| r).unwrap_or(s).trim();
    let mut it = rest.split_whitespace();
    let day: u64 = it.next()?.parse().ok()?;
    let month = match it.next()?.to_ascii_lowercase().as_str() {
        "jan" => 1,
        "feb" => 2,
        "mar" => 3,
        "apr" => 4,
        "may" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => return None,
    };
    let year: i64 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    if !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    // Days from 1970-01-01 to the date (Howard Hinnant's days_from_civil).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days.checked_mul(86_400)? + (h * 3600 + m * 60 + sec) as i64;
    let secs = u64::try_from(secs).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

/// A one-line message from an error body, whatever its shape:
/// `{"error":{"message"}}` (OpenAI, Anthropic's `{"type":"error",...}`,
/// Gemini), `{"error":"..."}` (Ollama), `{"message"}`, a list of those, or
/// plain text. Truncated to a sane length.
pub fn error_message(body: &str) -> String {
    let body = body.trim();
    let msg = match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v) => {
            let v = match &v {
                serde_json::Value::Array(items) => items.first().cloned().unwrap_or_default(),
                _ => v,
            };
            let e = &v["error"];
            e["message"]
                .as_str()
                .or_else(|| e.as_str())
                .or_else(|| v["message"].as_str())
                .or_else(|| v["detail"].as_str())
                .map(str::to_string)
                .unwrap_or_else(|| body.to_string())
        }
        Err(_) => body.to_string(),
    };
    let msg = one_line(&msg);
    if msg.is_empty() {
        "no message".into()
    } else {
        truncate(&msg, MESSAGE_MAX)
    }
}

/// `s` with every run of whitespace (newlines included) made one space.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// At most `max` bytes of `s`, cut at a char boundary, with `...` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// `e` with any occurrence of `key` replaced: an error body may quote the
/// key it refused.
pub fn redact(mut e: Error, key: Option<&str>) -> Error {
    e.message = redact_str(&e.message, key);
    e
}

pub fn redact_str(s: &str, key: Option<&str>) -> String {
    match key {
        Some(k) if k.len() >= 4 && s.contains(k) => s.replace(k, "[redacted]"),
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_from_the_common_shapes() {
        let cases = [
            (r#"{"error":{"message":"bad key","type":"x"}}"#, "bad key"),
            (
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
                "Overloaded",
            ),
            (r#"{"error":"model not found"}"#, "model not found"),
            (r#"{"message":"nope"}"#, "nope"),
            (
                r#"[{"error":{"code":400,"message":"Gemini says\nno","status":"INVALID_ARGUMENT"}}]"#,
                "Gemini says no",
            ),
            (
                "<html>\n  Bad Gateway\n</html>",
                "<html> Bad Gateway </html>",
            ),
            ("", "no message"),
        ];
        for (body, want) in cases {
            assert_eq!(error_message(body), want, "{body}");
        }
        let long = "é".repeat(400);
        let m = error_message(&long);
        assert!(m.len() <= MESSAGE_MAX + 3 && m.ends_with("..."));
    }

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let p = Policy {
            max_attempts: 6,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_millis(1500),
        };
        for _ in 0..20 {
            let d2 = p.backoff(2);
            assert!(d2 >= Duration::from_millis(250) && d2 <= Duration::from_millis(500));
            let d3 = p.backoff(3);
            assert!(d3 >= Duration::from_millis(500) && d3 <= Duration::from_millis(1000));
            let d9 = p.backoff(9);
            assert!(d9 >= Duration::from_millis(750) && d9 <= Duration::from_millis(1500));
        }
        let d = Policy::from_config(&RetryConfig::default());
        assert_eq!(d.max_attempts, 4);
        assert_eq!(d.initial_delay, Duration::from_millis(500));
    }

    #[test]
    fn retry_after_in_seconds_ms_and_dates() {
        let mut h = ureq::http::HeaderMap::new();
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", "150".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_millis(150)));
        let mut h = ureq::http::HeaderMap::new();
        h.insert(
            "retry-after",
            "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap(),
        );
        assert_eq!(
            retry_after(&h),
            Some(Duration::ZERO),
            "a past date means now"
        );
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777))
        );
        assert_eq!(parse_http_date("soon"), None);
        let mut h = ureq::http::HeaderMap::new();
        h.insert("retry-after", "-1".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn keys_are_redacted_and_queries_dropped() {
        let e = redact(Error::upstream("bad key sk-123456"), Some("sk-123456"));
        assert_eq!(e.message, "bad key [redacted]");
        assert_eq!(without_query("http://h/x?key=abc"), "http://h/x");
    }

    #[test]
    fn only_a_closed_or_reset_connection_is_stale() {
        use std::io::{Error as IoError, ErrorKind as K};
        for k in [
            K::UnexpectedEof,
            K::ConnectionReset,
            K::ConnectionAborted,
            K::BrokenPipe,
        ] {
            assert!(is_stale(&ureq::Error::Io(IoError::from(k))), "{k:?}");
        }
        for e in [
            ureq::Error::Io(IoError::from(K::ConnectionRefused)),
            ureq::Error::Io(IoError::from(K::TimedOut)),
            ureq::Error::Timeout(ureq::Timeout::RecvResponse),
            ureq::Error::Timeout(ureq::Timeout::SendRequest),
            ureq::Error::ConnectionFailed,
            ureq::Error::HostNotFound,
        ] {
            assert!(!is_stale(&e), "{e:?}");
        }
    }

    /// A reader that counts its reads and fails each.
    struct Failing<'a>(&'a AtomicU64);

    impl Read for Failing<'_> {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Err(std::io::Error::from(std::io::ErrorKind::ConnectionReset))
        }
    }

    #[test]
    fn the_rest_of_a_body_is_read_when_it_is_short_and_ends() {
        let g = Guard::new();
        assert!(g.finish_body(std::io::Cursor::new(b"data: [DONE]\n\n".to_vec())));
        assert!(g.finish_body(std::io::empty()));
        // Just under the bound, in many reads.
        let under = vec![b' '; DRAIN_MAX as usize - 1];
        assert!(g.finish_body(std::io::Cursor::new(under)));
        let over = vec![b' '; DRAIN_MAX as usize + 1];
        assert!(!g.finish_body(std::io::Cursor::new(over)));
        let reads = AtomicU64::new(0);
        assert!(!g.finish_body(Failing(&reads)));
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        // None of that was a server holding a body open.
        assert!(g.finish_body(std::io::empty()));
        g.cancel();
        assert!(
            !g.finish_body(Failing(&reads)),
            "nothing is read after a cancel"
        );
        assert_eq!(reads.load(Ordering::SeqCst), 1);
    }

    /// A body with nothing more to read that stays open: a read returns
    /// (an end, as a shutdown can look) only when the watchdog breaks it
    /// off. Bounded, in case it never does: then the body looks ended and
    /// the test fails.
    struct Open(Guard);

    impl Read for Open {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            let end = Instant::now() + Duration::from_secs(20);
            while !self.0.idle_fired() && Instant::now() < end {
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(0)
        }
    }

    #[test]
    fn a_body_still_open_after_the_wait_is_dropped_and_never_waited_for_again() {
        let g = Guard::new();
        assert!(
            !g.finish_body(Open(g.clone())),
            "the watchdog ended the wait"
        );
        assert!(g.idle_fired());
        // From now on a finished stream's body is dropped unread.
        let reads = AtomicU64::new(0);
        assert!(!g.finish_body(Failing(&reads)));
        assert_eq!(reads.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_sleep_wakes_on_cancel() {
        let g = Guard::new();
        let g2 = g.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            g2.cancel();
        });
        let start = Instant::now();
        assert!(!g.sleep(Duration::from_secs(10)));
        assert!(start.elapsed() < Duration::from_secs(5));
        t.join().unwrap();
    }
}
