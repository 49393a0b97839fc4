//! The `webfetch` and `websearch` tools (in progress).
use crate::call::{Ctx, Outcome};
use serde_json::Value;
pub fn run_fetch(_v: Value, _ctx: &Ctx) -> Result<Outcome, String> {
    Err("webfetch is not built yet".into())
}
pub fn run_search(_v: Value, _ctx: &Ctx) -> Result<Outcome, String> {
    Err("websearch is not built yet".into())
}
