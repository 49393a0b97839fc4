//! Signalling a whole process group, which std does not offer: zs-tool
//! stops a command's group, zs-tui a run's. `kill(2)` has no memory-safety
//! preconditions; this is its one wrapper.

/// Sends `sig` to every process of group `pgid`. True when at least one
/// process got it. Groups 0 and 1 are refused: `kill(0)` would signal our
/// own group and `kill(-1)` every process we may signal.
#[allow(unsafe_code)]
pub fn kill_group(pgid: u32, sig: i32) -> bool {
    let Ok(pgid) = i32::try_from(pgid) else {
        return false;
    };
    if pgid <= 1 {
        return false;
    }
    // SAFETY: kill(2) takes two integers and touches no memory of ours.
    unsafe { libc::kill(-pgid, sig) == 0 }
}
