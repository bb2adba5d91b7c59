//! Channel attributes in SQLite: they outlive their writers (a channel keeps
//! them while empty, for the engine's TTL) and so must outlive a restart too.
//! User attributes are not here: they end with the user's session.
//!
//! The store only keeps rows; the rules (limits, expiry of empty channels)
//! are the embedded engine's (`engine::embedded::attributes`). A write there is
//! read-modify-write: [`SqliteStore::channel_attrs`] runs the whole of it in
//! one transaction on the one connection, so concurrent writes to a channel
//! never interleave and a refused or failed one leaves the rows as they were.

use super::SqliteStore;
use rtm_protocol::ChannelAttr;
use rusqlite::{params, Connection, Transaction};

/// Channel-attribute queries inside one transaction (see
/// [`SqliteStore::channel_attrs`]).
pub struct ChannelAttrsTx<'a> {
    tx: &'a Transaction<'a>,
}

impl ChannelAttrsTx<'_> {
    /// All attributes of `channel`, by key.
    pub fn read(&self, app: &str, channel: &str) -> anyhow::Result<Vec<ChannelAttr>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT key, value, last_update_uid, last_update_ts FROM channel_attrs
             WHERE app = ?1 AND channel = ?2 ORDER BY key",
        )?;
        let rows = stmt.query_map(params![app, channel], |row| {
            Ok(ChannelAttr {
                key: row.get(0)?,
                value: row.get(1)?,
                last_update_uid: row.get(2)?,
                last_update_ts: u64::try_from(row.get::<_, i64>(3)?).unwrap_or(0),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Makes `attrs` the whole set of `channel` (a write already checked
    /// against the limits). Keys are expected unique; a repeated key keeps
    /// the last.
    pub fn replace(&self, app: &str, channel: &str, attrs: &[ChannelAttr]) -> anyhow::Result<()> {
        self.delete(app, channel)?;
        let mut insert = self.tx.prepare_cached(
            "INSERT OR REPLACE INTO channel_attrs (app, channel, key, value, last_update_uid, last_update_ts)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for a in attrs {
            let ts = i64::try_from(a.last_update_ts).unwrap_or(i64::MAX);
            insert.execute(params![app, channel, a.key, a.value, a.last_update_uid, ts])?;
        }
        Ok(())
    }

    /// Deletes every attribute of `channel`.
    pub fn delete(&self, app: &str, channel: &str) -> anyhow::Result<()> {
        self.tx
            .execute("DELETE FROM channel_attrs WHERE app = ?1 AND channel = ?2", params![app, channel])?;
        Ok(())
    }
}

impl SqliteStore {
    /// Runs `f` in one transaction, committed when `f` returns `Ok` and rolled
    /// back otherwise. No other query of the store runs meanwhile.
    pub async fn channel_attrs<T: Send + 'static>(
        &self,
        f: impl FnOnce(&ChannelAttrsTx) -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        self.run(move |db| in_transaction(db, f)).await
    }

    /// Every (app, channel) that has attributes: what an engine finds on
    /// disk when it starts.
    pub fn channels_with_attrs(&self) -> anyhow::Result<Vec<(String, String)>> {
        self.run_now(|db| {
            let mut stmt = db.prepare("SELECT DISTINCT app, channel FROM channel_attrs")?;
            let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

fn in_transaction<T>(
    db: &mut Connection,
    f: impl FnOnce(&ChannelAttrsTx) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let tx = db.transaction()?;
    let out = f(&ChannelAttrsTx { tx: &tx })?;
    tx.commit()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_dir::TempDir;

    fn attr(key: &str, value: &str, by: &str, ts: u64) -> ChannelAttr {
        ChannelAttr { key: key.into(), value: value.into(), last_update_uid: by.into(), last_update_ts: ts }
    }

    async fn read(s: &SqliteStore, app: &str, channel: &str) -> Vec<ChannelAttr> {
        let (app, channel) = (app.to_owned(), channel.to_owned());
        s.channel_attrs(move |tx| tx.read(&app, &channel)).await.unwrap()
    }

    async fn replace(s: &SqliteStore, app: &str, channel: &str, attrs: Vec<ChannelAttr>) {
        let (app, channel) = (app.to_owned(), channel.to_owned());
        s.channel_attrs(move |tx| tx.replace(&app, &channel, &attrs)).await.unwrap()
    }

    #[tokio::test]
    async fn replace_read_delete() {
        let s = SqliteStore::in_memory(1, 1).unwrap();
        assert!(read(&s, "app", "c").await.is_empty());
        replace(&s, "app", "c", vec![attr("b", "2", "u", 5), attr("a", "1", "w", 7)]).await;
        replace(&s, "app", "d", vec![attr("x", "y", "u", 1)]).await;
        replace(&s, "other", "c", vec![attr("o", "o", "u", 1)]).await;
        assert_eq!(read(&s, "app", "c").await, [attr("a", "1", "w", 7), attr("b", "2", "u", 5)], "by key");
        replace(&s, "app", "c", vec![attr("z", "9", "v", 8)]).await;
        assert_eq!(read(&s, "app", "c").await, [attr("z", "9", "v", 8)], "replace drops the keys not given");
        let mut all = s.channels_with_attrs().unwrap();
        all.sort();
        assert_eq!(
            all,
            [("app".into(), "c".into()), ("app".into(), "d".into()), ("other".into(), "c".into())]
        );
        s.channel_attrs(|tx| tx.delete("app", "c")).await.unwrap();
        assert!(read(&s, "app", "c").await.is_empty());
        assert_eq!(read(&s, "app", "d").await.len(), 1, "other channels keep theirs");
        assert_eq!(read(&s, "other", "c").await.len(), 1, "apps are namespaces");
    }

    #[tokio::test]
    async fn a_failed_transaction_changes_nothing() {
        let s = SqliteStore::in_memory(1, 1).unwrap();
        replace(&s, "app", "c", vec![attr("a", "1", "u", 1)]).await;
        let failed: anyhow::Result<()> = s
            .channel_attrs(|tx| {
                tx.delete("app", "c")?;
                tx.replace("app", "c", &[attr("b", "2", "u", 2)])?;
                anyhow::bail!("refused after writing")
            })
            .await;
        assert!(failed.is_err());
        assert_eq!(read(&s, "app", "c").await, [attr("a", "1", "u", 1)], "rolled back");
    }

    #[tokio::test]
    async fn survive_reopening() {
        let dir = TempDir::new("channel-attrs");
        {
            let s = SqliteStore::open(dir.path(), 1, 1).unwrap();
            replace(&s, "app", "c", vec![attr("k", "v", "u", u64::MAX / 4)]).await;
        }
        let s = SqliteStore::open(dir.path(), 1, 1).unwrap();
        assert_eq!(read(&s, "app", "c").await, [attr("k", "v", "u", u64::MAX / 4)]);
        assert_eq!(s.channels_with_attrs().unwrap(), [("app".into(), "c".into())]);
    }
}
