//! Interrupts: SIGINT, SIGTERM and SIGHUP set the run's cancel flag instead
//! of killing zs-tool, so a running command's process group is stopped, its
//! result is still written, and every pending call gets an "interrupted"
//! result before zs-tool exits with status 130.
//!
//! After the first signal zs-tool keeps passing its input through until the
//! input ends, so what upstream stages flush on a Ctrl-C (zs-chat's partial
//! message) still reaches the session; a second signal ends it at once.

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by the second signal: stop passing input through and exit now.
static AGAIN: AtomicBool = AtomicBool::new(false);

/// Whether a second signal came.
pub fn again() -> bool {
    AGAIN.load(Ordering::SeqCst)
}
use zerostack::error::Error;

/// Installs the handlers. `wake` is called after the flag is set, to wake a
/// loop that waits for input.
pub fn install(cancel: Arc<AtomicBool>, wake: impl Fn() + Send + 'static) -> Result<(), Error> {
    let mut signals = Signals::new([SIGINT, SIGTERM, SIGHUP])
        .map_err(|e| Error::failure(format!("cannot install signal handlers: {e}")))?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for _ in signals.forever() {
                if cancel.swap(true, Ordering::SeqCst) {
                    AGAIN.store(true, Ordering::SeqCst);
                }
                wake();
            }
        })
        .map_err(|e| Error::failure(format!("cannot start the signal thread: {e}")))?;
    Ok(())
}
