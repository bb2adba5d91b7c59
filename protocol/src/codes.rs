//! Agora's numbers and names: connection states and reasons, and one error enum
//! per operation family with the numeric codes of the Agora RTM Web SDK 1.x.
//! `tests::codes_are_pinned` fixes every number; apps compare against them.

use serde::{Deserialize, Serialize};

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[allow(non_camel_case_types, missing_docs)]
        pub enum $name { $($(#[$vm])* $v,)* }
        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$v,)*];
            /// The string the JS API uses for this value.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => stringify!($v),)* }
            }
        }
    };
}

string_enum!(
    /// `AgoraRTM.ConnectionState`.
    ConnectionState { DISCONNECTED, CONNECTING, CONNECTED, RECONNECTING, ABORTED, }
);

string_enum!(
    /// `AgoraRTM.ConnectionChangeReason`; also why the server ends a session.
    ConnectionChangeReason {
        LOGIN, LOGIN_SUCCESS, LOGIN_FAILURE, LOGIN_TIMEOUT, INTERRUPTED, LOGOUT,
        BANNED_BY_SERVER, REMOTE_LOGIN, TOKEN_EXPIRED,
    }
);

string_enum!(
    /// `AgoraRTM.PeerOnlineState`: UNREACHABLE while a peer's connection is
    /// lost but its session is still inside the reconnect grace period.
    PeerState { ONLINE, UNREACHABLE, OFFLINE, }
);

impl ConnectionChangeReason {
    /// Whether a client that lost its session for this reason should reconnect
    /// (INTERRUPTED) or stop in ABORTED (everything the server decided).
    pub fn should_retry(self) -> bool {
        matches!(self, ConnectionChangeReason::INTERRUPTED)
    }
}

/// The class of an error, which names the JS `Error` (`err.name`) the way the
/// Agora SDK does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum ErrorKind {
    InvalidArgument,
    InvalidStatus,
    TooOften,
    Timeout,
    Unauthenticated,
    LimitExceeded,
    Unavailable,
    Internal,
    Unknown,
}

impl ErrorKind {
    /// The JS error name, e.g. `RtmInvalidArgumentError`.
    pub fn js_name(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "RtmInvalidArgumentError",
            ErrorKind::InvalidStatus => "RtmInvalidStatusError",
            ErrorKind::TooOften => "RtmInvokeTooOftenError",
            ErrorKind::Timeout => "RtmTimeoutError",
            ErrorKind::Unauthenticated => "RtmUnauthenticatedError",
            ErrorKind::LimitExceeded => "RtmLimitExceededError",
            ErrorKind::Unavailable => "RtmUnavailableError",
            ErrorKind::Internal => "RtmInternalError",
            ErrorKind::Unknown => "RtmUnknownError",
        }
    }
}

/// A failed operation: Agora's code in the operation's family, its class, and a
/// message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpError {
    /// The numeric code (`err.code`).
    pub code: u16,
    /// The class (`err.name`).
    pub kind: ErrorKind,
    /// What went wrong and what to do.
    pub message: String,
}

impl OpError {
    /// The wire form of this error.
    pub fn to_reply(&self) -> crate::ErrorReply {
        crate::ErrorReply::new(self.code, self.message.clone())
    }
}

impl std::fmt::Display for OpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (code {}): {}", self.kind.js_name(), self.code, self.message)
    }
}

impl std::error::Error for OpError {}

