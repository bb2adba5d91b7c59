//! Errors as the app sees them: a JS `Error` with Agora's numeric `code` and the
//! class name (`err.name`, e.g. `RtmInvalidArgumentError`).

use rtm_protocol::families::Family;
use rtm_protocol::{ErrorKind, OpError};
use wasm_bindgen::JsValue;

/// The JS error for `e`.
pub fn to_js(e: &OpError) -> JsValue {
    let err = js_sys::Error::new(&e.message);
    err.set_name(e.kind.js_name());
    let _ = js_sys::Reflect::set(&err, &"code".into(), &JsValue::from(e.code));
    err.into()
}

/// Why a request got no answer (shared with every client: rtm-protocol).
pub use rtm_protocol::session::RequestError;

/// A reply as the operation's result, or its coded error as its family
/// (`rtm_protocol::families`) names it.
pub fn settle(
    reply: Result<Result<rtm_protocol::Reply, RequestError>, futures_channel::oneshot::Canceled>,
    family: &Family,
) -> Result<rtm_protocol::Reply, OpError> {
    match reply.unwrap_or(Err(RequestError::LinkLost)) {
        Ok(reply) => Ok(reply),
        Err(RequestError::Refused(e)) => Err(family.err(e.code, e.message)),
        Err(RequestError::Timeout) => Err(family.timed_out()),
        Err(RequestError::LinkLost) => {
            // The family's FAILURE code, named as Agora names a lost connection.
            let mut e = family.lost();
            e.kind = ErrorKind::Unavailable;
            Err(e)
        }
    }
}
