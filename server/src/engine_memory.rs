//! The single-process engine: the broker calls straight back into the hub and
//! presence is a map. The default; the Redis engine implements the same traits.

use crate::engine::{Broker, ChannelEvent, EventSink, Joined, Membership, Presence, SessionRef, UserEvent};
use async_trait::async_trait;
use rtm_protocol::PeerState;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, Weak};

/// Delivers in-process.
#[derive(Default)]
pub struct MemoryBroker {
    sink: OnceLock<Weak<dyn EventSink>>,
}

#[async_trait]
impl Broker for MemoryBroker {
    fn attach(&self, sink: Weak<dyn EventSink>) {
        let _ = self.sink.set(sink);
    }

    async fn publish_user(&self, app: &str, uid: &str, event: UserEvent) -> anyhow::Result<usize> {
        // The hub may be gone while the process shuts down: then nobody takes it.
        let Some(sink) = self.sink.get().and_then(Weak::upgrade) else {
            return Ok(0);
        };
        Ok(sink.deliver(app, uid, event))
    }

    async fn publish_channel(&self, app: &str, channel: &str, event: ChannelEvent) -> anyhow::Result<()> {
        if let Some(sink) = self.sink.get().and_then(Weak::upgrade) {
            sink.deliver_channel(app, channel, event);
        }
        Ok(())
    }

    async fn publish_status(&self, app: &str, uid: &str, state: PeerState) -> anyhow::Result<()> {
        if let Some(sink) = self.sink.get().and_then(Weak::upgrade) {
            sink.deliver_status(app, uid, state);
        }
        Ok(())
    }
}

/// Channel members, in a map keyed by (app, channel).
#[derive(Default)]
pub struct MemoryMembership {
    channels: Mutex<HashMap<(String, String), HashMap<String, SessionRef>>>,
}

#[async_trait]
impl Membership for MemoryMembership {
    async fn join(&self, app: &str, channel: &str, uid: &str, session: SessionRef) -> anyhow::Result<Joined> {
        let mut map = self.channels.lock().unwrap();
        let members = map.entry((app.to_owned(), channel.to_owned())).or_default();
        members.insert(uid.to_owned(), session);
        Ok(Joined { count: members.len() as u32 })
    }

    async fn leave(
        &self,
        app: &str,
        channel: &str,
        uid: &str,
        session: SessionRef,
    ) -> anyhow::Result<Option<u32>> {
        let mut map = self.channels.lock().unwrap();
        let key = (app.to_owned(), channel.to_owned());
        let Some(members) = map.get_mut(&key) else { return Ok(None) };
        if members.get(uid) != Some(&session) {
            return Ok(None);
        }
        members.remove(uid);
        let count = members.len() as u32;
        if count == 0 {
            map.remove(&key);
        }
        Ok(Some(count))
    }

    async fn members(&self, app: &str, channel: &str, max: usize) -> anyhow::Result<Vec<String>> {
        let map = self.channels.lock().unwrap();
        let Some(members) = map.get(&(app.to_owned(), channel.to_owned())) else { return Ok(Vec::new()) };
        let mut rng = rand::rng();
        Ok(rand::seq::IteratorRandom::choose_multiple(members.keys().cloned(), &mut rng, max))
    }

    async fn count(&self, app: &str, channel: &str) -> anyhow::Result<u32> {
        let map = self.channels.lock().unwrap();
        Ok(map.get(&(app.to_owned(), channel.to_owned())).map_or(0, |m| m.len() as u32))
    }
}

/// Who is online, in a map keyed by (app, uid): the session and whether it is
/// reachable.
#[derive(Default)]
pub struct MemoryPresence {
    sessions: Mutex<HashMap<(String, String), (SessionRef, bool)>>,
}

#[async_trait]
impl Presence for MemoryPresence {
    async fn claim(&self, app: &str, uid: &str, session: SessionRef) -> anyhow::Result<Option<SessionRef>> {
        let mut map = self.sessions.lock().unwrap();
        let old = map.insert((app.to_owned(), uid.to_owned()), (session, true));
        Ok(old.map(|(s, _)| s).filter(|old| *old != session))
    }