macro_rules! error_family {
    ($(#[$m:meta])* $name:ident { $($v:ident = $code:literal => $kind:ident,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(u16)]
        #[allow(non_camel_case_types, missing_docs)]
        pub enum $name { $($v = $code,)* }
        impl $name {
            /// Every code of the family.
            pub const ALL: &'static [$name] = &[$($name::$v,)*];
            /// The numeric code.
            pub fn code(self) -> u16 { self as u16 }
            /// The error class.
            pub fn kind(self) -> ErrorKind { match self { $($name::$v => ErrorKind::$kind,)* } }
            /// The family member with this number, if any.
            pub fn from_code(code: u16) -> Option<$name> {
                match code { $($code => Some($name::$v),)* _ => None }
            }
            /// This code with a message.
            pub fn err(self, message: impl Into<String>) -> OpError {
                OpError { code: self.code(), kind: self.kind(), message: message.into() }
            }
        }
    };
}

error_family!(
    /// `login()`.
    LoginError {
        UNKNOWN = 1 => Unknown, REJECTED = 2 => Unavailable, INVALID_ARGUMENT = 3 => InvalidArgument,
        INVALID_APP_ID = 4 => Unauthenticated, INVALID_TOKEN = 5 => Unauthenticated,
        TOKEN_EXPIRED = 6 => Unauthenticated, NOT_AUTHORIZED = 7 => Unauthenticated,
        ALREADY_LOGIN = 8 => InvalidStatus, TIMEOUT = 9 => Timeout, TOO_OFTEN = 10 => TooOften,
        ABORTED_BY_LOGOUT = 201 => InvalidStatus,
    }
);

error_family!(
    /// `logout()`.
    LogoutError { USER_NOT_LOGGED_IN = 102 => InvalidStatus, }
);

error_family!(
    /// `sendMessageToPeer()`.
    PeerMessageError {
        FAILURE = 1 => Unknown, TIMEOUT = 2 => Timeout, TOO_OFTEN = 5 => LimitExceeded,
        INVALID_USERID = 6 => InvalidArgument, INVALID_MESSAGE = 7 => InvalidArgument,
        INCOMPATIBLE_MESSAGE = 8 => Internal, USER_NOT_LOGGED_IN = 102 => InvalidStatus,
    }
);

error_family!(
    /// `channel.sendMessage()`.
    ChannelMessageError {
        FAILURE = 1 => Unknown, TIMEOUT = 2 => Timeout, TOO_OFTEN = 3 => LimitExceeded,
        INVALID_MESSAGE = 4 => InvalidArgument, NOT_IN_CHANNEL = 5 => InvalidStatus,
        USER_NOT_LOGGED_IN = 102 => InvalidStatus,
    }
);

error_family!(
    /// `channel.join()`.
    JoinChannelError {
        FAILURE = 1 => Unknown, REJECTED = 2 => Unavailable, INVALID_ARGUMENT = 3 => InvalidArgument,
        TIMEOUT = 4 => Timeout, EXCEED_LIMIT = 5 => LimitExceeded, ALREADY_JOINED = 6 => InvalidStatus,
        TOO_OFTEN = 7 => TooOften, JOIN_SAME_CHANNEL_TOO_OFTEN = 8 => TooOften,
        USER_NOT_LOGGED_IN = 102 => InvalidStatus, ABORTED_BY_LEAVE = 201 => InvalidStatus,
        ALREADY_JOINED_CHANNEL_OF_SAME_ID = 202 => InvalidStatus,
    }
);

error_family!(
    /// `channel.leave()`.
    LeaveChannelError {
        FAILURE = 1 => Unknown, REJECTED = 2 => Unavailable, NOT_IN_CHANNEL = 3 => InvalidStatus,
        KICKED = 4 => InvalidStatus, USER_NOT_LOGGED_IN = 102 => InvalidStatus,
    }
);

error_family!(
    /// `channel.getMembers()`.
    GetMembersError {
        FAILURE = 1 => Unknown, REJECTED = 2 => Unavailable, TIMEOUT = 3 => Timeout,
        TOO_OFTEN = 4 => TooOften, NOT_IN_CHANNEL = 5 => InvalidStatus,
        USER_NOT_LOGGED_IN = 102 => InvalidStatus,
    }
);

error_family!(
    /// `getChannelMemberCount()`.
    GetChannelMemberCountError {
        FAILURE = 1 => Unknown, INVALID_ARGUMENT = 2 => InvalidArgument, TOO_OFTEN = 3 => TooOften,
        TIMEOUT = 4 => Timeout, EXCEED_LIMIT = 5 => LimitExceeded, NOT_INITIALIZED = 101 => InvalidStatus,
        USER_NOT_LOGGED_IN = 102 => InvalidStatus,
    }
);

error_family!(
    /// `queryPeersOnlineStatus()`.
    QueryPeersOnlineStatusError {
        FAILURE = 1 => Unknown, INVALID_ARGUMENT = 2 => InvalidArgument, REJECTED = 3 => Unavailable,
        TIMEOUT = 4 => Timeout, TOO_OFTEN = 5 => TooOften, USER_NOT_LOGGED_IN = 102 => InvalidStatus,
    }
);

error_family!(
    /// `subscribePeersOnlineStatus()` / `unsubscribePeersOnlineStatus()`.
    PeerSubscriptionStatusError {
        FAILURE = 1 => Unknown, INVALID_ARGUMENT = 2 => InvalidArgument, REJECTED = 3 => Unavailable,
        TIMEOUT = 4 => Timeout, TOO_OFTEN = 5 => TooOften, OVERFLOW = 6 => LimitExceeded,
        USER_NOT_LOGGED_IN = 102 => InvalidStatus,
    }
);

error_family!(
    /// `queryPeersBySubscriptionOption()`.
    QueryPeersBySubscriptionOptionError {
        FAILURE = 1 => Unknown, TIMEOUT = 2 => Timeout, TOO_OFTEN = 3 => TooOften,
        USER_NOT_LOGGED_IN = 102 => InvalidStatus,
    }
);

error_family!(
    /// `renewToken()`.
    RenewTokenError {
        FAILURE = 1 => Unknown, INVALID_ARGUMENT = 2 => InvalidArgument, REJECTED = 3 => Unavailable,
        TOO_OFTEN = 4 => TooOften, TOKEN_EXPIRED = 5 => Unauthenticated, INVALID_TOKEN = 6 => Unauthenticated,
        USER_NOT_LOGGED_IN = 102 => InvalidStatus, ABORTED_BY_LOGOUT = 201 => InvalidStatus,
    }
);

error_family!(
    /// User and channel attribute operations.
    AttributeOperationError {
        NOT_READY = 1 => InvalidStatus, FAILURE = 2 => Unknown, INVALID_ARGUMENT = 3 => InvalidArgument,
        SIZE_OVERFLOW = 4 => LimitExceeded, TOO_OFTEN = 5 => TooOften, USER_NOT_FOUND = 6 => InvalidArgument,
        TIMEOUT = 7 => Timeout, USER_NOT_LOGGED_IN = 102 => InvalidStatus,
    }
);

error_family!(
    /// Invitation calls made outside the invitation's life cycle (thrown, not rejected).
    InvitationApiCallError {
        INVALID_ARGUMENT = 1 => InvalidArgument, NOT_STARTED = 2 => InvalidStatus,
        ALREADY_END = 3 => InvalidStatus, ALREADY_ACCEPT = 4 => InvalidStatus,
        ALREADY_SENT = 5 => InvalidStatus,
    }
);

error_family!(
    /// The error reply to `InviteSend` when the server refuses it before
    /// ringing anyone. Ours, not Agora's: `send()` returns nothing and Agora's
    /// LocalInvitationFailureReason has no "too often", so the SDK reports
    /// this as LocalInvitationFailure UNKNOWN. 6 keeps it apart from the
    /// InvitationApiCallError codes the same reply can carry (1-5).
    InviteSendError { TOO_OFTEN = 6 => TooOften, }
);

error_family!(
    /// `AgoraRTM.createInstance()` (thrown).
    CreateInstanceError { INVALID_ARGUMENT = 1 => InvalidArgument, }
);

error_family!(
    /// `client.createChannel()` (thrown).
    CreateChannelError { INVALID_ARGUMENT = 1 => InvalidArgument, }
);

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs<T: Copy>(all: &[T], code: impl Fn(T) -> u16) -> Vec<u16> {
        all.iter().map(|v| code(*v)).collect()
    }

    /// Apps compare `err.code` against these numbers: they must never move.
    #[test]
    fn codes_are_pinned() {
        assert_eq!(pairs(LoginError::ALL, LoginError::code), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 201]);
        assert_eq!(pairs(LogoutError::ALL, LogoutError::code), [102]);
        assert_eq!(pairs(PeerMessageError::ALL, PeerMessageError::code), [1, 2, 5, 6, 7, 8, 102]);
        assert_eq!(pairs(ChannelMessageError::ALL, ChannelMessageError::code), [1, 2, 3, 4, 5, 102]);
        assert_eq!(
            pairs(JoinChannelError::ALL, JoinChannelError::code),
            [1, 2, 3, 4, 5, 6, 7, 8, 102, 201, 202]
        );
        assert_eq!(pairs(LeaveChannelError::ALL, LeaveChannelError::code), [1, 2, 3, 4, 102]);
        assert_eq!(pairs(GetMembersError::ALL, GetMembersError::code), [1, 2, 3, 4, 5, 102]);
        assert_eq!(
            pairs(GetChannelMemberCountError::ALL, GetChannelMemberCountError::code),
            [1, 2, 3, 4, 5, 101, 102]
        );
        assert_eq!(
            pairs(QueryPeersOnlineStatusError::ALL, QueryPeersOnlineStatusError::code),
            [1, 2, 3, 4, 5, 102]
        );
        assert_eq!(
            pairs(PeerSubscriptionStatusError::ALL, PeerSubscriptionStatusError::code),
            [1, 2, 3, 4, 5, 6, 102]
        );
        assert_eq!(
            pairs(QueryPeersBySubscriptionOptionError::ALL, QueryPeersBySubscriptionOptionError::code),
            [1, 2, 3, 102]
        );
        assert_eq!(pairs(RenewTokenError::ALL, RenewTokenError::code), [1, 2, 3, 4, 5, 6, 102, 201]);
        assert_eq!(
            pairs(AttributeOperationError::ALL, AttributeOperationError::code),
            [1, 2, 3, 4, 5, 6, 7, 102]
        );
        assert_eq!(pairs(InvitationApiCallError::ALL, InvitationApiCallError::code), [1, 2, 3, 4, 5]);
        assert_eq!(pairs(InviteSendError::ALL, InviteSendError::code), [6]);
        assert_eq!(CreateInstanceError::INVALID_ARGUMENT.code(), 1);
        assert_eq!(CreateChannelError::INVALID_ARGUMENT.code(), 1);
    }

    #[test]
    fn from_code_inverts_code() {
        for v in PeerMessageError::ALL {
            assert_eq!(PeerMessageError::from_code(v.code()), Some(*v));
        }
        assert_eq!(PeerMessageError::from_code(3), None);
    }

    #[test]
    fn names_match_the_js_api() {
        let states: Vec<_> = ConnectionState::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(states, ["DISCONNECTED", "CONNECTING", "CONNECTED", "RECONNECTING", "ABORTED"]);
        assert_eq!(ConnectionChangeReason::REMOTE_LOGIN.as_str(), "REMOTE_LOGIN");
        assert!(ConnectionChangeReason::INTERRUPTED.should_retry());
        assert!(!ConnectionChangeReason::REMOTE_LOGIN.should_retry());
        // Agora names the message rate limit's error RtmLimitExceededError, other
        // "too often" errors RtmInvokeTooOftenError.
        assert_eq!(PeerMessageError::TOO_OFTEN.kind().js_name(), "RtmLimitExceededError");
        assert_eq!(ChannelMessageError::TOO_OFTEN.kind().js_name(), "RtmLimitExceededError");
        assert_eq!(JoinChannelError::TOO_OFTEN.kind().js_name(), "RtmInvokeTooOftenError");
    }
}
