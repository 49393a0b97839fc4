//! The scripted model server: a std-only HTTP/1.1 server on 127.0.0.1 that
//! answers each request with the next scripted [`script::Reply`], rendered in
//! the wire format the request's path asks for (OpenAI Chat Completions and
//! Responses, Anthropic Messages, Gemini, Ollama), and records every request
//! for the test to check, with the connection it came on. Faults are
//! scripted the same way. Each response closes its connection unless the
//! server is started with keep-alive.
//!
//! Tests include this file as a module (`#[path = "../mock/lib.rs"] mod
//! mock;`); examples/mock-model (tests/mock/main.rs) runs it as a process.
#![allow(dead_code)]

pub mod render;
pub mod script;
pub mod server;
