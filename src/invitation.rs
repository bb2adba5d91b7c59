//! Call invitations: `LocalInvitation` (the caller's) and `RemoteInvitation`
//! (the callee's), their state machines and events. Misuse throws at once an
//! Error with the InvitationApiCallError code and changes nothing; outcomes
//! arrive as events.

use crate::core::Core;
use crate::emitter::{emitter_methods, Emitter};
use crate::errors::{self, RequestError};
use rtm_protocol::codes::InvitationApiCallError as InvErr;
use rtm_protocol::limits::{MAX_INVITATION_BYTES, REQUEST_TIMEOUT_MS};
use rtm_protocol::{InvitationUpdate, Reply, Request};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

fn throw(code: InvErr, message: &str) -> JsValue {
    errors::to_js(&code.err(message))
}

fn check_size(what: &str, text: &str) -> Result<(), JsValue> {
    if text.len() > MAX_INVITATION_BYTES {
        let msg = format!("the {what} is {} bytes; at most {MAX_INVITATION_BYTES}", text.len());
        return Err(throw(InvErr::INVALID_ARGUMENT, &msg));
    }
    Ok(())
}

fn read_text(value: JsValue, what: &str) -> Result<String, JsValue> {
    let text = value
        .as_string()
        .ok_or_else(|| throw(InvErr::INVALID_ARGUMENT, &format!("{what} must be a string")))?;
    check_size(what, &text)?;
    Ok(text)
}

/// Emits from a microtask: `send()` and friends return before their listeners run.
fn emit_later(inner: Rc<impl HasEmitter + 'static>, event: &'static str, args: Vec<JsValue>) {
    wasm_bindgen_futures::spawn_local(async move { inner.emitter().emit(event, &args) });
}

trait HasEmitter {
    fn emitter(&self) -> &Emitter;
}

/// What a `LocalInvitation` and the core share.
pub struct LocalInner {
    callee: String,
    content: RefCell<String>,
    channel_id: RefCell<String>,
    response: RefCell<String>,
    state: Cell<&'static str>,
    id: Cell<Option<u64>>,
    cancel_asked: Cell<bool>,
    emitter: Emitter,
}

impl HasEmitter for LocalInner {
    fn emitter(&self) -> &Emitter {
        &self.emitter
    }
}

impl LocalInner {
    fn ended(&self) -> bool {
        matches!(self.state.get(), "ACCEPTED_BY_REMOTE" | "REFUSED_BY_REMOTE" | "CANCELED" | "FAILURE")
    }

    fn fail(self: &Rc<Self>, reason: &str) {
        if self.ended() {
            return;
        }
        self.state.set("FAILURE");
        self.emitter.emit("LocalInvitationFailure", &[reason.into()]);
    }

    /// The session ended (logout, kicked) while this invitation was pending.
    pub fn end_with_session(self: &Rc<Self>) {
        if !self.ended() {
            self.fail("NOT_LOGGEDIN");
        }
    }

    /// An update from the server.
    pub fn on_update(self: &Rc<Self>, update: InvitationUpdate) {
        if self.ended() {
            return;
        }
        match update {
            InvitationUpdate::ReceivedByPeer => {
                self.state.set("RECEIVED_BY_REMOTE");
                self.emitter.emit("LocalInvitationReceivedByPeer", &[]);
            }
            InvitationUpdate::Accepted(response) => {
                *self.response.borrow_mut() = response.clone();
                self.state.set("ACCEPTED_BY_REMOTE");
                self.emitter.emit("LocalInvitationAccepted", &[response.into()]);
            }
            InvitationUpdate::Refused(response) => {
                *self.response.borrow_mut() = response.clone();
                self.state.set("REFUSED_BY_REMOTE");
                self.emitter.emit("LocalInvitationRefused", &[response.into()]);
            }
            InvitationUpdate::Failure(reason) => self.fail(&reason),
            InvitationUpdate::Canceled(_) => {}
        }
    }
}

