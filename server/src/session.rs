//! One logged-in session as the rest of the server sees it: its identity, the
//! connection it is attached to (if any), the pushes it keeps for replay, and
//! the bookkeeping of peer-message acknowledgements and rates.
//!
//! A session outlives its connection: when the link drops it is detached and
//! kept for the grace period, still receiving pushes into its replay ring, so a
//! client that comes back (`Resume`) gets everything it missed, in order, once.
//! Nothing here blocks or grows without bound: a full outbound queue ends the
//! connection, and the replay ring keeps the last `REPLAY_PUSHES` pushes.

use crate::engine::{AckRoute, SessionRef};
use bytes::Bytes;
use rtm_protocol::limits::REPLAY_PUSHES;
use rtm_protocol::rate::Budgets;
use rtm_protocol::{encode, ErrorReply, Push, Reply, ServerFrame};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use tokio::sync::{mpsc, oneshot, watch};

/// What the writer half of a connection sends.
#[derive(Debug)]
pub enum Outbound {
    /// A whole encoded [`ServerFrame`] (replies).
    Frame(Bytes),
    /// A push: the writer frames `body` (an encoded [`Push`]) with `seq`.
    Push {
        /// The session's sequence number of the push.
        seq: u64,
        /// The encoded push, shared by every recipient of a fan-out.
        body: Bytes,
    },
}

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
    /// The session was ended by the server (Kicked push says why).
    pub const KICKED: u16 = 4001;
    /// The session was resumed on a newer connection.
    pub const REPLACED: u16 = 4002;
    /// The client did not read its frames fast enough.
    pub const SLOW_CONSUMER: u16 = 4008;
}

/// The sending side of a connection: its bounded frame queue and the switch
/// that ends it. Cheap to clone.
#[derive(Clone)]
pub struct Outbox {
    out: mpsc::Sender<Outbound>,
    kill: watch::Sender<Option<CloseReason>>,
}

impl Outbox {
    /// An outbox holding at most `capacity` frames, with the receivers the
    /// writer task drains.
    pub fn new(capacity: usize) -> (Outbox, mpsc::Receiver<Outbound>, watch::Receiver<Option<CloseReason>>) {
        let (out, out_rx) = mpsc::channel(capacity);
        let (kill, kill_rx) = watch::channel(None);
        (Outbox { out, kill }, out_rx, kill_rx)
    }

    /// Queues a frame. A full queue means the client is not reading: the
    /// connection is ended rather than buffered without bound.
    pub fn send(&self, item: Outbound) -> bool {
        match self.out.try_send(item) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.close(close::SLOW_CONSUMER, "outbound queue full: the client reads too slowly");
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// Queues a reply.
    pub fn reply(&self, id: u32, result: Result<Reply, ErrorReply>) {
        self.send(Outbound::Frame(encode(&ServerFrame::Reply { id, result }).into()));
    }

    /// Ends the connection with this close code and reason; the first reason wins.
    pub fn close(&self, code: u16, reason: &str) {
        self.kill.send_if_modified(|cur| {
            if cur.is_some() {
                return false;
            }
            *cur = Some(CloseReason { code, reason: reason.to_owned() });
            true
        });
    }
}

/// Where a pushed peer message's acknowledgement goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Back to the sending session.
    Peer(AckRoute),
    /// To the offline store: the stored message with this id can be deleted.
    Stored(i64),
}

/// The connection side of a session.
struct Attachment {
    outbox: Option<Outbox>,
    /// Bumped by every attach, so a stale connection cannot detach a newer one.
    generation: u64,
    next_seq: u64,
    replay: VecDeque<(u64, Bytes)>,
}

/// Per-session mutable bookkeeping.
struct Book {
    deliveries: HashMap<u64, Delivery>,
    next_delivery: u64,
    acks: HashMap<u64, oneshot::Sender<bool>>,
    next_ack: u64,
    budgets: Budgets,
    joined: BTreeSet<String>,
    subscribed: BTreeSet<String>,
    /// Invitations ringing at this session (as the callee): id → caller.
    ringing: HashMap<u64, String>,
    token: Option<String>,
}

/// A logged-in session.
pub struct SessionHandle {
    /// Cluster-wide name.
    pub sref: SessionRef,
    /// App id (the namespace).
    pub app: String,
    /// User id.
    pub uid: String,
    /// The secret a client presents to resume this session.
    pub resume_token: String,
    attachment: Mutex<Attachment>,
    ended: AtomicBool,
    book: Mutex<Book>,
    token_timer: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// Why a resume cannot continue from the client's position.
#[derive(Debug, PartialEq, Eq)]
pub struct ReplayGap;

impl SessionHandle {
    /// A session attached to `outbox`.
    pub fn new(sref: SessionRef, app: String, uid: String, resume_token: String, outbox: Outbox) -> Self {
        SessionHandle {
            sref,
            app,
            uid,
            resume_token,
            attachment: Mutex::new(Attachment {
                outbox: Some(outbox),
                generation: 1,
                next_seq: 1,
                replay: VecDeque::new(),
            }),
            ended: AtomicBool::new(false),
            book: Mutex::new(Book {
                deliveries: HashMap::new(),
                next_delivery: 1,
                acks: HashMap::new(),
                next_ack: 1,
                budgets: Budgets::default(),
                joined: BTreeSet::new(),
                subscribed: BTreeSet::new(),
                ringing: HashMap::new(),
                token: None,
            }),
            token_timer: Mutex::new(None),
        }
    }

