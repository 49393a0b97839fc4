//! zs-perm: placeholder until its issue lands; exits with a usage error.

fn main() -> std::process::ExitCode {
    zerostack::cli::run("zs-perm", || Err(zerostack::error::Error::usage("zs-perm is not built yet")))
}