/// The caller's invitation: `client.createLocalInvitation(calleeId)`.
#[wasm_bindgen(skip_typescript)]
pub struct LocalInvitation {
    core: Rc<Core>,
    inner: Rc<LocalInner>,
}

impl LocalInvitation {
    /// A new invitation to `callee` (already validated).
    pub fn new(core: Rc<Core>, callee: String) -> LocalInvitation {
        let inner = Rc::new(LocalInner {
            callee,
            content: RefCell::default(),
            channel_id: RefCell::default(),
            response: RefCell::default(),
            state: Cell::new("IDLE"),
            id: Cell::new(None),
            cancel_asked: Cell::new(false),
            emitter: Emitter::default(),
        });
        LocalInvitation { core, inner }
    }

    fn emitter(&self) -> &Emitter {
        &self.inner.emitter
    }
}

emitter_methods!(LocalInvitation);

#[wasm_bindgen]
impl LocalInvitation {
    /// Who is called.
    #[wasm_bindgen(getter, js_name = calleeId)]
    pub fn callee_id(&self) -> String {
        self.inner.callee.clone()
    }

    /// The content sent with the invitation.
    #[wasm_bindgen(getter)]
    pub fn content(&self) -> String {
        self.inner.content.borrow().clone()
    }

    /// Sets the content (≤ 8 KB).
    #[wasm_bindgen(setter)]
    pub fn set_content(&self, value: JsValue) -> Result<(), JsValue> {
        *self.inner.content.borrow_mut() = read_text(value, "content")?;
        Ok(())
    }

    /// The channel id sent with the invitation.
    #[wasm_bindgen(getter, js_name = channelId)]
    pub fn channel_id(&self) -> String {
        self.inner.channel_id.borrow().clone()
    }

    /// Sets the channel id.
    #[wasm_bindgen(setter, js_name = channelId)]
    pub fn set_channel_id(&self, value: JsValue) -> Result<(), JsValue> {
        *self.inner.channel_id.borrow_mut() = read_text(value, "channelId")?;
        Ok(())
    }

    /// The callee's response, once it answered.
    #[wasm_bindgen(getter)]
    pub fn response(&self) -> String {
        self.inner.response.borrow().clone()
    }

    /// The response is the callee's to set: always an error here.
    #[wasm_bindgen(setter)]
    pub fn set_response(&self, _value: JsValue) -> Result<(), JsValue> {
        Err(throw(InvErr::INVALID_ARGUMENT, "the response of a LocalInvitation is set by the callee"))
    }

    /// The state (`LocalInvitationState`).
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> String {
        self.inner.state.get().to_owned()
    }

    /// Sends the invitation; events report what happens.
    pub fn send(&self) -> Result<(), JsValue> {
        let inner = self.inner.clone();
        match inner.state.get() {
            "IDLE" => {}
            "SENT_TO_REMOTE" | "RECEIVED_BY_REMOTE" => {
                return Err(throw(InvErr::ALREADY_SENT, "send() was already called"))
            }
            _ => return Err(throw(InvErr::ALREADY_END, "the invitation has ended")),
        }
        check_size("content", &inner.content.borrow())?;
        if !self.core.state().is_connected() {
            inner.state.set("FAILURE");
            emit_later(inner, "LocalInvitationFailure", vec!["NOT_LOGGEDIN".into()]);
            return Ok(());
        }
        // INVITE_RATE, as the server counts it. Agora has no "too often"
        // among the failure reasons; UNKNOWN is the one not about the callee.
        if !self.core.budgets.borrow_mut().invite(js_sys::Date::now() as u64) {
            inner.state.set("FAILURE");
            emit_later(inner, "LocalInvitationFailure", vec!["UNKNOWN".into()]);
            return Ok(());
        }
        inner.state.set("SENT_TO_REMOTE");
        let core = self.core.clone();
        let req = Request::InviteSend {
            callee: inner.callee.clone(),
            content: inner.content.borrow().clone(),
            channel_id: inner.channel_id.borrow().clone(),
        };
        wasm_bindgen_futures::spawn_local(async move {
            let reply = core.request(req, REQUEST_TIMEOUT_MS).await.unwrap_or(Err(RequestError::LinkLost));
            match reply {
                Ok(Reply::InviteSent { invitation, delivered: true }) => {
                    inner.id.set(Some(invitation));
                    core.local_invitations.borrow_mut().insert(invitation, inner.clone());
                    if inner.cancel_asked.get() {
                        cancel_on_server(core, inner, invitation).await;
                    }
                }
                Ok(Reply::InviteSent { delivered: false, .. }) => inner.fail("PEER_OFFLINE"),
                _ => inner.fail("UNKNOWN"),
            }
        });
        Ok(())
    }

