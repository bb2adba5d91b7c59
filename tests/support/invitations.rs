//! Call invitations as the browser suites drive them: typed bindings to
//! `LocalInvitation` / `RemoteInvitation`, the names of their events, and a
//! recorder of those events. Shared by browser_invitations.rs (one server) and
//! browser_cluster_state.rs (caller and callee on different nodes), which must
//! drive the SDK exactly alike for their results to compare.

use super::{within_ok, Client, Recorder};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(method, catch, js_name = createLocalInvitation)]
    pub fn create_local_invitation(this: &Client, callee: &JsValue) -> Result<Invitation, JsValue>;

    /// A LocalInvitation or a RemoteInvitation: the same calls, structurally.
    #[derive(Clone)]
    pub type Invitation;
    #[wasm_bindgen(method, getter)]
    pub fn state(this: &Invitation) -> String;
    #[wasm_bindgen(method, getter)]
    pub fn response(this: &Invitation) -> String;
    #[wasm_bindgen(method, catch, setter)]
    pub fn set_response(this: &Invitation, v: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method, getter)]
    pub fn content(this: &Invitation) -> String;
    #[wasm_bindgen(method, catch, setter)]
    pub fn set_content(this: &Invitation, v: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method, getter, js_name = channelId)]
    pub fn channel_id(this: &Invitation) -> String;
    #[wasm_bindgen(method, setter, js_name = channelId)]
    pub fn set_channel_id(this: &Invitation, v: &str);
    #[wasm_bindgen(method, catch, setter, js_name = channelId)]
    pub fn try_set_channel_id(this: &Invitation, v: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method, getter, js_name = callId)]
    pub fn call_id(this: &Invitation) -> String;
    #[wasm_bindgen(method, getter, js_name = callerId)]
    pub fn caller_id(this: &Invitation) -> String;
    #[wasm_bindgen(method, getter, js_name = calleeId)]
    pub fn callee_id(this: &Invitation) -> String;
    #[wasm_bindgen(method, catch)]
    pub fn send(this: &Invitation) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    pub fn cancel(this: &Invitation) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    pub fn accept(this: &Invitation) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    pub fn refuse(this: &Invitation) -> Result<(), JsValue>;
    #[wasm_bindgen(method, js_name = on)]
    pub fn inv_on(this: &Invitation, event: &str, listener: &JsValue) -> JsValue;
}

/// Every event a LocalInvitation emits.
pub const LOCAL_EVENTS: [&str; 5] = [
    "LocalInvitationReceivedByPeer",
    "LocalInvitationAccepted",
    "LocalInvitationRefused",
    "LocalInvitationCanceled",
    "LocalInvitationFailure",
];
/// Every event a RemoteInvitation emits.
pub const REMOTE_EVENTS: [&str; 4] = [
    "RemoteInvitationAccepted",
    "RemoteInvitationRefused",
    "RemoteInvitationCanceled",
    "RemoteInvitationFailure",
];

/// Every event of an invitation as "Name(arg)", in order: one list across
/// event names, so a test sees the order in which they came.
pub struct Events {
    /// Kept alive as long as the recorder: the invitation calls them.
    _listeners: Vec<Closure<dyn FnMut(JsValue)>>,
    log: Rc<RefCell<Vec<String>>>,
}

impl Events {
    pub fn watch(inv: &Invitation, names: &[&'static str]) -> Events {
        let log: Rc<RefCell<Vec<String>>> = Default::default();
        let mut listeners = Vec::new();
        for &name in names {
            let log = log.clone();
            let f = Closure::<dyn FnMut(JsValue)>::new(move |arg: JsValue| {
                let arg = arg.as_string().map(|a| format!("({a})")).unwrap_or_default();
                log.borrow_mut().push(format!("{name}{arg}"));
            });
            inv.inv_on(name, f.as_ref().unchecked_ref());
            listeners.push(f);
        }
        Events { _listeners: listeners, log }
    }

    pub fn list(&self) -> Vec<String> {
        self.log.borrow().clone()
    }

    /// Waits up to 10 s for `n` events; returns them all. A failure names the
    /// events that did come.
    pub async fn wait(&self, n: usize) -> Vec<String> {
        if !within_ok(10, || self.log.borrow().len() >= n).await {
            panic!("expected {n} invitation events within 10 s, got {:?}", self.list());
        }
        self.list()
    }
}

/// The first `n` invitations a `RemoteInvitationReceived` recorder got, in order.
pub async fn received(rec: &Recorder, n: usize) -> Vec<Invitation> {
    rec.wait_for(n).await.iter().map(|a| a.get(0).unchecked_into::<Invitation>()).collect()
}
