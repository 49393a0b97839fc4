//! The `find_files` and `list_dir` tools (in progress).
use crate::call::{Ctx, Outcome};
use serde_json::Value;
pub fn run_find(_v: Value, _ctx: &Ctx) -> Result<Outcome, String> {
    Err("find_files is not built yet".into())
}
pub fn run_list(_v: Value, _ctx: &Ctx) -> Result<Outcome, String> {
    Err("list_dir is not built yet".into())
}
