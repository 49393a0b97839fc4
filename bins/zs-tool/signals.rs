//! Interrupts: SIGINT, SIGTERM and SIGHUP set the run's cancel flag instead
//! of killing zs-tool, so a running command's process group is stopped, its
//! result is still written, and every pending call gets an "interrupted"
//! result before zs-tool exits with status 130.

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
                cancel.store(true, Ordering::SeqCst);
                wake();
            }
        })
        .map_err(|e| Error::failure(format!("cannot start the signal thread: {e}")))?;
    Ok(())
}
