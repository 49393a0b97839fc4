//! zs-chat: one streamed model call, for any provider, as a Unix filter.
//! Reads a conversation on stdin, writes deltas and one `assistant` message
//! on stdout. See zs-chat(1); the work is done in run.rs.

mod args;
mod assemble;
mod conversation;
mod framing;
mod http;
mod providers;
mod run;

fn main() -> std::process::ExitCode {
    zerostack::cli::run("zs-chat", run::run)
}
