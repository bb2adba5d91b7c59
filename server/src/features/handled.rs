//! What a request handler returns: the reply, and what comes after it. Shared
//! by every feature, and by the connection that writes the reply.

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
