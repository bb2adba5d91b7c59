//! Sizes, rates and id rules. The SDK checks them before it sends, so a bad call
//! fails fast with a clear error; the server checks them again, because not every
//! client is our SDK.

/// Longest user or channel id, in bytes.
pub const MAX_ID_BYTES: usize = 64;
/// Largest message: TEXT bytes, or RAW bytes plus description bytes.
pub const MAX_MESSAGE_BYTES: usize = 32 * 1024;
/// Largest WebSocket frame the server reads: a full-size message plus room for
/// the envelope. Larger frames close the connection (1009).
pub const MAX_FRAME_BYTES: usize = MAX_MESSAGE_BYTES + 4 * 1024;
/// Peer and channel messages together, per user: this many ...
pub const SEND_RATE_MAX: u32 = 180;
/// ... per this window.
pub const SEND_RATE_WINDOW_MS: u64 = 3_000;
/// Joining the same channel: this many per ...
pub const JOIN_SAME_RATE: (u32, u64) = (2, 5_000);
/// Joining any channels: this many per ...
pub const JOIN_ANY_RATE: (u32, u64) = (50, 3_000);
/// `getMembers()`: this many per ...
pub const GET_MEMBERS_RATE: (u32, u64) = (5, 2_000);
/// `getChannelMemberCount()`: this many per ...
pub const MEMBER_COUNT_RATE: (u32, u64) = (1, 1_000);
/// `login()`: at most 2 per second per user (LOGIN_ERR_TOO_OFTEN); the server
/// counts logins of one user on one node.
pub const LOGIN_RATE: (u32, u64) = (2, 1_000);
/// `renewToken()`: at most 2 per second (RENEW_TOKEN_ERR_TOO_OFTEN).
pub const RENEW_RATE: (u32, u64) = (2, 1_000);
/// Frames the server cannot read, per connection: past this many in the
/// window it closes the connection (1007) instead of answering each one.
pub const MALFORMED_RATE: (u32, u64) = (5, 10_000);
/// How long `login()` may take before it fails with LOGIN_TIMEOUT.
pub const LOGIN_TIMEOUT_MS: u32 = 12_000;
/// How long any other request may wait for its reply.
pub const REQUEST_TIMEOUT_MS: u32 = 10_000;
/// How long the server waits for the recipient's acknowledgement of a peer
/// message before it answers `hasPeerReceived: false`.
pub const PEER_ACK_TIMEOUT_MS: u64 = 5_000;
/// Channels one client may have joined at once.
pub const MAX_JOINED_CHANNELS: usize = 20;
/// `getMembers()` lists at most this many ids (a random sample when more).
pub const MAX_MEMBERS_LISTED: usize = 512;
/// Above this many members, MemberJoined / MemberLeft are no longer sent and
/// MemberCountUpdated slows down.
pub const MEMBER_EVENTS_MAX_MEMBERS: u32 = 512;
/// MemberCountUpdated at most this often (ms) ...
pub const MEMBER_COUNT_INTERVAL_MS: u64 = 1_000;
/// ... and this often above [`MEMBER_EVENTS_MAX_MEMBERS`].
pub const MEMBER_COUNT_INTERVAL_LARGE_MS: u64 = 3_000;
/// `getChannelMemberCount()` takes 1 to this many channel ids.
pub const MAX_COUNT_CHANNELS: usize = 32;

/// Peers per presence query, subscribe or unsubscribe call.
pub const MAX_PEERS_PER_CALL: usize = 256;
/// Peers one client may be subscribed to.
pub const MAX_SUBSCRIBED_PEERS: usize = 512;
/// `queryPeersOnlineStatus()`, `subscribePeersOnlineStatus()` and
/// `unsubscribePeersOnlineStatus()`: each this many per ...
pub const PRESENCE_RATE: (u32, u64) = (10, 5_000);

/// Longest attribute key, in bytes.
pub const MAX_ATTR_KEY_BYTES: usize = 32;
/// Largest attribute value, in bytes.
pub const MAX_ATTR_VALUE_BYTES: usize = 8 * 1024;
/// Attributes per user or channel.
pub const MAX_ATTRS: usize = 32;
/// Attribute writes (set, add/update, delete, clear): this many per ... per
/// client, user and channel writes counted apart.
pub const ATTR_WRITE_RATE: (u32, u64) = (10, 5_000);
/// User attribute reads: this many per ...
pub const USER_ATTR_READ_RATE: (u32, u64) = (40, 5_000);
/// Channel attribute reads: this many per ...
pub const CHANNEL_ATTR_READ_RATE: (u32, u64) = (10, 5_000);

