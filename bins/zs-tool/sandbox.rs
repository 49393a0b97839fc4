//! The seam for running commands in a sandbox.
//!
//! Today a command runs as `SHELL -c COMMAND` with no confinement. The
//! sandbox issue replaces [`command`] with one that wraps the shell (bwrap
//! or similar) according to the `sandbox` config section; the bash tool
//! takes whatever `Command` comes back and adds stdio, the process group
//! and the environment.

use std::path::Path;
use std::process::Command;

/// The command that runs `script` with `shell` in `workdir`.
pub fn command(shell: &str, script: &str, workdir: &Path) -> Command {
    let mut c = Command::new(shell);
    c.arg("-c").arg(script).current_dir(workdir);
    c
}
