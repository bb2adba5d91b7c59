//! Peer messages kept for offline users (`enableOfflineMessaging`), in SQLite
//! so that a stored message survives a crash and a restart.
//!
//! Agora's rules: at most `offline_max_messages` per user (the oldest go
//! first, so a flood cannot grow the file without bound) and at most
//! `offline_max_age_ms` old. Ours on top: the quotas of [`OfflineQuotas`],
//! bytes per sender and per app, read from the `offline_bytes` counters that
//! triggers keep (see `store/mod.rs`). The cap and the quotas are applied on
//! every `put`; expired messages are never listed and are deleted by
//! [`OfflineStore::expire`], which the node runs periodically (one indexed
//! range delete on `ts`, instead of one on every login).

use super::SqliteStore;
use crate::clock::now_ms;
use crate::engine::{offline_charge, OfflineFull, OfflineQuotas, OfflineStore, StoredMessage};
use async_trait::async_trait;
use rtm_protocol::Payload;
use rusqlite::{params, OptionalExtension, Transaction};

/// `kind` column values.
const TEXT: i64 = 0;
const RAW: i64 = 1;

/// ms since the epoch as SQLite's INTEGER.
fn sql_ts(ts: u64) -> i64 {
    i64::try_from(ts).unwrap_or(i64::MAX)
}

#[async_trait]
impl OfflineStore for SqliteStore {
    async fn put(
        &self,
        app: &str,
        uid: &str,
        from: &str,
        payload: &Payload,
        ts: u64,
    ) -> anyhow::Result<Result<i64, OfflineFull>> {
        let charge = offline_charge(payload);
        let (kind, body, description) = match payload {
            Payload::Text(t) => (TEXT, t.as_bytes().to_vec(), String::new()),
            Payload::Raw { data, description } => (RAW, data.to_vec(), description.clone()),
        };
        let (app, uid, from) = (app.to_owned(), uid.to_owned(), from.to_owned());
        let (cap, quotas) = (self.offline_max_messages, self.offline_quotas);
        self.run(move |db| {
            let tx = db.transaction()?;
            if let Some(full) = over_quota(&tx, &app, &from, charge, quotas)? {
                return Ok(Err(full));
            }
            tx.execute(
                "INSERT INTO offline_messages (app, uid, sender, kind, body, description, ts)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![app, uid, from, kind, body, description, sql_ts(ts)],
            )?;
            let id = tx.last_insert_rowid();
            // Keep the newest `cap` of this user: Agora's per-user limit.
            tx.execute(
                "DELETE FROM offline_messages WHERE app = ?1 AND uid = ?2 AND id NOT IN
                   (SELECT id FROM offline_messages WHERE app = ?1 AND uid = ?2 ORDER BY id DESC LIMIT ?3)",
                params![app, uid, cap],
            )?;
            tx.commit()?;
            Ok(Ok(id))
        })
        .await
    }

