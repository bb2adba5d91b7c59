//! The SQLite store: what must survive a crash or a restart of the embedded
//! engine — peer messages kept for offline users ([`offline`]) and channel
//! attributes ([`channel_attrs`]). Presence, membership and user attributes
//! are not here: they describe live sessions, which a restart ends anyway.
//!
//! One file, `data_dir/rtm.sqlite3`, in WAL mode with `synchronous = FULL`: a
//! write is fsynced to the log before its caller is answered, so an offline
//! message the sender was told about survives a crash of the process (kill -9)
//! and a power loss of the machine alike; readers never wait for the writer.
//! (`NORMAL` would survive the first but could lose the last commits to the
//! second. The price of FULL is one fsync per stored message.) One connection
//! behind a mutex: every query is
//! small, and serializing them keeps read-modify-write sequences (a checked
//! attribute write) simple. Queries run on tokio's blocking pool
//! ([`SqliteStore::run`]), never on the async threads.

pub mod channel_attrs;
pub mod offline;

use crate::engine::OfflineQuotas;
use anyhow::Context;
use rusqlite::Connection;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

/// The file inside the data dir.
pub const FILE_NAME: &str = "rtm.sqlite3";

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
    CREATE INDEX IF NOT EXISTS offline_by_ts ON offline_messages (ts);

    -- Bytes stored per (app, sender), and per app under sender '' (ids are
    -- never empty): the quotas read one row each instead of summing a table.
    -- Triggers keep them right whatever deletes a message (delivery, the
    -- per-user cap, expiry).
    CREATE TABLE IF NOT EXISTS offline_bytes (
        app    TEXT NOT NULL,
        sender TEXT NOT NULL,
        bytes  INTEGER NOT NULL,
        PRIMARY KEY (app, sender)
    ) WITHOUT ROWID;
    CREATE TRIGGER IF NOT EXISTS offline_bytes_add AFTER INSERT ON offline_messages BEGIN
        INSERT INTO offline_bytes (app, sender, bytes) VALUES
            (NEW.app, NEW.sender, length(NEW.body) + length(CAST(NEW.description AS BLOB)) + 64),
            (NEW.app, '', length(NEW.body) + length(CAST(NEW.description AS BLOB)) + 64)
        ON CONFLICT (app, sender) DO UPDATE SET bytes = bytes + excluded.bytes;
    END;
    CREATE TRIGGER IF NOT EXISTS offline_bytes_sub AFTER DELETE ON offline_messages BEGIN
        UPDATE offline_bytes
            SET bytes = bytes - (length(OLD.body) + length(CAST(OLD.description AS BLOB)) + 64)
            WHERE app = OLD.app AND sender IN (OLD.sender, '');
        DELETE FROM offline_bytes WHERE app = OLD.app AND sender IN (OLD.sender, '') AND bytes <= 0;
    END;

    -- One row, rewritten by each /readyz: proof that the file can be written.
    CREATE TABLE IF NOT EXISTS readiness (
        id         INTEGER PRIMARY KEY,
        checked_at INTEGER NOT NULL     -- ms since the epoch
    );

    CREATE TABLE IF NOT EXISTS channel_attrs (
        app             TEXT NOT NULL,
        channel         TEXT NOT NULL,
        key             TEXT NOT NULL,
        value           TEXT NOT NULL,
        last_update_uid TEXT NOT NULL,
        last_update_ts  INTEGER NOT NULL, -- ms since the epoch
        PRIMARY KEY (app, channel, key)
    ) WITHOUT ROWID;
";

/// Rebuilds `offline_bytes` from the messages (the charge is
/// `engine::offline_charge`: payload bytes plus 64).
const RECOUNT: &str = "
    BEGIN;
    DELETE FROM offline_bytes;
    INSERT INTO offline_bytes (app, sender, bytes)
        SELECT app, sender, SUM(length(body) + length(CAST(description AS BLOB)) + 64)
        FROM offline_messages GROUP BY app, sender;
    INSERT INTO offline_bytes (app, sender, bytes)
        SELECT app, '', SUM(length(body) + length(CAST(description AS BLOB)) + 64)
        FROM offline_messages GROUP BY app;
    COMMIT;
