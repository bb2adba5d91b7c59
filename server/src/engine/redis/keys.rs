//! Names in Redis: every key and pub/sub channel of the engine, in one place.
//!
//! Everything starts with the configured prefix (`rtm` by default), so
//! several deployments can share one Redis, and tests can run side by side
//! with a random prefix each. App ids, user ids and channel ids may contain
//! `:` and almost any printable character, so a name that joins two of them
//! must not be ambiguous: the first part is length-prefixed. An [`ident`] of
//! `(app, id)` is `<len(app)>:<app>:<id>`; `("a:b", "c")` and `("a", "b:c")`
//! become `3:a:b:c` and `1:a:b:c`. The id is always last, so it needs no
//! length.
//!
//! The same idents are the members of the per-node index sets: a Lua script
//! that reaps a node rebuilds a key from `prefix .. ":pres:" .. member`
//! without parsing, and Rust parses them back with [`parse_ident`]. A
//! channel-membership index member holds two parts, so it length-prefixes the
//! first again ([`member_ref`]).
//!
//! The whole layout (what each key holds and its TTL) is in the docs of
//! `engine/redis/mod.rs`.

use crate::engine::Topic;
use std::time::Duration;

/// The longest TTL the engine sets (about 2,000 years): PEXPIRE refuses
/// times that overflow, and a configured "forever" must not break a write.
pub const MAX_TTL_MS: u64 = 1 << 46;

/// `d` in ms for PEXPIRE / PX, at most [`MAX_TTL_MS`].
pub fn ttl_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).min(MAX_TTL_MS)
}

/// `<len(first)>:<first>:<rest>`: unambiguous for any two strings.
pub fn ident(first: &str, rest: &str) -> String {
    format!("{}:{first}:{rest}", first.len())
}

/// Splits an [`ident`] back into its two parts.
pub fn parse_ident(ident: &str) -> Option<(&str, &str)> {
    let (len, tail) = ident.split_once(':')?;
    let len: usize = len.parse().ok()?;
    let first = tail.get(..len)?;
    let rest = tail.get(len..)?.strip_prefix(':')?;
    Some((first, rest))
}

/// A channel membership in a node's index: `<len(chident)>:<chident><uid>`,
/// where `chident` is the channel's [`ident`]. The Lua reaper splits it at the
/// length; see `membership.rs`.
pub fn member_ref(app: &str, channel: &str, uid: &str) -> String {
    let chident = ident(app, channel);
    format!("{}:{chident}{uid}", chident.len())
}

/// Splits a [`member_ref`] into (app, channel, uid).
pub fn parse_member_ref(member: &str) -> Option<(&str, &str, &str)> {
    let (len, tail) = member.split_once(':')?;
    let len: usize = len.parse().ok()?;
    let (app, channel) = parse_ident(tail.get(..len)?)?;
    Some((app, channel, tail.get(len..)?))
}

