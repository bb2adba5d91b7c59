//! Call invitations: `LocalInvitation` (the caller's) and `RemoteInvitation`
//! (the callee's) as JS objects. Their states move by the pure rules of
//! [`crate::calls`]; misuse throws at once an Error with the
//! InvitationApiCallError code and changes nothing; outcomes arrive as events.
//! [`Invitations`] holds the client's invitations that are under way and
//! takes the invitation pushes.

use crate::calls::{LocalCall, LocalNews, LocalState, RemoteCall, RemoteNews, RemoteState};
use crate::core::{Core, Feature};
use crate::emitter::Emitter;
use crate::errors::{self, RequestError};
use crate::table::Table;
use rtm_protocol::codes::InvitationApiCallError as InvErr;
use rtm_protocol::limits::{self, MAX_INVITATION_BYTES, REQUEST_TIMEOUT_MS};
use rtm_protocol::{InvitationUpdate, Push, Reply, Request};
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

fn misuse(code: InvErr) -> JsValue {
    let why = match code {
        InvErr::ALREADY_SENT => "send() was already called",
        InvErr::NOT_STARTED => "send() the invitation before canceling it",
        InvErr::ALREADY_ACCEPT => "the invitation is being accepted",
        _ => "the invitation has ended",
    };
    throw(code, why)
}

/// Emits from a microtask: `send()` returns before its listeners run.
fn emit_later(emitter: Rc<LocalInner>, event: &'static str, args: Vec<JsValue>) {
    wasm_bindgen_futures::spawn_local(async move { emitter.emitter.emit(event, &args) });
}

/// The client's invitations under way, by server id.
#[derive(Default)]
pub struct Invitations {
    /// Sent, and known to the server.
    local: RefCell<Table<u64, Rc<LocalInner>>>,
    /// Received, and not ended.
    remote: RefCell<Table<u64, Rc<RemoteInner>>>,
}

impl Feature for Rc<Invitations> {
    fn on_push(&self, core: &Rc<Core>, push: Push) {
        match push {
            Push::InvitationReceived { invitation, caller, content, channel_id } => {
                core.notify(Request::InviteReceived { invitation, caller: caller.clone() });
                let js = RemoteInvitation::create(core, self, invitation, caller, content, channel_id);
                core.emitter.emit("RemoteInvitationReceived", &[js]);
            }
            Push::Invitation { invitation, update } => {
                let local = self.local.borrow().get(&invitation).cloned();
                if let Some(local) = local {
                    local.on_update(update);
                    return;
                }
                let remote = self.remote.borrow().get(&invitation).cloned();
                if let Some(remote) = remote {
                    remote.on_update(update);
                }
            }
            _ => {}
        }
    }

    /// Invitations still ringing end with the session, each with its event.
    fn session_ended(&self) {
        let local: Vec<_> = self.local.borrow_mut().drain().map(|(_, i)| i).collect();
        let remote: Vec<_> = self.remote.borrow_mut().drain().map(|(_, i)| i).collect();
        local.into_iter().for_each(|i| i.fail("NOT_LOGGEDIN"));
        remote
            .into_iter()
            .for_each(|i| i.news(RemoteNews::SessionEnded, "RemoteInvitationFailure", &["UNKNOWN".into()]));
    }
}

/// What a `LocalInvitation` and [`Invitations`] share.
pub struct LocalInner {
    callee: String,
    call_id: String,
    content: RefCell<String>,
    channel_id: RefCell<String>,
    response: RefCell<String>,
    state: Cell<LocalState>,
    /// The server's id, once `send()` was answered.
    id: Cell<Option<u64>>,
    emitter: Emitter,
}

impl LocalInner {
    /// Moves by the server's news; emits `event` with `args` if it did.
    fn news(&self, news: LocalNews, event: &str, args: &[JsValue]) {
        if let Some(next) = self.state.get().on_news(news) {
            self.state.set(next);
            self.emitter.emit(event, args);
            self.release_if_ended();
        }
    }

    /// The callee's answer, unless the invitation ended here first.
    fn answered(&self, news: LocalNews, event: &str, response: String) {
        if let Some(next) = self.state.get().on_news(news) {
            *self.response.borrow_mut() = response.clone();
            self.state.set(next);
            self.emitter.emit(event, &[response.into()]);
            self.release_if_ended();
        }
    }

    /// Once ended, nothing more happens to the invitation: the SDK stops
    /// holding its JS object (held while it rang, see `send()`).
    fn release_if_ended(&self) {
        if self.state.get().ended() {
            self.emitter.unpin();
        }
    }

    fn fail(&self, reason: &str) {
        self.news(LocalNews::Failed, "LocalInvitationFailure", &[reason.into()]);
    }

