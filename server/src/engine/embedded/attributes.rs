//! User and channel attributes of the embedded engine.
//!
//! A write is applied to a copy, checked against the limits
//! ([`AttrLimits::USER`], [`AttrLimits::CHANNEL`]) and only then committed, so
//! a refused write leaves everything as it was.
//!
//! User attributes live in memory: they end with the user's session
//! (`clear_user`), and a restart ends every session. Channel attributes live
//! in SQLite (`store::channel_attrs`): a channel keeps them while it is empty,
//! for `channel_attrs_ttl`, and so across a restart. Their expiry is lazy: a
//! read or a write first asks the membership's clock
//! ([`Channels::attrs_lapsed`]) whether the channel has been empty for the TTL
//! and, if so, deletes the attributes and proceeds as if there were none. No
//! timer runs; a channel with members never expires. The check, the SQLite
//! read-modify-write and the clock update run as one transaction on the
//! store's single connection, so concurrent writes to a channel are
//! serialized and none can see another's half.

use super::membership::Channels;
use crate::engine::AttributeStore;
use crate::store::SqliteStore;
use async_trait::async_trait;
use rtm_protocol::limits::{AttrError, AttrLimits};
use rtm_protocol::{AttrOp, ChannelAttr};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::time::Instant;

type Key = (String, String);

/// A channel attribute's value, last writer and last write time.
type Entry = (String, String, u64);

fn key(a: &str, b: &str) -> Key {
    (a.to_owned(), b.to_owned())
}

/// Applies `op` to `set`; `entry` makes the stored value of a written pair.
/// Shared with the Redis engine, so both apply a write the same way.
pub(crate) fn apply<V>(set: &mut BTreeMap<String, V>, op: &AttrOp, entry: impl Fn(&str) -> V) {
    match op {
        AttrOp::Set(items) => {
            set.clear();
            set.extend(items.iter().map(|(k, v)| (k.clone(), entry(v))));
        }
        AttrOp::Upsert(items) => set.extend(items.iter().map(|(k, v)| (k.clone(), entry(v)))),
        AttrOp::Delete(keys) => keys.iter().for_each(|k| _ = set.remove(k)),
        AttrOp::Clear => set.clear(),
    }
}

/// User attributes in memory, channel attributes in SQLite with lazy expiry.
pub struct EmbeddedAttributes {
    users: Mutex<HashMap<Key, BTreeMap<String, String>>>,
    store: Arc<SqliteStore>,
    channels: Arc<Channels>,
}

impl EmbeddedAttributes {
    /// Channel attributes in `store`, expiring by the clock of `channels`
    /// (shared with the engine's membership).
    pub fn new(store: Arc<SqliteStore>, channels: Arc<Channels>) -> EmbeddedAttributes {
        EmbeddedAttributes { users: Mutex::default(), store, channels }
    }