    /// Pushes an event (see [`SessionHandle::push_body`]).
    pub fn push(&self, push: &Push) {
        self.push_body(encode(push).into());
    }

    /// Pushes an encoded [`Push`]: numbered, kept for replay, and sent if a
    /// connection is attached.
    pub fn push_body(&self, body: Bytes) {
        let mut a = self.attachment.lock().unwrap();
        let seq = a.next_seq;
        a.next_seq += 1;
        a.replay.push_back((seq, body.clone()));
        if a.replay.len() > REPLAY_PUSHES {
            a.replay.pop_front();
        }
        if let Some(outbox) = &a.outbox {
            outbox.send(Outbound::Push { seq, body });
        }
    }

    /// Answers request `id` on the attached connection, if any.
    pub fn reply(&self, id: u32, result: Result<Reply, ErrorReply>) {
        if let Some(outbox) = &self.attachment.lock().unwrap().outbox {
            outbox.reply(id, result);
        }
    }

    /// Closes the attached connection, if any.
    pub fn close(&self, code: u16, reason: &str) {
        if let Some(outbox) = &self.attachment.lock().unwrap().outbox {
            outbox.close(code, reason);
        }
    }

    /// Attaches a new connection, replacing (and closing) any older one, and
    /// replays the pushes after `last_seq` — after `first` has queued what must
    /// precede them (the reply to the resume). Returns the attachment generation.
    pub fn attach(
        &self,
        outbox: Outbox,
        last_seq: u64,
        first: impl FnOnce(&Outbox),
    ) -> Result<u64, ReplayGap> {
        let mut a = self.attachment.lock().unwrap();
        let oldest = a.replay.front().map_or(a.next_seq, |(seq, _)| *seq);
        if last_seq + 1 < oldest || last_seq >= a.next_seq {
            return Err(ReplayGap);
        }
        if let Some(old) = a.outbox.take() {
            old.close(close::REPLACED, "session resumed on a newer connection");
        }
        first(&outbox);
        for (seq, body) in a.replay.iter().filter(|(seq, _)| *seq > last_seq) {
            outbox.send(Outbound::Push { seq: *seq, body: body.clone() });
        }
        a.outbox = Some(outbox);
        a.generation += 1;
        Ok(a.generation)
    }

    /// The current attachment generation.
    pub fn generation(&self) -> u64 {
        self.attachment.lock().unwrap().generation
    }

    /// Detaches the connection of `generation`; false if a newer one is attached.
    pub fn detach(&self, generation: u64) -> bool {
        let mut a = self.attachment.lock().unwrap();
        if a.generation != generation {
            return false;
        }
        a.outbox = None;
        true
    }

    /// Whether no connection is attached.
    pub fn is_detached(&self) -> bool {
        self.attachment.lock().unwrap().outbox.is_none()
    }

    /// Marks the session ended (logout, kick, grace over); true the first time.
    pub fn end(&self) -> bool {
        if let Some(timer) = self.token_timer.lock().unwrap().take() {
            timer.abort();
        }
        !self.ended.swap(true, Ordering::SeqCst)
    }

    /// Whether the session has ended.
    pub fn has_ended(&self) -> bool {
        self.ended.load(Ordering::SeqCst)
    }

    /// Replaces the task that warns before the token expires.
    pub fn set_token_timer(&self, timer: Option<tokio::task::JoinHandle<()>>) {
        if let Some(old) = std::mem::replace(&mut *self.token_timer.lock().unwrap(), timer) {
            old.abort();
        }
    }

    /// The token the session logged in (or renewed) with.
    pub fn token(&self) -> Option<String> {
        self.book.lock().unwrap().token.clone()
    }

    /// Records the session's token.
    pub fn set_token(&self, token: Option<String>) {
        self.book.lock().unwrap().token = token;
    }

    /// Runs `f` on this session's rate budgets.
    pub fn budgets<T>(&self, f: impl FnOnce(&mut Budgets) -> T) -> T {
        f(&mut self.book.lock().unwrap().budgets)
    }

    /// Whether this session has joined `channel`.
    pub fn has_joined(&self, channel: &str) -> bool {
        self.book.lock().unwrap().joined.contains(channel)
    }

