//! A sliding-window rate limiter: at most `max` hits in any `window_ms`.
//! Time is passed in, so the same code runs in the browser (Date.now) and on the
//! server (a monotonic clock), and tests need no clock at all.

use std::collections::VecDeque;

/// Remembers the last `max` accepted hits.
#[derive(Debug, Clone)]
pub struct RateWindow {
    max: usize,
    window_ms: u64,
    hits: VecDeque<u64>,
}

impl RateWindow {
    /// At most `max` hits per `window_ms` milliseconds.
    pub fn new(max: u32, window_ms: u64) -> Self {
        RateWindow { max: max as usize, window_ms, hits: VecDeque::with_capacity(max as usize) }
    }

    /// Records a hit at `now_ms` if the window has room; returns whether it did.
    /// A refused hit is not recorded, so a client that keeps trying too fast is
    /// let through again as soon as the window slides.
    pub fn try_hit(&mut self, now_ms: u64) -> bool {
        while let Some(&oldest) = self.hits.front() {
            if now_ms.saturating_sub(oldest) >= self.window_ms {
                self.hits.pop_front();
            } else {
                break;
            }
        }
        if self.hits.len() >= self.max {
            return false;
        }
        self.hits.push_back(now_ms);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_max_then_slides() {
        let mut w = RateWindow::new(180, 3_000);
        for i in 0..180 {
            assert!(w.try_hit(i), "hit {i}");
        }
        assert!(!w.try_hit(500), "the 181st inside 3 s");
        assert!(!w.try_hit(2_999));
        assert!(w.try_hit(3_000), "the first hit has left the window");
        assert!(!w.try_hit(3_000));
        assert!(w.try_hit(3_001));
    }

    #[test]
    fn a_clock_going_backwards_does_not_panic() {
        let mut w = RateWindow::new(2, 1_000);
        assert!(w.try_hit(5_000));
        assert!(w.try_hit(10));
        assert!(!w.try_hit(0));
    }
}