/// Why a set of attributes or a key was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrError {
    /// A key that is empty, too long or not visible characters (INVALID_ARGUMENT).
    BadKey(String),
    /// A value, count or total over its limit (SIZE_OVERFLOW).
    Overflow(String),
}

/// The limits of one kind of attribute set: a user's or a channel's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttrLimits {
    /// Keys plus values, in bytes.
    pub max_total: usize,
}

impl AttrLimits {
    /// A user's attributes: 16 KB in all.
    pub const USER: AttrLimits = AttrLimits { max_total: 16 * 1024 };
    /// A channel's attributes: 32 KB in all.
    pub const CHANNEL: AttrLimits = AttrLimits { max_total: 32 * 1024 };

    /// Checks one key: 1–32 bytes of visible characters (no spaces or controls).
    pub fn check_key(key: &str) -> Result<(), AttrError> {
        if key.is_empty() || key.len() > MAX_ATTR_KEY_BYTES {
            return Err(AttrError::BadKey(format!(
                "attribute key \"{key}\" must be 1-{MAX_ATTR_KEY_BYTES} bytes"
            )));
        }
        if let Some(c) = key.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(AttrError::BadKey(format!(
                "attribute key \"{key}\" contains U+{:04X}; use visible characters",
                c as u32
            )));
        }
        Ok(())
    }

    /// Checks the keys and values of a write, before it is applied.
    pub fn check_items<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<(), AttrError> {
        for (key, value) in items {
            Self::check_key(key)?;
            if value.len() > MAX_ATTR_VALUE_BYTES {
                return Err(AttrError::Overflow(format!(
                    "the value of \"{key}\" is {} bytes; at most {MAX_ATTR_VALUE_BYTES}",
                    value.len()
                )));
            }
        }
        Ok(())
    }

    /// Checks the set a write would leave: count and total size.
    pub fn check_set<'a>(self, items: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<(), AttrError> {
        let (mut count, mut total) = (0, 0);
        for (key, value) in items {
            count += 1;
            total += key.len() + value.len();
        }
        if count > MAX_ATTRS {
            return Err(AttrError::Overflow(format!("{count} attributes; at most {MAX_ATTRS}")));
        }
        if total > self.max_total {
            return Err(AttrError::Overflow(format!(
                "{total} bytes of attributes; at most {}",
                self.max_total
            )));
        }
        Ok(())
    }
}

/// Invitation content and response, in bytes.
pub const MAX_INVITATION_BYTES: usize = 8 * 1024;
/// `localInvitation.send()`: this many per ... per session. Agora documents
/// no budget here; without one a caller could ring a callee a thousand times
/// and get it cut off as a slow consumer.
pub const INVITE_RATE: (u32, u64) = (10, 5_000);
/// Invitations ringing at one callee session at once; past it a new one fails
/// for its caller (PEER_NO_RESPONSE) and is not shown to the callee.
pub const MAX_RINGING_PER_CALLEE: usize = 16;

/// `TokenPrivilegeWillExpire` this long before the token expires (s).
pub const TOKEN_WARNING_SECS: u64 = 30;
/// The SDK pings a quiet link this often (ms) ...
pub const KEEPALIVE_MS: u32 = 20_000;
/// ... and gives it up when a ping is not answered within this (ms).
pub const KEEPALIVE_TIMEOUT_MS: u32 = 10_000;
/// The server closes a connection it has not heard from for this long (s).
pub const IDLE_TIMEOUT_SECS: u64 = 60;
/// Pushes a session keeps for replay after its connection drops.
pub const REPLAY_PUSHES: usize = 1_024;

/// Longest app id, in bytes (Agora's are 32 hex digits).
pub const MAX_APP_ID_BYTES: usize = 64;
/// Longest login token, in bytes.
pub const MAX_TOKEN_BYTES: usize = 2_048;

