//! The documentation against the binary: every option in `--help` is in
//! the man page, every tool has its section in docs/tools.md, the schema
//! is well-formed, and the man page's stand-alone examples run.

use crate::common::Home;
use std::path::Path;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

fn long_options(help: &str) -> Vec<String> {
    help.split_whitespace()
        .filter_map(|w| w.strip_prefix("--"))
        .map(|w| {
            w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
                .to_string()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

#[test]
fn every_option_in_help_is_in_the_man_page() {
    let home = Home::new();
    let man = read("man/zs-tool.1");
    for args in [&["--help"][..], &["call", "--help"], &["schema", "--help"]] {
        let out = home.cmd("zs-tool").args(args).output().unwrap();
        assert!(out.status.success());
        let help = String::from_utf8_lossy(&out.stdout);
        for opt in long_options(&help) {
            let roff = format!("\\-\\-{}", opt.replace('-', "\\-"));
            assert!(man.contains(&roff), "--{opt} is not in man/zs-tool.1");
        }
    }
}

#[test]
fn every_tool_is_documented_and_has_an_object_schema() {
    let home = Home::new();
    let out = home.cmd("zs-tool").arg("schema").output().unwrap();
    assert!(out.status.success());
    let lines = crate::common::ndjson(&out.stdout);
    assert_eq!(lines.len(), 1);
    let docs = read("docs/tools.md");
    let man = read("man/zs-tool.1");
    let tools = lines[0]["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 13);
    for t in tools {
        let name = t["name"].as_str().unwrap();
        assert!(
            docs.contains(&format!("### {name} `{{")) || docs.contains(&format!(" and {name} `{{")),
            "{name} has no section in docs/tools.md"
        );
        assert!(man.contains(name), "{name} is not named in the man page");
        assert!(!t["description"].as_str().unwrap().trim().is_empty());
        assert_eq!(t["parameters"]["type"], "object", "{name}");
        assert_eq!(t["parameters"]["additionalProperties"], false, "{name}");
    }
}

#[test]
fn readonly_mode_lists_only_tools_that_change_nothing() {
    let home = Home::new();
    let out = home
        .cmd("zs-tool")
        .args(["schema", "--mode", "readonly"])
        .output()
        .unwrap();
    let v = &crate::common::ndjson(&out.stdout)[0];
    let names: Vec<&str> = v["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "read",
            "grep",
            "find_files",
            "list_dir",
            "todo_write",
            "todo_read",
            "webfetch",
            "websearch"
        ]
    );
}

#[test]
fn the_man_page_examples_that_stand_alone_run() {
    let home = Home::new();
    std::fs::write(home.path().join("main.rs"), "fn main() {}\n").unwrap();
    let man = read("man/zs-tool.1");
    let section = man.split(".SH EXAMPLES").nth(1).unwrap();
    let examples: Vec<&str> = section
        .lines()
        .filter(|l| l.starts_with("zs-tool ") && !l.contains('|') && !l.contains('<'))
        .collect();
    assert_eq!(examples.len(), 2, "{examples:?}");
    let bin_dir = crate::common::bin("zs-tool")
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for ex in examples {
        let out = std::process::Command::new("bash")
            .args(["-c", ex])
            .env_clear()
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("PATH", &path)
            .current_dir(home.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{ex}");
        let lines = crate::common::ndjson(&out.stdout);
        assert_eq!(lines.len(), 1, "{ex}");
        if ex.contains("call grep") {
            assert_eq!(lines[0]["content"], "main.rs:1:fn main() {}\n", "{ex}");
        }
    }
}
