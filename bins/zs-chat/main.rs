//! zs-chat: one streamed model call, for any provider, as a Unix filter.
//! Reads a conversation on stdin, writes deltas and one `assistant` message
//! on stdout. See zs-chat(1).

mod assemble;
mod conversation;
mod framing;
mod providers;

fn main() -> std::process::ExitCode {
    zerostack::cli::run("zs-chat", || Ok(()))
}