/// Why an id was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdError {
    /// The empty string.
    Empty,
    /// More than [`MAX_ID_BYTES`] bytes.
    TooLong,
    /// The literal string "null", which Agora reserves.
    Null,
    /// A character outside the allowed set.
    BadChar(char),
}

impl IdError {
    /// A sentence about the id, naming `what` ("user id", "channel id").
    pub fn describe(self, what: &str) -> String {
        match self {
            IdError::Empty => format!("{what} must not be empty"),
            IdError::TooLong => format!("{what} must be at most {MAX_ID_BYTES} bytes"),
            IdError::Null => format!("{what} must not be the string \"null\""),
            IdError::BadChar(c) => format!(
                "{what} contains '{c}'; allowed are a-z A-Z 0-9, space and !#$%&()+-:;<=.>?@[]^_{{}}|~,"
            ),
        }
    }
}

/// Whether `c` may appear in a user or channel id.
pub fn is_id_char(c: char) -> bool {
    // Bytes, not `str::contains`: that pulled a generic string searcher
    // (~2 KB) into the browser SDK.
    c.is_ascii_alphanumeric() || (c.is_ascii() && b" !#$%&()+-:;<=.>?@[]^_{}|~,".contains(&(c as u8)))
}

/// Checks a user or channel id: 1–64 bytes of the allowed characters, not "null".
pub fn validate_id(id: &str) -> Result<(), IdError> {
    if id.is_empty() {
        return Err(IdError::Empty);
    }
    if id.len() > MAX_ID_BYTES {
        return Err(IdError::TooLong);
    }
    if id == "null" {
        return Err(IdError::Null);
    }
    match id.chars().find(|c| !is_id_char(*c)) {
        Some(c) => Err(IdError::BadChar(c)),
        None => Ok(()),
    }
}

/// Checks an app id: 1–64 printable ASCII bytes without spaces.
pub fn validate_app_id(app_id: &str) -> bool {
    !app_id.is_empty() && app_id.len() <= MAX_APP_ID_BYTES && app_id.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_agora_rules() {
        assert_eq!(validate_id(""), Err(IdError::Empty));
        assert_eq!(validate_id("null"), Err(IdError::Null));
        assert!(validate_id("Null").is_ok());
        assert!(validate_id(&"a".repeat(64)).is_ok());
        assert_eq!(validate_id(&"a".repeat(65)), Err(IdError::TooLong));
        assert!(validate_id("a b!#$%&()+-:;<=.>?@[]^_{}|~,").is_ok());
        assert_eq!(validate_id("a/b"), Err(IdError::BadChar('/')));
        assert_eq!(validate_id("tab\t"), Err(IdError::BadChar('\t')));
        assert_eq!(validate_id("é"), Err(IdError::BadChar('é')));
        assert_eq!(validate_id("quote\""), Err(IdError::BadChar('"')));
    }

    #[test]
    fn attribute_limits() {
        assert!(AttrLimits::check_key("status").is_ok());
        assert!(matches!(AttrLimits::check_key(""), Err(AttrError::BadKey(_))));
        assert!(matches!(AttrLimits::check_key(&"k".repeat(33)), Err(AttrError::BadKey(_))));
        assert!(matches!(AttrLimits::check_key("a b"), Err(AttrError::BadKey(_))));
        let big = "v".repeat(8 * 1024 + 1);
        assert!(matches!(AttrLimits::check_items([("k", big.as_str())]), Err(AttrError::Overflow(_))));
        let keys: Vec<String> = (0..33).map(|i| format!("k{i}")).collect();
        assert!(AttrLimits::USER.check_set(keys.iter().map(|k| (k.as_str(), ""))).is_err());
        let v = "v".repeat(8 * 1024);
        assert!(AttrLimits::USER.check_set([("a", v.as_str()), ("b", v.as_str())]).is_err(), "over 16 KB");
        assert!(
            AttrLimits::CHANNEL.check_set([("a", v.as_str()), ("b", v.as_str())]).is_ok(),
            "a channel has 32 KB"
        );
    }

    #[test]
    fn app_ids() {
        assert!(validate_app_id("970CA35de60c44645bbae8a215061b33"));
        assert!(!validate_app_id(""));
        assert!(!validate_app_id("has space"));
        assert!(!validate_app_id(&"a".repeat(65)));
    }
}
