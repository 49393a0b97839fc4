//! The main loop (stub: owned by the app helper).
#![allow(dead_code)]
use zerostack::error::Error;

pub fn run() -> Result<(), Error> {
    Ok(())
}
