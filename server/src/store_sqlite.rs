//! Offline messages in SQLite (`--data-dir`/rtm.sqlite3), so they survive a
//! crash and a restart. WAL journal: a committed insert is on disk before the
//! sender is answered, and readers never wait for the writer.

use crate::engine::{OfflineStore, StoredMessage};
use crate::hub::now_ms;
use anyhow::Context;
use async_trait::async_trait;
use rtm_protocol::Payload;
use rusqlite::{params, Connection};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The SQLite offline store.
pub struct SqliteStore {
    db: Arc<Mutex<Connection>>,
    max_per_user: u32,
    max_age_ms: u64,
}

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS offline_messages (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        app         TEXT NOT NULL,
        uid         TEXT NOT NULL,
        sender      TEXT NOT NULL,
        kind        INTEGER NOT NULL,   -- 0 TEXT, 1 RAW
        body        BLOB NOT NULL,      -- UTF-8 text, or the raw bytes
        description TEXT NOT NULL,
        ts          INTEGER NOT NULL    -- server receive time, ms since the epoch
    );
    CREATE INDEX IF NOT EXISTS offline_by_user ON offline_messages (app, uid, id);
";

impl SqliteStore {
    /// Opens (creating) `dir/rtm.sqlite3`.
    pub fn open(dir: &Path, max_per_user: u32, max_age_ms: u64) -> anyhow::Result<SqliteStore> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating data dir {}", dir.display()))?;
        let path = dir.join("rtm.sqlite3");
        let db = Connection::open(&path).with_context(|| format!("opening {}", path.display()))?;
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "synchronous", "NORMAL")?;
        Self::with(db, max_per_user, max_age_ms)
    }

    /// A store that lives in memory (tests).
    pub fn in_memory(max_per_user: u32, max_age_ms: u64) -> anyhow::Result<SqliteStore> {
        Self::with(Connection::open_in_memory()?, max_per_user, max_age_ms)
    }

    fn with(db: Connection, max_per_user: u32, max_age_ms: u64) -> anyhow::Result<SqliteStore> {
        db.execute_batch(SCHEMA)?;
        Ok(SqliteStore { db: Arc::new(Mutex::new(db)), max_per_user, max_age_ms })
    }

    /// Runs `f` on the connection off the async threads.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let db = self.db.clone();
        let result = tokio::task::spawn_blocking(move || f(&mut db.lock().unwrap())).await?;
        Ok(result?)
    }
}

#[async_trait]
impl OfflineStore for SqliteStore {
    async fn put(&self, app: &str, uid: &str, from: &str, payload: &Payload, ts: u64) -> anyhow::Result<()> {
        let (kind, body, description) = match payload {
            Payload::Text(t) => (0, t.as_bytes().to_vec(), String::new()),
            Payload::Raw { data, description } => (1, data.to_vec(), description.clone()),
        };
        let (app, uid, from, cap) = (app.to_owned(), uid.to_owned(), from.to_owned(), self.max_per_user);
        self.run(move |db| {
            let tx = db.transaction()?;
            tx.execute(
                "INSERT INTO offline_messages (app, uid, sender, kind, body, description, ts)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![app, uid, from, kind, body, description, ts as i64],
            )?;
            // Keep the newest `cap` of this user: Agora's per-user limit.
            tx.execute(
                "DELETE FROM offline_messages WHERE app = ?1 AND uid = ?2 AND id NOT IN
                   (SELECT id FROM offline_messages WHERE app = ?1 AND uid = ?2 ORDER BY id DESC LIMIT ?3)",
                params![app, uid, cap],
            )?;
            tx.commit()
        })
        .await
    }

    async fn list(&self, app: &str, uid: &str) -> anyhow::Result<Vec<StoredMessage>> {
        let (app, uid) = (app.to_owned(), uid.to_owned());
        let oldest = now_ms().saturating_sub(self.max_age_ms) as i64;
        self.run(move |db| {
            db.execute("DELETE FROM offline_messages WHERE ts < ?1", params![oldest])?;
            let mut stmt = db.prepare(
                "SELECT id, sender, kind, body, description, ts FROM offline_messages
                 WHERE app = ?1 AND uid = ?2 ORDER BY id",
            )?;
            let rows = stmt.query_map(params![app, uid], |row| {
                let kind: i64 = row.get(2)?;
                let body: Vec<u8> = row.get(3)?;
                let payload = if kind == 1 {
                    Payload::Raw { data: body.into(), description: row.get(4)? }
                } else {
                    Payload::Text(String::from_utf8_lossy(&body).into_owned())
                };
                Ok(StoredMessage {
                    id: row.get(0)?,
                    from: row.get(1)?,
                    payload,
                    ts: row.get::<_, i64>(5)? as u64,
                })
            })?;
            rows.collect()
        })
        .await
    }

    async fn remove(&self, id: i64) -> anyhow::Result<()> {
        self.run(move |db| db.execute("DELETE FROM offline_messages WHERE id = ?1", params![id]).map(|_| ()))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Payload {
        Payload::Text(s.into())
    }

    #[tokio::test]
    async fn stores_in_order_caps_per_user_and_survives_reopening() {
        let dir = std::env::temp_dir().join(format!("rtm-store-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        {
            let s = SqliteStore::open(&dir, 3, 60_000).unwrap();
            for i in 0..5 {
                s.put("app", "bob", "alice", &text(&i.to_string()), now_ms()).await.unwrap();
            }
            let raw = Payload::Raw { data: vec![0, 255].into(), description: "d".into() };
            s.put("app", "carol", "alice", &raw, now_ms()).await.unwrap();
            s.put("other", "bob", "x", &text("elsewhere"), now_ms()).await.unwrap();
        }
        let s = SqliteStore::open(&dir, 3, 60_000).unwrap();
        let bob = s.list("app", "bob").await.unwrap();
        let texts: Vec<_> = bob.iter().map(|m| m.payload.clone()).collect();
        assert_eq!(texts, [text("2"), text("3"), text("4")], "the newest 3, oldest first");
        let carol = s.list("app", "carol").await.unwrap();
        assert_eq!(carol[0].payload, Payload::Raw { data: vec![0, 255].into(), description: "d".into() });
        s.remove(bob[0].id).await.unwrap();
        assert_eq!(s.list("app", "bob").await.unwrap().len(), 2);
        assert_eq!(s.list("other", "bob").await.unwrap().len(), 1, "apps are namespaces");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn old_messages_expire() {
        let s = SqliteStore::in_memory(200, 1_000).unwrap();
        s.put("app", "bob", "alice", &text("old"), now_ms() - 5_000).await.unwrap();
        s.put("app", "bob", "alice", &text("new"), now_ms()).await.unwrap();
        let left = s.list("app", "bob").await.unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].payload, text("new"));
    }
}
