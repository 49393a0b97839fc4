//! The scripted model server as a process (being built):
//! `mock-model SCRIPT.json [--port N] [--log FILE]`.

#[path = "lib.rs"]
mod mock;

fn main() {}
