//! The `grep` tool (in progress).
use crate::call::{Ctx, Outcome};
use serde_json::Value;
pub fn run(_v: Value, _ctx: &Ctx) -> Result<Outcome, String> {
    Err("grep is not built yet".into())
}
