//! The tool table: each tool's name, what it may affect, its description
//! (Markdown under prompts/tools/, embedded at build time) and the JSON
//! Schema of its arguments. `zs-tool schema` prints it; the call runner
//! checks arguments against it.

use serde_json::{Value, json};

/// What a tool may touch. It decides scheduling (read-only calls of one
/// message run in parallel, the others one at a time, in order) and which
/// tools `--mode readonly` offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Reads files or the network, changes nothing.
    Read,
    /// Changes only the session's own state (the task list).
    State,
    /// Changes files.
    Write,
    /// Runs a program, which may do anything.
    Execute,
}

impl Effect {
    /// Whether `--mode readonly` offers tools of this kind.
    pub fn in_readonly_mode(self) -> bool {
        matches!(self, Effect::Read | Effect::State)
    }
}

pub struct Spec {
    pub name: &'static str,
    pub effect: Effect,
    pub description: &'static str,
    pub parameters: fn() -> Value,
}

macro_rules! prompt {
    ($name:literal) => {
        include_str!(concat!("../../prompts/tools/", $name, ".md"))
    };
}

/// Every tool, in the order `schema` lists them.
pub const TOOLS: &[Spec] = &[
    Spec {
        name: "read",
        effect: Effect::Read,
        description: prompt!("read"),
        parameters: read,
    },
    Spec {
        name: "write",
        effect: Effect::Write,
        description: prompt!("write"),
        parameters: write,
    },
    Spec {
        name: "edit",
        effect: Effect::Write,
        description: prompt!("edit"),
        parameters: edit,
    },
    Spec {
        name: "multiedit",
        effect: Effect::Write,
        description: prompt!("multiedit"),
        parameters: multiedit,
    },
    Spec {
        name: "apply_patch",
        effect: Effect::Write,
        description: prompt!("apply_patch"),
        parameters: apply_patch,
    },
    Spec {
        name: "bash",
        effect: Effect::Execute,
        description: prompt!("bash"),
        parameters: bash,
    },
    Spec {
        name: "grep",
        effect: Effect::Read,
        description: prompt!("grep"),
        parameters: grep,
    },
    Spec {
        name: "find_files",
        effect: Effect::Read,
        description: prompt!("find_files"),
        parameters: find_files,
    },
    Spec {
        name: "list_dir",
        effect: Effect::Read,
        description: prompt!("list_dir"),
        parameters: list_dir,
    },
    Spec {
        name: "todo_write",
        effect: Effect::State,
        description: prompt!("todo_write"),
        parameters: todo_write,
    },
    Spec {
        name: "todo_read",
        effect: Effect::Read,
        description: prompt!("todo_read"),
        parameters: todo_read,
    },
    Spec {
        name: "webfetch",
        effect: Effect::Read,
        description: prompt!("webfetch"),
        parameters: webfetch,
    },
    Spec {
        name: "websearch",
        effect: Effect::Read,
        description: prompt!("websearch"),
        parameters: websearch,
    },
];

pub fn find(name: &str) -> Option<&'static Spec> {
    TOOLS.iter().find(|s| s.name == name)
}

/// An object schema that allows no other fields.
fn object(required: &[&str], properties: Value) -> Value {
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

fn string(description: &str) -> Value {
    json!({"type": "string", "description": description})
}

fn path(description: &str) -> Value {
    string(description)
}

fn read() -> Value {
    object(
        &["path"],
        json!({
            "path": path("The file to read"),
            "offset": {"type": "integer", "minimum": 1, "description": "First line to show, from 1"},
            "limit": {"type": "integer", "minimum": 1, "description": "How many lines to show (default 2000)"},
        }),
    )
}

fn write() -> Value {
    object(
        &["path", "content"],
        json!({
            "path": path("The file to write"),
            "content": string("The whole new content of the file"),
        }),
    )
}

fn edit_fields() -> Value {
    json!({
        "old_string": string("The text to replace, copied exactly from the file"),
        "new_string": string("The text to put in its place"),
        "replace_all": {"type": "boolean", "description": "Replace every occurrence (default false)"},
    })
}

fn edit() -> Value {
    let mut props = edit_fields();
    props["path"] = path("The file to edit");
    object(&["path", "old_string", "new_string"], props)
}

fn multiedit() -> Value {
    object(
        &["path", "edits"],
        json!({
            "path": path("The file to edit"),
            "edits": {
                "type": "array",
                "minItems": 1,
                "description": "Edits applied in order, all or nothing",
                "items": object(&["old_string", "new_string"], edit_fields()),
            },
        }),
    )
}

fn apply_patch() -> Value {
    object(
        &["patch"],
        json!({"patch": string("The whole patch, from *** Begin Patch to *** End Patch")}),
    )
}

fn bash() -> Value {
    object(
        &["command"],
        json!({
            "command": string("The command to run"),
            "timeout": {"type": "integer", "minimum": 1, "description": "Timeout in milliseconds (default 120000)"},
            "workdir": path("Folder to run in (default: the working directory)"),
        }),
    )
}

fn grep() -> Value {
    object(
        &["pattern"],
        json!({
            "pattern": string("Regular expression to search for"),
            "path": path("File or folder to search (default: the working directory)"),
            "include": string("Glob of files to search, e.g. *.rs or *.{ts,tsx}"),
            "context": {"type": "integer", "minimum": 0, "description": "Lines of context before and after each match"},
            "ignore_case": {"type": "boolean", "description": "Case-insensitive search"},
        }),
    )
}

fn find_files() -> Value {
    object(
        &["pattern"],
        json!({
            "pattern": string("Glob pattern, e.g. *.rs or src/**/*.ts"),
            "path": path("Folder to search (default: the working directory)"),
        }),
    )
}

fn list_dir() -> Value {
    object(
        &[],
        json!({
            "path": path("Folder to list (default: the working directory)"),
            "depth": {"type": "integer", "minimum": 1, "description": "Levels to show (default 1)"},
        }),
    )
}

fn todo_write() -> Value {
    object(
        &["todos"],
        json!({
            "todos": {
                "type": "array",
                "description": "The whole task list",
                "items": object(&["content", "status", "priority"], json!({
                    "content": string("What to do"),
                    "status": {"type": "string", "enum": ["pending", "in_progress", "completed", "cancelled"]},
                    "priority": {"type": "string", "enum": ["high", "medium", "low"]},
                    "id": string("Optional identifier"),
                })),
            },
        }),
    )
}

fn todo_read() -> Value {
    object(&[], json!({}))
}

fn webfetch() -> Value {
    object(
        &["url"],
        json!({
            "url": string("The http or https URL to fetch"),
            "format": {"type": "string", "enum": ["markdown", "text", "html"], "description": "Output format (default markdown)"},
        }),
    )
}

fn websearch() -> Value {
    object(
        &["query"],
        json!({
            "query": string("What to search for"),
            "num_results": {"type": "integer", "minimum": 1, "description": "How many results (default 5)"},
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_schemas_are_objects() {
        for (i, s) in TOOLS.iter().enumerate() {
            assert!(TOOLS[..i].iter().all(|o| o.name != s.name), "{}", s.name);
            let p = (s.parameters)();
            assert_eq!(p["type"], "object", "{}", s.name);
            assert!(!s.description.trim().is_empty(), "{}", s.name);
            for r in p["required"].as_array().unwrap() {
                assert!(
                    p["properties"].get(r.as_str().unwrap()).is_some(),
                    "{}",
                    s.name
                );
            }
        }
    }
}
