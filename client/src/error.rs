//! Errors: one type, [`Error`], carrying Agora's numeric code for the
//! operation that failed (the same number the web SDK's `err.code` has), its
//! class and a message a person can act on.
//!
//! Each operation belongs to a family of codes (`rtm_protocol::codes`); its
//! [`Family`] (`rtm_protocol::families`, the table the web SDK uses too) says
//! which of its codes mean "not logged in", "the connection was lost" and "no
//! answer in time", so that every method reports those three the way the web
//! SDK does for it.

/// A failed operation: `code` is Agora's number within the operation's family
/// (e.g. 102 `USER_NOT_LOGGED_IN`), `kind` its class (`RtmInvalidStatusError`
/// in the web SDK), `message` what went wrong and what to do.
pub type Error = rtm_protocol::OpError;

/// What a method returns.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a request got no reply (shared with every client: rtm-protocol).
pub(crate) use rtm_protocol::session::RequestError;

/// The families of this crate's operations.
pub(crate) use rtm_protocol::families::{
    Family, ATTRS, CHANNEL_MESSAGE, JOIN, LEAVE, MEMBERS, MEMBER_COUNT, PEER, QUERY, RENEW, SUBSCRIBE,
};
