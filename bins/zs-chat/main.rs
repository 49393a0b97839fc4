//! zs-chat: one streamed model call per round, for any provider, as a Unix
//! filter. Reads a conversation on stdin, writes deltas and one `assistant`
//! message on stdout; a `round_end` line closes a round and is written
//! through after its reply. See zs-chat(1); the work is done in run.rs.
// Entered through `main` below, not std's runtime; unit tests keep the
// test harness's own main.
#![cfg_attr(not(test), no_main)]

mod args;
mod assemble;
mod conversation;
mod framing;
mod http;
mod providers;
mod run;

zerostack::entry!("zs-chat", run::run);
