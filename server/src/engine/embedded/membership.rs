//! Who is in which channel, in one process — and, because only membership
//! sees joins and leaves, the clock that expires an empty channel's
//! attributes.
//!
//! A user is a member through one session. A join from another session of the
//! same user (a remote login, or a resumed session) replaces the old one
//! without changing the count, and only the current session's leave removes
//! the member: a stale session that leaves late must not remove the new one.
//!
//! Channel attributes expire once their channel has had no member for the
//! engine's TTL (Agora clears an empty channel's attributes after a few
//! minutes). [`Channels`] is shared with `attributes.rs`, and under the same
//! lock as the members it keeps, for each channel that has attributes, since
//! when that channel has been empty (`AttrClock`). Nothing runs on a timer:
//! `attributes.rs` asks [`Channels::attrs_lapsed`] on every read and write and
//! deletes lapsed attributes then. Only channels with attributes have a
//! clock, so the map stays as small as the attributes themselves.

use crate::engine::{Departed, Membership, SessionRef};
use async_trait::async_trait;
use rand::seq::IteratorRandom;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::time::Instant;

type Key = (String, String);

fn key(app: &str, channel: &str) -> Key {
    (app.to_owned(), channel.to_owned())
}

fn count_of(members: &HashMap<String, SessionRef>) -> u32 {
    u32::try_from(members.len()).unwrap_or(u32::MAX)
}

/// The expiry clock of a channel that has attributes.
#[derive(Debug, Clone, Copy)]
struct AttrClock {
    /// Since when the channel has been empty; `None` while it has members.
    empty_since: Option<Instant>,
    /// The TTL ran out while nobody looked (a member joined only after it):
    /// the attributes are dead and go at their next access.
    lapsed: bool,
}

#[derive(Default)]
struct State {
    /// (app, channel) → uid → the member's session. No empty channels.
    members: HashMap<Key, HashMap<String, SessionRef>>,
    /// (app, channel) → its attributes' clock, for channels with attributes.
    clocks: HashMap<Key, AttrClock>,
}

/// The state membership and attributes share (see the module docs).
pub struct Channels {
    state: Mutex<State>,
    ttl: Duration,
    /// When this engine started: the "empty since" of attributes found on
    /// disk, whose channels no member of this engine has been in.
    started: Instant,
}

