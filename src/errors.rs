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

/// Why a request got no answer from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// The server refused it.
    Refused(ErrorReply),
    /// No reply in time.
    Timeout,
    /// The connection dropped (or was closed) first.
    LinkLost,
}