";

/// The SQLite store of the embedded engine. Cheap to share behind an `Arc`.
pub struct SqliteStore {
    db: Arc<Mutex<Connection>>,
    offline_max_messages: u32,
    offline_max_age_ms: u64,
    offline_quotas: OfflineQuotas,
}

impl SqliteStore {
    /// Opens (creating it and its folder) `dir/rtm.sqlite3`. Offline messages
    /// are kept up to `offline_max_messages` per user and `offline_max_age_ms`.
    pub fn open(
        dir: &Path,
        offline_max_messages: u32,
        offline_max_age_ms: u64,
    ) -> anyhow::Result<SqliteStore> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating data dir {}", dir.display()))?;
        let path = dir.join(FILE_NAME);
        let db = Connection::open(&path).with_context(|| format!("opening {}", path.display()))?;
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "synchronous", "FULL")?;
        // Another process holding a write lock (a backup tool) is waited for, briefly.
        db.busy_timeout(std::time::Duration::from_secs(5))?;
        Self::with(db, offline_max_messages, offline_max_age_ms)
            .with_context(|| format!("preparing {}", path.display()))
    }

    /// A store that lives in memory and ends with it (tests, `data_dir` unset).
    pub fn in_memory(offline_max_messages: u32, offline_max_age_ms: u64) -> anyhow::Result<SqliteStore> {
        Self::with(Connection::open_in_memory()?, offline_max_messages, offline_max_age_ms)
    }

    fn with(
        db: Connection,
        offline_max_messages: u32,
        offline_max_age_ms: u64,
    ) -> anyhow::Result<SqliteStore> {
        db.execute_batch(SCHEMA)?;
        // Counted from scratch once per start: a file written before the
        // counters existed (or by hand) is counted right from then on.
        db.execute_batch(RECOUNT)?;
        Ok(SqliteStore {
            db: Arc::new(Mutex::new(db)),
            offline_max_messages,
            offline_max_age_ms,
            offline_quotas: OfflineQuotas::UNLIMITED,
        })
    }

    /// The same store, refusing offline messages beyond `quotas`.
    pub fn with_quotas(mut self, quotas: OfflineQuotas) -> SqliteStore {
        self.offline_quotas = quotas;
        self
    }

    /// Runs `f` on the connection, on tokio's blocking pool. The connection is
    /// locked for the whole of `f`, so `f` sees no other query in between.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let mut db = lock(&db);
            let result = f(&mut db);
            // Counted here, under the lock: a caller that stopped waiting
            // (`/readyz`'s deadline) still has its failure counted, before
            // the next query can run.
            if result.is_err() {
                crate::metrics::engine_error();
            }
            result
        })
        .await
        .context("store task failed")?
    }

    /// Runs `f` on the connection on the calling thread: for startup, before
    /// any task runs.
    pub fn run_now<T>(&self, f: impl FnOnce(&mut Connection) -> anyhow::Result<T>) -> anyhow::Result<T> {
        f(&mut lock(&self.db))
    }
}

/// Locks the connection. A query that panicked left no transaction open
/// (rusqlite rolls back on drop), so a poisoned lock is still a usable one.
fn lock(db: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    db.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
pub(crate) mod test_dir {
    use std::path::{Path, PathBuf};

    /// A fresh folder under the system temp dir, removed on drop.
    pub struct TempDir(PathBuf);

    impl TempDir {
        pub fn new(name: &str) -> TempDir {
            let dir = std::env::temp_dir().join(format!(
                "rtm-{name}-{}-{}",
                std::process::id(),
                rand::random::<u32>()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            TempDir(dir)
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