    /// An update from the server.
    fn on_update(&self, update: InvitationUpdate) {
        match update {
            InvitationUpdate::ReceivedByPeer => {
                self.news(LocalNews::Received, "LocalInvitationReceivedByPeer", &[]);
            }
            InvitationUpdate::Accepted(response) => {
                self.answered(LocalNews::Accepted, "LocalInvitationAccepted", response)
            }
            InvitationUpdate::Refused(response) => {
                self.answered(LocalNews::Refused, "LocalInvitationRefused", response)
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
    calls: Rc<Invitations>,
    inner: Rc<LocalInner>,
}

impl LocalInvitation {
    /// A new invitation to `callee` (already validated), as its JS object.
    pub fn create(core: Rc<Core>, calls: Rc<Invitations>, callee: String) -> JsValue {
        let inner = Rc::new(LocalInner {
            callee,
            call_id: crate::ids::random_uuid(),
            content: RefCell::default(),
            channel_id: RefCell::default(),
            response: RefCell::default(),
            state: Cell::new(LocalState::Idle),
            id: Cell::new(None),
            emitter: Emitter::default(),
        });
        inner.clone().emitter.adopt(LocalInvitation { core, calls, inner }.into())
    }
}

#[wasm_bindgen]
impl LocalInvitation {
    /// Who is called.
    #[wasm_bindgen(getter, js_name = calleeId)]
    pub fn callee_id(&self) -> String {
        self.inner.callee.clone()
    }

    /// This invitation's id.
    #[wasm_bindgen(getter, js_name = callId)]
    pub fn call_id(&self) -> String {
        self.inner.call_id.clone()
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

    /// Sets the channel id (checked by `send()`).
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
        self.inner.state.get().as_str().to_owned()
    }

    /// Sends the invitation; events report what happens.
    pub fn send(&self) -> Result<(), JsValue> {
        let inner = self.inner.clone();
        let next = inner.state.get().on_call(LocalCall::Send).map_err(misuse)?;
        let channel = inner.channel_id.borrow().clone();
        if !channel.is_empty() {
            limits::validate_id(&channel)
                .map_err(|e| throw(InvErr::INVALID_ARGUMENT, &e.describe("channelId")))?;
        }
        check_size("content", &inner.content.borrow())?;
        if !self.core.state().is_connected() {
            inner.state.set(LocalState::Failure);
            emit_later(inner, "LocalInvitationFailure", vec!["NOT_LOGGEDIN".into()]);
            return Ok(());
        }
        // INVITE_RATE, as the server counts it. Agora has no "too often"
        // among the failure reasons; UNKNOWN is the one not about the callee.
        if !self.core.budgets.borrow_mut().invite(js_sys::Date::now() as u64) {
            inner.state.set(LocalState::Failure);
            emit_later(inner, "LocalInvitationFailure", vec!["UNKNOWN".into()]);
            return Ok(());
        }
        inner.state.set(next);
        // Held while it rings: apps listen on invitations they do not keep.
        inner.emitter.pin();
        let (core, calls) = (self.core.clone(), self.calls.clone());
        let req = Request::InviteSend {
            callee: inner.callee.clone(),
            content: inner.content.borrow().clone(),
            channel_id: channel,
        };
        wasm_bindgen_futures::spawn_local(async move {
            let reply = core.request(req, REQUEST_TIMEOUT_MS).await.unwrap_or(Err(RequestError::LinkLost));
            match reply {
                Ok(Reply::InviteSent { invitation, delivered: true }) => {
                    inner.id.set(Some(invitation));
                    if inner.state.get() == LocalState::Canceled {
                        // cancel() came before this reply: the server learns of it now.
                        core.notify(Request::InviteCancel { invitation });
                    } else {
                        calls.local.borrow_mut().insert(invitation, inner.clone());
                    }
                }
                Ok(Reply::InviteSent { delivered: false, .. }) => inner.fail("PEER_OFFLINE"),
                _ => inner.fail("UNKNOWN"),
            }
        });
        Ok(())
    }

    /// Cancels a sent invitation: CANCELED and `LocalInvitationCanceled` at
    /// once, as in Agora; the callee is told.
    pub fn cancel(&self) -> Result<(), JsValue> {
        let inner = &self.inner;
        let next = inner.state.get().on_call(LocalCall::Cancel).map_err(misuse)?;
        check_size("content", &inner.content.borrow())?;
        inner.state.set(next);
        if let Some(invitation) = inner.id.get() {
            self.calls.local.borrow_mut().remove(&invitation);
            self.core.notify(Request::InviteCancel { invitation });
        }
        inner.emitter.emit("LocalInvitationCanceled", &[]);
        inner.release_if_ended();
        Ok(())
    }
}

/// What a `RemoteInvitation` and [`Invitations`] share.
pub struct RemoteInner {
    id: u64,
    call_id: String,
    caller: String,
    content: String,
    channel_id: String,
    response: RefCell<String>,
    state: Cell<RemoteState>,
    emitter: Emitter,
}

impl RemoteInner {
    /// Moves by the server's news; emits `event` with `args` if it did.
    fn news(&self, news: RemoteNews, event: &str, args: &[JsValue]) {
        if let Some(next) = self.state.get().on_news(news) {
            self.state.set(next);
            self.emitter.emit(event, args);
            self.release_if_ended();
        }
    }

    /// Once ended, the SDK stops holding the invitation's JS object (held
    /// from its arrival, see `create()`).
    fn release_if_ended(&self) {
        if self.state.get().ended() {
            self.emitter.unpin();
        }
    }

    /// An update from the server.
    fn on_update(&self, update: InvitationUpdate) {
        match update {
            InvitationUpdate::Canceled(content) => {
                self.news(RemoteNews::Canceled, "RemoteInvitationCanceled", &[content.into()])
            }
            InvitationUpdate::Failure(reason) => {
                self.news(RemoteNews::Failed, "RemoteInvitationFailure", &[reason.into()])
            }
            _ => {}
        }
    }
}

/// The callee's side of an invitation, given by `RemoteInvitationReceived`.
#[wasm_bindgen(skip_typescript)]
pub struct RemoteInvitation {
    core: Rc<Core>,
    calls: Rc<Invitations>,
    inner: Rc<RemoteInner>,
}

impl RemoteInvitation {
    /// An invitation just received, as its JS object; `calls` routes its
    /// updates to it.
    fn create(
        core: &Rc<Core>,
        calls: &Rc<Invitations>,
        id: u64,
        caller: String,
        content: String,
        channel_id: String,
    ) -> JsValue {
        let inner = Rc::new(RemoteInner {
            id,
            call_id: crate::ids::random_uuid(),
            caller,
            content,
            channel_id,
            response: RefCell::default(),
            state: Cell::new(RemoteState::InvitationReceived),
            emitter: Emitter::default(),
        });
        calls.remote.borrow_mut().insert(id, inner.clone());
        let (core, calls) = (core.clone(), calls.clone());
        let js = inner.emitter.adopt(RemoteInvitation { core, calls, inner: inner.clone() }.into());
        // Held while it rings: apps listen on invitations they do not keep.
        inner.emitter.pin();
        js
    }

    fn answer(&self, call: RemoteCall) -> Result<(), JsValue> {
        let inner = self.inner.clone();
        let next = inner.state.get().on_call(call).map_err(misuse)?;
        check_size("response", &inner.response.borrow())?;
        inner.state.set(next);
        let req = Request::InviteAnswer {
            invitation: inner.id,
            caller: inner.caller.clone(),
            accept: call == RemoteCall::Accept,
            response: inner.response.borrow().clone(),
        };
        let (core, calls) = (self.core.clone(), self.calls.clone());
        if call == RemoteCall::Refuse {
            // Refusing ends the invitation here at once, as in Agora; the caller is told.
            calls.remote.borrow_mut().remove(&inner.id);
            core.notify(req);
            inner.emitter.emit("RemoteInvitationRefused", &[]);
            inner.release_if_ended();
            return Ok(());
        }
        wasm_bindgen_futures::spawn_local(async move {
            let reply = core.request(req, REQUEST_TIMEOUT_MS).await;
            calls.remote.borrow_mut().remove(&inner.id);
            if matches!(reply, Ok(Ok(Reply::Done))) {
                inner.news(RemoteNews::AcceptDone, "RemoteInvitationAccepted", &[]);
            } else {
                inner.news(RemoteNews::AcceptFailed, "RemoteInvitationFailure", &["ACCEPT_FAILURE".into()]);
            }
        });
        Ok(())
    }
}

#[wasm_bindgen]
impl RemoteInvitation {
    /// Who calls.
    #[wasm_bindgen(getter, js_name = callerId)]
    pub fn caller_id(&self) -> String {
        self.inner.caller.clone()
    }

    /// This invitation's id.
    #[wasm_bindgen(getter, js_name = callId)]
    pub fn call_id(&self) -> String {
        self.inner.call_id.clone()
    }

    /// The caller's content.
    #[wasm_bindgen(getter)]
    pub fn content(&self) -> String {
        self.inner.content.clone()
    }

    /// The content is the caller's: assigning it throws, as in Agora.
    #[wasm_bindgen(setter)]
    pub fn set_content(&self, _value: JsValue) -> Result<(), JsValue> {
        Err(throw(InvErr::INVALID_ARGUMENT, "the content of a RemoteInvitation is set by the caller"))
    }

    /// The caller's channel id.
    #[wasm_bindgen(getter, js_name = channelId)]
    pub fn channel_id(&self) -> String {
        self.inner.channel_id.clone()
    }

    /// The channel id is the caller's: assigning it throws, as in Agora.
    #[wasm_bindgen(setter, js_name = channelId)]
    pub fn set_channel_id(&self, _value: JsValue) -> Result<(), JsValue> {
        Err(throw(InvErr::INVALID_ARGUMENT, "the channelId of a RemoteInvitation is set by the caller"))
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
        self.inner.state.get().as_str().to_owned()
    }

    /// Accepts; `RemoteInvitationAccepted` (or `RemoteInvitationFailure('ACCEPT_FAILURE')`) follows.
    pub fn accept(&self) -> Result<(), JsValue> {
        self.answer(RemoteCall::Accept)
    }

    /// Refuses: REFUSED and `RemoteInvitationRefused` at once.
    pub fn refuse(&self) -> Result<(), JsValue> {
        self.answer(RemoteCall::Refuse)
    }
}
