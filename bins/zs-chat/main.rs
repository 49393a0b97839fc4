//! zs-chat: one streamed model call, for any provider, as a Unix filter.
//! See zs-chat(1).

fn main() -> std::process::ExitCode {
    zerostack::cli::run("zs-chat", || Ok(()))
}
