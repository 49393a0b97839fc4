//! The writer lock: an exclusive `flock` on `<session dir>/lock`, held by
//! every process that appends (record, append, compact, rename, delete).
//! `record` holds it from open to the end of a round, lets go of it at the
//! round's `round_end` and takes it again for the next round's first entry.
//! The kernel lets go of it when the holder exits, however it exits, so a
//! SIGKILL never leaves a stale lock behind. The holder writes its pid into
//! the file, only so the error a second writer gets can name it.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::{Duration, Instant};
use zerostack::error::Error;

/// The width the pid is padded to: more digits than a pid can have
/// (`pid_max` is at most 2^22 on Linux).
const PID_WIDTH: usize = 10;

/// A held lock; dropping it closes the file, which releases the lock.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

impl Lock {
    /// Takes the lock at `path`, retrying for up to `wait` while another
    /// process holds it (a record stage of the previous turn may still be
    /// exiting, an `append` or `compact` may be writing between rounds).
    /// `what` names the session in the error.
    pub fn acquire(path: &Path, wait: Duration, what: &str) -> Result<Lock, Error> {
        let start = Instant::now();
        loop {
            if let Some(lock) = Lock::try_acquire(path)? {
                return Ok(lock);
            }
            if start.elapsed() >= wait {
                let holder = std::fs::read_to_string(path).unwrap_or_default();
                let holder = holder.trim();
                return Err(Error::failure(format!(
                    "session '{what}' is being written by another process{} (waited {} ms)",
                    if holder.is_empty() {
                        String::new()
                    } else {
                        format!(" (pid {holder})")
                    },
                    wait.as_millis()
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Takes the lock if nobody holds it; `None` if somebody does.
    pub fn try_acquire(path: &Path) -> Result<Option<Lock>, Error> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::failure(format!("cannot create '{}': {e}", dir.display())))?;
        }
        // No truncate on open: the file may be another holder's, with its pid.
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| Error::failure(format!("cannot open lock '{}': {e}", path.display())))?;
        if !flock_exclusive_nonblocking(&file)
            .map_err(|e| Error::failure(format!("cannot lock '{}': {e}", path.display())))?
        {
            return Ok(None);
        }
        // Best effort: the pid is only for the message of a second writer.
        // It is written over the old one, padded to a fixed width, rather
        // than after a truncation: on ext4, closing a file that was
        // truncated and written starts a writeback of it, a cost paid by
        // every record of every round.
        let _ = file.write_all_at(
            format!("{:<PID_WIDTH$}\n", std::process::id()).as_bytes(),
            0,
        );
        Ok(Some(Lock { _file: file }))
    }
}

/// Takes an exclusive lock without waiting: true when taken, false when
/// another open file holds it. std's `try_lock` is `flock(LOCK_EX|LOCK_NB)`
/// on Linux, so the kernel drops it when the holder dies.
fn flock_exclusive_nonblocking(file: &File) -> std::io::Result<bool> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(std::fs::TryLockError::WouldBlock) => Ok(false),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}
