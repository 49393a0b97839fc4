//! webfetch and websearch against a small HTTP server on 127.0.0.1 that
//! the test starts and that stops when the test ends. No test reaches the
//! network.

use crate::common::Home;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A request as the server saw it.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
}

struct Server {
    base: String,
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

const PAGE: &str = "<!doctype html><html><head><title>Local page</title>\
<script>var hidden = 'do not show';</script></head><body>\
<h1>Welcome</h1><p>Read <a href=\"/docs\">the docs</a> &amp; enjoy.</p>\
<ul><li>first</li><li>second</li></ul></body></html>";

fn respond(path: &str, req: &Seen) -> (u16, Vec<(&'static str, String)>, Vec<u8>) {
    let html = |s: &str| ("Content-Type", format!("text/html; charset={s}"));
    match path {
        "/page.html" => (200, vec![html("utf-8")], PAGE.into()),
        "/plain.txt" => (
            200,
            vec![("Content-Type", "text/plain".into())],
            b"just text\n".to_vec(),
        ),
        "/image.png" => (
            200,
            vec![("Content-Type", "image/png".into())],
            b"\x89PNG\r\n\x1a\n\0\0\0".to_vec(),
        ),
        "/missing" => (
            404,
            vec![html("utf-8")],
            b"<html><body><h1>Not here</h1></body></html>".to_vec(),
        ),
        "/redirect" => (302, vec![("Location", "/page.html".into())], Vec::new()),
        "/big" => (
            200,
            vec![("Content-Type", "text/plain".into())],
            "0123456789\n".repeat(20_000).into_bytes(),
        ),
        "/slow" => {
            std::thread::sleep(Duration::from_secs(3));
            (
                200,
                vec![("Content-Type", "text/plain".into())],
                b"late".to_vec(),
            )
        }
        "/latin1" => (
            200,
            vec![("Content-Type", "text/plain; charset=iso-8859-1".into())],
            b"caf\xe9\n".to_vec(),
        ),
        "/search" => {
            let key = req
                .headers
                .iter()
                .find(|(k, _)| k == "x-api-key")
                .map(|(_, v)| v.as_str());
            if key != Some("test-key") {
                return (
                    401,
                    vec![("Content-Type", "application/json".into())],
                    br#"{"error":"bad key"}"#.to_vec(),
                );
            }
            let body = json!({"results": [
                {"title": "Rust", "url": "https://www.rust-lang.org/", "publishedDate": "2024-05-01T00:00:00.000Z",
                 "author": "The Rust Team", "text": "A language   empowering everyone\nto build reliable software."},
                {"title": "", "url": "https://example.org/", "highlights": ["An example highlight."]}
            ]});
            (
                200,
                vec![("Content-Type", "application/json".into())],
                body.to_string().into_bytes(),
            )
        }
        _ => (404, vec![], b"no route".to_vec()),
    }
}

fn handle(stream: TcpStream, seen: &Mutex<Vec<Seen>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    let mut parts = first.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    let mut len = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.trim_end().split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_string());
            if k == "content-length" {
                len = v.parse().unwrap_or(0);
            }
            headers.push((k, v));
        }
    }
    let mut body = vec![0u8; len];
    let _ = reader.read_exact(&mut body);
    let req = Seen {
        method,
        path: path.clone(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    seen.lock().unwrap().push(req.clone());
    let (status, headers, body) = respond(&path, &req);
    let mut out = stream;
    let mut head = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = out.write_all(head.as_bytes());
    let _ = out.write_all(&body);
}

/// Starts the server; it stops when the returned value is dropped, and on
/// its own after a minute in any case.
fn serve() -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (s, v) = (stop.clone(), seen.clone());
    std::thread::spawn(move || {
        let start = Instant::now();
        while !s.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(60) {
            match listener.accept() {
                Ok((stream, _)) => {
                    let _ = stream.set_nonblocking(false);
                    let v = v.clone();
                    std::thread::spawn(move || handle(stream, &v));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    });
    Server { base, stop, seen }
}

fn call(home: &Home, env: &[(&str, &str)], name: &str, args: Value) -> Value {
    let mut cmd = home.cmd("zs-tool");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .args(["call", name, &args.to_string()])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    crate::common::ndjson(&out.stdout).remove(0)
}

fn text(v: &Value) -> &str {
    v["content"].as_str().unwrap()
}

#[test]
fn webfetch_turns_html_into_markdown() {
    let s = serve();
    let home = Home::new();
    let url = format!("{}/page.html", s.base);
    let r = call(&home, &[], "webfetch", json!({"url": url}));
    assert_eq!(r["is_error"], false, "{r}");
    assert_eq!(r["status"], 200);
    assert_eq!(r["url"], url);
    let t = text(&r);
    assert!(
        t.starts_with(&format!("Fetched {url} (HTTP 200, text/html, ")),
        "{t}"
    );
    assert!(
        t.contains(
            "# Local page\n\n# Welcome\n\nRead [the docs](/docs) & enjoy.\n\n- first\n- second\n"
        ),
        "{t}"
    );
    assert!(!t.contains("do not show"), "{t}");
    let r = call(
        &home,
        &[],
        "webfetch",
        json!({"url": url, "format": "text"}),
    );
    assert!(
        text(&r).contains("Welcome\n\nRead the docs & enjoy."),
        "{r}"
    );
    let r = call(
        &home,
        &[],
        "webfetch",
        json!({"url": url, "format": "html"}),
    );
    assert!(text(&r).contains("<script>var hidden"), "{r}");
    let req = &s.seen.lock().unwrap()[0];
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("GET", "/page.html")
    );
}

#[test]
fn webfetch_follows_redirects_and_reads_text_and_latin1() {
    let s = serve();
    let home = Home::new();
    let r = call(
        &home,
        &[],
        "webfetch",
        json!({"url": format!("{}/redirect", s.base)}),
    );
    assert_eq!(r["url"], format!("{}/page.html", s.base), "{r}");
    let r = call(
        &home,
        &[],
        "webfetch",
        json!({"url": format!("{}/plain.txt", s.base)}),
    );
    assert!(text(&r).ends_with("\n\njust text\n"), "{r}");
    let r = call(
        &home,
        &[],
        "webfetch",
        json!({"url": format!("{}/latin1", s.base)}),
    );
    assert!(text(&r).ends_with("\n\ncafé\n"), "{r}");
}

#[test]
fn webfetch_errors_are_results() {
    let s = serve();
    let home = Home::new();
    home.write_config(r#"{"tools": {"webfetch": {"timeout_ms": 500, "max_download_bytes": 1000, "max_output_bytes": 500}}}"#);
    let err = |url: String| {
        let r = call(&home, &[], "webfetch", json!({"url": url}));
        assert_eq!(r["is_error"], true, "{r}");
        text(&r).to_string()
    };
    let t = err(format!("{}/missing", s.base));
    assert!(
        t.contains("answered HTTP 404 Not Found:\n# Not here"),
        "{t}"
    );
    let t = err(format!("{}/image.png", s.base));
    assert!(t.contains("is image/png (11 B), not text"), "{t}");
    let t = err(format!("{}/slow", s.base));
    assert!(t.contains("did not answer within 500 ms"), "{t}");
    let t = err("ftp://example.org/x".into());
    assert!(t.contains("only http and https"), "{t}");
    let t = err("http://127.0.0.1:1/".into());
    assert!(t.contains("cannot fetch"), "{t}");
    // Too big: cut, with notes, not an error.
    let r = call(
        &home,
        &[],
        "webfetch",
        json!({"url": format!("{}/big", s.base)}),
    );
    assert_eq!(r["is_error"], false, "{r}");
    let t = text(&r);
    assert!(t.contains("[... cut at 500 B;"), "{t}");
    assert!(t.contains("larger than the 1000 B download limit"), "{t}");
}

#[test]
fn websearch_asks_exa_with_the_key_and_renders_results() {
    let s = serve();
    let home = Home::new();
    let env = [("EXA_API_KEY", "test-key"), ("ZS_EXA_URL", s.base.as_str())];
    let r = call(
        &home,
        &env,
        "websearch",
        json!({"query": "rust language", "num_results": 3}),
    );
    assert_eq!(r["is_error"], false, "{r}");
    assert_eq!(
        text(&r),
        "1. Rust\n   https://www.rust-lang.org/\n   2024-05-01 · The Rust Team\n   \
         A language empowering everyone to build reliable software.\n\n\
         2. (no title)\n   https://example.org/\n   An example highlight.\n"
    );
    let req = s.seen.lock().unwrap()[0].clone();
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("POST", "/search")
    );
    let body: Value = serde_json::from_str(&req.body).unwrap();
    assert_eq!(body["query"], "rust language");
    assert_eq!(body["numResults"], 3);
}

#[test]
fn websearch_url_can_come_from_the_config() {
    let s = serve();
    let home = Home::new();
    home.write_config(&format!(
        r#"{{"tools": {{"websearch": {{"url": "{}/"}}}}}}"#,
        s.base
    ));
    let r = call(
        &home,
        &[("EXA_API_KEY", "test-key")],
        "websearch",
        json!({"query": "q"}),
    );
    assert_eq!(r["is_error"], false, "{r}");
    let body: Value = serde_json::from_str(&s.seen.lock().unwrap()[0].body).unwrap();
    assert_eq!(body["numResults"], 5, "the default");
}

#[test]
fn websearch_without_a_key_or_with_a_bad_one_says_so() {
    let s = serve();
    let home = Home::new();
    let r = call(
        &home,
        &[("ZS_EXA_URL", s.base.as_str())],
        "websearch",
        json!({"query": "q"}),
    );
    assert_eq!(r["is_error"], true);
    assert!(text(&r).contains("set EXA_API_KEY"), "{r}");
    assert!(
        s.seen.lock().unwrap().is_empty(),
        "no request without a key"
    );
    let env = [("EXA_API_KEY", "wrong"), ("ZS_EXA_URL", s.base.as_str())];
    let r = call(&home, &env, "websearch", json!({"query": "q"}));
    assert_eq!(r["is_error"], true);
    assert!(
        text(&r).contains("Exa rejected the API key (HTTP 401)"),
        "{r}"
    );
}
