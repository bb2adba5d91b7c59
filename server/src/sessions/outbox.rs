//! The sending side of a connection, as sessions see it: a queue of frames
//! for the connection's writer, bounded in bytes (`queue.rs`), the switch
//! that ends the connection, and the close codes it ends with.
//!
//! It lives with the sessions (not with `connection/`) because a session
//! pushes into it from any task, and the connection layer sits above the
//! sessions: the writer only drains what is queued here.

use super::queue::{Meter, Outbound, Queued};
use crate::config::Limits;
use rtm_protocol::{ErrorReply, Reply};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Why the server closes a connection: a WebSocket close code and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseReason {
    /// RFC 6455 close code (4000–4999 are ours, see docs/protocol.md).
    pub code: u16,
    /// Human-readable reason (at most 123 bytes on the wire).
    pub reason: String,
}

/// Close codes the server uses.
pub mod close {
    /// Normal closure (logout).
    pub const NORMAL: u16 = 1000;
    /// The server is shutting down; reconnect later.
    pub const GOING_AWAY: u16 = 1001;
    /// A text frame: only binary frames are spoken.
    pub const UNSUPPORTED: u16 = 1003;
    /// A frame that does not decode.
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// A frame over the size limit.
    pub const TOO_BIG: u16 = 1009;
    /// Nothing heard from the client for too long.
    pub const IDLE: u16 = 4000;
    /// The session was ended by the server (a Kicked push says why).
    pub const KICKED: u16 = 4001;
    /// The session was resumed on a newer connection.
    pub const REPLACED: u16 = 4002;
    /// The connection did not log in in time after opening.
    pub const LOGIN_DEADLINE: u16 = 4003;
    /// The client did not read its frames fast enough.
    pub const SLOW_CONSUMER: u16 = 4008;
}

/// A connection's frame queue and its kill switch. Cheap to clone.
#[derive(Clone)]
pub struct Outbox {
    out: mpsc::UnboundedSender<Outbound>,
    meter: Arc<Meter>,
    kill: watch::Sender<Option<CloseReason>>,
}

impl Outbox {
    /// An outbox whose queue may hold `limits.queue_bytes` (and, for less
    /// than `limits.write_timeout_secs`, up to twice that), with the
    /// receivers the writer drains.
    pub fn new(limits: &Limits) -> (Outbox, Queued, watch::Receiver<Option<CloseReason>>) {
        let (out, out_rx) = mpsc::unbounded_channel();
        let meter = Meter::new(limits.queue_bytes, Duration::from_secs(limits.write_timeout_secs));
        let (kill, kill_rx) = watch::channel(None);
        (Outbox { out, meter: meter.clone(), kill }, Queued::new(out_rx, meter), kill_rx)
    }

    /// Queues a frame. A queue that stays over its byte budget means the
    /// client is not reading: the connection is ended rather than buffered
    /// without bound. Once it is ending, nothing more is queued: a push that
    /// came after a dropped one would reach the client after a gap in the
    /// numbering, and the client would resume past what it never got.
    pub fn send(&self, item: Outbound) -> bool {
        if self.meter.ending() {
            crate::metrics::queue_drop();
            return false;
        }
        if let Err(why) = self.meter.admit(&item) {
            crate::metrics::queue_drop();
            self.close(close::SLOW_CONSUMER, why);
            return false;
        }
        if let Err(mpsc::error::SendError(item)) = self.out.send(item) {
            // The writer is gone: nothing will take these bytes.
            self.meter.release(&item);
            return false;
        }
        true
    }

    /// Queues the reply to request `id`.
    pub fn reply(&self, id: u32, result: Result<Reply, ErrorReply>) {
        self.send(Outbound::reply(id, result));
    }

    /// Ends the connection with this close code and reason; the first reason wins.
    pub fn close(&self, code: u16, reason: &str) {
        // Before the reason is published: a push racing this close is either
        // queued ahead of it or refused, never queued after it.
        self.meter.end();
        let first = self.kill.send_if_modified(|cur| {
            if cur.is_some() {
                return false;
            }
            *cur = Some(CloseReason { code, reason: reason.to_owned() });
            true
        });
        // Here, where the reason is settled: the outbox's refusal and the
        // writer's stall both close through this, each connection once.
        if first && code == close::SLOW_CONSUMER {
            crate::metrics::slow_consumer_close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn push(seq: u64) -> Outbound {
        Outbound::Push { seq, body: Bytes::from_static(b"p") }
    }

    #[test]
    fn after_a_dropped_frame_nothing_more_is_queued() {
        // Room for two pushes within the budget, and two more over it.
        let limits = Limits { queue_bytes: 2 * push(0).size(), ..Limits::default() };
        let (outbox, mut rx, kill) = Outbox::new(&limits);
        assert!(outbox.send(push(1)) && outbox.send(push(2)));
        assert!(outbox.send(push(3)) && outbox.send(push(4)), "a spike over budget, for a moment");
        assert!(!outbox.send(push(5)), "at the ceiling: dropped");
        assert_eq!(kill.borrow().as_ref().map(|r| r.code), Some(close::SLOW_CONSUMER));
        // The writer drains one; a later push must not slip in behind the hole.
        assert!(matches!(rx.try_recv(), Ok(Outbound::Push { seq: 1, .. })));
        assert!(!outbox.send(push(6)), "queued after a hole");
        for seq in 2..=4 {
            assert!(matches!(rx.try_recv(), Ok(Outbound::Push { seq: s, .. }) if s == seq));
        }
        assert!(rx.try_recv().is_err());
        rx.settle();
        assert_eq!(rx.bytes(), 0, "what the writer took left the count");
    }
}
