//! Reconnect delays, for every client: "full jitter" exponential backoff. Each wait is uniform in
//! [0, min(cap, base·2^attempt)], so clients that lost the same server spread
//! out instead of reconnecting in lockstep.

/// First retry window, ms.
pub const BASE_MS: f64 = 500.0;
/// Longest window, ms: agora-rtm-sdk's reconnect interval (its
/// `RECONNECTING_AP_INTERVAL`). Longer windows let a short outage outlast the
/// server's resume grace (5 s in the test harness): the client then came back
/// with a fresh login, and what was sent meanwhile was not replayed to it.
pub const CAP_MS: f64 = 2_500.0;

/// The wait before retry number `attempt` (0-based); `rand01` is uniform in [0, 1).
#[inline]
pub fn delay_ms(attempt: u32, rand01: f64) -> u32 {
    let window = (BASE_MS * 2f64.powi(attempt.min(16) as i32)).min(CAP_MS);
    (window * rand01.clamp(0.0, 1.0)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_doubles_up_to_the_cap() {
        assert_eq!(delay_ms(0, 0.999_999), 499);
        assert_eq!(delay_ms(1, 0.999_999), 999);
        assert_eq!(delay_ms(2, 0.5), 1_000);
        assert_eq!(delay_ms(3, 0.5), 1_250);
        assert_eq!(delay_ms(u32::MAX, 1.0), 2_500);
        assert_eq!(delay_ms(5, 0.0), 0);
    }
}
