//! The gemini wire format, rendered (being built).

use crate::mock::script::Reply;
use serde_json::{Value, json};

pub fn render(_reply: &Reply, _request: &Value) -> Vec<String> {
    Vec::new()
}

pub fn stream_error(message: &str) -> String {
    super::sse_data(&json!({"error": {"message": message}}))
}

pub fn error_body(status: u16, message: &str) -> String {
    json!({"error": {"code": status, "message": message}}).to_string()
}
