//! A session's link to its client: the attached connection (if any), the
//! numbering of pushes, the replay ring that lets a client resume without
//! missing anything, and whether the session has ended.
//!
//! All of it sits behind one lock so that the lifecycle decisions that race —
//! a resume against the grace period running out, a push against a resume,
//! a request against a kick — are decided in one place, in one order.

use super::outbox::{close, Outbox};
use super::queue::{Outbound, PUSH_OVERHEAD};
use bytes::Bytes;
use std::collections::VecDeque;

/// Why a connection cannot be attached.
#[derive(Debug, PartialEq, Eq)]
pub enum AttachError {
    /// The session has ended (logout, kick, grace period over).
    Ended,
    /// The replay ring no longer holds what the client missed (or the client
    /// claims a position the session never reached).
    Gap,
}

/// The connection side of a session.
pub(super) struct Link {
    outbox: Option<Outbox>,
    /// Bumped by every attach, so a stale connection cannot detach a newer one.
    generation: u64,
    next_seq: u64,
    replay: VecDeque<(u64, Bytes)>,
    /// Bytes the ring holds, counted like the outbound queue counts them.
    replay_size: usize,
    /// The most the ring may hold: a count of pushes would let 32 KB
    /// messages take 32 MB per session, or cut a burst of small ones short.
    replay_budget: usize,
    ended: bool,
}

impl Link {
    pub(super) fn new(outbox: Outbox, replay_budget: usize) -> Link {
        Link {
            outbox: Some(outbox),
            generation: 1,
            next_seq: 1,
            replay: VecDeque::new(),
            replay_size: 0,
            replay_budget,
            ended: false,
        }
    }

