//! Wall-clock time as the protocol states it: milliseconds since the Unix
//! epoch (`serverReceivedTs`, attribute write times, token expiry). Its own
//! module because every layer reads it and none should import another for it.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}
