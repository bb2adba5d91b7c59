//! Errors as the app sees them: a JS `Error` with Agora's numeric `code` and the
//! class name (`err.name`, e.g. `RtmInvalidArgumentError`), and the Promises
//! of the async methods, which reject with them.

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

/// Runs `fut` as a Promise that rejects with a coded Error.
pub fn promise<F>(fut: F) -> js_sys::Promise
where
    F: std::future::Future<Output = Result<JsValue, OpError>> + 'static,
{
    boxed_promise(Box::pin(fut))
}

/// One instantiation of the Promise machinery for every method: boxing each
/// method's future first keeps the bundle small (docs/benchmarks.md).
fn boxed_promise(
    fut: std::pin::Pin<Box<dyn std::future::Future<Output = Result<JsValue, OpError>>>>,
) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(async move { fut.await.map_err(|e| to_js(&e)) })
}

/// Why a request got no answer (shared with every client: rtm-protocol).
pub use rtm_protocol::session::RequestError;

/// A reply as the operation's result, or its coded error as its family
/// (`rtm_protocol::families`) names it.
pub fn settle(
    reply: Result<Result<rtm_protocol::Reply, RequestError>, futures_channel::oneshot::Canceled>,
    family: &Family,
) -> Result<rtm_protocol::Reply, OpError> {
    let outcome = reply.unwrap_or(Err(RequestError::LinkLost));
    let lost = matches!(outcome, Err(RequestError::LinkLost));
    family.settle(outcome).map_err(|mut e| {
        if lost {
            // The family's FAILURE code, named as Agora names a lost connection.
            e.kind = ErrorKind::Unavailable;
        }
        e
    })
}
