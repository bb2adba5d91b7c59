//! Agora's per-app rate of the messaging REST API: at most N calls (peer and
//! channel messages together, 500 by default) in any one second. A sliding
//! window, so a burst cannot pass twice the rate across a window edge, and
//! exact, so tests (and app servers) see the limit where it is documented.
//!
//! The count is per node: nodes of a cluster do not share it (a shared
//! count would cost a Redis round trip per call). Behind a load balancer
//! spreading calls over n nodes an app can reach n times the rate.

use rtm_protocol::rate::RateWindow;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Calls per app within a sliding window: one `RateWindow` (the limiter the
/// SDK and the server's per-session budgets use) per app.
pub struct RateLimiter {
    max: u32,
    /// Times are milliseconds since this instant, as `RateWindow` counts them.
    origin: Instant,
    calls: Mutex<HashMap<String, RateWindow>>,
}

/// Beyond this many apps tracked, apps idle for a whole window are dropped.
const PRUNE_ABOVE: usize = 1024;

/// The window: one second.
const WINDOW_MS: u64 = 1_000;

impl RateLimiter {
    /// At most `max` calls per app in any second.
    pub fn per_second(max: u32) -> RateLimiter {
        RateLimiter { max, origin: Instant::now(), calls: Mutex::new(HashMap::new()) }
    }

    /// Counts a call of `app` at `now`; false (and not counted) when the app
    /// has made its `max` calls within the window before `now`.
    pub fn allow(&self, app: &str, now: Instant) -> bool {
        let now_ms = now.saturating_duration_since(self.origin).as_millis() as u64;
        let mut calls = self.calls.lock().unwrap();
        if calls.len() > PRUNE_ABOVE {
            calls.retain(|_, window| !window.is_empty_at(now_ms));
        }
        calls.entry(app.to_owned()).or_insert_with(|| RateWindow::new(self.max, WINDOW_MS)).try_hit(now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn at_most_max_in_any_window_per_app() {
        let limiter = RateLimiter::per_second(3);
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(limiter.allow("a", t0 + Duration::from_millis(i * 100)));
        }
        assert!(!limiter.allow("a", t0 + Duration::from_millis(900)), "4th within 1 s");
        assert!(limiter.allow("b", t0 + Duration::from_millis(900)), "apps count apart");
        assert!(limiter.allow("a", t0 + Duration::from_millis(1000)), "the first call left the window");
        assert!(!limiter.allow("a", t0 + Duration::from_millis(1050)));
        assert!(limiter.allow("a", t0 + Duration::from_millis(1100)));
    }

    #[test]
    fn idle_apps_are_forgotten() {
        let limiter = RateLimiter::per_second(1);
        let t0 = Instant::now();
        for i in 0..=PRUNE_ABOVE + 1 {
            limiter.allow(&format!("app{i}"), t0);
        }
        limiter.allow("late", t0 + Duration::from_secs(2));
        assert_eq!(limiter.calls.lock().unwrap().len(), 1);
    }
}