    async fn list(&self, app: &str, uid: &str) -> anyhow::Result<Vec<StoredMessage>> {
        let (app, uid) = (app.to_owned(), uid.to_owned());
        let oldest = sql_ts(now_ms().saturating_sub(self.offline_max_age_ms));
        self.run(move |db| {
            // Expired ones stay until `expire` deletes them; they are not delivered.
            let mut stmt = db.prepare_cached(
                "SELECT id, sender, kind, body, description, ts FROM offline_messages
                 WHERE app = ?1 AND uid = ?2 AND ts >= ?3 ORDER BY id",
            )?;
            let rows = stmt.query_map(params![app, uid, oldest], |row| {
                let kind: i64 = row.get(2)?;
                let body: Vec<u8> = row.get(3)?;
                let payload = if kind == RAW {
                    Payload::Raw { data: body.into(), description: row.get(4)? }
                } else {
                    Payload::Text(String::from_utf8_lossy(&body).into_owned())
                };
                Ok(StoredMessage {
                    id: row.get(0)?,
                    from: row.get(1)?,
                    payload,
                    ts: u64::try_from(row.get::<_, i64>(5)?).unwrap_or(0),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn remove(&self, app: &str, uid: &str, id: i64) -> anyhow::Result<()> {
        let (app, uid) = (app.to_owned(), uid.to_owned());
        self.run(move |db| {
            // Scoped to the owner: an id alone must not reach another user's message.
            db.execute(
                "DELETE FROM offline_messages WHERE id = ?1 AND app = ?2 AND uid = ?3",
                params![id, app, uid],
            )?;
            Ok(())
        })
        .await
    }

    async fn expire(&self) -> anyhow::Result<u64> {
        let oldest = sql_ts(now_ms().saturating_sub(self.offline_max_age_ms));
        // A range on the `ts` index; the triggers give the bytes back.
        self.run(move |db| {
            Ok(db.execute("DELETE FROM offline_messages WHERE ts < ?1", params![oldest])? as u64)
        })
        .await
    }

    async fn stored(&self) -> anyhow::Result<Option<u64>> {
        // Expired messages count until the periodic expiry deletes them: they
        // are in the file until then.
        self.run(|db| {
            let n: i64 = db.query_row("SELECT COUNT(*) FROM offline_messages", [], |row| row.get(0))?;
            Ok(Some(u64::try_from(n).unwrap_or(0)))
        })
        .await
    }

    async fn writable(&self) -> anyhow::Result<()> {
        // A real write, committed like any other (fsynced): taking the write
        // lock alone would miss a full disk or a read-only file system.
        self.run(|db| {
            db.execute(
                "INSERT OR REPLACE INTO readiness (id, checked_at) VALUES (1, ?1)",
                params![sql_ts(now_ms())],
            )?;
            Ok(())
        })
        .await
    }
}

/// Which quota storing `charge` more bytes from `from` would exceed, if any.
fn over_quota(
    tx: &Transaction<'_>,
    app: &str,
    from: &str,
    charge: u64,
    quotas: OfflineQuotas,
) -> anyhow::Result<Option<OfflineFull>> {
    let stored = |sender: &str| -> anyhow::Result<u64> {
        let bytes: Option<i64> = tx
            .query_row(
                "SELECT bytes FROM offline_bytes WHERE app = ?1 AND sender = ?2",
                params![app, sender],
                |row| row.get(0),
            )
            .optional()?;
        Ok(u64::try_from(bytes.unwrap_or(0)).unwrap_or(0))
    };
    if stored(from)?.saturating_add(charge) > quotas.per_sender {
        return Ok(Some(OfflineFull::Sender));
    }
    if stored("")?.saturating_add(charge) > quotas.per_app {
        return Ok(Some(OfflineFull::App));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_dir::TempDir;

    fn text(s: &str) -> Payload {
        Payload::Text(s.into())
    }

    fn texts(messages: &[StoredMessage]) -> Vec<Payload> {
        messages.iter().map(|m| m.payload.clone()).collect()
    }

    #[tokio::test]
    async fn keeps_arrival_order_and_fields() {
        let s = SqliteStore::in_memory(10, 60_000).unwrap();
        let now = now_ms();
        s.put("app", "bob", "alice", &text("1"), now).await.unwrap().unwrap();
        s.put("app", "bob", "carol", &text("2"), now + 1).await.unwrap().unwrap();
        let raw = Payload::Raw { data: vec![0, 255].into(), description: "d".into() };
        s.put("app", "bob", "alice", &raw, now + 2).await.unwrap().unwrap();
        let bob = s.list("app", "bob").await.unwrap();
        assert_eq!(texts(&bob), [text("1"), text("2"), raw]);
        assert_eq!(bob[1].from, "carol");
        assert_eq!(bob[1].ts, now + 1);
        assert!(bob[0].id < bob[1].id && bob[1].id < bob[2].id, "ids grow in arrival order");
    }

    #[tokio::test]
    async fn caps_per_user_dropping_the_oldest() {
        let s = SqliteStore::in_memory(3, 60_000).unwrap();
        for i in 0..5 {
            s.put("app", "bob", "alice", &text(&i.to_string()), now_ms()).await.unwrap().unwrap();
        }
        s.put("app", "carol", "alice", &text("c"), now_ms()).await.unwrap().unwrap();
        assert_eq!(texts(&s.list("app", "bob").await.unwrap()), [text("2"), text("3"), text("4")]);
        assert_eq!(s.list("app", "carol").await.unwrap().len(), 1, "the cap is per user");
    }

    #[tokio::test]
    async fn survives_reopening() {
        let dir = TempDir::new("offline");
        {
            let s = SqliteStore::open(dir.path(), 3, 60_000).unwrap();
            s.put("app", "bob", "alice", &text("kept"), now_ms()).await.unwrap().unwrap();
        }
        assert!(dir.path().join(crate::store::FILE_NAME).exists());
        let s = SqliteStore::open(dir.path(), 3, 60_000).unwrap();
        let bob = s.list("app", "bob").await.unwrap();
        assert_eq!(texts(&bob), [text("kept")]);
        s.remove("app", "bob", bob[0].id).await.unwrap();
        drop(s);
        let s = SqliteStore::open(dir.path(), 3, 60_000).unwrap();
        assert!(s.list("app", "bob").await.unwrap().is_empty(), "a removal is durable too");
    }

    #[tokio::test]
    async fn old_messages_expire() {
        let s = SqliteStore::in_memory(200, 1_000).unwrap();
        s.put("app", "bob", "alice", &text("old"), now_ms() - 5_000).await.unwrap().unwrap();
        s.put("app", "bob", "alice", &text("new"), now_ms()).await.unwrap().unwrap();
        assert_eq!(texts(&s.list("app", "bob").await.unwrap()), [text("new")]);
        assert_eq!(s.expire().await.unwrap(), 1, "the expired one is deleted");
        assert_eq!(s.expire().await.unwrap(), 0);
    }

    /// The triggers count what `offline_charge` says, and give it back.
    #[tokio::test]
    async fn counters_follow_the_charge() {
        let s = SqliteStore::in_memory(1, 60_000).unwrap();
        let raw = Payload::Raw { data: vec![1, 2, 3].into(), description: "é".into() };
        let bytes = |sender: &'static str| {
            s.run_now(move |db| {
                Ok(db
                    .query_row(
                        "SELECT bytes FROM offline_bytes WHERE app = 'app' AND sender = ?1",
                        [sender],
                        |r| r.get::<_, i64>(0),
                    )
                    .optional()?)
            })
            .unwrap()
        };
        s.put("app", "bob", "alice", &raw, now_ms()).await.unwrap().unwrap();
        let charge = i64::try_from(offline_charge(&raw)).unwrap();
        assert_eq!((bytes("alice"), bytes("")), (Some(charge), Some(charge)));
        // The per-user cap of 1 drops alice's message: her bytes come back.
        s.put("app", "bob", "carol", &text("x"), now_ms()).await.unwrap().unwrap();
        assert_eq!(bytes("alice"), None);
        assert_eq!(bytes(""), Some(i64::try_from(offline_charge(&text("x"))).unwrap()));
    }

    #[tokio::test]
    async fn apps_are_namespaces_and_remove_is_scoped_to_its_user() {
        let s = SqliteStore::in_memory(10, 60_000).unwrap();
        s.put("app", "bob", "alice", &text("a"), now_ms()).await.unwrap().unwrap();
        s.put("other", "bob", "alice", &text("o"), now_ms()).await.unwrap().unwrap();
        let id = s.list("app", "bob").await.unwrap()[0].id;
        s.remove("other", "bob", id).await.unwrap();
        s.remove("app", "carol", id).await.unwrap();
        assert_eq!(s.list("app", "bob").await.unwrap().len(), 1, "wrong app or user: nothing removed");
        assert_eq!(texts(&s.list("other", "bob").await.unwrap()), [text("o")]);
        s.remove("app", "bob", id).await.unwrap();
        assert!(s.list("app", "bob").await.unwrap().is_empty());
        s.remove("app", "bob", id).await.unwrap();
    }
}
