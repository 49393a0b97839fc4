//! The `apply_patch` tool (in progress).
use crate::call::{Ctx, Outcome};
use serde_json::Value;
pub fn run(_v: Value, _ctx: &Ctx) -> Result<Outcome, String> {
    Err("apply_patch is not built yet".into())
}
