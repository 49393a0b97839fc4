//! The `webfetch` and `websearch` tools.
//!
//! Both are blocking HTTP calls (ureq with rustls) bounded by a total
//! timeout and a size cap, run on a helper thread so an interrupt does not
//! wait for the network. webfetch takes http and https URLs only and turns
//! HTML into Markdown or text (html.rs); websearch asks the Exa search API,
//! whose base URL is configurable (`tools.websearch.url`, or `ZS_EXA_URL`)
//! so tests can point it at a local server.

use crate::call::{Ctx, Outcome, args, excerpt};
use crate::file::human_size;
use crate::html;
use serde::Deserialize;
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::io::Read;
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::Duration;
use ureq::ResponseExt;

#[derive(Deserialize)]
struct FetchArgs {
    url: String,
    format: Option<String>,
}

#[derive(Deserialize)]
struct SearchArgs {
    query: String,
    num_results: Option<u64>,
}

fn agent(timeout_ms: u64) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_millis(timeout_ms)))
        .http_status_as_error(false)
        .max_redirects(10)
        .user_agent(concat!("zerostack-zs-tool/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// Runs `f` on a helper thread; gives up when the call is interrupted.
fn cancellable<T: Send + 'static>(
    ctx: &Ctx,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    let (tx, rx) = channel();
    std::thread::Builder::new()
        .name("http".into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .map_err(|e| format!("cannot start a thread: {e}"))?;
    loop {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(v) => return Ok(v),
            Err(RecvTimeoutError::Timeout) if ctx.cancelled() => {
                return Err("interrupted".into());
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                return Err("the request failed unexpectedly".into());
            }
        }
    }
}

/// A response as read: status, final URL, content type and body (cut at
/// the download cap).
struct Page {
    status: u16,
    reason: String,
    url: String,
    content_type: String,
    body: Vec<u8>,
    cut: bool,
}

fn get(url: String, accept: &'static str, timeout_ms: u64, max: u64) -> Result<Page, String> {
    let mut resp = agent(timeout_ms)
        .get(&url)
        .header("Accept", accept)
        .call()
        .map_err(|e| http_error(&url, &e, timeout_ms))?;
    let status = resp.status();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let final_url = resp.get_uri().to_string();
    let mut body = Vec::new();
    resp.body_mut()
        .as_reader()
        .take(max + 1)
        .read_to_end(&mut body)
        .map_err(|e| format!("cannot read the response from {url}: {e}"))?;
    let cut = body.len() as u64 > max;
    body.truncate(max as usize);
    Ok(Page {
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("").to_string(),
        url: final_url,
        content_type,
        body,
        cut,
    })
}

fn http_error(url: &str, e: &ureq::Error, timeout_ms: u64) -> String {
    match e {
        ureq::Error::Timeout(_) => format!("{url} did not answer within {timeout_ms} ms"),
        ureq::Error::HostNotFound => format!("cannot fetch {url}: host not found"),
        _ => format!("cannot fetch {url}: {e}"),
    }
}

pub fn run_fetch(v: Value, ctx: &Ctx) -> Result<Outcome, String> {
    let a: FetchArgs = args(v)?;
    let url = a.url.trim().to_string();
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(format!(
            "only http and https URLs can be fetched, not '{}'",
            excerpt(&url, 100)
        ));
    }
    let format = a.format.as_deref().unwrap_or("markdown").to_string();
    if ctx.env.dry_run {
        return Ok(Outcome::dry_run(format!("would fetch {url} as {format}")));
    }
    let s = ctx.settings().webfetch.clone();
    let accept = if format == "html" {
        "text/html, application/xhtml+xml, */*;q=0.5"
    } else {
        "text/html, text/markdown;q=0.9, text/plain;q=0.9, */*;q=0.5"
    };
    let page = cancellable(ctx, move || {
        get(url, accept, s.timeout_ms, s.max_download_bytes)
    })??;
    let mime = page
        .content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let head = String::from_utf8_lossy(&page.body[..page.body.len().min(512)]).to_ascii_lowercase();
    let is_html = mime.contains("html")
        || (mime.is_empty()
            && (head.trim_start().starts_with("<!doctype html") || head.contains("<html")));
    let textual = is_html
        || mime.starts_with("text/")
        || ["json", "xml", "javascript", "yaml", "toml", "csv"]
            .iter()
            .any(|t| mime.contains(t))
        || (mime.is_empty() && !page.body[..page.body.len().min(8192)].contains(&0));
    if !textual {
        return Err(format!(
            "{} is {} ({}), not text; webfetch returns text only",
            page.url,
            mime,
            human_size(page.body.len() as u64)
        ));
    }
    let text = decode_body(&page.body, &page.content_type);
    let converted = match (format.as_str(), is_html) {
        ("markdown", true) => html::convert(&text, true),
        ("text", true) => html::convert(&text, false),
        _ => text,
    };
    let max_out = ctx.settings().webfetch.max_output_bytes;
    if page.status >= 400 {
        return Err(format!(
            "{} answered HTTP {} {}:\n{}",
            page.url,
            page.status,
            page.reason,
            excerpt(converted.trim(), 1000)
        ));
    }
    let mut out = format!(
        "Fetched {} (HTTP {}, {}, {})\n\n",
        page.url,
        page.status,
        if mime.is_empty() {
            "no content type"
        } else {
            &mime
        },
        human_size(page.body.len() as u64)
    );
    let body = converted.trim_end();
    if body.len() > max_out {
        let mut cut = max_out;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&body[..cut]);
        let _ = write!(
            out,
            "\n[... cut at {}; {} more not shown ...]\n",
            human_size(max_out as u64),
            human_size((body.len() - cut) as u64)
        );
    } else {
        out.push_str(body);
        out.push('\n');
    }
    if page.cut {
        let _ = writeln!(
            out,
            "[the page is larger than the {} download limit; only its start was read]",
            human_size(ctx.settings().webfetch.max_download_bytes)
        );
    }
    Ok(Outcome::ok(out)
        .with("status", page.status)
        .with("url", page.url))
}

