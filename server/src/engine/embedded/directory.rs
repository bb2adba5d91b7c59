//! The admin API's view of a one-process cluster: listings read the maps of
//! presence and membership, and bans are a map of deadlines.
//!
//! Bans live in memory: a restart lifts them (the embedded engine is one
//! process, so every node of it sees the same map; a Redis cluster keeps its
//! bans in Redis, see `engine/redis/directory.rs`).

use super::membership::Channels;
use super::presence::MemoryPresence;
use crate::engine::{ChannelSize, Directory};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Listings over the embedded presence and membership, and the bans.
pub struct MemoryDirectory {
    presence: Arc<MemoryPresence>,
    channels: Arc<Channels>,
    /// (app, uid) → end of the ban, ms since the epoch.
    bans: Mutex<HashMap<(String, String), u64>>,
}

impl MemoryDirectory {
    /// Listings of `presence` and `channels`; nobody banned.
    pub fn new(presence: Arc<MemoryPresence>, channels: Arc<Channels>) -> MemoryDirectory {
        MemoryDirectory { presence, channels, bans: Mutex::new(HashMap::new()) }
    }

    fn bans(&self) -> MutexGuard<'_, HashMap<(String, String), u64>> {
        // Nothing under this lock can panic half-way through a change.
        self.bans.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl Directory for MemoryDirectory {
    async fn ban(&self, app: &str, uid: &str, until_ms: u64) -> anyhow::Result<()> {
        let mut bans = self.bans();
        // Ended bans go whenever one is set, so the map stays as small as
        // the bans in force.
        let now = crate::clock::now_ms();
        bans.retain(|_, until| *until > now);
        bans.insert((app.to_owned(), uid.to_owned()), until_ms);
        Ok(())
    }

    async fn unban(&self, app: &str, uid: &str) -> anyhow::Result<bool> {
        let now = crate::clock::now_ms();
        let was = self.bans().remove(&(app.to_owned(), uid.to_owned()));
        Ok(was.is_some_and(|until| until > now))
    }

    async fn banned_until(&self, app: &str, uid: &str, now_ms: u64) -> anyhow::Result<Option<u64>> {
        let bans = self.bans();
        Ok(bans.get(&(app.to_owned(), uid.to_owned())).copied().filter(|until| *until > now_ms))
    }

    async fn channels(&self) -> anyhow::Result<Vec<ChannelSize>> {
        let sizes = self.channels.sizes();
        Ok(sizes.into_iter().map(|(app, channel, members)| ChannelSize { app, channel, members }).collect())
    }

    async fn users(&self) -> anyhow::Result<Vec<(String, String)>> {
        Ok(self.presence.users())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Membership, Presence, SessionRef};
    use std::time::Duration;

    #[tokio::test]
    async fn lists_and_bans() {
        let presence = Arc::new(MemoryPresence::new());
        let channels = Arc::new(Channels::new(Duration::from_secs(60), []));
        let membership = super::super::MemoryMembership::new(channels.clone());
        let d = MemoryDirectory::new(presence.clone(), channels);
        let s = SessionRef { node: 1, session: 1 };
        presence.claim("app", "u", s).await.unwrap();
        membership.join("app", "c", "u", s).await.unwrap();
        assert_eq!(d.users().await.unwrap(), [("app".to_owned(), "u".to_owned())]);
        let sizes = d.channels().await.unwrap();
        assert_eq!(sizes, [ChannelSize { app: "app".into(), channel: "c".into(), members: 1 }]);
        d.ban("app", "u", 2_000).await.unwrap();
        assert_eq!(d.banned_until("app", "u", 1_000).await.unwrap(), Some(2_000));
        assert_eq!(d.banned_until("app", "u", 2_000).await.unwrap(), None, "over at its end");
        assert_eq!(d.banned_until("app", "v", 1_000).await.unwrap(), None);
    }
}