impl Channels {
    /// No members; `with_attrs` are the channels whose attributes survived
    /// from before (empty since now, as far as this engine knows).
    pub fn new(ttl: Duration, with_attrs: impl IntoIterator<Item = (String, String)>) -> Channels {
        let started = Instant::now();
        let clock = AttrClock { empty_since: Some(started), lapsed: false };
        let clocks = with_attrs.into_iter().map(|k| (k, clock)).collect();
        Channels { state: Mutex::new(State { members: HashMap::new(), clocks }), ttl, started }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Nothing under this lock can panic half-way through a change.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn expired(&self, since: Instant, now: Instant) -> bool {
        now.saturating_duration_since(since) >= self.ttl
    }

    /// Whether the channel's attributes are to be deleted before they are
    /// read or written: it has had no member for the TTL, now or at some time
    /// nobody looked.
    pub fn attrs_lapsed(&self, app: &str, channel: &str, now: Instant) -> bool {
        let state = self.state();
        let key = key(app, channel);
        match state.clocks.get(&key) {
            Some(clock) => clock.lapsed || clock.empty_since.is_some_and(|t| self.expired(t, now)),
            // No clock means no attributes, unless a deletion failed to
            // commit: then they are as old as the engine.
            None => !state.members.contains_key(&key) && self.expired(self.started, now),
        }
    }

    /// Every channel with members, and how many (the admin API's listing).
    pub fn sizes(&self) -> Vec<(String, String, u32)> {
        let state = self.state();
        state.members.iter().map(|((app, ch), m)| (app.clone(), ch.clone(), count_of(m))).collect()
    }

    /// The channel has no attributes any more.
    pub fn attrs_gone(&self, app: &str, channel: &str) {
        self.state().clocks.remove(&key(app, channel));
    }

    /// The channel's attributes were written; `fresh` when they replaced
    /// lapsed ones (or none). A fresh write to an empty channel starts its
    /// countdown now; any other keeps the countdown running — rewriting
    /// attributes does not keep an empty channel's alive.
    pub fn attrs_written(&self, app: &str, channel: &str, fresh: bool, now: Instant) {
        let mut state = self.state();
        let key = key(app, channel);
        if !fresh && state.clocks.contains_key(&key) {
            return;
        }
        let empty_since = if state.members.contains_key(&key) { None } else { Some(now) };
        state.clocks.insert(key, AttrClock { empty_since, lapsed: false });
    }

    /// A member arrived: the countdown stops, or — if it already ran out —
    /// the attributes are marked dead.
    fn occupied(&self, clocks: &mut HashMap<Key, AttrClock>, key: &Key, now: Instant) {
        if let Some(clock) = clocks.get_mut(key) {
            if let Some(since) = clock.empty_since.take() {
                clock.lapsed |= self.expired(since, now);
            }
        }
    }

    /// The last member left: the countdown starts.
    fn emptied(clocks: &mut HashMap<Key, AttrClock>, key: &Key, now: Instant) {
        if let Some(clock) = clocks.get_mut(key) {
            clock.empty_since.get_or_insert(now);
        }
    }
}

/// Channel members in a map keyed by (app, channel).
pub struct MemoryMembership {
    channels: Arc<Channels>,
}

impl MemoryMembership {
    /// Membership over `channels`, which the engine's attributes share.
    pub fn new(channels: Arc<Channels>) -> MemoryMembership {
        MemoryMembership { channels }
    }
}

#[async_trait]
impl Membership for MemoryMembership {
    async fn join(&self, app: &str, channel: &str, uid: &str, session: SessionRef) -> anyhow::Result<u32> {
        let now = Instant::now();
        let mut state = self.channels.state();
        let key = key(app, channel);
        let state = &mut *state;
        if !state.members.contains_key(&key) {
            self.channels.occupied(&mut state.clocks, &key, now);
        }
        let members = state.members.entry(key).or_default();
        members.insert(uid.to_owned(), session);
        Ok(count_of(members))
    }

    async fn leave(
        &self,
        app: &str,
        channel: &str,
        uid: &str,
        session: SessionRef,
    ) -> anyhow::Result<Option<u32>> {
        let now = Instant::now();
        let mut state = self.channels.state();
        let key = key(app, channel);
        let Some(members) = state.members.get_mut(&key) else { return Ok(None) };
        if members.get(uid) != Some(&session) {
            return Ok(None);
        }
        members.remove(uid);
        let count = count_of(members);
        if count == 0 {
            state.members.remove(&key);
            Channels::emptied(&mut state.clocks, &key, now);
        }
        Ok(Some(count))
    }

    async fn members(&self, app: &str, channel: &str, max: usize) -> anyhow::Result<Vec<String>> {
        let state = self.channels.state();
        let Some(members) = state.members.get(&key(app, channel)) else { return Ok(Vec::new()) };
        if members.len() <= max {
            return Ok(members.keys().cloned().collect());
        }
        // Reservoir sampling: uniform, distinct, one pass.
        Ok(members.keys().cloned().choose_multiple(&mut rand::rng(), max))
    }

    async fn count(&self, app: &str, channel: &str) -> anyhow::Result<u32> {
        Ok(self.channels.state().members.get(&key(app, channel)).map_or(0, count_of))
    }

