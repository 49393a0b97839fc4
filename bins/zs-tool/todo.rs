//! The `todo_write` and `todo_read` tools (in progress).
use crate::call::{Ctx, Outcome};
use serde_json::Value;
pub fn run_write(_v: Value, _ctx: &Ctx) -> Result<Outcome, String> {
    Err("todo_write is not built yet".into())
}
pub fn run_read(_v: Value, _ctx: &Ctx) -> Result<Outcome, String> {
    Err("todo_read is not built yet".into())
}
pub fn project_file_name(_cwd: &std::path::Path) -> String {
    "todo.json".into()
}
