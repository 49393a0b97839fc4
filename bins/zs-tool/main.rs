//! zs-tool: placeholder until its issue lands; exits with a usage error.

fn main() -> std::process::ExitCode {
    zerostack::cli::run("zs-tool", || Err(zerostack::error::Error::usage("zs-tool is not built yet")))
}
