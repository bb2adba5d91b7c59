//! A sliding-window rate limiter: at most `max` hits in any `window_ms`.
//! Time is passed in, so the same code runs in the browser (Date.now) and on the
//! server (a monotonic clock), and tests need no clock at all.

use crate::limits;
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

    /// Whether a hit at `now_ms` would be accepted (forgets hits that left the window).
    pub fn has_room(&mut self, now_ms: u64) -> bool {
        while let Some(&oldest) = self.hits.front() {
            if now_ms.saturating_sub(oldest) >= self.window_ms {
                self.hits.pop_front();
            } else {
                break;
            }
        }
        self.hits.len() < self.max
    }

    /// Whether no hit is left in the window at `now_ms`.
    pub fn is_empty_at(&mut self, now_ms: u64) -> bool {
        self.has_room(now_ms);
        self.hits.is_empty()
    }

    /// Records a hit at `now_ms` if the window has room; returns whether it did.
    /// A refused hit is not recorded, so a client that keeps trying too fast is
    /// let through again as soon as the window slides.
    pub fn try_hit(&mut self, now_ms: u64) -> bool {
        let room = self.has_room(now_ms);
        if room {
            self.hits.push_back(now_ms);
        }
        room
    }

    /// A window from a `(max, window_ms)` pair of `limits`.
    pub fn from_rate((max, window_ms): (u32, u64)) -> Self {
        RateWindow::new(max, window_ms)
    }
}

/// Which budget refused a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinRefusal {
    /// The same channel was joined too often.
    SameChannel,
    /// Channels were joined too often.
    AnyChannel,
}

/// Every per-client budget of the API: the SDK checks them before it sends,
/// the server again for each session.
#[derive(Debug, Clone)]
pub struct Budgets {
    send: RateWindow,
    join_any: RateWindow,
    /// Per channel joined within its window. A list: a few entries at most (50
    /// joins per 3 s), and a hash map's code weighed on the browser SDK.
    join_same: Vec<(String, RateWindow)>,
    get_members: RateWindow,
    member_count: RateWindow,
    presence: [RateWindow; 3],
    attrs: [RateWindow; 4],
    renew: RateWindow,
    login: RateWindow,
    invite: RateWindow,
}

/// The attribute calls, each kind with its own budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrCall {
    /// Writing the caller's user attributes.
    UserWrite = 0,
    /// Reading user attributes.
    UserRead = 1,
    /// Writing channel attributes.
    ChannelWrite = 2,
    /// Reading channel attributes.
    ChannelRead = 3,
}

/// The presence calls, each with its own budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresenceCall {
    /// `queryPeersOnlineStatus()`.
    Query = 0,
    /// `subscribePeersOnlineStatus()`.
    Subscribe = 1,
    /// `unsubscribePeersOnlineStatus()`.
    Unsubscribe = 2,
}

impl Default for Budgets {
    fn default() -> Self {
        Budgets {
            send: RateWindow::new(limits::SEND_RATE_MAX, limits::SEND_RATE_WINDOW_MS),
            join_any: RateWindow::from_rate(limits::JOIN_ANY_RATE),
            join_same: Vec::new(),
            get_members: RateWindow::from_rate(limits::GET_MEMBERS_RATE),
            member_count: RateWindow::from_rate(limits::MEMBER_COUNT_RATE),
            presence: std::array::from_fn(|_| RateWindow::from_rate(limits::PRESENCE_RATE)),
            attrs: [
                RateWindow::from_rate(limits::ATTR_WRITE_RATE),
                RateWindow::from_rate(limits::USER_ATTR_READ_RATE),
                RateWindow::from_rate(limits::ATTR_WRITE_RATE),
                RateWindow::from_rate(limits::CHANNEL_ATTR_READ_RATE),
            ],
            renew: RateWindow::from_rate(limits::RENEW_RATE),
            login: RateWindow::from_rate(limits::LOGIN_RATE),
            invite: RateWindow::from_rate(limits::INVITE_RATE),
        }
    }
}

impl Budgets {
    /// One peer or channel message (they share the budget).
    pub fn send(&mut self, now_ms: u64) -> bool {
        self.send.try_hit(now_ms)
    }

    /// One join of `channel`: counted against both join budgets, or neither.
    pub fn join(&mut self, channel: &str, now_ms: u64) -> Result<(), JoinRefusal> {
        // Forget channels whose window has emptied, so the map stays small.
        self.join_same.retain_mut(|(_, w)| {
            w.has_room(now_ms);
            !w.hits.is_empty()
        });
        let same = match self.join_same.iter().position(|(c, _)| c == channel) {
            Some(i) => &mut self.join_same[i].1,
            None => {
                self.join_same.push((channel.to_owned(), RateWindow::from_rate(limits::JOIN_SAME_RATE)));
                &mut self.join_same.last_mut().expect("just pushed").1
            }
        };
        if !same.has_room(now_ms) {
            return Err(JoinRefusal::SameChannel);
        }
        if !self.join_any.try_hit(now_ms) {
            return Err(JoinRefusal::AnyChannel);
        }
        same.try_hit(now_ms);
        Ok(())
    }

    /// One `login()` call of the app (the SDK's own reconnects do not count).
    pub fn login(&mut self, now_ms: u64) -> bool {
        self.login.try_hit(now_ms)
    }

    /// One `renewToken()`.
    pub fn renew(&mut self, now_ms: u64) -> bool {
        self.renew.try_hit(now_ms)
    }

    /// One `localInvitation.send()`.
    pub fn invite(&mut self, now_ms: u64) -> bool {
        self.invite.try_hit(now_ms)
    }

    /// One `getMembers()`.
    pub fn get_members(&mut self, now_ms: u64) -> bool {
        self.get_members.try_hit(now_ms)
    }

    /// One `getChannelMemberCount()`.
    pub fn member_count(&mut self, now_ms: u64) -> bool {
        self.member_count.try_hit(now_ms)
    }

    /// One attribute call of this kind.
    pub fn attrs(&mut self, call: AttrCall, now_ms: u64) -> bool {
        self.attrs[call as usize].try_hit(now_ms)
    }

    /// One presence call of this kind.
    pub fn presence(&mut self, call: PresenceCall, now_ms: u64) -> bool {
        self.presence[call as usize].try_hit(now_ms)
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
    fn joins_count_per_channel_and_overall() {
        let mut b = Budgets::default();
        assert_eq!(b.join("a", 0), Ok(()));
        assert_eq!(b.join("a", 1), Ok(()));
        assert_eq!(b.join("a", 2), Err(JoinRefusal::SameChannel), "third join of one channel in 5 s");
        assert_eq!(b.join("a", 5_000), Ok(()), "the window slid");
        for i in 0..49 {
            assert_eq!(b.join(&format!("c{i}"), 5_001), Ok(()), "join {i}");
        }
        assert_eq!(b.join("other", 5_002), Err(JoinRefusal::AnyChannel), "51st join in 3 s");
        assert_eq!(b.join("other", 8_001), Ok(()), "a refused join was not counted");
        assert!(b.join_same.len() < 60, "emptied windows are forgotten");
    }

    #[test]
    fn a_clock_going_backwards_does_not_panic() {
        let mut w = RateWindow::new(2, 1_000);
        assert!(w.try_hit(5_000));
        assert!(w.try_hit(10));
        assert!(!w.try_hit(0));
    }
}
