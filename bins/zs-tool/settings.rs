//! The `tools` section of the configuration: every limit zs-tool applies,
//! with its default. docs/tools.md lists the same keys and defaults; a test
//! below keeps the checking schema and the struct in step.

use crate::validate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use zerostack::error::Error;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * 1024;

/// All of zs-tool's settings. Every field has a default, so an absent
/// section or key means the default.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Files larger than this are refused by read, write, edit and apply_patch.
    pub max_file_bytes: u64,
    /// How many read-only calls of one message run at the same time.
    pub max_parallel: usize,
    pub read: Read,
    pub edit: Edit,
    pub bash: Bash,
    pub grep: Grep,
    pub find_files: FindFiles,
    pub list_dir: ListDir,
    pub webfetch: WebFetch,
    pub websearch: WebSearch,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Read {
    /// Lines shown when the call gives no `limit`.
    pub max_lines: u64,
    /// Longer lines are cut, with a note.
    pub max_line_chars: usize,
    /// The text of one read result stops at this size.
    pub max_output_bytes: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Edit {
    /// The diff in an edit or apply_patch result is cut at this many lines.
    pub max_diff_lines: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Bash {
    /// The shell, run as `SHELL -c COMMAND`.
    pub shell: String,
    /// Timeout when the call gives none.
    pub timeout_ms: u64,
    /// The largest timeout a call may ask for; larger ones are lowered to it.
    pub max_timeout_ms: u64,
    /// Output kept in the result, in lines and bytes (head and tail).
    pub max_output_lines: usize,
    pub max_output_bytes: usize,
    /// Between TERM and KILL when a command is stopped.
    pub kill_grace_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Grep {
    /// Matching lines shown; the rest are counted.
    pub max_results: usize,
    pub max_line_chars: usize,
    /// The largest `context` a call may ask for.
    pub max_context: usize,
    /// Larger files are skipped.
    pub max_file_bytes: u64,
    /// The text of one grep result stops at this size.
    pub max_output_bytes: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FindFiles {
    pub max_results: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ListDir {
    pub max_entries: usize,
    /// The largest `depth` a call may ask for.
    pub max_depth: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebFetch {
    pub timeout_ms: u64,
    /// The response body is cut at this size.
    pub max_download_bytes: u64,
    /// The converted text is cut at this size.
    pub max_output_bytes: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebSearch {
    /// Base URL of the Exa API; `ZS_EXA_URL` overrides it.
    pub url: String,
    pub timeout_ms: u64,
    pub default_results: u64,
    pub max_results: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            max_file_bytes: 10 * MIB,
            max_parallel: 8,
            read: Read::default(),
            edit: Edit::default(),
            bash: Bash::default(),
            grep: Grep::default(),
            find_files: FindFiles::default(),
            list_dir: ListDir::default(),
            webfetch: WebFetch::default(),
            websearch: WebSearch::default(),
        }
    }
}

impl Default for Read {
    fn default() -> Read {
        Read {
            max_lines: 2000,
            max_line_chars: 2000,
            max_output_bytes: (100 * KIB) as usize,
        }
    }
}

impl Default for Edit {
    fn default() -> Edit {
        Edit {
            max_diff_lines: 200,
        }
    }
}

impl Default for Bash {
    fn default() -> Bash {
        Bash {
            shell: "bash".into(),
            timeout_ms: 120_000,
            max_timeout_ms: 600_000,
            max_output_lines: 2000,
            max_output_bytes: (50 * KIB) as usize,
            kill_grace_ms: 2000,
        }
    }
}

impl Default for Grep {
    fn default() -> Grep {
        Grep {
            max_results: 200,
            max_line_chars: 500,
            max_context: 10,
            max_file_bytes: 10 * MIB,
            max_output_bytes: (100 * KIB) as usize,
        }
    }
}

impl Default for FindFiles {
    fn default() -> FindFiles {
        FindFiles { max_results: 200 }
    }
}

impl Default for ListDir {
    fn default() -> ListDir {
        ListDir {
            max_entries: 500,
            max_depth: 5,
        }
    }
}

impl Default for WebFetch {
    fn default() -> WebFetch {
        WebFetch {
            timeout_ms: 30_000,
            max_download_bytes: 5 * MIB,
            max_output_bytes: (100 * KIB) as usize,
        }
    }
}

impl Default for WebSearch {
    fn default() -> WebSearch {
        WebSearch {
            url: "https://api.exa.ai".into(),
            timeout_ms: 30_000,
            default_results: 5,
            max_results: 20,
        }
    }
}

impl Settings {
    /// Reads the `tools` section of the configuration file, if any.
    pub fn load() -> Result<Settings, Error> {
        let config = zerostack::config::Config::load()?;
        match config.section("tools") {
            None | Some(Value::Null) => Ok(Settings::default()),
            Some(v) => Settings::from_value(v.clone()),
        }
    }

    /// Checks a `tools` section and fills in the defaults. A wrong key or
    /// type is a usage error naming the key (`tools.bash.timeout_ms`).
    pub fn from_value(mut v: Value) -> Result<Settings, Error> {
        validate::check(&schema(), &mut v, "tools")
            .map_err(|e| Error::usage(format!("bad config: {e}")))?;
        serde_json::from_value(v).map_err(|e| Error::usage(format!("bad config: tools: {e}")))
    }
}

/// The JSON Schema of the `tools` section.
fn schema() -> Value {
    fn section(props: Value) -> Value {
        json!({"type": "object", "additionalProperties": false, "properties": props})
    }
    let count = json!({"type": "integer", "minimum": 1});
    let zero_ok = json!({"type": "integer", "minimum": 0});
    section(json!({
        "max_file_bytes": count,
        "max_parallel": count,
        "read": section(json!({
            "max_lines": count, "max_line_chars": count, "max_output_bytes": count,
        })),
        "edit": section(json!({"max_diff_lines": zero_ok})),
        "bash": section(json!({
            "shell": {"type": "string"},
            "timeout_ms": count, "max_timeout_ms": count,
            "max_output_lines": count, "max_output_bytes": count,
            "kill_grace_ms": zero_ok,
        })),
        "grep": section(json!({
            "max_results": count, "max_line_chars": count,
            "max_context": zero_ok, "max_file_bytes": count, "max_output_bytes": count,
        })),
        "find_files": section(json!({"max_results": count})),
        "list_dir": section(json!({"max_entries": count, "max_depth": count})),
        "webfetch": section(json!({
            "timeout_ms": count, "max_download_bytes": count, "max_output_bytes": count,
        })),
        "websearch": section(json!({
            "url": {"type": "string"}, "timeout_ms": count,
            "default_results": count, "max_results": count,
        })),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key of the struct is in the schema and the other way round.
    #[test]
    fn schema_and_struct_have_the_same_keys() {
        fn keys(v: &Value, prefix: &str, out: &mut Vec<String>) {
            if let Some(m) = v.as_object() {
                for (k, v) in m {
                    let name = format!("{prefix}{k}");
                    out.push(name.clone());
                    keys(v, &format!("{name}."), out);
                }
            }
        }
        fn schema_keys(v: &Value, prefix: &str, out: &mut Vec<String>) {
            if let Some(m) = v.get("properties").and_then(Value::as_object) {
                for (k, v) in m {
                    let name = format!("{prefix}{k}");
                    out.push(name.clone());
                    schema_keys(v, &format!("{name}."), out);
                }
            }
        }
        let mut a = Vec::new();
        keys(
            &serde_json::to_value(Settings::default()).unwrap(),
            "",
            &mut a,
        );
        let mut b = Vec::new();
        schema_keys(&schema(), "", &mut b);
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }

    /// docs/tools.md has a row for every key.
    #[test]
    fn every_key_is_documented() {
        let docs =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/tools.md")).unwrap();
        let v = serde_json::to_value(Settings::default()).unwrap();
        for (k, v) in v.as_object().unwrap() {
            let leaves: Vec<String> = match v.as_object() {
                Some(m) => m.keys().map(|l| format!("tools.{k}.{l}")).collect(),
                None => vec![format!("tools.{k}")],
            };
            for key in leaves {
                assert!(
                    docs.contains(&format!("| `{key}` |")),
                    "{key} is not in docs/tools.md"
                );
            }
        }
    }

    #[test]
    fn a_bad_key_is_named() {
        let e = Settings::from_value(json!({"bash": {"timeout_ms": "5"}})).unwrap_err();
        assert!(
            e.message.contains("'tools.bash.timeout_ms'"),
            "{}",
            e.message
        );
        let e = Settings::from_value(json!({"bash": {"timeout": 5}})).unwrap_err();
        assert!(e.message.contains("'tools.bash.timeout'"), "{}", e.message);
        let s = Settings::from_value(json!({"grep": {"max_results": 3}})).unwrap();
        assert_eq!(s.grep.max_results, 3);
        assert_eq!(s.grep.max_line_chars, 500);
    }
}
