//! Errors as the app sees them: a JS `Error` with Agora's numeric `code` and the
//! class name (`err.name`, e.g. `RtmInvalidArgumentError`).

use rtm_protocol::{ErrorKind, ErrorReply, OpError};
use wasm_bindgen::JsValue;

/// The JS error for `e`.
pub fn to_js(e: &OpError) -> JsValue {
    let err = js_sys::Error::new(&e.message);
    err.set_name(e.kind.js_name());
    let _ = js_sys::Reflect::set(&err, &"code".into(), &JsValue::from(e.code));
    err.into()
}

/// A server's refusal, classed by the operation family that sent it.
pub fn from_reply(reply: ErrorReply, kind_of: impl Fn(u16) -> Option<ErrorKind>) -> OpError {
    let kind = kind_of(reply.code).unwrap_or(ErrorKind::Unknown);
    OpError { code: reply.code, kind, message: reply.message }
}

/// Why a request got no answer (shared with every client: rtm-protocol).
pub use rtm_protocol::session::RequestError;

/// How one operation family names its failures, for [`settle`].
pub struct Family {
    /// The class of a code the server sent.
    pub kind_of: fn(u16) -> Option<ErrorKind>,
    /// "The connection dropped before the answer" (the family's FAILURE).
    pub lost: fn(&str) -> OpError,
    /// "No answer in time" (the family's TIMEOUT, or FAILURE without one).
    pub timeout: fn(&str) -> OpError,
}

/// A reply as the operation's result or its coded error.
pub fn settle(
    reply: Result<Result<rtm_protocol::Reply, RequestError>, futures_channel::oneshot::Canceled>,
    family: &Family,
) -> Result<rtm_protocol::Reply, OpError> {
    match reply.unwrap_or(Err(RequestError::LinkLost)) {
        Ok(reply) => Ok(reply),
        Err(RequestError::Refused(e)) => Err(from_reply(e, family.kind_of)),
        Err(RequestError::Timeout) => {
            Err((family.timeout)("the server did not answer in time; check the connection and retry"))
        }
        Err(RequestError::LinkLost) => {
            // The family's FAILURE code, named as Agora names a lost connection.
            let mut e =
                (family.lost)("the connection was lost before the server answered; retry once reconnected");
            e.kind = ErrorKind::Unavailable;
            Err(e)
        }
    }
}

/// The error for an unexpected reply (a server speaking another dialect).
pub fn unexpected(reply: &rtm_protocol::Reply, lost: fn(&str) -> OpError) -> OpError {
    lost(&format!("unexpected reply from the server: {reply:?}"))
}
