//! The REST event logs in one process: a bounded queue per app and kind.
//!
//! Memory is bounded per log by the cap, and across logs by the retention:
//! a log whose newest event is past it is dropped whole when the map is
//! swept (whenever it has doubled since the last sweep), so apps that stop
//! being used do not keep their last events forever.

use crate::clock::now_ms;
use crate::engine::event_log::{EventKind, EventLog, LoggedEvent, EVENT_LOG_CAP, EVENT_LOG_RETENTION};
use async_trait::async_trait;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

#[derive(Default)]
struct Logs {
    queues: HashMap<(String, EventKind), VecDeque<LoggedEvent>>,
    /// The number of logs at which the map is next swept.
    sweep_at: usize,
}

/// Event logs in memory.
pub struct MemoryEventLog {
    cap: usize,
    retention_ms: u64,
    logs: Mutex<Logs>,
}

impl Default for MemoryEventLog {
    fn default() -> Self {
        MemoryEventLog::with_limits(EVENT_LOG_CAP, EVENT_LOG_RETENTION)
    }
}

impl MemoryEventLog {
    /// Logs of at most `cap` events each, kept for `retention`.
    pub fn with_limits(cap: usize, retention: Duration) -> MemoryEventLog {
        let retention_ms = u64::try_from(retention.as_millis()).unwrap_or(u64::MAX);
        MemoryEventLog { cap, retention_ms, logs: Mutex::new(Logs::default()) }
    }

    /// The oldest time still kept.
    fn cutoff(&self) -> u64 {
        now_ms().saturating_sub(self.retention_ms)
    }
}

#[async_trait]
impl EventLog for MemoryEventLog {
    async fn append(&self, app: &str, event: &LoggedEvent) -> anyhow::Result<()> {
        let cutoff = self.cutoff();
        let mut logs = self.logs.lock().unwrap();
        if logs.queues.len() >= logs.sweep_at.max(64) {
            logs.queues.retain(|_, q| q.back().is_some_and(|e| e.ms >= cutoff));
            logs.sweep_at = logs.queues.len() * 2;
        }
        let queue = logs.queues.entry((app.to_owned(), event.what.kind())).or_default();
        queue.push_back(event.clone());
        while queue.len() > self.cap {
            queue.pop_front();
        }
        Ok(())
    }

    async fn take(&self, app: &str, kind: EventKind, max: usize) -> anyhow::Result<Vec<LoggedEvent>> {
        let cutoff = self.cutoff();
        let mut logs = self.logs.lock().unwrap();
        let key = (app.to_owned(), kind);
        let Some(queue) = logs.queues.get_mut(&key) else { return Ok(Vec::new()) };
        while queue.front().is_some_and(|e| e.ms < cutoff) {
            queue.pop_front();
        }
        let taken: Vec<_> = queue.drain(..max.min(queue.len())).collect();
        if queue.is_empty() {
            logs.queues.remove(&key);
        }
        Ok(taken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::event_log::Happening;

    fn login(uid: &str, ms: u64) -> LoggedEvent {
        LoggedEvent::user(Happening::Login, uid, ms)
    }

    #[tokio::test]
    async fn events_past_the_retention_are_not_returned() {
        let log = MemoryEventLog::with_limits(10, Duration::from_secs(60));
        let now = now_ms();
        log.append("a", &login("old", now - 61_000)).await.unwrap();
        log.append("a", &login("new", now)).await.unwrap();
        let got = log.take("a", EventKind::User, 10).await.unwrap();
        assert_eq!(got.iter().map(|e| e.uid.as_str()).collect::<Vec<_>>(), ["new"]);
    }

    #[tokio::test]
    async fn stale_logs_are_swept_and_taken_logs_forgotten() {
        let log = MemoryEventLog::with_limits(10, Duration::from_secs(60));
        let old = now_ms() - 120_000;
        for i in 0..64 {
            log.append(&format!("app{i}"), &login("u", old)).await.unwrap();
        }
        log.append("fresh", &login("u", now_ms())).await.unwrap();
        assert_eq!(log.logs.lock().unwrap().queues.len(), 1, "the 64 stale logs were swept");
        log.take("fresh", EventKind::User, 10).await.unwrap();
        assert!(log.logs.lock().unwrap().queues.is_empty(), "an emptied log is removed");
    }
}
