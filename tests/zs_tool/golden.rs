//! Golden transcripts: every `tests/fixtures/zs-tool/<case>.in.jsonl` is
//! piped into zs-tool and its output compared with `<case>.out.jsonl`.
//!
//! Per case, all optional:
//! - `<case>.args`: zs-tool's arguments, one per line;
//! - `<case>.files/`: copied into the scratch working folder;
//! - `<case>.setup`: a bash script run in the scratch folder first (for
//!   what files cannot hold: modes, binary data, big files);
//! - `<case>.config.json`: the configuration file;
//! - `<case>.code`: the expected exit status (default 0);
//! - `<case>.err`: the expected stderr (default: not compared).
//!
//! Output is normalized before comparing: the scratch folder becomes
//! `$WORK`, the home `$HOME`, durations 0, and the unique part of saved
//! output file names `N`. `ZS_BLESS=1` rewrites the expected files; review
//! the diff like code.

use crate::common::Home;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/zs-tool")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// Replaces what changes from run to run.
fn normalize(text: &str, work: &Path, home: &Path) -> String {
    let text = text
        .replace(&work.display().to_string(), "$WORK")
        .replace(&home.display().to_string(), "$HOME");
    let unique = regex::Regex::new(r"(tool-output/[A-Za-z0-9_-]*?)-\d+-\d+\.txt").unwrap();
    let text = unique.replace_all(&text, "$1-N.txt");
    // Lines are compared as text, not re-serialized, so a line passed
    // through must come out byte for byte.
    let duration = regex::Regex::new(r#""duration_ms":\d+"#).unwrap();
    let text = duration.replace_all(&text, r#""duration_ms":0"#);
    // How a command's output is cut into deltas depends on timing; their
    // concatenation does not. Consecutive deltas of one call become one.
    let mut out: Vec<String> = Vec::new();
    let mut delta: Option<(String, String)> = None;
    let flush = |delta: &mut Option<(String, String)>, out: &mut Vec<String>| {
        if let Some((id, text)) = delta.take() {
            out.push(format!(
                r#"{{"type":"tool_output","call_id":{},"text":{}}}"#,
                serde_json::to_string(&id).unwrap(),
                serde_json::to_string(&text).unwrap()
            ));
        }
    };
    for line in text.lines() {
        let v: Option<serde_json::Value> = serde_json::from_str(line).ok();
        match v.filter(|v| v["type"] == "tool_output") {
            Some(v) => {
                let id = v["call_id"].as_str().unwrap_or("").to_string();
                let t = v["text"].as_str().unwrap_or("");
                match &mut delta {
                    Some((d_id, d_text)) if *d_id == id => d_text.push_str(t),
                    _ => {
                        flush(&mut delta, &mut out);
                        delta = Some((id, t.to_string()));
                    }
                }
            }
            None => {
                flush(&mut delta, &mut out);
                out.push(line.to_string());
            }
        }
    }
    flush(&mut delta, &mut out);
    out.iter().map(|l| format!("{l}\n")).collect()
}

struct Case {
    name: String,
    dir: PathBuf,
}

impl Case {
    fn file(&self, ext: &str) -> PathBuf {
        self.dir.join(format!("{}{ext}", self.name))
    }

    fn read(&self, ext: &str) -> Option<String> {
        std::fs::read_to_string(self.file(ext)).ok()
    }

    /// Runs the case; returns (stdout, stderr, exit code), normalized.
    fn run(&self) -> (String, String, i32) {
        let home = Home::new();
        let work = home.path().join("work");
        std::fs::create_dir_all(&work).unwrap();
        let files = self.file(".files");
        if files.is_dir() {
            copy_tree(&files, &work);
        }
        if let Some(cfg) = self.read(".config.json") {
            home.write_config(&cfg);
        }
        if self.file(".setup").exists() {
            let st = std::process::Command::new("bash")
                .arg(self.file(".setup"))
                .current_dir(&work)
                .env("HOME", home.path())
                .status()
                .unwrap();
            assert!(st.success(), "{}: setup failed", self.name);
        }
        let args: Vec<String> = self
            .read(".args")
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect();
        let input = std::fs::read(self.file(".in.jsonl")).unwrap();
        let mut cmd = crate::tool_cmd(&home);
        cmd.args(&args).current_dir(&work);
        let (child, writer) = crate::common::spawn_fed(&mut cmd, input, "zs-tool");
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        (
            normalize(&String::from_utf8_lossy(&out.stdout), &work, home.path()),
            normalize(&String::from_utf8_lossy(&out.stderr), &work, home.path()),
            out.status.code().unwrap_or(-1),
        )
    }
}

fn cases() -> Vec<Case> {
    let dir = fixtures();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let n = e.ok()?.file_name().to_string_lossy().into_owned();
            n.strip_suffix(".in.jsonl").map(str::to_string)
        })
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| Case {
            name,
            dir: dir.clone(),
        })
        .collect()
}

#[test]
fn golden_transcripts_match() {
    let bless = std::env::var_os("ZS_BLESS").is_some_and(|v| v == "1");
    let cases = cases();
    assert!(!cases.is_empty(), "no fixtures found");
    let mut failed = Vec::new();
    for case in &cases {
        let (out, err, code) = case.run();
        if bless {
            std::fs::write(case.file(".out.jsonl"), &out).unwrap();
            let code_file = case.file(".code");
            if code == 0 {
                let _ = std::fs::remove_file(code_file);
            } else {
                std::fs::write(code_file, format!("{code}\n")).unwrap();
            }
            if case.file(".err").exists() || !err.is_empty() {
                std::fs::write(case.file(".err"), &err).unwrap();
            }
            continue;
        }
        let want_out = case.read(".out.jsonl").unwrap_or_default();
        let want_code: i32 = case
            .read(".code")
            .map(|c| c.trim().parse().unwrap())
            .unwrap_or(0);
        let mut problems = Vec::new();
        if out != want_out {
            problems.push(format!(
                "stdout differs\n--- expected\n{want_out}--- got\n{out}"
            ));
        }
        if code != want_code {
            problems.push(format!("exit code {code}, expected {want_code}"));
        }
        if let Some(want_err) = case.read(".err")
            && err != want_err
        {
            problems.push(format!(
                "stderr differs\n--- expected\n{want_err}--- got\n{err}"
            ));
        }
        if !problems.is_empty() {
            failed.push(format!("== {}\n{}", case.name, problems.join("\n")));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} cases failed (ZS_BLESS=1 rewrites the expected files):\n{}",
        failed.len(),
        cases.len(),
        failed.join("\n")
    );
}
