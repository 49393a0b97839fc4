//! The HTTP side of the mock model (being built). API:
//! `MockServer::start(Script) -> MockServer`, `.url()` (`http://127.0.0.1:PORT`),
//! `.requests() -> Vec<Recorded>`; dropping it stops the server.

use crate::mock::script::Script;

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query, as sent.
    pub path: String,
    /// Header names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON (Null when it was not JSON).
    pub body: serde_json::Value,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

pub struct MockServer {
    pub script: Script,
}
