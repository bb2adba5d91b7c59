//! Pushes in sequence: what a client does with each push's `seq`.
//!
//! Every push of a session carries the next number (from 1). After a resume
//! the server replays everything after the client's `last_seq`, so a client
//! sees some pushes twice, and must never move its `last_seq` past a push it
//! did not get: a resume from there would skip that push for good.

/// What to do with a push numbered `seq`, given the last one handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOrder {
    /// The next one: handle it, and it becomes the last one handled.
    Next,
    /// Handled before (replayed after a resume): drop it.
    Seen,
    /// One or more pushes before it went missing: handle nothing more on this
    /// link, and resume from the last one handled to have them replayed.
    Gap,
}

impl PushOrder {
    /// The verdict for push `seq` after `last` (0: none handled yet).
    #[inline]
    pub fn check(last: u64, seq: u64) -> PushOrder {
        if seq <= last {
            PushOrder::Seen
        } else if seq - last == 1 {
            PushOrder::Next
        } else {
            PushOrder::Gap
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PushOrder::{self, *};

    #[test]
    fn next_seen_and_gaps() {
        assert_eq!(PushOrder::check(0, 1), Next);
        assert_eq!(PushOrder::check(5, 6), Next);
        assert_eq!(PushOrder::check(5, 5), Seen);
        assert_eq!(PushOrder::check(5, 1), Seen);
        assert_eq!(PushOrder::check(5, 7), Gap);
        // No arithmetic can overflow, whatever the server sends.
        assert_eq!(PushOrder::check(u64::MAX, u64::MAX), Seen);
        assert_eq!(PushOrder::check(0, u64::MAX), Gap);
        assert_eq!(PushOrder::check(u64::MAX - 1, u64::MAX), Next);
    }
}
