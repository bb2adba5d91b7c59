//! The admin API's view of a Redis cluster: listings read the per-node index
//! sets every node keeps for reaping (`P:node:<id>:users`, `P:node:<id>:chans`
//! of each node in `P:nodes`), and a ban is a key that expires with it.
//!
//! - `P:ban:<app,uid>` (string): the ban's end, ms since the epoch, with
//!   the same PX, so Redis forgets an ended ban by itself.
//!
//! The listings cost one SMEMBERS per node and are meant for an operator's
//! page, not for a hot path. A node that has not heartbeated yet (the first
//! lease/3 after it started) is not in `P:nodes`, so its users and channels
//! show a moment later.

use super::keys::{ident, parse_ident, parse_member_ref, Keys};
use super::link::Link;
use crate::engine::{ChannelSize, Directory};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Arc;

/// Listings over the node indexes, and bans as expiring keys.
pub struct RedisDirectory {
    link: Arc<Link>,
    keys: Keys,
}

impl RedisDirectory {
    /// On `link`, under `keys`.
    pub fn new(link: Arc<Link>, keys: Keys) -> RedisDirectory {
        RedisDirectory { link, keys }
    }

    fn ban_key(&self, app: &str, uid: &str) -> String {
        format!("{}:ban:{}", self.keys.prefix(), ident(app, uid))
    }

    /// The members of one index set of every live node.
    async fn index(&self, of_node: impl Fn(u64) -> String) -> anyhow::Result<Vec<String>> {
        let mut conn = self.link.conn()?;
        let result =
            ::redis::cmd("SMEMBERS").arg(self.keys.nodes()).query_async::<Vec<String>>(&mut conn).await;
        let nodes = self.link.check(result)?;
        let mut out = Vec::new();
        for node in nodes.iter().filter_map(|n| n.parse::<u64>().ok()) {
            let result =
                ::redis::cmd("SMEMBERS").arg(of_node(node)).query_async::<Vec<String>>(&mut conn).await;
            out.extend(self.link.check(result)?);
        }
        Ok(out)
    }
}

#[async_trait]
impl Directory for RedisDirectory {
    async fn ban(&self, app: &str, uid: &str, until_ms: u64) -> anyhow::Result<()> {
        let mut conn = self.link.conn()?;
        let now = crate::clock::now_ms();
        let ttl = until_ms.saturating_sub(now).clamp(1, super::keys::MAX_TTL_MS);
        let result = ::redis::cmd("SET")
            .arg(self.ban_key(app, uid))
            .arg(until_ms)
            .arg("PX")
            .arg(ttl)
            .query_async::<()>(&mut conn)
            .await;
        self.link.check(result)
    }

    async fn unban(&self, app: &str, uid: &str) -> anyhow::Result<bool> {
        let mut conn = self.link.conn()?;
        let result = ::redis::cmd("DEL").arg(self.ban_key(app, uid)).query_async::<i64>(&mut conn).await;
        Ok(self.link.check(result)? > 0)
    }

    async fn banned_until(&self, app: &str, uid: &str, now_ms: u64) -> anyhow::Result<Option<u64>> {
        let mut conn = self.link.conn()?;
        let result =
            ::redis::cmd("GET").arg(self.ban_key(app, uid)).query_async::<Option<u64>>(&mut conn).await;
        Ok(self.link.check(result)?.filter(|until| *until > now_ms))
    }

    async fn channels(&self) -> anyhow::Result<Vec<ChannelSize>> {
        let refs = self.index(|node| self.keys.node_channels(node)).await?;
        let mut sizes: HashMap<(String, String), u32> = HashMap::new();
        for member in &refs {
            if let Some((app, channel, _uid)) = parse_member_ref(member) {
                *sizes.entry((app.to_owned(), channel.to_owned())).or_default() += 1;
            }
        }
        Ok(sizes.into_iter().map(|((app, channel), members)| ChannelSize { app, channel, members }).collect())
    }

    async fn users(&self) -> anyhow::Result<Vec<(String, String)>> {
        let idents = self.index(|node| self.keys.node_users(node)).await?;
        let mut users: Vec<(String, String)> = idents
            .iter()
            .filter_map(|i| parse_ident(i))
            .map(|(app, uid)| (app.to_owned(), uid.to_owned()))
            .collect();
        users.sort();
        users.dedup();
        Ok(users)
    }
}
