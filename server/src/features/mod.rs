//! What users can do, one feature per folder entry. Each feature owns its
//! state (behind its own lock, keyed by session id where it is per session),
//! handles its requests, hears its events from the broker, and cleans up
//! when a session ends. Features depend on the node, the sessions and the
//! engine — never on each other; `services` wires them together.
//!
//! A request handler returns a [`Handled`]: the reply, and the work that must
//! come after it (a push the client must see after the reply), or a reply
//! that waits for another client and so must not hold up the connection.

pub mod attributes;
pub mod channels;
pub mod invitations;
pub mod peer;
pub mod presence;

use futures_util::future::BoxFuture;
use rtm_protocol::{OpError, Reply};

/// A reply, or the error the client's Promise rejects with.
pub type Answer = Result<Reply, OpError>;

/// The outcome of handling one request.
pub enum Handled {
    /// Reply now.
    Reply(Answer),
    /// Reply now, then run this (after the reply is queued).
    ReplyThen(Answer, BoxFuture<'static, ()>),
    /// The reply needs a wait (another client's acknowledgement): the
    /// connection runs this beside its reader and replies when it resolves.
    Later(BoxFuture<'static, Answer>),
    /// No reply: an acknowledgement from the client.
    Silent,
}

impl From<Answer> for Handled {
    fn from(answer: Answer) -> Self {
        Handled::Reply(answer)
    }
}

/// "Done", or the error.
pub fn done(result: Result<(), OpError>) -> Handled {
    Handled::Reply(result.map(|()| Reply::Done))
}

/// An engine failure, worded for the client.
pub fn unavailable(what: &str, e: impl std::fmt::Display) -> String {
    format!("{what} unavailable: {e}; retry shortly")
}
