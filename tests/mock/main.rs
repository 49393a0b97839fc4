//! The scripted model server as a process, for scripts/bench and for trying
//! the binaries by hand:
//!
//! ```text
//! mock-model SCRIPT.json [--port N] [--log FILE]
//! ```
//!
//! Prints its URL (`http://127.0.0.1:PORT`) as one line on stdout, appends
//! every request it receives to FILE as one NDJSON line (method, path,
//! headers, body, connection number), and serves until it is killed. The
//! script's `"keep_alive": true` keeps connections open between requests
//! (by default each response closes its connection).

#[path = "lib.rs"]
mod mock;

use std::io::Write;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

const USAGE: &str = "usage: mock-model SCRIPT.json [--port N] [--log FILE]";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "mock-model: error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut script_path = None;
    let mut port = 0u16;
    let mut log = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => {
                let v = args.next().ok_or(USAGE)?;
                port = v.parse().map_err(|_| format!("bad port '{v}'"))?;
            }
            "--log" => log = Some(args.next().ok_or(USAGE)?),
            "-h" | "--help" => {
                let _ = writeln!(std::io::stdout(), "{USAGE}");
                return Ok(());
            }
            _ if script_path.is_none() && !a.starts_with('-') => script_path = Some(a),
            _ => return Err(format!("unexpected argument '{a}' ({USAGE})")),
        }
    }
    let script_path = script_path.ok_or(USAGE)?;
    let text = std::fs::read_to_string(&script_path)
        .map_err(|e| format!("cannot read '{script_path}': {e}"))?;
    let file: mock::script::ScriptFile =
        serde_json::from_str(&text).map_err(|e| format!("bad script '{script_path}': {e}"))?;
    let (script, keep_alive) = file.split();

    let on_request: Option<mock::server::OnRequest> = match log {
        None => None,
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| format!("cannot open log '{path}': {e}"))?;
            let file = Mutex::new(file);
            Some(Arc::new(move |r: &mock::server::Recorded| {
                let mut line = r.to_json().to_string();
                line.push('\n');
                if let Ok(mut f) = file.lock() {
                    let _ = f.write_all(line.as_bytes());
                }
            }))
        }
    };
    let server = mock::server::MockServer::start_on(script, keep_alive, port, on_request)
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", server.url()).map_err(|e| e.to_string())?;
        out.flush().map_err(|e| e.to_string())?;
    }
    loop {
        std::thread::park();
    }
}
