//! Ctrl-C in a pipeline: the terminal sends SIGINT to every stage at once.
//! zs-perm does not die of it. It stops asking (a question on the terminal
//! or the front end's socket ends at once, as a denial), denies every call
//! it has yet to decide, and goes on passing its input through until the
//! input ends, so zs-chat's partial message still reaches the session. It
//! then exits 130. SIGTERM keeps its default: it ends zs-perm at once.

use signal_hook::consts::SIGINT;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use zerostack::error::Error;

static FLAG: LazyLock<Arc<AtomicBool>> = LazyLock::new(|| Arc::new(AtomicBool::new(false)));

/// How often a wait for an answer looks at the flag.
pub const POLL: Duration = Duration::from_millis(50);

/// Catches SIGINT from now on.
pub fn install() -> Result<(), Error> {
    signal_hook::flag::register(SIGINT, Arc::clone(&FLAG))
        .map(|_| ())
        .map_err(|e| Error::failure(format!("cannot install the SIGINT handler: {e}")))
}

/// Whether a SIGINT came.
pub fn interrupted() -> bool {
    FLAG.load(Ordering::SeqCst)
}

/// The reason given for a call decided after an interrupt, or for an ask
/// cut short by one.
pub const REASON: &str = "not decided: the turn was interrupted (Ctrl-C), so nothing more runs";
