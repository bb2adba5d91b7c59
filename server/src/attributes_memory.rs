//! Attributes in memory: the single-process engine's `AttributeStore`.
//! A write is applied to a copy, checked against the limits, and only then
//! committed, so a refused write leaves everything as it was.

use crate::engine::AttributeStore;
use async_trait::async_trait;
use rtm_protocol::limits::{AttrError, AttrLimits};
use rtm_protocol::{AttrOp, ChannelAttr};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

type Key = (String, String);

/// Value, last writer, last write time.
type Entry = (String, String, u64);

/// User and channel attributes, keyed by (app, uid) and (app, channel).
#[derive(Default)]
pub struct MemoryAttributes {
    users: Mutex<HashMap<Key, BTreeMap<String, String>>>,
    channels: Mutex<HashMap<Key, BTreeMap<String, Entry>>>,
}

/// Applies `op` to `set`; `entry` makes the stored value of a written pair.
fn apply<V>(set: &mut BTreeMap<String, V>, op: &AttrOp, entry: impl Fn(&str) -> V) {
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

fn key(a: &str, b: &str) -> Key {
    (a.to_owned(), b.to_owned())
}

fn channel_attrs(set: &BTreeMap<String, Entry>) -> Vec<ChannelAttr> {
    set.iter()
        .map(|(k, (value, uid, ts))| ChannelAttr {
            key: k.clone(),
            value: value.clone(),
            last_update_uid: uid.clone(),
            last_update_ts: *ts,
        })
        .collect()
}

#[async_trait]
impl AttributeStore for MemoryAttributes {
    async fn user(&self, app: &str, uid: &str) -> anyhow::Result<Vec<(String, String)>> {
        let users = self.users.lock().unwrap();
        Ok(users
            .get(&key(app, uid))
            .map(|s| s.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default())
    }

    async fn update_user(&self, app: &str, uid: &str, op: &AttrOp) -> anyhow::Result<Result<(), AttrError>> {
        let mut users = self.users.lock().unwrap();
        let mut next = users.get(&key(app, uid)).cloned().unwrap_or_default();
        apply(&mut next, op, str::to_owned);
        if let Err(e) = AttrLimits::USER.check_set(next.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
            return Ok(Err(e));
        }
        users.insert(key(app, uid), next);
        Ok(Ok(()))
    }

    async fn clear_user(&self, app: &str, uid: &str) -> anyhow::Result<()> {
        self.users.lock().unwrap().remove(&key(app, uid));
        Ok(())
    }

    async fn channel(&self, app: &str, channel: &str) -> anyhow::Result<Vec<ChannelAttr>> {
        Ok(self.channels.lock().unwrap().get(&key(app, channel)).map(channel_attrs).unwrap_or_default())
    }

    async fn update_channel(
        &self,
        app: &str,
        channel: &str,
        by: &str,
        ts: u64,
        op: &AttrOp,
    ) -> anyhow::Result<Result<Vec<ChannelAttr>, AttrError>> {
        let mut channels = self.channels.lock().unwrap();
        let mut next = channels.get(&key(app, channel)).cloned().unwrap_or_default();
        apply(&mut next, op, |v| (v.to_owned(), by.to_owned(), ts));
        if let Err(e) =
            AttrLimits::CHANNEL.check_set(next.iter().map(|(k, (v, _, _))| (k.as_str(), v.as_str())))
        {
            return Ok(Err(e));
        }
        let attrs = channel_attrs(&next);
        channels.insert(key(app, channel), next);
        Ok(Ok(attrs))
    }

    async fn clear_channel(&self, app: &str, channel: &str) -> anyhow::Result<()> {
        self.channels.lock().unwrap().remove(&key(app, channel));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[tokio::test]
    async fn ops_and_refused_writes_change_nothing() {
        let s = MemoryAttributes::default();
        s.update_user("app", "u", &AttrOp::Set(kv(&[("a", "1"), ("b", "2")]))).await.unwrap().unwrap();
        s.update_user("app", "u", &AttrOp::Upsert(kv(&[("b", "3"), ("c", "4")]))).await.unwrap().unwrap();
        s.update_user("app", "u", &AttrOp::Delete(vec!["a".into(), "nope".into()])).await.unwrap().unwrap();
        assert_eq!(s.user("app", "u").await.unwrap(), kv(&[("b", "3"), ("c", "4")]));
        let big = "v".repeat(8 * 1024);
        let over = AttrOp::Upsert(kv(&[("x", &big), ("y", &big)]));
        assert!(s.update_user("app", "u", &over).await.unwrap().is_err(), "over 16 KB");
        assert_eq!(s.user("app", "u").await.unwrap(), kv(&[("b", "3"), ("c", "4")]), "unchanged");
        assert!(s.user("other", "u").await.unwrap().is_empty(), "apps are namespaces");
        let attrs = s
            .update_channel("app", "c", "w", 7, &AttrOp::Upsert(kv(&[("topic", "t")])))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(attrs[0].last_update_uid, "w");
        assert_eq!(attrs[0].last_update_ts, 7);
        s.clear_channel("app", "c").await.unwrap();
        assert!(s.channel("app", "c").await.unwrap().is_empty());
    }
}
