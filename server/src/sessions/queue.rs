//! The queue between a connection's producers (every session that pushes to
//! it, from any task) and its writer, measured in bytes rather than items.
//!
//! Items differ in size by four orders of magnitude (a 10-byte reply, a
//! 32 KB message, a replay of hundreds of pushes), so a count says nothing
//! about memory, and a count low enough to bound memory for large frames cuts
//! off readers of a legitimate burst of small ones. The budget is in bytes;
//! what makes a consumer slow is time: the queue may run over its budget for
//! a moment (a burst the client is reading through), but not for longer than
//! `patience` (the write timeout), and never past twice the budget, which
//! bounds memory whatever the timing.

use bytes::Bytes;
use rtm_protocol::{encode, ErrorReply, Reply, ServerFrame};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

pub use tokio::sync::mpsc::error::TryRecvError;

/// Bytes a push costs beyond its body: the frame header the writer adds
/// (variant and seq), rounded up; also keeps empty items from being free.
pub const PUSH_OVERHEAD: usize = 16;

/// The hard ceiling, in budgets: past it a frame is refused at once.
const CEILING: usize = 2;

/// What the writer half of a connection sends.
#[derive(Debug)]
pub enum Outbound {
    /// A whole encoded [`ServerFrame`] (replies).
    Frame(Bytes),
    /// A push: the writer frames `body` (an encoded `Push`) with `seq`.
    Push {
        /// The session's sequence number of the push.
        seq: u64,
        /// The encoded push, shared by every recipient of a fan-out.
        body: Bytes,
    },
    /// The pushes a resumed client missed, in order, as one item. Its bytes
    /// are counted, and raise the budget while it is queued: they are the
    /// replay ring's (shared, not copied), bounded by `limits.replay_bytes`,
    /// and a resume must never be refused for being a resume.
    Replay(Vec<(u64, Bytes)>),
}

impl Outbound {
    /// The encoded reply to request `id`.
    pub fn reply(id: u32, result: Result<Reply, ErrorReply>) -> Outbound {
        Outbound::Frame(encode(&ServerFrame::Reply { id, result }).into())
    }

    /// The bytes this item puts on the wire (approximately: push headers are
    /// counted as [`PUSH_OVERHEAD`]).
    pub fn size(&self) -> usize {
        match self {
            Outbound::Frame(bytes) => bytes.len().max(PUSH_OVERHEAD),
            Outbound::Push { body, .. } => body.len() + PUSH_OVERHEAD,
            Outbound::Replay(pushes) => pushes.iter().map(|(_, body)| body.len() + PUSH_OVERHEAD).sum(),
        }
    }
}

/// What is queued, shared by the producers and the writer.
pub(super) struct Meter {
    queued: AtomicUsize,
    /// Bytes of replays queued, which the budget makes room for (see [`Outbound::Replay`]).
    replays: AtomicUsize,
    budget: usize,
    patience: Duration,
    /// When the queue last went over its budget, in nanoseconds after
    /// `epoch` plus one; 0 while within it. An atomic, not a lock: the
    /// writer clears it with every item it takes, on the fan-out hot path.
    over_since: AtomicU64,
    epoch: Instant,
    /// The connection is ending: nothing more is queued (see `Outbox::send`).
    /// Here rather than read from the kill switch's lock on every push.
    ending: AtomicBool,
}

impl Meter {
    pub(super) fn new(budget: usize, patience: Duration) -> Arc<Meter> {
        Arc::new(Meter {
            queued: AtomicUsize::new(0),
            replays: AtomicUsize::new(0),
            budget,
            patience,
            over_since: AtomicU64::new(0),
            epoch: Instant::now(),
            ending: AtomicBool::new(false),
        })
    }