    async fn reap(&self, nodes: &[u64]) -> anyhow::Result<Vec<Departed>> {
        let now = Instant::now();
        let mut departed = Vec::new();
        if nodes.is_empty() {
            return Ok(departed);
        }
        let mut state = self.channels.state();
        let state = &mut *state;
        let mut emptied = Vec::new();
        for ((app, channel), members) in state.members.iter_mut() {
            let lost: Vec<(String, SessionRef)> = members
                .iter()
                .filter(|(_, s)| nodes.contains(&s.node))
                .map(|(uid, s)| (uid.clone(), *s))
                .collect();
            for (uid, session) in lost {
                members.remove(&uid);
                let count = count_of(members);
                departed.push(Departed { app: app.clone(), channel: channel.clone(), uid, session, count });
            }
            if members.is_empty() {
                emptied.push((app.clone(), channel.clone()));
            }
        }
        for key in emptied {
            state.members.remove(&key);
            Channels::emptied(&mut state.clocks, &key, now);
        }
        Ok(departed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn s(node: u64, session: u64) -> SessionRef {
        SessionRef { node, session }
    }

    fn membership(ttl: Duration) -> (Arc<Channels>, MemoryMembership) {
        let channels = Arc::new(Channels::new(ttl, []));
        (channels.clone(), MemoryMembership::new(channels))
    }

    #[tokio::test]
    async fn is_per_session_and_samples_large_channels() {
        let (_, m) = membership(Duration::from_secs(1));
        let (old, new) = (s(1, 1), s(1, 2));
        assert_eq!(m.join("app", "c", "u", old).await.unwrap(), 1);
        assert_eq!(m.join("app", "c", "u", new).await.unwrap(), 1, "a remote login replaces");
        assert_eq!(m.leave("app", "c", "u", old).await.unwrap(), None, "a stale session's leave is ignored");
        assert_eq!(m.count("app", "c").await.unwrap(), 1);
        assert_eq!(m.count("other", "c").await.unwrap(), 0, "apps are namespaces");
        for i in 0..600 {
            m.join("app", "big", &format!("u{i}"), old).await.unwrap();
        }
        let sample = m.members("app", "big", 512).await.unwrap();
        assert_eq!(sample.len(), 512);
        assert_eq!(sample.iter().collect::<HashSet<_>>().len(), 512, "no duplicates");
        assert_eq!(m.leave("app", "c", "u", new).await.unwrap(), Some(0));
        assert_eq!(m.count("app", "c").await.unwrap(), 0);
        assert!(!m.channels.state().members.contains_key(&key("app", "c")), "empty channels are dropped");
    }

    #[tokio::test]
    async fn reap_counts_down_per_removal() {
        let (_, m) = membership(Duration::from_secs(1));
        for i in 0..3 {
            m.join("app", "c", &format!("dead{i}"), s(9, i)).await.unwrap();
        }
        m.join("app", "c", "alive", s(1, 1)).await.unwrap();
        m.join("app", "gone", "x", s(9, 7)).await.unwrap();
        let mut departed = m.reap(&[9]).await.unwrap();
        departed.sort_by_key(|d| (d.channel.clone(), std::cmp::Reverse(d.count)));
        let counts: Vec<_> = departed.iter().map(|d| (d.channel.as_str(), d.count)).collect();
        assert_eq!(counts, [("c", 3), ("c", 2), ("c", 1), ("gone", 0)]);
        assert_eq!(m.count("app", "c").await.unwrap(), 1);
        assert!(m.reap(&[9]).await.unwrap().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn the_attribute_clock_follows_members() {
        let ttl = Duration::from_secs(60);
        let (ch, m) = membership(ttl);
        let lapsed = |c: &str| ch.attrs_lapsed("app", c, Instant::now());
        // Written while empty: counts down from the write.
        ch.attrs_written("app", "c", true, Instant::now());
        tokio::time::advance(Duration::from_secs(59)).await;
        assert!(!lapsed("c"));
        ch.attrs_written("app", "c", false, Instant::now());
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(lapsed("c"), "a rewrite does not restart the countdown");
        // A member stops the countdown; the last leave restarts it.
        ch.attrs_written("app", "c", true, Instant::now());
        m.join("app", "c", "u", s(1, 1)).await.unwrap();
        tokio::time::advance(ttl * 3).await;
        assert!(!lapsed("c"), "a channel with members never expires");
        m.leave("app", "c", "u", s(1, 1)).await.unwrap();
        tokio::time::advance(Duration::from_secs(30)).await;
        assert!(!lapsed("c"));
        // Expired unseen, then joined: still dead.
        tokio::time::advance(Duration::from_secs(30)).await;
        m.join("app", "c", "u", s(1, 1)).await.unwrap();
        assert!(lapsed("c"), "expired before the join");
        ch.attrs_gone("app", "c");
        assert!(!lapsed("c"), "no attributes, channel occupied");
        m.reap(&[1]).await.unwrap();
        assert!(ch.state().clocks.is_empty());
        assert!(lapsed("c"), "no clock and empty: anything left is as old as the engine");
    }
}
