//! Time for zs-session without a date crate: UTC timestamps in RFC 3339
//! (`created` in headers, `at` in meta entries), compact stamps for file
//! names, and session ids that sort in the order they were made.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds and nanoseconds since the Unix epoch; a clock before 1970 reads
/// as the epoch rather than failing.
pub fn now() -> (u64, u32) {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs(), d.subsec_nanos()),
        Err(_) => (0, 0),
    }
}

/// Civil date (year, month, day) of a day count since 1970-01-01, by Howard
/// Hinnant's `civil_from_days`, valid for every day a u64 of seconds gives.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The parts of a UTC time: year, month, day, hour, minute, second.
fn parts(secs: u64) -> (i64, u32, u32, u64, u64, u64) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil(days);
    (y, m, d, rem / 3600, rem / 60 % 60, rem % 60)
}

/// `2026-11-20T22:45:01Z`.
pub fn rfc3339(secs: u64) -> String {
    let (y, mo, d, h, mi, s) = parts(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `2026-11-20`.
pub fn date(secs: u64) -> String {
    let (y, mo, d, ..) = parts(secs);
    format!("{y:04}-{mo:02}-{d:02}")
}

/// `20261120-224501`: sorts as the time does, safe in a file name.
pub fn stamp(secs: u64) -> String {
    let (y, mo, d, h, mi, s) = parts(secs);
    format!("{y:04}{mo:02}{d:02}-{h:02}{mi:02}{s:02}")
}

/// The current time as RFC 3339.
pub fn now_rfc3339() -> String {
    rfc3339(now().0)
}

/// A new session id, `20261120-224501-1a2b`: the UTC time of creation,
/// then four hex digits of the fraction of that second (steps of about
/// 15 µs), so ids sort in the order sessions were created. Two processes
/// may meet in one step; the caller creates the file with `create_new` and
/// asks again with the next `attempt`, which moves to the next step.
pub fn new_id(attempt: u32) -> String {
    let (secs, nanos) = now();
    let frac = (u64::from(nanos) << 16) / 1_000_000_000;
    format!(
        "{}-{:04x}",
        stamp(secs),
        (frac + u64::from(attempt)) & 0xffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_213_501), "2026-11-20T22:25:01Z");
        assert_eq!(stamp(1_795_213_501), "20261120-222501");
        assert_eq!(date(4_107_542_399), "2100-02-28");
        assert_eq!(date(4_107_542_400), "2100-03-01");
    }

    #[test]
    fn ids_are_sortable_and_distinct() {
        let a = new_id(0);
        std::thread::sleep(std::time::Duration::from_micros(50));
        let b = new_id(0);
        assert_eq!(a.len(), "20261120-224501-1a2b".len());
        assert!(a < b, "{a} {b}");
        assert_ne!(new_id(0), new_id(1));
    }
}
