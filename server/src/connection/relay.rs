//! Both ends of a relayed link (see `node::relays` for why and how): the
//! entry, where the client's socket is, forwards its frames to the node that
//! holds its session; the owner serves them with the same dispatcher as a
//! socket of its own and sends every outgoing frame back.

use super::dispatch::Conn;
use super::writer::{write_loop, FrameSink};
use crate::engine::{Event, NodeEvent, Relayed, Topic, RELAY_BEAT};
use crate::node::relays::{holder, EntryStatus, Remote};
use crate::node::Node;
use crate::services::Services;
use crate::sessions::{close, CloseReason, Outbox};
use bytes::Bytes;
use rtm_protocol::codes::LoginError;
use rtm_protocol::limits::IDLE_TIMEOUT_SECS;
use rtm_protocol::{decode, ClientFrame, Request};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::watch;

/// The entry end: this connection's frames go to the node holding its session.
pub(super) struct Entry {
    node: Arc<Node>,
    owner: u64,
    link: u64,
    seq: u64,
}

impl Entry {
    /// Starts relaying if `frame`, the first of a connection not logged in,
    /// resumes a session another node holds.
    pub(super) fn open(node: &Arc<Node>, outbox: &Outbox, frame: &[u8]) -> Option<Entry> {
        let ClientFrame { id, req: Request::Resume { resume, .. } } = decode(frame).ok()? else {
            return None;
        };
        let owner = holder(&resume).filter(|owner| *owner != node.id)?;
        let link = node.relays.open_entry(outbox.clone(), id);
        tracing::debug!(owner, link, "resuming a session of another node: relaying the connection there");
        Some(Entry { node: node.clone(), owner, link, seq: 0 })
    }

    /// Forwards a client frame (`None`: the connection closed); false if the
    /// broker is down, which loses the link.
    pub(super) async fn forward(&mut self, frame: Option<&[u8]>) -> bool {
        let event = NodeEvent::RelayIn {
            from: self.node.id,
            link: self.link,
            seq: self.seq,
            frame: frame.map(<[u8]>::to_vec),
        };
        self.seq += 1;
        self.node.publish(&Topic::Node(self.owner), Event::Node(event)).await.is_ok()
    }

    /// Checks on the owner: `Some` to keep relaying, `None` when the
    /// connection is served here from now on (or is closing).
    pub(super) async fn check(mut self, outbox: &Outbox) -> Option<Entry> {
        match self.node.relays.entry_status(self.link) {
            EntryStatus::Live => return Some(self),
            EntryStatus::FellBack => {}
            EntryStatus::Unanswered(id) => {
                let msg =
                    "the server that held this session does not answer (it may have stopped); log in again";
                outbox.reply(id, Err(LoginError::REJECTED.err(msg).to_reply()));
            }
            EntryStatus::Lost => {
                outbox.close(close::GOING_AWAY, "lost the server that holds this session; reconnect");
            }
        }
        self.forward(None).await;
        None
    }

    /// The client's connection ended.
    pub(super) async fn end(mut self) {
        self.node.relays.close_entry(self.link);
        self.forward(None).await;
    }
}

/// Owner end: serves the links other nodes relay here, until the node goes.
pub async fn accept(services: Weak<Services>, shutdown: watch::Receiver<bool>) {
    let Some(mut arrivals) = services.upgrade().and_then(|s| s.node.relays.arrivals()) else { return };
    while let Some(remote) = arrivals.recv().await {
        let Some(services) = services.upgrade() else { return };
        tokio::spawn(serve_remote(services, remote, shutdown.clone()));
    }
}

async fn serve_remote(services: Arc<Services>, remote: Remote, mut shutdown: watch::Receiver<bool>) {
    let Remote { from, link, mut frames } = remote;
    let (outbox, out_rx, mut kill_rx, stall) = super::new_outbox(&services);
    let back = Back { node: services.node.clone(), to: from, link, seq: Default::default() };
    let writer = tokio::spawn(write_loop(back.clone(), out_rx, kill_rx.clone(), outbox.clone(), stall));
    let beats = tokio::spawn(beat(back));
    let mut conn = Conn::new(services.clone(), outbox);
    let idle = Duration::from_secs(IDLE_TIMEOUT_SECS);
    loop {
        tokio::select! {
            frame = tokio::time::timeout(idle, frames.recv()) => match frame {
                Ok(Some(bytes)) => conn.on_frame(&bytes).await,
                Ok(None) => break,
                Err(_) => conn.close(close::IDLE, "nothing heard for 60 s; the SDK pings every 20 s"),
            },
            _ = kill_rx.changed() => break,
            _ = shutdown.changed() => conn.close(close::GOING_AWAY, "server shutting down; reconnect later"),
        }
    }
    super::finish(&mut conn, &services, writer).await;
    beats.abort();
    services.node.relays.end_owned(from, link);
}

/// The way back to the entry: each item numbered, in order.
#[derive(Clone)]
struct Back {
    node: Arc<Node>,
    to: u64,
    link: u64,
    /// Held across the publish, so numbers go out in order.
    seq: Arc<tokio::sync::Mutex<u64>>,
}

impl Back {
    async fn send_item(&self, item: Relayed) -> bool {
        let mut seq = self.seq.lock().await;
        let event = NodeEvent::RelayOut { link: self.link, seq: *seq, item };
        // Numbered even if the publish fails: the entry then sees the gap.
        *seq += 1;
        self.node.publish(&Topic::Node(self.to), Event::Node(event)).await.is_ok()
    }
}

impl FrameSink for Back {
    /// Each frame is its own publish: the broker has nothing to coalesce
    /// into, so `flush` is the trait's default, which does nothing.
    async fn feed(&mut self, frame: Bytes) -> bool {
        self.send_item(Relayed::Frame(frame.to_vec())).await
    }

    async fn close(self, reason: CloseReason) {
        self.send_item(Relayed::Close { code: reason.code, reason: reason.reason }).await;
    }
}

/// Tells the entry this node is alive, until aborted.
async fn beat(back: Back) {
    loop {
        tokio::time::sleep(RELAY_BEAT).await;
        back.send_item(Relayed::Beat).await;
    }
}