/// The names of one engine's keys and channels, under its prefix.
#[derive(Debug, Clone)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    /// Names under `prefix`.
    pub fn new(prefix: &str) -> Keys {
        Keys { prefix: prefix.to_owned() }
    }

    /// The prefix (Lua scripts build per-node keys from it).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The pub/sub channel of `topic`.
    pub fn topic(&self, topic: &Topic) -> String {
        let p = &self.prefix;
        match topic {
            Topic::User { app, uid } => format!("{p}:t:u:{}", ident(app, uid)),
            Topic::Channel { app, channel } => format!("{p}:t:c:{}", ident(app, channel)),
            Topic::Presence { app, uid } => format!("{p}:t:p:{}", ident(app, uid)),
            Topic::Node(node) => format!("{p}:t:n:{node}"),
        }
    }

    /// Hash: a user's presence entry (`n` node, `s` session, `r` reachable, `e` epoch).
    pub fn presence(&self, app: &str, uid: &str) -> String {
        format!("{}:pres:{}", self.prefix, ident(app, uid))
    }

    /// Counter: the last claim epoch handed out.
    pub fn epoch(&self) -> String {
        format!("{}:epoch", self.prefix)
    }

    /// Set: the nodes that have heartbeated and not been reaped.
    pub fn nodes(&self) -> String {
        format!("{}:nodes", self.prefix)
    }

    /// String with a TTL: node `node` is alive while it exists.
    pub fn lease(&self, node: u64) -> String {
        format!("{}:node:{node}:lease", self.prefix)
    }

    /// Set: the users (idents) whose session is on node `node`.
    pub fn node_users(&self, node: u64) -> String {
        format!("{}:node:{node}:users", self.prefix)
    }

    /// Set: the channel memberships ([`member_ref`]s) held by node `node`.
    pub fn node_channels(&self, node: u64) -> String {
        format!("{}:node:{node}:chans", self.prefix)
    }

    /// Hash: a channel's members, uid → `node:session`.
    pub fn members(&self, app: &str, channel: &str) -> String {
        format!("{}:chan:{}", self.prefix, ident(app, channel))
    }

    /// Hash: a user's attributes, key → value.
    pub fn user_attrs(&self, app: &str, uid: &str) -> String {
        format!("{}:uattr:{}", self.prefix, ident(app, uid))
    }

    /// Hash: a channel's attributes, key → `ts:len(by):by value`.
    pub fn channel_attrs(&self, app: &str, channel: &str) -> String {
        format!("{}:cattr:{}", self.prefix, ident(app, channel))
    }

    /// Sorted set: a user's offline messages, scored by id.
    pub fn offline(&self, app: &str, uid: &str) -> String {
        format!("{}:off:{}", self.prefix, ident(app, uid))
    }

    /// Counter: the last offline message id handed out.
    pub fn offline_seq(&self) -> String {
        format!("{}:off-seq", self.prefix)
    }

    /// Hash: a user's offline messages' bookkeeping, id → `ts:charge:sender`.
    pub fn offline_meta(&self, app: &str, uid: &str) -> String {
        format!("{}:off-meta:{}", self.prefix, ident(app, uid))
    }

    /// Hash: bytes of offline messages stored in `app`, per sender, and in
    /// all under the field `""` (ids are never empty).
    pub fn offline_bytes(&self, app: &str) -> String {
        format!("{}:off-bytes:{app}", self.prefix)
    }

    /// Sorted set: the offline queues (idents), scored by when their oldest
    /// message expires (ms since the epoch).
    pub fn offline_queues(&self) -> String {
        format!("{}:off-queues", self.prefix)
    }
}

/// A session as stored in Redis: `node:session`, both decimal. Lua compares
/// these as strings (a u64 does not fit a Lua number).
pub fn session_value(node: u64, session: u64) -> String {
    format!("{node}:{session}")
}

/// Parses a [`session_value`].
pub fn parse_session(value: &str) -> Option<(u64, u64)> {
    let (node, session) = value.split_once(':')?;
    Some((node.parse().ok()?, session.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn idents_are_unambiguous_and_parse_back() {
        assert_eq!(ident("a:b", "c"), "3:a:b:c");
        assert_eq!(ident("a", "b:c"), "1:a:b:c");
        for (first, rest) in [("a:b", "c"), ("a", "b:c"), ("", ""), ("x", ""), ("12:3", ":::"), ("é", "ü")]
        {
            assert_eq!(parse_ident(&ident(first, rest)), Some((first, rest)));
        }
        assert_eq!(parse_ident("9:short"), None);
        assert_eq!(parse_ident("x:y"), None);
        assert_eq!(parse_ident("1:ab"), None, "no separator after the first part");
    }

    #[test]
    fn member_refs_parse_back() {
        for (a, c, u) in [("app", "ch", "u"), ("a:1", "c:2", "u:3"), ("a", "", ":"), ("5:x", "3:y", "")] {
            assert_eq!(parse_member_ref(&member_ref(a, c, u)), Some((a, c, u)));
        }
        assert_ne!(member_ref("a", "b:c", "d"), member_ref("a", "b", "c:d"));
    }

    #[test]
    fn topics_of_every_kind_and_app_are_distinct() {
        let k = Keys::new("rtm");
        let topics = [
            Topic::user("a:b", "c"),
            Topic::user("a", "b:c"),
            Topic::channel("a", "b:c"),
            Topic::presence("a", "b:c"),
            Topic::Node(7),
            Topic::user("7", ""),
        ];
        let names: HashSet<String> = topics.iter().map(|t| k.topic(t)).collect();
        assert_eq!(names.len(), topics.len(), "{names:?}");
        assert_eq!(k.topic(&Topic::Node(7)), "rtm:t:n:7");
        assert_eq!(Keys::new("x").presence("app", "u"), "x:pres:3:app:u");
    }

    #[test]
    fn sessions_round_trip_at_full_width() {
        let v = session_value(u64::MAX, 1 << 63);
        assert_eq!(parse_session(&v), Some((u64::MAX, 1 << 63)));
        assert_eq!(parse_session("1"), None);
    }
}