    /// Numbers `body`, keeps it for replay, and sends it if a connection is attached.
    pub(super) fn push(&mut self, body: Bytes) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.replay_size += body.len() + PUSH_OVERHEAD;
        self.replay.push_back((seq, body.clone()));
        // The oldest go first; a resume from before the oldest kept is a Gap
        // (see `attach`), never a replay with a hole.
        while self.replay_size > self.replay_budget {
            let Some((_, old)) = self.replay.pop_front() else { break };
            self.replay_size -= old.len() + PUSH_OVERHEAD;
        }
        if let Some(outbox) = &self.outbox {
            outbox.send(Outbound::Push { seq, body });
        }
    }

    pub(super) fn outbox(&self) -> Option<&Outbox> {
        self.outbox.as_ref()
    }

    /// Attaches `outbox` (closing an older connection): queues `first` (the
    /// reply to the resume), then every push after `last_seq`, in order.
    pub(super) fn attach(
        &mut self,
        outbox: Outbox,
        last_seq: u64,
        first: Outbound,
    ) -> Result<u64, AttachError> {
        if self.ended {
            return Err(AttachError::Ended);
        }
        let oldest = self.replay.front().map_or(self.next_seq, |(seq, _)| *seq);
        // `last_seq` comes from the client: any value must be harmless here,
        // under the lock every push to this session takes (no `+ 1` on it).
        if last_seq >= self.next_seq || last_seq < oldest - 1 {
            return Err(AttachError::Gap);
        }
        if let Some(old) = self.outbox.take() {
            old.close(close::REPLACED, "session resumed on a newer connection");
        }
        outbox.send(first);
        let missed: Vec<_> = self.replay.iter().filter(|(seq, _)| *seq > last_seq).cloned().collect();
        if !missed.is_empty() {
            outbox.send(Outbound::Replay(missed));
        }
        self.outbox = Some(outbox);
        self.generation += 1;
        Ok(self.generation)
    }

    pub(super) fn generation(&self) -> u64 {
        self.generation
    }

    /// Detaches the connection of `generation`; false if a newer one is
    /// attached or the session ended.
    pub(super) fn detach(&mut self, generation: u64) -> bool {
        if self.generation != generation || self.ended {
            return false;
        }
        self.outbox = None;
        true
    }

    pub(super) fn is_attached(&self) -> bool {
        self.outbox.is_some()
    }

    /// Ends the session; true the first time.
    pub(super) fn end(&mut self) -> bool {
        !std::mem::replace(&mut self.ended, true)
    }

    /// Ends the session only if the connection of `generation` is still the
    /// last one and nothing re-attached since: the grace period's decision.
    pub(super) fn end_if_detached(&mut self, generation: u64) -> bool {
        if self.ended || self.outbox.is_some() || self.generation != generation {
            return false;
        }
        self.ended = true;
        true
    }

    pub(super) fn has_ended(&self) -> bool {
        self.ended
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sessions::{CloseReason, Queued};

    const BUDGET: usize = 1 << 20;

    fn new_outbox() -> (Outbox, Queued, tokio::sync::watch::Receiver<Option<CloseReason>>) {
        Outbox::new(&Default::default())
    }

    fn seqs(rx: &mut Queued) -> Vec<u64> {
        let mut v = Vec::new();
        while let Ok(item) = rx.try_recv() {
            match item {
                Outbound::Push { seq, .. } => v.push(seq),
                Outbound::Replay(pushes) => v.extend(pushes.iter().map(|(seq, _)| *seq)),
                Outbound::Frame(_) => {}
            }
        }
        v
    }

    fn body() -> Bytes {
        Bytes::from_static(b"p")
    }

    fn first() -> Outbound {
        Outbound::Frame(Bytes::from_static(b"reply"))
    }

    #[test]
    fn pushes_while_detached_are_replayed_after_last_seq_once_in_order() {
        let (outbox, mut rx, _kill) = new_outbox();
        let mut link = Link::new(outbox, BUDGET);
        link.push(body());
        link.push(body());
        assert_eq!(seqs(&mut rx), [1, 2]);
        assert!(link.detach(1));
        link.push(body());
        link.push(body());
        let (outbox, mut rx2, _kill) = new_outbox();
        assert_eq!(link.attach(outbox, 1, first()), Ok(2), "the client had seen 1 only");
        assert!(matches!(rx2.try_recv(), Ok(Outbound::Frame(_))), "the reply comes before the replay");
        assert_eq!(seqs(&mut rx2), [2, 3, 4]);
        link.push(body());
        assert_eq!(seqs(&mut rx2), [5]);
        assert!(!link.detach(1), "a stale connection cannot detach the new one");
    }

    #[test]
    fn the_ring_keeps_what_its_byte_budget_holds_and_older_is_a_gap() {
        let (outbox, _rx, _kill) = new_outbox();
        // Room for ten 100-byte pushes.
        let mut link = Link::new(outbox.clone(), 10 * (100 + PUSH_OVERHEAD));
        for _ in 0..30 {
            link.push(Bytes::from(vec![0u8; 100]));
        }
        assert_eq!(link.replay.len(), 10, "the oldest beyond the budget went");
        assert_eq!(link.replay_size, 10 * (100 + PUSH_OVERHEAD));
        // Large pushes take the room of many small ones.
        link.push(Bytes::from(vec![0u8; 500]));
        assert_eq!(link.replay.len(), 6, "{:?}", link.replay.iter().map(|(s, _)| s).collect::<Vec<_>>());
        assert!(link.replay_size <= 10 * (100 + PUSH_OVERHEAD));
        assert_eq!(link.attach(outbox.clone(), 24, first()), Err(AttachError::Gap), "25 is gone");
        assert_eq!(link.attach(outbox.clone(), 10_000, first()), Err(AttachError::Gap), "from the future");
        assert_eq!(link.attach(outbox.clone(), u64::MAX, first()), Err(AttachError::Gap), "no overflow");
        let (outbox, mut rx, _kill) = new_outbox();
        assert!(link.attach(outbox, 25, first()).is_ok(), "26.. are all kept");
        assert_eq!(seqs(&mut rx), [26, 27, 28, 29, 30, 31]);
    }

    #[test]
    fn grace_expiry_and_resume_cannot_both_win() {
        let (outbox, _rx, _kill) = new_outbox();
        let mut link = Link::new(outbox.clone(), BUDGET);
        assert!(link.detach(1));
        // The resume wins: the grace timer of generation 1 then finds it attached.
        assert_eq!(link.attach(outbox.clone(), 0, first()), Ok(2));
        assert!(!link.end_if_detached(1));
        assert!(!link.has_ended());
        // The grace timer wins: a later resume finds the session ended.
        assert!(link.detach(2));
        assert!(link.end_if_detached(2));
        assert_eq!(link.attach(outbox, 0, first()), Err(AttachError::Ended));
        assert!(!link.end(), "ending twice reports the first time only");
    }
}
