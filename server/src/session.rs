//! One logged-in session as the rest of the server sees it: its identity, its
//! bounded outbound queue, and the bookkeeping of peer-message acknowledgements.
//!
//! The connection task owns the socket; everything else reaches the client
//! only through [`SessionHandle::send`], which never blocks and never lets a
//! slow client grow the server's memory: a full queue ends the session.

use crate::engine::{AckRoute, SessionRef};
use bytes::Bytes;
use rtm_protocol::rate::Budgets;
use rtm_protocol::{encode, ServerFrame};
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use tokio::sync::{mpsc, oneshot, watch};

/// What the writer half of a connection sends.
#[derive(Debug)]
pub enum Outbound {
    /// An encoded [`ServerFrame`].
    Frame(Bytes),
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
    /// The session was ended by the server (Kicked push says why).
    pub const KICKED: u16 = 4001;
    /// The client did not read its frames fast enough.
    pub const SLOW_CONSUMER: u16 = 4008;
}

/// The sending side of a connection: its bounded frame queue and the switch
/// that ends it. Cheap to clone; shared by the reader, the session and tasks
/// that answer later.
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

    /// Queues a frame for the client. A full queue means the client is not
    /// reading: the connection is ended rather than buffered without bound.
    pub fn send(&self, frame: &ServerFrame) -> bool {
        self.send_bytes(Bytes::from(encode(frame)))
    }

    /// Queues an already encoded frame (fan-out encodes once).
    pub fn send_bytes(&self, bytes: Bytes) -> bool {
        match self.out.try_send(Outbound::Frame(bytes)) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.close(close::SLOW_CONSUMER, "outbound queue full: the client reads too slowly");
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
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

/// Per-session mutable bookkeeping.
struct Book {
    /// Peer messages pushed to this session and not yet acknowledged.
    deliveries: HashMap<u64, AckRoute>,
    next_delivery: u64,
    /// Sends of this session waiting for the recipient's acknowledgement.
    acks: HashMap<u64, oneshot::Sender<()>>,
    next_ack: u64,
    /// The per-client rates of the API.
    budgets: Budgets,
    /// Channels this session has joined.
    joined: BTreeSet<String>,
}

/// A logged-in session.
pub struct SessionHandle {
    /// Cluster-wide name.
    pub sref: SessionRef,
    /// App id (the namespace).
    pub app: String,
    /// User id.
    pub uid: String,
    /// Where its frames go.
    pub outbox: Outbox,
    book: Mutex<Book>,
}

impl SessionHandle {
    /// A session writing to `outbox`.
    pub fn new(sref: SessionRef, app: String, uid: String, outbox: Outbox) -> Self {
        SessionHandle {
            sref,
            app,
            uid,
            outbox,
            book: Mutex::new(Book {
                deliveries: HashMap::new(),
                next_delivery: 1,
                acks: HashMap::new(),
                next_ack: 1,
                budgets: Budgets::default(),
                joined: BTreeSet::new(),
            }),
        }
    }

    /// Queues a frame for the client (see [`Outbox::send`]).
    pub fn send(&self, frame: &ServerFrame) -> bool {
        self.outbox.send(frame)
    }

    /// Ends the session's connection.
    pub fn close(&self, code: u16, reason: &str) {
        self.outbox.close(code, reason)
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

    /// Remembers a peer message pushed to this session; returns its delivery id.
    pub fn add_delivery(&self, route: AckRoute) -> u64 {
        let mut book = self.book.lock().unwrap();
        let id = book.next_delivery;
        book.next_delivery += 1;
        book.deliveries.insert(id, route);
        id
    }

    /// The client acknowledged delivery `id`: where the ack goes, once.
    pub fn take_delivery(&self, id: u64) -> Option<AckRoute> {
        self.book.lock().unwrap().deliveries.remove(&id)
    }

    /// Starts waiting for the acknowledgement of a message this session sends.
    pub fn wait_ack(&self) -> (u64, oneshot::Receiver<()>) {
        let (tx, rx) = oneshot::channel();
        let mut book = self.book.lock().unwrap();
        let id = book.next_ack;
        book.next_ack += 1;
        book.acks.insert(id, tx);
        (id, rx)
    }

    /// The acknowledgement `id` arrived (or the wait is abandoned).
    pub fn finish_ack(&self, id: u64) -> bool {
        match self.book.lock().unwrap().acks.remove(&id) {
            Some(tx) => tx.send(()).is_ok(),
            None => false,
        }
    }

    /// Drops the wait for `id` without an acknowledgement.
    pub fn forget_ack(&self, id: u64) {
        self.book.lock().unwrap().acks.remove(&id);
    }
}
