//! What every client (the browser SDK, the native rtm-client) decides alike
//! while it establishes a session: how a request can fail, and what the
//! replies to `Resume` and `Login` mean for the attempt in progress. The
//! clients differ only in how they wait (browser timers, tokio).
//!
//! The functions are `#[inline]`: compiled in the calling crate, they are
//! optimized for size in the SDK (opt-level "z") rather than for speed as
//! this crate is; out of line they made the SDK 950 B (gzip) larger.

use crate::codes::{ErrorKind, LoginError, OpError};
use crate::{ErrorReply, Reply};

/// Why a request got no reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// The server refused it.
    Refused(ErrorReply),
    /// No reply in time.
    Timeout,
    /// The connection dropped (or was closed) first.
    LinkLost,
}

/// How one attempt to establish a session failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The server was not reachable, or did not answer: try again.
    Retry,
    /// The token has expired: try again once the app renews it.
    TokenExpired(OpError),
    /// The server refused: trying again would not help.
    Refused(OpError),
    /// A logout (or a newer login) started meanwhile.
    Superseded,
}

/// How a session was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Established {
    /// The old session is back, with its channels and the pushes it missed.
    Resumed,
    /// A new session: channels and subscriptions must be made again.
    Fresh,
}

/// What the reply to a `Resume` means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterResume {
    /// The session is back.
    Resumed,
    /// The session is gone (REJECTED): log in anew on the same link.
    LogInAnew,
    /// The attempt failed.
    Failed(Failure),
}

/// A refused login (or resume) as the attempt's failure.
#[inline]
pub fn login_failure(e: ErrorReply) -> Failure {
    let kind = LoginError::from_code(e.code).map(LoginError::kind).unwrap_or(ErrorKind::Unknown);
    let e = OpError { code: e.code, kind, message: e.message };
    if e.code == LoginError::TOKEN_EXPIRED.code() {
        Failure::TokenExpired(e)
    } else {
        Failure::Refused(e)
    }
}

/// The meaning of the reply to a `Resume`.
#[inline]
pub fn after_resume(reply: Result<Reply, RequestError>) -> AfterResume {
    match reply {
        Ok(Reply::Resumed { .. }) => AfterResume::Resumed,
        Err(RequestError::Refused(e)) if e.code == LoginError::REJECTED.code() => AfterResume::LogInAnew,
        Err(RequestError::Refused(e)) => AfterResume::Failed(login_failure(e)),
        Ok(_) | Err(RequestError::Timeout | RequestError::LinkLost) => AfterResume::Failed(Failure::Retry),
    }
}

/// The meaning of the reply to a `Login`: the new session's resume secret.
#[inline]
pub fn after_login(reply: Result<Reply, RequestError>) -> Result<String, Failure> {
    match reply {
        Ok(Reply::LoggedIn { resume, .. }) => Ok(resume),
        // Not printed: its Debug formatting would weigh on the browser SDK.
        Ok(_) => Err(Failure::Refused(
            LoginError::UNKNOWN.err("unexpected login reply: is the server an rtm-server of this version?"),
        )),
        Err(RequestError::Refused(e)) => Err(login_failure(e)),
        Err(RequestError::Timeout | RequestError::LinkLost) => Err(Failure::Retry),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(code: u16) -> Result<Reply, RequestError> {
        Err(RequestError::Refused(ErrorReply::new(code, "no")))
    }

    #[test]
    fn replies_to_resume() {
        assert_eq!(after_resume(Ok(Reply::Resumed { server_ts: 1 })), AfterResume::Resumed);
        assert_eq!(after_resume(refused(LoginError::REJECTED.code())), AfterResume::LogInAnew);
        assert!(matches!(after_resume(refused(5)), AfterResume::Failed(Failure::Refused(e)) if e.code == 5));
        assert!(matches!(after_resume(refused(6)), AfterResume::Failed(Failure::TokenExpired(_))));
        assert_eq!(after_resume(Err(RequestError::Timeout)), AfterResume::Failed(Failure::Retry));
        assert_eq!(after_resume(Ok(Reply::Done)), AfterResume::Failed(Failure::Retry));
    }

    #[test]
    fn replies_to_login() {
        let ok = Reply::LoggedIn { server_ts: 1, server: "s".into(), resume: "secret".into(), grace_ms: 1 };
        assert_eq!(after_login(Ok(ok)), Ok("secret".into()));
        assert_eq!(after_login(Err(RequestError::LinkLost)), Err(Failure::Retry));
        assert!(
            matches!(after_login(refused(4)), Err(Failure::Refused(e)) if e.kind == ErrorKind::Unauthenticated)
        );
        assert!(matches!(after_login(Ok(Reply::Done)), Err(Failure::Refused(e)) if e.code == 1));
    }
}
