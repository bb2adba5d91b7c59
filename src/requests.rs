//! One path for the methods that are a single request and its reply: they
//! check their arguments, the session and their budget at once, then share
//! this one future for the round trip.
//!
//! Why: an `async fn` per method compiled its own state machine into the
//! bundle, 1–3 KB each (docs/benchmarks.md, "SDK size"). A method here is a
//! plain function returning the request and how to read its reply.

use crate::core::Core;
use crate::errors::{self, promise};
use js_sys::Promise;
use rtm_protocol::families::Family;
use rtm_protocol::limits::REQUEST_TIMEOUT_MS;
use rtm_protocol::{OpError, Reply, Request};
use std::rc::Rc;
use wasm_bindgen::JsValue;

/// Reads a reply into the method's result.
pub type Decode = Box<dyn FnOnce(Reply) -> Result<JsValue, OpError>>;

/// A request ready to go, or why the call fails before it is sent.
pub type Prepared = Result<(Request, Decode), OpError>;

/// Reads nothing from the reply: the method resolves with `undefined`.
pub fn done() -> Decode {
    Box::new(|_| Ok(JsValue::UNDEFINED))
}

/// Sends `prepared` and settles the Promise with its decoded reply, or with
/// the error of its family (`family`) when it fails, times out or is refused.
pub fn ask(core: &Rc<Core>, family: &'static Family, prepared: Prepared) -> Promise {
    let (req, decode) = match prepared {
        Ok(ready) => ready,
        Err(e) => return Promise::reject(&errors::to_js(&e)),
    };
    let core = core.clone();
    promise(async move {
        let reply = core.request(req, REQUEST_TIMEOUT_MS).await;
        decode(errors::settle(reply, family)?)
    })
}