    /// How many channels this session has joined.
    pub fn joined_count(&self) -> usize {
        self.book.lock().unwrap().joined.len()
    }

    /// Records a join; false if already joined.
    pub fn add_joined(&self, channel: &str) -> bool {
        self.book.lock().unwrap().joined.insert(channel.to_owned())
    }

    /// Records a leave; false if it was not joined.
    pub fn remove_joined(&self, channel: &str) -> bool {
        self.book.lock().unwrap().joined.remove(channel)
    }

    /// Forgets every joined channel, returning them (the session is ending).
    pub fn take_joined(&self) -> Vec<String> {
        std::mem::take(&mut self.book.lock().unwrap().joined).into_iter().collect()
    }

    /// Runs `f` on the set of peers this session subscribes to.
    pub fn subscribed<T>(&self, f: impl FnOnce(&mut BTreeSet<String>) -> T) -> T {
        f(&mut self.book.lock().unwrap().subscribed)
    }

    /// Runs `f` on the invitations ringing at this session (id → caller).
    pub fn ringing<T>(&self, f: impl FnOnce(&mut HashMap<u64, String>) -> T) -> T {
        f(&mut self.book.lock().unwrap().ringing)
    }

    /// Remembers a peer message pushed to this session; returns its delivery id.
    pub fn add_delivery(&self, delivery: Delivery) -> u64 {
        let mut book = self.book.lock().unwrap();
        let id = book.next_delivery;
        book.next_delivery += 1;
        book.deliveries.insert(id, delivery);
        id
    }

    /// The client acknowledged delivery `id`: where the ack goes, once.
    pub fn take_delivery(&self, id: u64) -> Option<Delivery> {
        self.book.lock().unwrap().deliveries.remove(&id)
    }

    /// Starts waiting for an acknowledgement (of a peer message this session
    /// sends, or of an invitation answer): true taken, false refused.
    pub fn wait_ack(&self) -> (u64, oneshot::Receiver<bool>) {
        let (tx, rx) = oneshot::channel();
        let mut book = self.book.lock().unwrap();
        let id = book.next_ack;
        book.next_ack += 1;
        book.acks.insert(id, tx);
        (id, rx)
    }

    /// The acknowledgement `id` arrived, with its outcome.
    pub fn finish_ack(&self, id: u64, ok: bool) -> bool {
        match self.book.lock().unwrap().acks.remove(&id) {
            Some(tx) => tx.send(ok).is_ok(),
            None => false,
        }
    }

    /// Drops the wait for `id` without an acknowledgement.
    pub fn forget_ack(&self, id: u64) {
        self.book.lock().unwrap().acks.remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> (SessionHandle, mpsc::Receiver<Outbound>) {
        let (outbox, rx, _kill) = Outbox::new(64);
        let s = SessionHandle::new(
            SessionRef { node: 1, session: 1 },
            "a".into(),
            "u".into(),
            "r".into(),
            outbox,
        );
        (s, rx)
    }

    fn seqs(rx: &mut mpsc::Receiver<Outbound>) -> Vec<u64> {
        let mut v = Vec::new();
        while let Ok(Outbound::Push { seq, .. }) = rx.try_recv() {
            v.push(seq);
        }
        v
    }

    #[test]
    fn pushes_while_detached_are_replayed_after_last_seq() {
        let (s, mut rx) = session();
        s.push(&Push::TokenWillExpire);
        s.push(&Push::TokenWillExpire);
        assert_eq!(seqs(&mut rx), [1, 2]);
        assert!(s.detach(1));
        s.push(&Push::TokenWillExpire);
        s.push(&Push::TokenWillExpire);
        let (outbox, mut rx2, _kill) = Outbox::new(64);
        assert_eq!(s.attach(outbox, 1, |_| {}), Ok(2), "the client had seen 1 only");
        assert_eq!(seqs(&mut rx2), [2, 3, 4], "replayed once, in order");
        s.push(&Push::TokenWillExpire);
        assert_eq!(seqs(&mut rx2), [5]);
        assert!(!s.detach(1), "a stale connection cannot detach the new one");
    }

    #[test]
    fn a_position_outside_the_ring_is_a_gap() {
        let (s, _rx) = session();
        for _ in 0..REPLAY_PUSHES + 10 {
            s.push(&Push::TokenWillExpire);
        }
        let (outbox, _rx2, _kill) = Outbox::new(64);
        assert_eq!(s.attach(outbox.clone(), 0, |_| {}), Err(ReplayGap), "the first pushes are gone");
        assert_eq!(s.attach(outbox.clone(), 10_000, |_| {}), Err(ReplayGap), "a position from the future");
        assert!(s.attach(outbox, (REPLAY_PUSHES + 10) as u64, |_| {}).is_ok(), "nothing missed");
    }
}
