//! Which code of an operation's family means what, for every client alike (the
//! browser SDK, the native rtm-client): one table, so that "the connection was
//! lost", "no answer in time" and "not logged in" read the same everywhere.
//!
//! Agora numbers errors per operation, so a code only means something with its
//! family: 2 is a peer message's TIMEOUT but a channel join's REJECTED.

use crate::codes::*;
use crate::session::RequestError;
use crate::{ErrorKind, Reply};

/// One operation family's codes and the three a client produces itself.
#[derive(Clone, Copy)]
pub struct Family {
    /// The class of a code of this family (`None`: not one of its codes).
    pub kind_of: fn(u16) -> Option<ErrorKind>,
    /// The connection dropped before the answer came (the family's FAILURE).
    pub lost: u16,
    /// No answer in time (the family's TIMEOUT, or FAILURE where it has none).
    pub timeout: u16,
}

/// Every family that has it says USER_NOT_LOGGED_IN with this code.
pub const NOT_LOGGED_IN: u16 = 102;

impl Family {
    /// `code` of this family with `message`, classed as the family classes it
    /// (`Unknown` for a code it does not have).
    pub fn err(&self, code: u16, message: impl Into<String>) -> OpError {
        let kind = (self.kind_of)(code).unwrap_or(ErrorKind::Unknown);
        OpError { code, kind, message: message.into() }
    }

    /// "Not logged in", saying what the connection is doing instead.
    pub fn not_logged_in(&self, why: impl Into<String>) -> OpError {
        self.err(NOT_LOGGED_IN, why)
    }

    /// The connection was lost before the server answered.
    pub fn lost(&self) -> OpError {
        self.err(self.lost, "the connection was lost before the server answered; retry once reconnected")
    }

    /// The server did not answer in time.
    pub fn timed_out(&self) -> OpError {
        self.err(self.timeout, "the server did not answer in time; check the connection and retry")
    }

    /// A request's outcome as this family reports it: a refusal with the
    /// server's code, a timeout or a lost connection with the family's own.
    pub fn settle(&self, outcome: Result<Reply, RequestError>) -> Result<Reply, OpError> {
        outcome.map_err(|e| match e {
            RequestError::Refused(reply) => self.err(reply.code, reply.message),
            RequestError::Timeout => self.timed_out(),
            RequestError::LinkLost => self.lost(),
        })
    }

    /// A reply of the wrong kind: a server speaking another dialect. (The reply
    /// is not printed: its Debug formatting would weigh on the browser SDK.)
    pub fn unexpected(&self) -> OpError {
        self.err(self.lost, "unexpected reply from the server: is it an rtm-server of this client's version?")
    }
}

macro_rules! family {
    ($(#[$m:meta])* $name:ident: $codes:ident, lost $lost:ident, timeout $timeout:ident) => {
        $(#[$m])*
        pub const $name: Family = Family {
            kind_of: |c| $codes::from_code(c).map($codes::kind),
            lost: $codes::$lost as u16,
            timeout: $codes::$timeout as u16,
        };
    };
}

family!(
    /// `sendMessageToPeer()`.
    PEER: PeerMessageError, lost FAILURE, timeout TIMEOUT
);
family!(
    /// `channel.sendMessage()`.
    CHANNEL_MESSAGE: ChannelMessageError, lost FAILURE, timeout TIMEOUT
);
family!(
    /// `channel.join()`.
    JOIN: JoinChannelError, lost FAILURE, timeout TIMEOUT
);
family!(
    /// `channel.leave()` (no TIMEOUT code).
    LEAVE: LeaveChannelError, lost FAILURE, timeout FAILURE
);
family!(
    /// `channel.getMembers()`.
    MEMBERS: GetMembersError, lost FAILURE, timeout TIMEOUT
);
family!(
    /// `getChannelMemberCount()`.
    MEMBER_COUNT: GetChannelMemberCountError, lost FAILURE, timeout TIMEOUT
);
family!(
    /// `queryPeersOnlineStatus()`.
    QUERY: QueryPeersOnlineStatusError, lost FAILURE, timeout TIMEOUT
);
family!(
    /// `subscribePeersOnlineStatus()`, `unsubscribePeersOnlineStatus()`.
    SUBSCRIBE: PeerSubscriptionStatusError, lost FAILURE, timeout TIMEOUT
);
family!(
    /// `renewToken()` (no TIMEOUT code).
    RENEW: RenewTokenError, lost FAILURE, timeout FAILURE
);
family!(
    /// The user and channel attribute operations.
    ATTRS: AttributeOperationError, lost FAILURE, timeout TIMEOUT
);
family!(
    /// `queryPeersBySubscriptionOption()`.
    SUBSCRIBED: QueryPeersBySubscriptionOptionError, lost FAILURE, timeout TIMEOUT
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_name_their_own_codes() {
        assert_eq!((PEER.timed_out().code, PEER.timed_out().kind), (2, ErrorKind::Timeout));
        assert_eq!(
            (JOIN.not_logged_in("out").code, JOIN.not_logged_in("out").kind),
            (102, ErrorKind::InvalidStatus)
        );
        let e = ATTRS.err(4, "too big");
        assert_eq!((e.code, e.kind, e.message.as_str()), (4, ErrorKind::LimitExceeded, "too big"));
        assert_eq!((LEAVE.lost().code, LEAVE.timed_out().code), (1, 1), "leave has no TIMEOUT");
        assert_eq!((RENEW.timed_out().code, ATTRS.lost().code), (1, 2), "attributes' FAILURE is 2");
        assert_eq!(PEER.err(999, "?").kind, ErrorKind::Unknown, "a code not of the family");
        let refused = Err(RequestError::Refused(crate::ErrorReply::new(4, "too big")));
        let e = ATTRS.settle(refused).unwrap_err();
        assert_eq!((e.code, e.kind, e.message.as_str()), (4, ErrorKind::LimitExceeded, "too big"));
        assert_eq!(PEER.settle(Err(RequestError::Timeout)).unwrap_err().code, 2);
        assert_eq!(LEAVE.settle(Err(RequestError::LinkLost)).unwrap_err().code, 1);
        for family in [
            PEER,
            CHANNEL_MESSAGE,
            JOIN,
            LEAVE,
            MEMBERS,
            MEMBER_COUNT,
            QUERY,
            SUBSCRIBE,
            RENEW,
            ATTRS,
            SUBSCRIBED,
        ] {
            assert_eq!((family.kind_of)(NOT_LOGGED_IN), Some(ErrorKind::InvalidStatus));
        }
    }
}
