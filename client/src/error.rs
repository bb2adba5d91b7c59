//! Errors: one type, [`Error`], carrying Agora's numeric code for the
//! operation that failed (the same number the web SDK's `err.code` has), its
//! class and a message a person can act on.
//!
//! Each operation belongs to a family of codes (`rtm_protocol::codes`); a
//! [`Family`] says which of its codes mean "not logged in", "the connection
//! was lost" and "no answer in time", so that every method reports those three
//! the way the web SDK does for it.

use rtm_protocol::codes::*;
use rtm_protocol::ErrorKind;

/// A failed operation: `code` is Agora's number within the operation's family
/// (e.g. 102 `USER_NOT_LOGGED_IN`), `kind` its class (`RtmInvalidStatusError`
/// in the web SDK), `message` what went wrong and what to do.
pub type Error = rtm_protocol::OpError;

/// What a method returns.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a request got no reply (shared with every client: rtm-protocol).
pub(crate) use rtm_protocol::session::RequestError;

/// How one operation family names its failures.
#[derive(Clone, Copy)]
pub(crate) struct Family {
    /// The class of a code the server sent.
    pub kind_of: fn(u16) -> Option<ErrorKind>,
    /// The family's USER_NOT_LOGGED_IN (102 in every family that has one).
    pub not_logged_in: u16,
    /// The connection dropped before the answer.
    pub lost: u16,
    /// No answer in time.
    pub timeout: u16,
}

impl Family {
    fn error(&self, code: u16, message: impl Into<String>) -> Error {
        let kind = (self.kind_of)(code).unwrap_or(ErrorKind::Unknown);
        Error { code, kind, message: message.into() }
    }

    /// "Not logged in", saying what the connection is doing instead.
    pub fn not_logged_in(&self, why: &str) -> Error {
        self.error(self.not_logged_in, why)
    }

    /// A request's outcome as this family reports it.
    pub fn settle(&self, outcome: Result<rtm_protocol::Reply, RequestError>) -> Result<rtm_protocol::Reply> {
        outcome.map_err(|e| match e {
            RequestError::Refused(reply) => self.error(reply.code, reply.message),
            RequestError::Timeout => {
                self.error(self.timeout, "the server did not answer in time; check the connection and retry")
            }
            RequestError::LinkLost => self.error(
                self.lost,
                "the connection was lost before the server answered; retry once reconnected",
            ),
        })
    }

    /// A reply of the wrong kind (a server speaking another dialect).
    pub fn unexpected(&self, reply: &rtm_protocol::Reply) -> Error {
        self.error(self.lost, format!("unexpected reply from the server: {reply:?}"))
    }
}

macro_rules! family {
    ($name:ident: $codes:ident, lost $lost:ident, timeout $timeout:ident) => {
        pub(crate) const $name: Family = Family {
            kind_of: |c| $codes::from_code(c).map($codes::kind),
            not_logged_in: 102,
            lost: $codes::$lost as u16,
            timeout: $codes::$timeout as u16,
        };
    };
}

family!(PEER: PeerMessageError, lost FAILURE, timeout TIMEOUT);
family!(CHANNEL_MESSAGE: ChannelMessageError, lost FAILURE, timeout TIMEOUT);
family!(JOIN: JoinChannelError, lost FAILURE, timeout TIMEOUT);
family!(LEAVE: LeaveChannelError, lost FAILURE, timeout FAILURE);
family!(MEMBERS: GetMembersError, lost FAILURE, timeout TIMEOUT);
family!(MEMBER_COUNT: GetChannelMemberCountError, lost FAILURE, timeout TIMEOUT);
family!(QUERY: QueryPeersOnlineStatusError, lost FAILURE, timeout TIMEOUT);
family!(SUBSCRIBE: PeerSubscriptionStatusError, lost FAILURE, timeout TIMEOUT);
family!(RENEW: RenewTokenError, lost FAILURE, timeout FAILURE);
family!(ATTRS: AttributeOperationError, lost FAILURE, timeout TIMEOUT);

#[cfg(test)]
mod tests {
    use super::*;
    use rtm_protocol::ErrorReply;

    #[test]
    fn families_name_their_own_codes() {
        let e = PEER.settle(Err(RequestError::Timeout)).unwrap_err();
        assert_eq!((e.code, e.kind), (2, ErrorKind::Timeout));
        let e = JOIN.not_logged_in("logged out");
        assert_eq!((e.code, e.kind), (102, ErrorKind::InvalidStatus));
        let e = ATTRS.settle(Err(RequestError::Refused(ErrorReply::new(4, "too big")))).unwrap_err();
        assert_eq!((e.code, e.kind, e.message.as_str()), (4, ErrorKind::LimitExceeded, "too big"));
        let e = LEAVE.settle(Err(RequestError::LinkLost)).unwrap_err();
        assert_eq!(e.code, 1);
    }
}