    /// Cancels a sent invitation; `LocalInvitationCanceled` follows.
    pub fn cancel(&self) -> Result<(), JsValue> {
        let inner = self.inner.clone();
        match inner.state.get() {
            "IDLE" => return Err(throw(InvErr::NOT_STARTED, "send() the invitation before canceling it")),
            "SENT_TO_REMOTE" | "RECEIVED_BY_REMOTE" => {}
            _ => return Err(throw(InvErr::ALREADY_END, "the invitation has ended")),
        }
        if inner.cancel_asked.replace(true) {
            return Ok(());
        }
        if let Some(id) = inner.id.get() {
            wasm_bindgen_futures::spawn_local(cancel_on_server(self.core.clone(), inner, id));
        }
        Ok(())
    }
}

async fn cancel_on_server(core: Rc<Core>, inner: Rc<LocalInner>, id: u64) {
    let reply = core.request(Request::InviteCancel { invitation: id }, REQUEST_TIMEOUT_MS).await;
    // If the answer or the timeout won the race, its event has ended the invitation.
    if matches!(reply, Ok(Ok(Reply::Done))) && !inner.ended() {
        inner.state.set("CANCELED");
        core.local_invitations.borrow_mut().remove(&id);
        inner.emitter.emit("LocalInvitationCanceled", &[]);
    }
}

/// What a `RemoteInvitation` and the core share.
pub struct RemoteInner {
    id: u64,
    caller: String,
    content: String,
    channel_id: String,
    response: RefCell<String>,
    state: Cell<&'static str>,
    emitter: Emitter,
}

impl HasEmitter for RemoteInner {
    fn emitter(&self) -> &Emitter {
        &self.emitter
    }
}

impl RemoteInner {
    fn ended(&self) -> bool {
        matches!(self.state.get(), "ACCEPTED" | "REFUSED" | "CANCELED" | "FAILURE")
    }

    /// The session ended (logout, kicked) while this invitation was pending:
    /// it can no longer be answered.
    pub fn end_with_session(self: &Rc<Self>) {
        if !self.ended() {
            self.state.set("FAILURE");
            self.emitter.emit("RemoteInvitationFailure", &["UNKNOWN".into()]);
        }
    }

    /// An update from the server. Once `accept()` is on its way, the answer's
    /// outcome decides: a cancel that crossed it makes it an ACCEPT_FAILURE.
    pub fn on_update(self: &Rc<Self>, update: InvitationUpdate) {
        if self.ended() || self.state.get() == "ACCEPT_SENT_TO_LOCAL" {
            return;
        }
        match update {
            InvitationUpdate::Canceled(content) => {
                self.state.set("CANCELED");
                self.emitter.emit("RemoteInvitationCanceled", &[content.into()]);
            }
            InvitationUpdate::Failure(reason) => {
                self.state.set("FAILURE");
                self.emitter.emit("RemoteInvitationFailure", &[reason.into()]);
            }
            _ => {}
        }
    }
}

/// The callee's side of an invitation, given by `RemoteInvitationReceived`.
#[wasm_bindgen(skip_typescript)]
pub struct RemoteInvitation {
    core: Rc<Core>,
    inner: Rc<RemoteInner>,
}