    fn users(&self) -> MutexGuard<'_, HashMap<Key, BTreeMap<String, String>>> {
        // A commit is one insert: nothing under this lock panics half-way.
        self.users.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl AttributeStore for EmbeddedAttributes {
    async fn user(&self, app: &str, uid: &str) -> anyhow::Result<Vec<(String, String)>> {
        let users = self.users();
        Ok(users
            .get(&key(app, uid))
            .map(|s| s.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default())
    }

    async fn update_user(&self, app: &str, uid: &str, op: &AttrOp) -> anyhow::Result<Result<(), AttrError>> {
        let mut users = self.users();
        let key = key(app, uid);
        let mut next = users.get(&key).cloned().unwrap_or_default();
        apply(&mut next, op, str::to_owned);
        if let Err(e) = AttrLimits::USER.check_set(next.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
            return Ok(Err(e));
        }
        if next.is_empty() {
            users.remove(&key);
        } else {
            users.insert(key, next);
        }
        Ok(Ok(()))
    }

    async fn clear_user(&self, app: &str, uid: &str) -> anyhow::Result<()> {
        self.users().remove(&key(app, uid));
        Ok(())
    }

    async fn channel(&self, app: &str, channel: &str) -> anyhow::Result<Vec<ChannelAttr>> {
        let (app, channel, clock) = (app.to_owned(), channel.to_owned(), self.channels.clone());
        let now = Instant::now();
        self.store
            .channel_attrs(move |tx| {
                if clock.attrs_lapsed(&app, &channel, now) {
                    tx.delete(&app, &channel)?;
                    clock.attrs_gone(&app, &channel);
                    return Ok(Vec::new());
                }
                tx.read(&app, &channel)
            })
            .await
    }

    async fn update_channel(
        &self,
        app: &str,
        channel: &str,
        by: &str,
        ts: u64,
        op: &AttrOp,
    ) -> anyhow::Result<Result<Vec<ChannelAttr>, AttrError>> {
        let (app, channel, by, op) = (app.to_owned(), channel.to_owned(), by.to_owned(), op.clone());
        let clock = self.channels.clone();
        let now = Instant::now();
        self.store
            .channel_attrs(move |tx| {
                let lapsed = clock.attrs_lapsed(&app, &channel, now);
                let mut next: BTreeMap<String, Entry> = if lapsed {
                    tx.delete(&app, &channel)?;
                    BTreeMap::new()
                } else {
                    let current = tx.read(&app, &channel)?;
                    current
                        .into_iter()
                        .map(|a| (a.key, (a.value, a.last_update_uid, a.last_update_ts)))
                        .collect()
                };
                apply(&mut next, &op, |v| (v.to_owned(), by.clone(), ts));
                let checked =
                    AttrLimits::CHANNEL.check_set(next.iter().map(|(k, (v, _, _))| (k.as_str(), v.as_str())));
                if let Err(e) = checked {
                    if lapsed {
                        clock.attrs_gone(&app, &channel);
                    }
                    return Ok(Err(e));
                }
                let attrs: Vec<ChannelAttr> = next
                    .into_iter()
                    .map(|(key, (value, last_update_uid, last_update_ts))| ChannelAttr {
                        key,
                        value,
                        last_update_uid,
                        last_update_ts,
                    })
                    .collect();
                tx.replace(&app, &channel, &attrs)?;
                if attrs.is_empty() {
                    clock.attrs_gone(&app, &channel);
                } else {
                    clock.attrs_written(&app, &channel, lapsed, now);
                }
                Ok(Ok(attrs))
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::embedded::membership::MemoryMembership;
    use crate::engine::{Membership, SessionRef};
    use crate::store::test_dir::TempDir;
    use std::time::Duration;

    fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn parts(store: SqliteStore, ttl: Duration) -> (EmbeddedAttributes, MemoryMembership) {
        let channels = Arc::new(Channels::new(ttl, store.channels_with_attrs().unwrap()));
        (EmbeddedAttributes::new(Arc::new(store), channels.clone()), MemoryMembership::new(channels))
    }

    fn in_memory(ttl: Duration) -> (EmbeddedAttributes, MemoryMembership) {
        parts(SqliteStore::in_memory(10, 1000).unwrap(), ttl)
    }

    async fn upsert(a: &EmbeddedAttributes, channel: &str, pairs: &[(&str, &str)]) -> Vec<ChannelAttr> {
        a.update_channel("app", channel, "w", 7, &AttrOp::Upsert(kv(pairs))).await.unwrap().unwrap()
    }

    async fn keys(a: &EmbeddedAttributes, channel: &str) -> Vec<String> {
        a.channel("app", channel).await.unwrap().into_iter().map(|a| a.key).collect()
    }

    #[tokio::test]
    async fn ops_and_refused_writes_change_nothing() {
        let (s, _) = in_memory(Duration::from_secs(300));
        s.update_user("app", "u", &AttrOp::Set(kv(&[("a", "1"), ("b", "2")]))).await.unwrap().unwrap();
        s.update_user("app", "u", &AttrOp::Upsert(kv(&[("b", "3"), ("c", "4")]))).await.unwrap().unwrap();
        s.update_user("app", "u", &AttrOp::Delete(vec!["a".into(), "nope".into()])).await.unwrap().unwrap();
        assert_eq!(s.user("app", "u").await.unwrap(), kv(&[("b", "3"), ("c", "4")]));
        let big = "v".repeat(8 * 1024);
        let over = AttrOp::Upsert(kv(&[("x", &big), ("y", &big)]));
        assert!(s.update_user("app", "u", &over).await.unwrap().is_err(), "over 16 KB");
        assert_eq!(s.user("app", "u").await.unwrap(), kv(&[("b", "3"), ("c", "4")]), "unchanged");
        assert!(s.user("other", "u").await.unwrap().is_empty(), "apps are namespaces");
        let attrs = upsert(&s, "c", &[("topic", "t")]).await;
        assert_eq!((attrs[0].last_update_uid.as_str(), attrs[0].last_update_ts), ("w", 7));
        let four = "v".repeat(8 * 1024);
        let over = AttrOp::Upsert(kv(&[("1", &four), ("2", &four), ("3", &four), ("4", &four)]));
        assert!(s.update_channel("app", "c", "w", 8, &over).await.unwrap().is_err(), "over 32 KB");
        assert_eq!(s.channel("app", "c").await.unwrap(), attrs, "unchanged");
        s.update_channel("app", "c", "w", 9, &AttrOp::Clear).await.unwrap().unwrap();
        assert!(s.channel("app", "c").await.unwrap().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn empty_channels_lose_their_attributes_after_the_ttl() {
        let ttl = Duration::from_secs(300);
        let (s, m) = in_memory(ttl);
        let member = SessionRef { node: 1, session: 1 };
        upsert(&s, "empty", &[("k", "v")]).await;
        m.join("app", "busy", "u", member).await.unwrap();
        upsert(&s, "busy", &[("k", "v")]).await;
        tokio::time::advance(ttl - Duration::from_secs(1)).await;
        upsert(&s, "empty", &[("k2", "v")]).await;
        assert_eq!(keys(&s, "empty").await, ["k", "k2"]);
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(keys(&s, "empty").await.is_empty(), "empty for the TTL since the first write");
        assert_eq!(keys(&s, "busy").await, ["k"], "a channel with members keeps them");
        // After expiry, a write starts afresh rather than on top of the dead set.
        upsert(&s, "empty", &[("new", "v")]).await;
        tokio::time::advance(ttl * 2).await;
        let attrs = upsert(&s, "empty", &[("newer", "v")]).await;
        assert_eq!(attrs.len(), 1, "the expired ones went before the write: {attrs:?}");
        m.leave("app", "busy", "u", member).await.unwrap();
        tokio::time::advance(ttl / 2).await;
        assert_eq!(keys(&s, "busy").await, ["k"]);
        tokio::time::advance(ttl / 2).await;
        assert!(keys(&s, "busy").await.is_empty(), "the TTL after the last member left");
    }

    #[tokio::test(start_paused = true)]
    async fn expired_while_nobody_looked_then_joined_still_expires() {
        let ttl = Duration::from_secs(60);
        let (s, m) = in_memory(ttl);
        upsert(&s, "c", &[("k", "v")]).await;
        tokio::time::advance(ttl).await;
        m.join("app", "c", "u", SessionRef { node: 1, session: 1 }).await.unwrap();
        assert!(keys(&s, "c").await.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn channel_attributes_survive_a_restart_then_count_down_from_it() {
        let dir = TempDir::new("attrs");
        let ttl = Duration::from_secs(60);
        {
            let (s, _) = parts(SqliteStore::open(dir.path(), 10, 1000).unwrap(), ttl);
            upsert(&s, "kept", &[("k", "v")]).await;
            upsert(&s, "joined", &[("k", "v")]).await;
            s.update_user("app", "u", &AttrOp::Set(kv(&[("a", "1")]))).await.unwrap().unwrap();
        }
        tokio::time::advance(ttl * 10).await;
        let (s, m) = parts(SqliteStore::open(dir.path(), 10, 1000).unwrap(), ttl);
        assert_eq!(keys(&s, "kept").await, ["k"], "the restart does not count as empty time");
        assert!(s.user("app", "u").await.unwrap().is_empty(), "user attributes end with the sessions");
        m.join("app", "joined", "u", SessionRef { node: 1, session: 1 }).await.unwrap();
        tokio::time::advance(ttl).await;
        assert!(keys(&s, "kept").await.is_empty(), "the TTL after the restart");
        assert_eq!(keys(&s, "joined").await, ["k"]);
    }
}
