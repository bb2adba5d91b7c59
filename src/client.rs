//! `RtmClient`, the class apps hold: thin methods over [`Core`] that turn
//! results into Promises and failures into coded Errors.

use crate::core::Core;
use crate::emitter::emitter_methods;
use crate::errors::{self, RequestError};
use crate::{login, message};
use js_sys::{Object, Promise, Reflect};
use rtm_protocol::codes::PeerMessageError;
use rtm_protocol::limits::{self, REQUEST_TIMEOUT_MS};
use rtm_protocol::{OpError, Reply, Request};
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// A client of one app: `AgoraRTM.createInstance(appId)`.
#[wasm_bindgen(skip_typescript)]
pub struct RtmClient {
    pub(crate) core: Rc<Core>,
}

/// Runs `fut` as a Promise that rejects with a coded Error.
pub(crate) fn promise<F>(fut: F) -> Promise
where
    F: Future<Output = Result<JsValue, OpError>> + 'static,
{
    wasm_bindgen_futures::future_to_promise(async move { fut.await.map_err(|e| errors::to_js(&e)) })
}

impl RtmClient {
    fn emitter(&self) -> &crate::emitter::Emitter {
        &self.core.emitter
    }
}

emitter_methods!(RtmClient);

#[wasm_bindgen]
impl RtmClient {
    /// Logs in: `login({uid, token?})`.
    pub fn login(&self, options: JsValue) -> Promise {
        let core = self.core.clone();
        promise(async move { login::login(core, options).await.map(|()| JsValue::UNDEFINED) })
    }

    /// Logs out; resolves once the socket is closed.
    pub fn logout(&self) -> Promise {
        let core = self.core.clone();
        promise(async move { login::logout(core).await.map(|()| JsValue::UNDEFINED) })
    }

    /// Sends a message to one user: resolves `{hasPeerReceived}`.
    #[wasm_bindgen(js_name = sendMessageToPeer)]
    pub fn send_message_to_peer(&self, message: JsValue, peer_id: JsValue, options: JsValue) -> Promise {
        let core = self.core.clone();
        promise(async move { send_to_peer(core, message, peer_id, options).await })
    }

    /// Builds a message object, inferring `messageType`.
    #[wasm_bindgen(js_name = createMessage)]
    pub fn create_message(&self, partial: JsValue) -> JsValue {
        message::create(&partial)
    }

    /// Applies `logFilter` to this client's console output.
    #[wasm_bindgen(js_name = updateConfig)]
    pub fn update_config(&self, config: JsValue) {
        self.core.apply_config(&config);
    }

    /// Same as `updateConfig`.
    #[wasm_bindgen(js_name = setParameters)]
    pub fn set_parameters(&self, config: JsValue) {
        self.core.apply_config(&config);
    }
}

async fn send_to_peer(
    core: Rc<Core>,
    message: JsValue,
    peer: JsValue,
    options: JsValue,
) -> Result<JsValue, OpError> {
    let payload = message::read(&message).map_err(|m| PeerMessageError::INVALID_MESSAGE.err(m))?;
    let peer =
        peer.as_string().ok_or_else(|| PeerMessageError::INVALID_USERID.err("peerId must be a string"))?;
    limits::validate_id(&peer).map_err(|e| PeerMessageError::INVALID_USERID.err(e.describe("peerId")))?;
    let offline = options.is_object()
        && Reflect::get(&options, &"enableOfflineMessaging".into()).is_ok_and(|v| v.is_truthy());
    if !core.state().is_connected() {
        return Err(PeerMessageError::USER_NOT_LOGGED_IN
            .err("not logged in: call login() first and wait for it to resolve"));
    }
    if !core.send_rate.borrow_mut().try_hit(js_sys::Date::now() as u64) {
        return Err(PeerMessageError::TOO_OFTEN.err(format!(
            "more than {} messages in {} ms (peer and channel messages together); slow down",
            limits::SEND_RATE_MAX,
            limits::SEND_RATE_WINDOW_MS
        )));
    }
    let reply = core.request(Request::SendPeer { peer, payload, offline }, REQUEST_TIMEOUT_MS).await;
    match reply.unwrap_or(Err(RequestError::LinkLost)) {
        Ok(Reply::PeerSent { has_peer_received }) => {
            let result = Object::new();
            let _ = Reflect::set(&result, &"hasPeerReceived".into(), &has_peer_received.into());
            Ok(result.into())
        }
        Ok(other) => Err(PeerMessageError::FAILURE.err(format!("unexpected reply {other:?}"))),
        Err(RequestError::Refused(e)) => {
            Err(errors::from_reply(e, |c| PeerMessageError::from_code(c).map(PeerMessageError::kind)))
        }
        Err(RequestError::Timeout) => Err(PeerMessageError::TIMEOUT
            .err("the server did not answer in time; the message may not have arrived")),
        Err(RequestError::LinkLost) => Err(PeerMessageError::FAILURE
            .err("the connection was lost before the server confirmed the message; send it again")),
    }
}