    /// Counts `size` more bytes in, or says why the consumer is too slow to
    /// take them (and counts nothing).
    pub(super) fn admit(&self, item: &Outbound) -> Result<(), &'static str> {
        let size = item.size();
        if matches!(item, Outbound::Replay(_)) {
            self.replays.fetch_add(size, Ordering::AcqRel);
        }
        let queued = self.queued.fetch_add(size, Ordering::AcqRel) + size;
        let queued = queued.saturating_sub(self.replays.load(Ordering::Acquire));
        if queued <= self.budget {
            return Ok(());
        }
        let refused = if queued > self.budget.saturating_mul(CEILING) {
            Some("outbound queue at twice its byte budget (limits.queue_bytes): the client reads too slowly")
        } else {
            let now = self.epoch.elapsed().as_nanos() as u64 + 1;
            let start = match self.over_since.compare_exchange(0, now, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => now,
                Err(earlier) => earlier,
            };
            (Duration::from_nanos(now.saturating_sub(start)) >= self.patience).then_some(
                "outbound queue over its byte budget (limits.queue_bytes) for limits.write_timeout_secs: \
                 the client reads too slowly",
            )
        };
        match refused {
            Some(why) => {
                self.release(item);
                Err(why)
            }
            None => Ok(()),
        }
    }

    /// `item` left the queue (taken by the writer, or never queued).
    pub(super) fn release(&self, item: &Outbound) {
        let size = item.size();
        if matches!(item, Outbound::Replay(_)) {
            self.replays.fetch_sub(size, Ordering::AcqRel);
        }
        self.release_bytes(size);
    }

    /// `size` bytes of items (not replays) left the queue.
    fn release_bytes(&self, size: usize) {
        let left = self.queued.fetch_sub(size, Ordering::AcqRel) - size;
        if left.saturating_sub(self.replays.load(Ordering::Acquire)) <= self.budget
            && self.over_since.load(Ordering::Relaxed) != 0
        {
            // Back within budget: the next burst gets the whole patience again.
            self.over_since.store(0, Ordering::Release);
        }
    }

    /// Marks the connection as ending; true the first time.
    pub(super) fn end(&self) -> bool {
        !self.ending.swap(true, Ordering::AcqRel)
    }

    /// Whether the connection is ending.
    pub(super) fn ending(&self) -> bool {
        self.ending.load(Ordering::Acquire)
    }

    /// Bytes queued now.
    pub(super) fn queued(&self) -> usize {
        self.queued.load(Ordering::Acquire)
    }
}

/// The writer's end of the queue: items leave the count as they are taken.
pub struct Queued {
    rx: mpsc::UnboundedReceiver<Outbound>,
    meter: Arc<Meter>,
    /// Bytes taken since the last [`Queued::settle`], still counted.
    taken: usize,
}

impl Queued {
    pub(super) fn new(rx: mpsc::UnboundedReceiver<Outbound>, meter: Arc<Meter>) -> Queued {
        Queued { rx, meter, taken: 0 }
    }

    /// The next item; `None` when every producer is gone. Its bytes stay
    /// counted until [`Queued::settle`].
    pub async fn recv(&mut self) -> Option<Outbound> {
        let item = self.rx.recv().await?;
        self.take(&item);
        Some(item)
    }

    /// The next item if one is queued (counted until [`Queued::settle`]).
    pub fn try_recv(&mut self) -> Result<Outbound, TryRecvError> {
        let item = self.rx.try_recv()?;
        self.take(&item);
        Ok(item)
    }

    fn take(&mut self, item: &Outbound) {
        match item {
            Outbound::Replay(_) => self.meter.release(item),
            _ => self.taken += item.size(),
        }
    }

    /// What was taken since the last call leaves the count. The writer
    /// settles once per round of writes: settling every item moved the
    /// count's cache line between the pushing core and the writing core at
    /// every delivery of a fan-out.
    pub fn settle(&mut self) {
        if self.taken > 0 {
            self.meter.release_bytes(std::mem::take(&mut self.taken));
        }
    }

    /// Bytes queued now.
    pub fn bytes(&self) -> usize {
        self.meter.queued()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(len: usize) -> Outbound {
        Outbound::Frame(Bytes::from(vec![0; len]))
    }

    #[test]
    fn a_spike_within_budget_passes_and_the_ceiling_is_hard() {
        let meter = Meter::new(100, Duration::from_secs(60));
        assert!(meter.admit(&frame(100)).is_ok(), "up to the budget");
        assert!(meter.admit(&frame(50)).is_ok(), "over the budget, for a moment");
        assert!(meter.admit(&frame(51)).is_err(), "past twice the budget: refused at once");
        assert_eq!(meter.queued(), 150, "a refused item is not counted");
        let replay = Outbound::Replay(vec![(1, Bytes::from(vec![0; 500]))]);
        assert!(meter.admit(&replay).is_ok(), "a replay makes its own room");
        assert!(meter.admit(&frame(40)).is_ok(), "and takes none from what follows it");
        meter.release(&replay);
        meter.release(&frame(150));
        meter.release(&frame(40));
        assert_eq!(meter.queued(), 0);
    }

    #[test]
    fn over_budget_for_the_whole_patience_is_slow() {
        let meter = Meter::new(100, Duration::from_millis(30));
        assert!(meter.admit(&frame(120)).is_ok());
        std::thread::sleep(Duration::from_millis(40));
        assert!(meter.admit(&frame(20)).is_err(), "still over budget after the patience ran out");
        // Draining below the budget restarts the clock.
        meter.release(&frame(120));
        assert!(meter.admit(&frame(120)).is_ok());
    }
}
