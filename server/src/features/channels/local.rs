//! This node's side of channel membership: which local sessions are in which
//! channel (to fan out what the broker brings), and which channels each
//! session is in (for its limits and its leave on ending). Both directions
//! live in one struct behind one lock, so they cannot disagree. Cluster-wide
//! membership and counts are the engine's.

use crate::engine::SessionRef;
use crate::sessions::Session;
use rtm_protocol::limits::{
    MAX_JOINED_CHANNELS, MEMBER_COUNT_INTERVAL_LARGE_MS, MEMBER_COUNT_INTERVAL_MS, MEMBER_EVENTS_MAX_MEMBERS,
};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Why a session cannot join here.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// It is in the channel already.
    AlreadyJoined,
    /// It is in [`MAX_JOINED_CHANNELS`] channels.
    TooMany,
}

#[derive(Default)]
struct LocalChannel {
    members: HashMap<u64, Arc<Session>>,
    /// The latest member count an event carried.
    count: u32,
    /// A count change not yet pushed.
    dirty: bool,
    last_count_push: Option<Instant>,
}

/// Channel key: (app, channel).
type Key = (String, String);

/// This node's channel members.
#[derive(Default)]
pub struct Local {
    channels: HashMap<Key, LocalChannel>,
    /// Session id → the channels it is in.
    joined: HashMap<u64, BTreeSet<String>>,
}

fn key(app: &str, channel: &str) -> Key {
    (app.to_owned(), channel.to_owned())
}

impl Local {
    /// Records that `session` is in `channel`.
    pub fn add(&mut self, session: &Arc<Session>, channel: &str) -> Result<(), Refused> {
        let joined = self.joined.entry(session.id()).or_default();
        if joined.contains(channel) {
            return Err(Refused::AlreadyJoined);
        }
        if joined.len() >= MAX_JOINED_CHANNELS {
            return Err(Refused::TooMany);
        }
        joined.insert(channel.to_owned());
        let local = self.channels.entry(key(&session.app, channel)).or_default();
        local.members.insert(session.id(), session.clone());
        Ok(())
    }

    /// Records that `session` left `channel`; false if it was not in it.
    pub fn remove(&mut self, session: &Session, channel: &str) -> bool {
        let was = self.joined.get_mut(&session.id()).is_some_and(|set| set.remove(channel));
        if self.joined.get(&session.id()).is_some_and(BTreeSet::is_empty) {
            self.joined.remove(&session.id());
        }
        if was {
            self.drop_member(&session.app, channel, session.id());
        }
        was
    }

    /// Forgets every channel of `session` (it ended); returns them.
    pub fn take_all(&mut self, session: &Session) -> Vec<String> {
        let channels: Vec<String> =
            self.joined.remove(&session.id()).unwrap_or_default().into_iter().collect();
        for channel in &channels {
            self.drop_member(&session.app, channel, session.id());
        }
        channels
    }

    fn drop_member(&mut self, app: &str, channel: &str, session: u64) {
        let k = key(app, channel);
        if let Some(local) = self.channels.get_mut(&k) {
            local.members.remove(&session);
            if local.members.is_empty() {
                self.channels.remove(&k);
            }
        }
    }

    /// Whether `session` is in `channel`.
    pub fn has(&self, session: &Session, channel: &str) -> bool {
        self.joined.get(&session.id()).is_some_and(|set| set.contains(channel))
    }

    /// This node's members of a channel but `skip`.
    pub fn members(&self, app: &str, channel: &str, skip: Option<SessionRef>) -> Vec<Arc<Session>> {
        let Some(local) = self.channels.get(&key(app, channel)) else { return Vec::new() };
        local.members.values().filter(|s| Some(s.sref) != skip).cloned().collect()
    }

    /// An event carried the channel's member count.
    pub fn note_count(&mut self, app: &str, channel: &str, count: u32) {
        if let Some(local) = self.channels.get_mut(&key(app, channel)) {
            local.count = count;
            local.dirty = true;
        }
    }

    /// Channels whose count changed and whose push interval passed (1 s; 3 s
    /// above 512 members), with their local members; marks them pushed.
    pub fn due_counts(&mut self, now: Instant) -> Vec<(Key, Vec<Arc<Session>>)> {
        let mut due = Vec::new();
        for (k, local) in self.channels.iter_mut() {
            let interval = if local.count > MEMBER_EVENTS_MAX_MEMBERS {
                MEMBER_COUNT_INTERVAL_LARGE_MS
            } else {
                MEMBER_COUNT_INTERVAL_MS
            };
            let ready = local.last_count_push.is_none_or(|t| now - t >= Duration::from_millis(interval));
            if local.dirty && ready {
                local.dirty = false;
                local.last_count_push = Some(now);
                due.push((k.clone(), local.members.values().cloned().collect()));
            }
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sessions::Outbox;

    fn session(id: u64) -> Arc<Session> {
        let (outbox, _rx, _kill) = Outbox::new(&Default::default());
        Arc::new(Session::new(
            SessionRef { node: 1, session: id },
            "app".into(),
            format!("u{id}"),
            String::new(),
            outbox,
            1 << 20,
        ))
    }

    #[test]
    fn both_directions_change_together() {
        let mut local = Local::default();
        let (a, b) = (session(1), session(2));
        assert_eq!(local.add(&a, "c"), Ok(()));
        assert_eq!(local.add(&a, "c"), Err(Refused::AlreadyJoined));
        local.add(&b, "c").unwrap();
        assert_eq!(local.members("app", "c", Some(a.sref)).len(), 1, "the skipped session is left out");
        assert!(local.remove(&a, "c"));
        assert!(!local.remove(&a, "c"), "not in it any more");
        assert_eq!(local.take_all(&b), ["c"]);
        assert!(local.channels.is_empty() && local.joined.is_empty(), "nothing left behind");
    }

    #[test]
    fn at_most_twenty_channels() {
        let mut local = Local::default();
        let a = session(1);
        for i in 0..MAX_JOINED_CHANNELS {
            local.add(&a, &format!("c{i}")).unwrap();
        }
        assert_eq!(local.add(&a, "one-more"), Err(Refused::TooMany));
    }
}
