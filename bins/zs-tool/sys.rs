//! The two process-group operations std does not offer: signalling a whole
//! process group, and telling whether it still has live members.
//!
//! The signalling itself is the library's (`zerostack::procgroup`).

use std::fs;

pub use libc::{SIGKILL, SIGTERM};

pub use zerostack::procgroup::kill_group;

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
