//! Integration tests of zs-chat: the real binary against the scripted model
//! server, one module per wire format plus faults, bad input, rounds and
//! connections.

#[path = "../common/mod.rs"]
mod common;
#[path = "../mock/lib.rs"]
mod mock;

mod anthropic;
mod connections;
mod faults;
mod gemini;
mod harness;
mod input;
mod ollama;
mod openai_chat;
mod openai_responses;
mod rounds;