impl RemoteInvitation {
    /// An invitation just received; the core routes its updates to `inner`.
    pub fn new(
        core: Rc<Core>,
        id: u64,
        caller: String,
        content: String,
        channel_id: String,
    ) -> RemoteInvitation {
        let inner = Rc::new(RemoteInner {
            id,
            caller,
            content,
            channel_id,
            response: RefCell::default(),
            state: Cell::new("INVITATION_RECEIVED"),
            emitter: Emitter::default(),
        });
        core.remote_invitations.borrow_mut().insert(id, inner.clone());
        RemoteInvitation { core, inner }
    }

    fn emitter(&self) -> &Emitter {
        &self.inner.emitter
    }

    fn answer(&self, accept: bool) -> Result<(), JsValue> {
        let inner = self.inner.clone();
        match inner.state.get() {
            "INVITATION_RECEIVED" => {}
            "ACCEPT_SENT_TO_LOCAL" | "ACCEPTED" => {
                return Err(throw(InvErr::ALREADY_ACCEPT, "the invitation was already accepted"))
            }
            _ => return Err(throw(InvErr::ALREADY_END, "the invitation has ended")),
        }
        check_size("response", &inner.response.borrow())?;
        if accept {
            inner.state.set("ACCEPT_SENT_TO_LOCAL");
        }
        let req = Request::InviteAnswer {
            invitation: inner.id,
            caller: inner.caller.clone(),
            accept,
            response: inner.response.borrow().clone(),
        };
        let core = self.core.clone();
        if !accept {
            // Refusing ends the invitation here at once; the caller is told.
            inner.state.set("REFUSED");
            core.remote_invitations.borrow_mut().remove(&inner.id);
            wasm_bindgen_futures::spawn_local(async move {
                let _ = core.request(req, REQUEST_TIMEOUT_MS).await;
                inner.emitter.emit("RemoteInvitationRefused", &[]);
            });
            return Ok(());
        }
        wasm_bindgen_futures::spawn_local(async move {
            let reply = core.request(req, REQUEST_TIMEOUT_MS).await;
            core.remote_invitations.borrow_mut().remove(&inner.id);
            if inner.ended() {
                return; // the session ended meanwhile: its event was emitted
            }
            if matches!(reply, Ok(Ok(Reply::Done))) {
                inner.state.set("ACCEPTED");
                inner.emitter.emit("RemoteInvitationAccepted", &[]);
            } else {
                inner.state.set("FAILURE");
                inner.emitter.emit("RemoteInvitationFailure", &["ACCEPT_FAILURE".into()]);
            }
        });
        Ok(())
    }
}

emitter_methods!(RemoteInvitation);

#[wasm_bindgen]
impl RemoteInvitation {
    /// Who calls.
    #[wasm_bindgen(getter, js_name = callerId)]
    pub fn caller_id(&self) -> String {
        self.inner.caller.clone()
    }

    /// The caller's content.
    #[wasm_bindgen(getter)]
    pub fn content(&self) -> String {
        self.inner.content.clone()
    }

    /// The caller's channel id.
    #[wasm_bindgen(getter, js_name = channelId)]
    pub fn channel_id(&self) -> String {
        self.inner.channel_id.clone()
    }

    /// The response sent with `accept()` / `refuse()`.
    #[wasm_bindgen(getter)]
    pub fn response(&self) -> String {
        self.inner.response.borrow().clone()
    }

    /// Sets the response (≤ 8 KB), before answering.
    #[wasm_bindgen(setter)]
    pub fn set_response(&self, value: JsValue) -> Result<(), JsValue> {
        *self.inner.response.borrow_mut() = read_text(value, "response")?;
        Ok(())
    }

    /// The state (`RemoteInvitationState`).
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> String {
        self.inner.state.get().to_owned()
    }

    /// Accepts; `RemoteInvitationAccepted` (or `RemoteInvitationFailure('ACCEPT_FAILURE')`) follows.
    pub fn accept(&self) -> Result<(), JsValue> {
        self.answer(true)
    }

    /// Refuses; `RemoteInvitationRefused` follows.
    pub fn refuse(&self) -> Result<(), JsValue> {
        self.answer(false)
    }
}
