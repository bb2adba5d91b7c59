//! Relayed links: how a client resumes, through whichever node the load
//! balancer picks, a session that another node holds.
//!
//! A session lives on the node where it logged in: its channels, its
//! subscriptions, its replay ring and its invitations are that node's. When
//! the client's link drops and its new connection reaches another node (the
//! *entry*), the entry sees a `Resume` whose secret names the holding node
//! (the *owner*, see [`holder`]) and relays the whole connection there: each
//! client frame travels as a `NodeEvent::RelayIn` on the owner's topic, each
//! frame for the client comes back as a `NodeEvent::RelayOut` on the entry's.
//! The owner serves the relayed link as it serves a socket of its own (the
//! same dispatcher), so the resume, its replay and everything after behave
//! exactly as on one node: every missed push, once, in order.
//!
//! Why relay rather than move the session: a move would hand over every
//! feature's state and cut its topics over to the new node without losing or
//! doubling a push in between. The relay needs neither; it costs one hop
//! through the broker for this one connection, until the client next lands on
//! the owner or the session ends.
//!
//! Both directions number their items from 0. Pub/sub drops events while
//! Redis is down, so a gap ends the link: the client resumes again with its
//! last seq, and the owner's replay covers what was lost. The owner beats
//! every [`RELAY_BEAT`]; an entry that hears nothing for [`RELAY_SILENCE`]
//! takes the owner for dead: before the resume was answered it answers it
//! itself (REJECTED, so the client logs in anew right there), after that it
//! closes the connection so that the client reconnects.
//!
//! This module keeps the tables; `connection::relay` runs both ends.

use crate::engine::{Relayed, RELAY_BEAT};
use crate::sessions::{close, Outbound, Outbox};
use bytes::Bytes;
use rtm_protocol::{decode, ServerFrame};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How long an entry waits for a word from the owner before giving up.
pub const RELAY_SILENCE: Duration = Duration::from_millis(RELAY_BEAT.as_millis() as u64 * 3);

/// Client frames an owner queues for one relayed link before it ends the
/// link (the dispatcher is that far behind).
const OWNED_QUEUE: usize = 256;

/// A fresh resume secret for a session of node `node`: the node's id, then
/// 128 random bits. Any node can tell from it where the session lives.
pub fn secret(node: u64) -> String {
    format!("{node:016x}{:032x}", rand::random::<u128>())
}

/// The node that holds the session a resume secret names, if the secret is
/// well formed.
pub fn holder(secret: &str) -> Option<u64> {
    if secret.len() != 48 {
        return None;
    }
    u64::from_str_radix(secret.get(..16)?, 16).ok()
}

/// A relayed link this node serves for another node's client (owner side).
pub struct Remote {
    /// The entry node.
    pub from: u64,
    /// The entry's name for the link.
    pub link: u64,
    /// The client's frames in order; ends when the link does.
    pub frames: mpsc::Receiver<Bytes>,
}

/// What an entry's connection should do about its relay.
#[derive(Debug, PartialEq, Eq)]
pub enum EntryStatus {
    /// Keep relaying.
    Live,
    /// The owner refused the resume (the client logs in anew): serve the
    /// connection here from now on.
    FellBack,
    /// The owner never answered the resume with request id `.0`: answer it
    /// here (REJECTED) and serve the connection here.
    Unanswered(u32),
    /// The owner went silent, or the link broke: close the connection.
    Lost,
}

struct Entry {
    outbox: Outbox,
    resume_id: u32,
    expect: u64,
    heard: Instant,
    answered: bool,
    fell_back: bool,
}

struct Owned {
    frames: mpsc::Sender<Bytes>,
    expect: u64,
}

/// This node's relayed links, as entry and as owner.
pub struct Relays {
    next_link: AtomicU64,
    entries: Mutex<HashMap<u64, Entry>>,
    owned: Mutex<HashMap<(u64, u64), Owned>>,
    arrivals: mpsc::UnboundedSender<Remote>,
    arrivals_rx: Mutex<Option<mpsc::UnboundedReceiver<Remote>>>,
}

impl Default for Relays {
    fn default() -> Self {
        let (arrivals, rx) = mpsc::unbounded_channel();
        Relays {
            next_link: AtomicU64::new(1),
            entries: Mutex::default(),
            owned: Mutex::default(),
            arrivals,
            arrivals_rx: Mutex::new(Some(rx)),
        }
    }
}

impl Relays {
    /// Entry side: relays a connection (writing to `outbox`) whose first
    /// frame is the resume request `resume_id`. Returns the link's name.
    pub fn open_entry(&self, outbox: Outbox, resume_id: u32) -> u64 {
        let link = self.next_link.fetch_add(1, Ordering::Relaxed);
        let entry =
            Entry { outbox, resume_id, expect: 0, heard: Instant::now(), answered: false, fell_back: false };
        self.entries.lock().unwrap().insert(link, entry);
        link
    }

    /// Entry side: what the connection of `link` should do now. A status
    /// other than `Live` also forgets the link.
    pub fn entry_status(&self, link: u64) -> EntryStatus {
        let mut entries = self.entries.lock().unwrap();
        let status = match entries.get(&link) {
            None => EntryStatus::Lost,
            Some(e) if e.fell_back => EntryStatus::FellBack,
            Some(e) if e.heard.elapsed() < RELAY_SILENCE => return EntryStatus::Live,
            Some(e) if !e.answered => EntryStatus::Unanswered(e.resume_id),
            Some(_) => EntryStatus::Lost,
        };
        entries.remove(&link);
        status
    }

    /// Entry side: the connection of `link` ended.
    pub fn close_entry(&self, link: u64) {
        self.entries.lock().unwrap().remove(&link);
    }

