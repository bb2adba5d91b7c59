//! The REST event logs in Redis: one capped list per app and kind,
//! `P:events:<kind>:<app>` (`kind` is `user` or `channel`; the app id comes
//! last, so any app id is unambiguous). Each element is `<ms>:<json>`: the
//! event's time first, so Lua can drop stale events without parsing JSON.
//!
//! - Append (one script, so no reader sees the list over its cap): RPUSH,
//!   LTRIM to the newest `cap`, PEXPIRE the list to the retention. A log
//!   that gets no event for the retention disappears whole.
//! - Take (one script, so each event goes to one reader): LPOP until `max`
//!   fresh events are out or the list is empty; stale ones are popped and
//!   dropped.

use super::keys::{ttl_ms, Keys};
use super::link::Link;
use crate::clock::now_ms;
use crate::engine::event_log::{EventKind, EventLog, LoggedEvent, EVENT_LOG_CAP, EVENT_LOG_RETENTION};
use ::redis::Script;
use anyhow::Context;
use async_trait::async_trait;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

/// KEYS: the list. ARGV: the element, the cap, the retention in ms.
static APPEND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
",
    )
});

/// KEYS: the list. ARGV: max, the oldest ms kept. The fresh elements taken.
static TAKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local max = tonumber(ARGV[1])
local cutoff = tonumber(ARGV[2])
local out = {}
while #out < max do
  local v = redis.call('LPOP', KEYS[1])
  if not v then break end
  local sep = string.find(v, ':', 1, true)
  local ms = sep and tonumber(string.sub(v, 1, sep - 1))
  if ms and ms >= cutoff then out[#out + 1] = v end
end
return out
",
    )
});

/// Event logs in Redis lists.
pub struct RedisEventLog {
    link: Arc<Link>,
    keys: Keys,
    cap: usize,
    retention: Duration,
}

impl RedisEventLog {
    /// Logs on `link` under `keys`, with Agora's cap and our retention.
    pub fn new(link: Arc<Link>, keys: Keys) -> RedisEventLog {
        RedisEventLog::with_limits(link, keys, EVENT_LOG_CAP, EVENT_LOG_RETENTION)
    }

    /// Logs of at most `cap` events each, kept for `retention`.
    pub fn with_limits(link: Arc<Link>, keys: Keys, cap: usize, retention: Duration) -> RedisEventLog {
        RedisEventLog { link, keys, cap: cap.max(1), retention }
    }

    fn key(&self, app: &str, kind: EventKind) -> String {
        format!("{}:events:{}:{app}", self.keys.prefix(), kind.as_str())
    }
}

/// `<ms>:<json>`.
fn encode(event: &LoggedEvent) -> anyhow::Result<String> {
    Ok(format!("{}:{}", event.ms, serde_json::to_string(event)?))
}

fn decode(element: &str) -> anyhow::Result<LoggedEvent> {
    let (_, json) = element.split_once(':').context("an event without its time")?;
    serde_json::from_str(json).context("an event that does not parse")
}

#[async_trait]
impl EventLog for RedisEventLog {
    async fn append(&self, app: &str, event: &LoggedEvent) -> anyhow::Result<()> {
        let mut conn = self.link.conn()?;
        let result = APPEND
            .key(self.key(app, event.what.kind()))
            .arg(encode(event)?)
            .arg(self.cap)
            .arg(ttl_ms(self.retention))
            .invoke_async::<i64>(&mut conn)
            .await;
        self.link.check(result).map(drop)
    }

    async fn take(&self, app: &str, kind: EventKind, max: usize) -> anyhow::Result<Vec<LoggedEvent>> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let cutoff = now_ms().saturating_sub(ttl_ms(self.retention));
        let mut conn = self.link.conn()?;
        let result =
            TAKE.key(self.key(app, kind)).arg(max).arg(cutoff).invoke_async::<Vec<String>>(&mut conn).await;
        let elements = self.link.check(result)?;
        // An element that does not parse (written by another version) is
        // dropped with a warning rather than failing the whole query.
        Ok(elements
            .iter()
            .filter_map(|e| {
                decode(e).map_err(|err| tracing::warn!(error = %err, "dropped an unreadable event")).ok()
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::event_log::Happening;

    #[test]
    fn elements_lead_with_their_time_and_parse_back() {
        let event = LoggedEvent::channel(Happening::Leave, "c:1", "u:2", 1_700_000_000_123);
        let element = encode(&event).unwrap();
        assert!(element.starts_with("1700000000123:{"), "{element}");
        assert_eq!(decode(&element).unwrap(), event);
        assert!(decode("no-time").is_err());
        assert!(decode("1:{").is_err());
    }
}
