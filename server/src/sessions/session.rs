//! A logged-in session: who it is, its link to the client (see `link.rs`),
//! its rate budgets and its token-expiry warning.
//!
//! A session outlives its connection: when the link drops it is detached and
//! kept for the grace period, still receiving pushes into its replay ring, so
//! a client that comes back (`Resume`) gets everything it missed, in order,
//! once. What features remember about a session (its channels, its
//! subscriptions, what rings at it) they keep themselves, keyed by its id.

use super::link::{AttachError, Link};
use super::outbox::Outbox;
use super::queue::Outbound;
use crate::engine::SessionRef;
use bytes::Bytes;
use rtm_protocol::rate::Budgets;
use rtm_protocol::{encode, Push};
use std::sync::Mutex;
use tokio::task::JoinHandle;

/// A logged-in session.
pub struct Session {
    /// Cluster-wide name.
    pub sref: SessionRef,
    /// App id (the namespace).
    pub app: String,
    /// User id.
    pub uid: String,
    /// The secret a client presents to resume this session.
    pub resume_token: String,
    link: Mutex<Link>,
    /// Held while one of the session's requests runs, and by the clean-up
    /// after it ends: a session's requests and its end never interleave.
    ops: tokio::sync::Mutex<()>,
    budgets: Mutex<Budgets>,
    /// Warns the client before its token expires.
    token_timer: Mutex<Option<JoinHandle<()>>>,
}

impl Session {
    /// A session attached to `outbox`, keeping up to `replay_bytes` of pushes for a resume.
    pub fn new(
        sref: SessionRef,
        app: String,
        uid: String,
        resume_token: String,
        outbox: Outbox,
        replay_bytes: usize,
    ) -> Self {
        Session {
            sref,
            app,
            uid,
            resume_token,
            link: Mutex::new(Link::new(outbox, replay_bytes)),
            ops: tokio::sync::Mutex::new(()),
            budgets: Mutex::new(Budgets::default()),
            token_timer: Mutex::new(None),
        }
    }

    /// This session's id on its node.
    pub fn id(&self) -> u64 {
        self.sref.session
    }

    /// Pushes an event (see [`Session::push_body`]).
    pub fn push(&self, push: &Push) {
        self.push_body(encode(push).into());
    }

    /// Pushes an encoded [`Push`]: numbered, kept for replay, and sent if a
    /// connection is attached.
    pub fn push_body(&self, body: Bytes) {
        self.link.lock().unwrap().push(body);
    }

    /// Closes the attached connection, if any.
    pub fn close(&self, code: u16, reason: &str) {
        if let Some(outbox) = self.link.lock().unwrap().outbox() {
            outbox.close(code, reason);
        }
    }

    /// Attaches a new connection, replacing (and closing) any older one: queues
    /// `first` (the reply to the resume), then the pushes after `last_seq`.
    /// Returns the attachment generation.
    pub fn attach(&self, outbox: Outbox, last_seq: u64, first: Outbound) -> Result<u64, AttachError> {
        self.link.lock().unwrap().attach(outbox, last_seq, first)
    }

    /// The current attachment generation.
    pub fn generation(&self) -> u64 {
        self.link.lock().unwrap().generation()
    }

    /// Detaches the connection of `generation`; false if a newer one is
    /// attached or the session has ended.
    pub fn detach(&self, generation: u64) -> bool {
        self.link.lock().unwrap().detach(generation)
    }

    /// Whether a connection is attached.
    pub fn is_attached(&self) -> bool {
        self.link.lock().unwrap().is_attached()
    }

    /// Marks the session ended (logout, kick); true the first time. From then
    /// on its requests are refused as not logged in.
    pub fn end(&self) -> bool {
        let first = self.link.lock().unwrap().end();
        if first {
            self.set_token_timer(None);
        }
        first
    }

    /// Ends the session if it is still detached from the connection of
    /// `generation`: the grace period ran out before a resume.
    pub fn end_if_detached(&self, generation: u64) -> bool {
        let ended = self.link.lock().unwrap().end_if_detached(generation);
        if ended {
            self.set_token_timer(None);
        }
        ended
    }

    /// Whether the session has ended.
    pub fn has_ended(&self) -> bool {
        self.link.lock().unwrap().has_ended()
    }

    /// Waits until no request of this session runs, and holds that off. A
    /// request handler holds it while it changes what the session owns; the
    /// clean-up of an ended session takes it before undoing that, so a
    /// request in flight when a kick arrives is finished, then undone.
    pub async fn serialize(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.ops.lock().await
    }

    /// Runs `f` on this session's rate budgets.
    pub fn budgets<T>(&self, f: impl FnOnce(&mut Budgets) -> T) -> T {
        f(&mut self.budgets.lock().unwrap())
    }

    /// Replaces the task that warns before the token expires.
    pub fn set_token_timer(&self, timer: Option<JoinHandle<()>>) {
        let old = std::mem::replace(&mut *self.token_timer.lock().unwrap(), timer);
        if let Some(old) = old {
            old.abort();
        }
    }
}
