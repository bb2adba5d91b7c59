//! The transport under one client: the current WebSocket link, the requests
//! waiting for their replies, and the order of pushes (a duplicate replayed by
//! a resume is dropped, a gap reported). It knows nothing of sessions or
//! features: what a closed link or a push means is the core's to decide
//! (`core.rs`), and getting a session back the supervisor's (`login.rs`).

use crate::errors::RequestError;
use crate::link::{Link, LinkHandler};
use crate::table::Table;
use futures_channel::oneshot;
use gloo_timers::callback::Timeout;
use rtm_protocol::order::PushOrder;
use rtm_protocol::{decode, encode, ClientFrame, DecodeError, Push, Reply, Request, ServerFrame};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// A reply, or why none came.
pub type ReplyResult = Result<Reply, RequestError>;

struct Pending {
    tx: oneshot::Sender<ReplyResult>,
    _timer: Timeout,
}

/// What a frame from the server means to the core.
pub enum Incoming {
    /// A push to act on, in order.
    Push(Push),
    /// A push arrived after a missing one: the link must be given up and the
    /// session resumed to get the missing ones.
    Gap,
    /// A reply (now delivered to its request), or a push already seen.
    Handled,
}

/// One client's link and requests.
#[derive(Default)]
pub struct Transport {
    link: RefCell<Option<Link>>,
    next_link_id: Cell<u64>,
    /// Told when the current link opens (true) or fails before opening (false).
    opened: RefCell<Option<oneshot::Sender<bool>>>,
    /// Told when the current link closes.
    closed: RefCell<Option<oneshot::Sender<()>>>,
    pending: RefCell<Table<u32, Pending>>,
    next_request_id: Cell<u32>,
    /// The `seq` of the last push handled: what a resume continues from, and
    /// how replayed duplicates are recognised.
    pub last_seq: Cell<u64>,
}

impl Transport {
    /// Opens a new link to `url` for login generation `generation` (dropping
    /// any old one); its events go to `handler`. Resolves true once it is open.
    pub fn open(
        &self,
        url: &str,
        generation: u64,
        handler: LinkHandler,
    ) -> Result<oneshot::Receiver<bool>, String> {
        self.drop_link();
        let id = self.next_link_id.get() + 1;
        self.next_link_id.set(id);
        let link = Link::open(url, rtm_protocol::SUBPROTOCOL, id, generation, handler)?;
        let (tx, rx) = oneshot::channel();
        *self.link.borrow_mut() = Some(link);
        *self.opened.borrow_mut() = Some(tx);
        Ok(rx)
    }

    /// Closes the current link on purpose and fails what waits on it.
    pub fn drop_link(&self) {
        let link = self.link.borrow_mut().take();
        drop(link);
        self.opened.borrow_mut().take();
        self.closed.borrow_mut().take();
        self.fail_pending();
    }

    /// Resolves when the current link closes (immediately if there is none).
    pub fn link_closed(&self) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        if self.link.borrow().is_some() {
            *self.closed.borrow_mut() = Some(tx);
        }
        rx
    }

    /// The current link's id and login generation.
    pub fn current(&self) -> Option<(u64, u64)> {
        self.link.borrow().as_ref().map(|l| (l.id, l.generation))
    }

    /// The current link opened.
    pub fn on_open(&self) {
        if let Some(tx) = self.opened.borrow_mut().take() {
            let _ = tx.send(true);
        }
    }

    /// The current link closed: whoever waits on it is told, and every
    /// request still waiting fails as lost.
    pub fn on_close(&self) {
        if let Some(tx) = self.opened.borrow_mut().take() {
            let _ = tx.send(false);
        }
        if let Some(tx) = self.closed.borrow_mut().take() {
            let _ = tx.send(());
        }
        self.link.borrow_mut().take();
        self.fail_pending();
    }

    /// Sends a request; resolves with its reply, a timeout, or the link's loss.
    pub fn request(self: &Rc<Self>, req: Request, timeout_ms: u32) -> oneshot::Receiver<ReplyResult> {
        let (tx, rx) = oneshot::channel();
        let id = self.next_request_id.get().wrapping_add(1).max(1);
        self.next_request_id.set(id);
        let sent = match self.link.borrow().as_ref() {
            Some(link) => link.send(&encode(&ClientFrame { id, req })),
            None => false,
        };
        if !sent {
            let _ = tx.send(Err(RequestError::LinkLost));
            return rx;
        }
        let weak = Rc::downgrade(self);
        let timer = Timeout::new(timeout_ms, move || {
            if let Some(transport) = weak.upgrade() {
                transport.finish(id, Err(RequestError::Timeout));
            }
        });
        self.pending.borrow_mut().insert(id, Pending { tx, _timer: timer });
        rx
    }

    /// Sends a frame that expects no reply.
    pub fn notify(&self, req: Request) {
        if let Some(link) = self.link.borrow().as_ref() {
            link.send(&encode(&ClientFrame { id: 0, req }));
        }
    }

    /// Reads a frame of the current link: a reply goes to its request; a
    /// push is checked against the order of the ones before it.
    pub fn on_frame(&self, bytes: &[u8]) -> Result<Incoming, DecodeError> {
        match decode::<ServerFrame>(bytes)? {
            ServerFrame::Reply { id, result } => {
                self.finish(id, result.map_err(RequestError::Refused));
                Ok(Incoming::Handled)
            }
            ServerFrame::Push { seq, push } => Ok(match PushOrder::check(self.last_seq.get(), seq) {
                PushOrder::Next => {
                    self.last_seq.set(seq);
                    Incoming::Push(push)
                }
                PushOrder::Seen => Incoming::Handled,
                PushOrder::Gap => Incoming::Gap,
            }),
        }
    }

    fn finish(&self, id: u32, result: ReplyResult) {
        let entry = self.pending.borrow_mut().remove(&id);
        if let Some(p) = entry {
            let _ = p.tx.send(result);
        }
    }

    fn fail_pending(&self) {
        let all: Vec<Pending> = self.pending.borrow_mut().drain().map(|(_, p)| p).collect();
        for p in all {
            let _ = p.tx.send(Err(RequestError::LinkLost));
        }
    }
}