    /// Entry side: item `seq` of `link` came back from the owner.
    pub fn deliver_out(&self, link: u64, seq: u64, item: Relayed) {
        let mut entries = self.entries.lock().unwrap();
        let Some(entry) = entries.get_mut(&link) else { return };
        if seq != entry.expect {
            entry.outbox.close(close::GOING_AWAY, "the relay to this session's node lost frames; resume");
            entries.remove(&link);
            return;
        }
        entry.expect += 1;
        entry.heard = Instant::now();
        match item {
            Relayed::Beat => {}
            Relayed::Frame(frame) => {
                if !entry.answered {
                    // The first frame back answers the resume. A refusal
                    // means the client logs in next: here, not through the relay.
                    entry.answered = true;
                    entry.fell_back = refuses(&frame, entry.resume_id);
                }
                entry.outbox.send(Outbound::Frame(frame.into()));
            }
            Relayed::Close { code, reason } => {
                entry.outbox.close(code, &reason);
                entries.remove(&link);
            }
        }
    }

    /// Owner side: frame `seq` of link `link` of entry node `from` (`None`:
    /// the client's connection closed). The first frame of a link starts it:
    /// see [`Relays::arrivals`].
    pub fn deliver_in(&self, from: u64, link: u64, seq: u64, frame: Option<Vec<u8>>) {
        let mut owned = self.owned.lock().unwrap();
        let key = (from, link);
        match (owned.get_mut(&key), frame) {
            (None, Some(frame)) if seq == 0 => {
                let (tx, rx) = mpsc::channel(OWNED_QUEUE);
                let _ = tx.try_send(frame.into());
                owned.insert(key, Owned { frames: tx, expect: 1 });
                let _ = self.arrivals.send(Remote { from, link, frames: rx });
            }
            (Some(o), Some(frame)) if o.expect == seq => {
                o.expect += 1;
                if o.frames.try_send(frame.into()).is_err() {
                    owned.remove(&key); // too far behind: dropping the sender ends the link
                }
            }
            // Closed, or out of order: dropping the sender ends the link.
            (Some(_), _) => {
                owned.remove(&key);
            }
            // A link this node no longer serves; its entry hears nothing and gives up.
            (None, _) => {}
        }
    }

    /// Owner side: the link ended here (the session closed it).
    pub fn end_owned(&self, from: u64, link: u64) {
        self.owned.lock().unwrap().remove(&(from, link));
    }

    /// Owner side: the links other nodes start relaying here. Taken once.
    pub fn arrivals(&self) -> Option<mpsc::UnboundedReceiver<Remote>> {
        self.arrivals_rx.lock().unwrap().take()
    }
}

/// Whether `frame` is an error reply to request `id`.
fn refuses(frame: &[u8], id: u32) -> bool {
    matches!(decode::<ServerFrame>(frame), Ok(ServerFrame::Reply { id: got, result: Err(_) }) if got == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtm_protocol::{encode, ErrorReply, Reply};

    #[test]
    fn a_secret_names_its_node() {
        let s = secret(0xfeed_beef);
        assert_eq!(holder(&s), Some(0xfeed_beef));
        assert_ne!(secret(1), secret(1), "random part");
        assert_eq!(holder("0123"), None);
        assert_eq!(holder(&"z".repeat(48)), None);
    }

    fn reply(id: u32, ok: bool) -> Vec<u8> {
        let result = if ok { Ok(Reply::Done) } else { Err(ErrorReply::new(8, "gone")) };
        encode(&ServerFrame::Reply { id, result })
    }

    #[test]
    fn a_refused_resume_falls_back_and_a_gap_loses_the_link() {
        let relays = Relays::default();
        let (outbox, mut rx, kill) = Outbox::new(&Default::default());
        let link = relays.open_entry(outbox.clone(), 7);
        assert_eq!(relays.entry_status(link), EntryStatus::Live);
        relays.deliver_out(link, 0, Relayed::Frame(reply(7, false)));
        assert!(matches!(rx.try_recv(), Ok(Outbound::Frame(_))), "the refusal reaches the client");
        assert_eq!(relays.entry_status(link), EntryStatus::FellBack);

        let link = relays.open_entry(outbox, 9);
        relays.deliver_out(link, 0, Relayed::Frame(reply(9, true)));
        relays.deliver_out(link, 1, Relayed::Beat);
        assert_eq!(relays.entry_status(link), EntryStatus::Live);
        relays.deliver_out(link, 3, Relayed::Beat);
        assert_eq!(relays.entry_status(link), EntryStatus::Lost);
        assert_eq!(kill.borrow().as_ref().map(|r| r.code), Some(close::GOING_AWAY));
    }

    #[tokio::test]
    async fn owned_links_start_on_their_first_frame_and_end_on_a_gap() {
        let relays = Relays::default();
        let mut arrivals = relays.arrivals().unwrap();
        assert!(relays.arrivals().is_none(), "taken once");
        relays.deliver_in(5, 1, 0, Some(b"a".to_vec()));
        relays.deliver_in(5, 1, 1, Some(b"b".to_vec()));
        let mut remote = arrivals.try_recv().unwrap();
        assert_eq!((remote.from, remote.link), (5, 1));
        assert_eq!(remote.frames.recv().await.unwrap(), Bytes::from_static(b"a"));
        assert_eq!(remote.frames.recv().await.unwrap(), Bytes::from_static(b"b"));
        relays.deliver_in(5, 1, 3, Some(b"d".to_vec()));
        assert!(remote.frames.recv().await.is_none(), "a gap ends the link");
        relays.deliver_in(5, 1, 4, Some(b"e".to_vec()));
        assert!(arrivals.try_recv().is_err(), "a later frame of an ended link starts nothing");
    }
}
