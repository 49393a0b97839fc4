//! The two process-group operations std does not offer: signalling a whole
//! process group, and telling whether it still has live members.
//!
//! This is the one module of zs-tool with `unsafe`: a call to `kill(2)`,
//! which has no memory-safety preconditions. The crate denies unsafe code
//! everywhere else.
#![allow(unsafe_code)]

use std::fs;

pub use libc::{SIGKILL, SIGTERM};

/// Sends `sig` to every process of group `pgid`. True when at least one
/// process got it. Groups 0 and 1 are refused: `kill(0)` would signal our
/// own group and `kill(-1)` every process we may signal.
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

/// Whether group `pgid` has a member that is not a zombie. Zombies count
/// for kill(2) but cannot be stopped any more, and where nothing reaps
/// orphans (some containers) they stay for good.
pub fn group_alive(pgid: u32) -> bool {
    if !kill_group(pgid, 0) {
        return false;
    }
    let Ok(rd) = fs::read_dir("/proc") else {
        return true;
    };
    for e in rd.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(stat) = fs::read_to_string(format!("/proc/{name}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid pgrp ...": comm may hold spaces and
        // parentheses, so fields are counted after the last ')'.
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        let mut f = rest.split_whitespace();
        let state = f.next();
        let pgrp = f.nth(1).and_then(|p| p.parse::<u32>().ok());
        if pgrp == Some(pgid) && state != Some("Z") {
            return true;
        }
    }
    false
}
