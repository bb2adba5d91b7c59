//! The one-process engine: every node of the cluster lives in this process.
//!
//! It is what a single server runs on, and what tests run on when they start
//! several `Server`s in one process: they share one [`Engine`], so they are
//! nodes of one cluster exactly as they would be over Redis.
//!
//! - [`broker`]: topics are map keys, delivery is a synchronous call.
//! - [`presence`]: a map of users, with node leases that can lapse.
//! - [`membership`]: a map of channel members; it also keeps the clock that
//!   expires an empty channel's attributes, which it shares with
//! - [`attributes`]: user attributes in memory, channel attributes in SQLite.
//! - [`directory`]: the admin API's listings (of presence and membership),
//!   and bans in memory.
//!
//! Offline messages are the [`SqliteStore`] itself. What must survive a
//! restart (offline messages, channel attributes) is in SQLite under
//! `data_dir`; everything else describes live sessions, which a restart ends.

pub mod attributes;
pub mod broker;
pub mod directory;
pub mod event_log;
pub mod membership;
pub mod presence;

pub use attributes::EmbeddedAttributes;
pub use broker::MemoryBroker;
pub use directory::MemoryDirectory;
pub use membership::{Channels, MemoryMembership};
pub use presence::MemoryPresence;

use crate::config::Limits;
use crate::engine::{Engine, OfflineQuotas};
use crate::store::SqliteStore;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// What the embedded engine is built with.
#[derive(Debug, Clone)]
pub struct EmbeddedOptions {
    /// Folder of the SQLite file; `None` keeps the store in memory (tests).
    pub data_dir: Option<PathBuf>,
    /// Offline messages kept per user (the oldest go first).
    pub offline_max_messages: u32,
    /// Offline messages older than this are dropped (ms).
    pub offline_max_age_ms: u64,
    /// Bytes of offline messages per sender and per app.
    pub offline_quotas: OfflineQuotas,
    /// A channel empty this long loses its attributes.
    pub channel_attrs_ttl: Duration,
}

impl EmbeddedOptions {
    /// The options `limits` ask for, with the store in `data_dir`.
    pub fn from_limits(data_dir: Option<PathBuf>, limits: &Limits) -> EmbeddedOptions {
        EmbeddedOptions {
            data_dir,
            offline_max_messages: limits.offline_max_messages,
            offline_max_age_ms: u64::from(limits.offline_max_age_days) * 24 * 3600 * 1000,
            offline_quotas: limits.offline_quotas(),
            channel_attrs_ttl: Duration::from_secs(limits.channel_attrs_ttl_secs),
        }
    }
}

impl Default for EmbeddedOptions {
    /// In memory, with the default limits.
    fn default() -> Self {
        EmbeddedOptions::from_limits(None, &Limits::default())
    }
}

/// Builds the embedded engine: opens (or creates) the store, and wires
/// membership and attributes to one shared channel clock. Channel attributes
/// found on disk count as empty since now.
pub fn engine(opts: &EmbeddedOptions) -> anyhow::Result<Engine> {
    let store = Arc::new(
        match &opts.data_dir {
            Some(dir) => SqliteStore::open(dir, opts.offline_max_messages, opts.offline_max_age_ms)?,
            None => SqliteStore::in_memory(opts.offline_max_messages, opts.offline_max_age_ms)?,
        }
        .with_quotas(opts.offline_quotas),
    );
    let channels = Arc::new(Channels::new(opts.channel_attrs_ttl, store.channels_with_attrs()?));
    let presence = Arc::new(MemoryPresence::new());
    Ok(Engine {
        broker: Arc::new(MemoryBroker::new()),
        presence: presence.clone(),
        membership: Arc::new(MemoryMembership::new(channels.clone())),
        attributes: Arc::new(EmbeddedAttributes::new(store.clone(), channels.clone())),
        offline: store,
        health: Arc::new(crate::engine::AlwaysReady),
        directory: Arc::new(MemoryDirectory::new(presence, channels)),
        events: Arc::new(event_log::MemoryEventLog::default()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SessionRef;
    use crate::store::test_dir::TempDir;
    use rtm_protocol::AttrOp;

    #[test]
    fn options_follow_the_limits() {
        let limits = Limits {
            offline_max_messages: 7,
            offline_max_age_days: 2,
            channel_attrs_ttl_secs: 9,
            ..Limits::default()
        };
        let opts = EmbeddedOptions::from_limits(Some("d".into()), &limits);
        assert_eq!(opts.data_dir, Some(PathBuf::from("d")));
        assert_eq!(opts.offline_max_messages, 7);
        assert_eq!(opts.offline_max_age_ms, 2 * 86_400_000);
        assert_eq!(opts.channel_attrs_ttl, Duration::from_secs(9));
        assert_eq!(EmbeddedOptions::default().data_dir, None, "in memory by default");
    }

    #[tokio::test]
    async fn a_data_dir_is_created_with_the_database() {
        let dir = TempDir::new("engine");
        let opts =
            EmbeddedOptions { data_dir: Some(dir.path().join("nested")), ..EmbeddedOptions::default() };
        engine(&opts).unwrap();
        assert!(dir.path().join("nested").join(crate::store::FILE_NAME).is_file());
    }

    #[tokio::test(start_paused = true)]
    async fn membership_and_attributes_share_the_channel_clock() {
        let ttl = Duration::from_secs(60);
        let e = engine(&EmbeddedOptions { channel_attrs_ttl: ttl, ..EmbeddedOptions::default() }).unwrap();
        let member = SessionRef { node: 1, session: 1 };
        let op = AttrOp::Set(vec![("k".into(), "v".into())]);
        for channel in ["joined", "empty"] {
            e.attributes.update_channel("app", channel, "w", 1, &op).await.unwrap().unwrap();
        }
        e.membership.join("app", "joined", "u", member).await.unwrap();
        tokio::time::advance(ttl).await;
        assert_eq!(e.attributes.channel("app", "joined").await.unwrap().len(), 1);
        assert!(e.attributes.channel("app", "empty").await.unwrap().is_empty());
        e.membership.reap(&[1]).await.unwrap();
        tokio::time::advance(ttl).await;
        assert!(e.attributes.channel("app", "joined").await.unwrap().is_empty(), "reaped: empty since");
    }

    #[tokio::test]
    async fn engines_are_independent() {
        let (a, b) =
            (engine(&EmbeddedOptions::default()).unwrap(), engine(&EmbeddedOptions::default()).unwrap());
        let s = SessionRef { node: 1, session: 1 };
        a.presence.claim("app", "u", s).await.unwrap();
        a.membership.join("app", "c", "u", s).await.unwrap();
        assert_eq!(b.presence.lookup("app", "u").await.unwrap(), None);
        assert_eq!(b.membership.count("app", "c").await.unwrap(), 0);
        // A clone is the same engine: what two nodes of one process share.
        assert_eq!(a.clone().membership.count("app", "c").await.unwrap(), 1);
    }
}
