//! zs-session: placeholder until its issue lands; exits with a usage error.

fn main() -> std::process::ExitCode {
    zerostack::cli::run("zs-session", || {
        Err(zerostack::error::Error::usage("zs-session is not built yet"))
    })
}