/// The body as text: Latin-1 family charsets byte by byte, anything else
/// as UTF-8 (invalid bytes replaced).
fn decode_body(body: &[u8], content_type: &str) -> String {
    let ct = content_type.to_ascii_lowercase();
    let latin1 = [
        "iso-8859-1",
        "latin1",
        "latin-1",
        "windows-1252",
        "us-ascii",
    ]
    .iter()
    .any(|c| ct.contains(&format!("charset={c}")) || ct.contains(&format!("charset=\"{c}\"")));
    if latin1 {
        body.iter().map(|&b| b as char).collect()
    } else {
        String::from_utf8_lossy(body).into_owned()
    }
}

pub fn run_search(v: Value, ctx: &Ctx) -> Result<Outcome, String> {
    let a: SearchArgs = args(v)?;
    let s = ctx.settings().websearch.clone();
    let n = a
        .num_results
        .unwrap_or(s.default_results)
        .clamp(1, s.max_results);
    if a.query.trim().is_empty() {
        return Err("query is empty".into());
    }
    if ctx.env.dry_run {
        return Ok(Outcome::dry_run(format!(
            "would search the web for {:?} ({n} results)",
            a.query
        )));
    }
    let key = std::env::var("EXA_API_KEY")
        .ok()
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
        .ok_or("websearch needs an Exa API key: set EXA_API_KEY in the environment")?;
    let base = std::env::var("ZS_EXA_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or(s.url.clone());
    let url = format!("{}/search", base.trim().trim_end_matches('/'));
    let body = json!({
        "query": a.query,
        "numResults": n,
        "type": "auto",
        "contents": {"text": {"maxCharacters": 1000}},
    })
    .to_string();
    let timeout = s.timeout_ms;
    let (status, bytes) = cancellable(ctx, move || -> Result<(u16, Vec<u8>), String> {
        let mut resp = agent(timeout)
            .post(&url)
            .header("x-api-key", &key)
            .header("Content-Type", "application/json")
            .send(&body)
            .map_err(|e| http_error(&url, &e, timeout))?;
        let mut bytes = Vec::new();
        resp.body_mut()
            .as_reader()
            .take(4 << 20)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read the answer of {url}: {e}"))?;
        Ok((resp.status().as_u16(), bytes))
    })??;
    if status == 401 || status == 403 {
        return Err(format!(
            "Exa rejected the API key (HTTP {status}); check EXA_API_KEY"
        ));
    }
    if status >= 400 {
        return Err(format!(
            "Exa search failed with HTTP {status}: {}",
            excerpt(String::from_utf8_lossy(&bytes).trim(), 300)
        ));
    }
    let v: Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("Exa answered with something that is not JSON: {e}"))?;
    let results = v
        .get("results")
        .and_then(Value::as_array)
        .ok_or("Exa's answer has no \"results\" list")?;
    if results.is_empty() {
        return Ok(Outcome::ok(format!("no results for {:?}", a.query)));
    }
    let mut out = String::new();
    for (i, r) in results.iter().enumerate() {
        let field = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").trim();
        let title = if field("title").is_empty() {
            "(no title)"
        } else {
            field("title")
        };
        let _ = writeln!(out, "{}. {title}\n   {}", i + 1, field("url"));
        let mut meta = Vec::new();
        if !field("publishedDate").is_empty() {
            meta.push(field("publishedDate").chars().take(10).collect::<String>());
        }
        if !field("author").is_empty() {
            meta.push(field("author").to_string());
        }
        if !meta.is_empty() {
            let _ = writeln!(out, "   {}", meta.join(" · "));
        }
        let snippet = r
            .get("highlights")
            .and_then(Value::as_array)
            .and_then(|h| h.first())
            .and_then(Value::as_str)
            .unwrap_or(field("text"));
        let snippet = snippet.split_whitespace().collect::<Vec<_>>().join(" ");
        if !snippet.is_empty() {
            let _ = writeln!(out, "   {}", excerpt(&snippet, 500));
        }
        out.push('\n');
    }
    Ok(Outcome::ok(out.trim_end().to_string() + "\n"))
}