    async fn set_reachable(
        &self,
        app: &str,
        uid: &str,
        session: SessionRef,
        reachable: bool,
    ) -> anyhow::Result<bool> {
        let mut map = self.sessions.lock().unwrap();
        match map.get_mut(&(app.to_owned(), uid.to_owned())) {
            Some((s, r)) if *s == session => {
                *r = reachable;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn state(&self, app: &str, uid: &str) -> anyhow::Result<PeerState> {
        Ok(match self.sessions.lock().unwrap().get(&(app.to_owned(), uid.to_owned())) {
            Some((_, true)) => PeerState::ONLINE,
            Some((_, false)) => PeerState::UNREACHABLE,
            None => PeerState::OFFLINE,
        })
    }

    async fn release(&self, app: &str, uid: &str, session: SessionRef) -> anyhow::Result<()> {
        let mut map = self.sessions.lock().unwrap();
        let key = (app.to_owned(), uid.to_owned());
        if map.get(&key).is_some_and(|(s, _)| *s == session) {
            map.remove(&key);
        }
        Ok(())
    }

    async fn lookup(&self, app: &str, uid: &str) -> anyhow::Result<Option<SessionRef>> {
        Ok(self.sessions.lock().unwrap().get(&(app.to_owned(), uid.to_owned())).map(|(s, _)| *s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn presence_claim_displaces_and_release_is_owner_only() {
        let p = MemoryPresence::default();
        let a = SessionRef { node: 1, session: 1 };
        let b = SessionRef { node: 1, session: 2 };
        assert_eq!(p.claim("app", "u", a).await.unwrap(), None);
        assert_eq!(p.claim("app", "u", b).await.unwrap(), Some(a));
        p.release("app", "u", a).await.unwrap();
        assert_eq!(p.lookup("app", "u").await.unwrap(), Some(b), "a stale release keeps the new owner");
        assert_eq!(p.lookup("other-app", "u").await.unwrap(), None, "apps are namespaces");
        assert_eq!(p.state("app", "u").await.unwrap(), PeerState::ONLINE);
        assert!(!p.set_reachable("app", "u", a, false).await.unwrap(), "only the owner");
        assert!(p.set_reachable("app", "u", b, false).await.unwrap());
        assert_eq!(p.state("app", "u").await.unwrap(), PeerState::UNREACHABLE);
        p.release("app", "u", b).await.unwrap();
        assert_eq!(p.lookup("app", "u").await.unwrap(), None);
        assert_eq!(p.state("app", "u").await.unwrap(), PeerState::OFFLINE);
    }

    #[tokio::test]
    async fn membership_is_per_session_and_samples_large_channels() {
        let m = MemoryMembership::default();
        let (old, new) = (SessionRef { node: 1, session: 1 }, SessionRef { node: 1, session: 2 });
        assert_eq!(m.join("app", "c", "u", old).await.unwrap().count, 1);
        assert_eq!(m.join("app", "c", "u", new).await.unwrap().count, 1, "a remote login replaces");
        assert_eq!(m.leave("app", "c", "u", old).await.unwrap(), None, "a stale session's leave is ignored");
        assert_eq!(m.count("app", "c").await.unwrap(), 1);
        assert_eq!(m.count("other", "c").await.unwrap(), 0, "apps are namespaces");
        for i in 0..600 {
            m.join("app", "big", &format!("u{i}"), old).await.unwrap();
        }
        let sample = m.members("app", "big", 512).await.unwrap();
        assert_eq!(sample.len(), 512);
        assert_eq!(sample.iter().collect::<std::collections::HashSet<_>>().len(), 512, "no duplicates");
        assert_eq!(m.leave("app", "c", "u", new).await.unwrap(), Some(0));
        assert_eq!(m.count("app", "c").await.unwrap(), 0);
    }
}
