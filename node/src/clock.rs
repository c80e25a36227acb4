//! Wall-clock time as the log records it: milliseconds since the Unix epoch, UTC.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch; 0 if the clock is before 1970.
pub fn now_unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// How far ahead of this node's clock a peer's record may be dated before it is flagged
/// (`metronode_clock_skew_records_total{kind="ahead"}`). Flagged records are still kept: record
/// dates are the origin's claim, shown to people and never used to order or to judge freshness.
pub const MAX_SKEW_MS: i64 = 10 * 60 * 1000;
