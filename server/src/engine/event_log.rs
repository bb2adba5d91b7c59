//! The per-app log of user and channel events that Agora's RTM 1.x REST API
//! serves (`GET .../rtm/vendor/user_events` and `.../channel_events`): a
//! user logged in or out, joined or left a channel.
//!
//! It is engine state, not node state: a cluster's nodes append to one log
//! per app and kind, so a query on any node sees the events of every node.
//! A query *takes* what it returns (Agora: "you cannot retrieve the same
//! event twice"), atomically, so two concurrent queries never both return
//! one event.
//!
//! Bounds (Agora's where documented): the newest [`EVENT_LOG_CAP`] events per
//! app and kind are kept, the oldest give way; a take returns at most
//! [`EVENT_TAKE_MAX`]; events older than [`EVENT_LOG_RETENTION`] are dropped
//! (Agora documents no age limit; ours keeps an abandoned app's log from
//! lingering).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Events kept per app and kind (Agora: 2,000).
pub const EVENT_LOG_CAP: usize = 2_000;
/// Events one query returns at most (Agora: 1,000).
pub const EVENT_TAKE_MAX: usize = 1_000;
/// Events older than this are dropped, taken or not.
pub const EVENT_LOG_RETENTION: Duration = Duration::from_secs(24 * 3600);

/// Which log: the two REST endpoints read one each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// Login and Logout (`user_events`).
    User,
    /// Join and Leave (`channel_events`).
    Channel,
}

impl EventKind {
    /// A short name, for keys.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::User => "user",
            EventKind::Channel => "channel",
        }
    }
}

/// What happened. The names are Agora's `type` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Happening {
    /// The user logged in (a resume is not a login).
    Login,
    /// The user went offline: logged out, was not back within the grace
    /// period, or its node died. A session replaced by the same user's newer
    /// login is no logout: the user stayed online.
    Logout,
    /// The user joined `channel`.
    Join,
    /// The user left `channel`: by `leave()`, because its session ended, or
    /// because its node died.
    Leave,
}

impl Happening {
    /// The log this goes to.
    pub fn kind(self) -> EventKind {
        match self {
            Happening::Login | Happening::Logout => EventKind::User,
            Happening::Join | Happening::Leave => EventKind::Channel,
        }
    }

    /// Agora's `type` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Happening::Login => "Login",
            Happening::Logout => "Logout",
            Happening::Join => "Join",
            Happening::Leave => "Leave",
        }
    }
}

/// One logged event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedEvent {
    /// What happened.
    pub what: Happening,
    /// The user.
    pub uid: String,
    /// The channel of a Join or Leave; empty for Login and Logout.
    pub channel: String,
    /// When the server saw it, ms since the epoch.
    pub ms: u64,
}

impl LoggedEvent {
    /// A Login or Logout of `uid` at `ms`.
    pub fn user(what: Happening, uid: &str, ms: u64) -> LoggedEvent {
        LoggedEvent { what, uid: uid.to_owned(), channel: String::new(), ms }
    }

    /// A Join or Leave of `uid` in `channel` at `ms`.
    pub fn channel(what: Happening, channel: &str, uid: &str, ms: u64) -> LoggedEvent {
        LoggedEvent { what, uid: uid.to_owned(), channel: channel.to_owned(), ms }
    }
}

/// The per-app event logs, shared by the nodes of a cluster.
#[async_trait]
pub trait EventLog: Send + Sync {
    /// Appends `event` to `app`'s log of its kind; the oldest beyond the cap
    /// give way.
    async fn append(&self, app: &str, event: &LoggedEvent) -> anyhow::Result<()>;
    /// Removes and returns up to `max` of the oldest events of `app`'s log of
    /// `kind`, oldest first, skipping (and dropping) those past the
    /// retention. Each event is returned to one caller only.
    async fn take(&self, app: &str, kind: EventKind, max: usize) -> anyhow::Result<Vec<LoggedEvent>>;
}

/// Appends `event` to `app`'s log; a failure is logged, never returned:
/// recording must not fail the login, join or leave it records.
pub async fn record(log: &dyn EventLog, app: &str, event: LoggedEvent) {
    if let Err(e) = log.append(app, &event).await {
        tracing::warn!(error = %e, app, what = event.what.as_str(), uid = %event.uid, "could not log a REST event");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn happenings_name_their_log_and_agoras_type() {
        assert_eq!(Happening::Login.kind(), EventKind::User);
        assert_eq!(Happening::Logout.kind(), EventKind::User);
        assert_eq!(Happening::Join.kind(), EventKind::Channel);
        assert_eq!(Happening::Leave.kind(), EventKind::Channel);
        let names: Vec<_> = [Happening::Login, Happening::Logout, Happening::Join, Happening::Leave]
            .map(Happening::as_str)
            .into();
        assert_eq!(names, ["Login", "Logout", "Join", "Leave"]);
        assert_eq!(EventKind::User.as_str(), "user");
        assert_eq!(LoggedEvent::user(Happening::Login, "u", 5).channel, "");
        assert_eq!(LoggedEvent::channel(Happening::Join, "c", "u", 5).channel, "c");
    }
}
