//! Call invitations: [`LocalInvitation`] (the caller's side, from
//! [`crate::Client::create_local_invitation`]) and [`RemoteInvitation`] (the
//! callee's, from [`crate::Event::RemoteInvitationReceived`]), with the web
//! SDK's states, events and misuse codes (`InvitationApiCallError`).
//!
//! An invitation reaches its client through [`Host`] (implemented by the
//! client's core), and its events are defined here, so this module needs
//! nothing above it (`event.rs` only names them in `Event`).

use crate::error::Result;
use rtm_protocol::codes::InvitationApiCallError as Misuse;
use rtm_protocol::limits::MAX_INVITATION_BYTES;
use rtm_protocol::{InvitationUpdate, Reply, Request};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};

/// A request's outcome as an invitation sees it: `None` when not logged in,
/// `Err` when the server refused it or did not answer.
pub(crate) type Sent = Pin<Box<dyn Future<Output = Option<Result<Reply, ()>>> + Send>>;

/// What an invitation needs from its client.
pub(crate) trait Host: Send + Sync + 'static {
    /// Sends `req` on the live session.
    fn send(&self, req: Request) -> Sent;
    /// Takes one invitation from the session's budget (INVITE_RATE).
    fn invite_budget(&self) -> bool;
    /// Whether the session is CONNECTED.
    fn connected(&self) -> bool;
    /// Updates for invitation `id` go to `inv` from now on.
    fn track_local(&self, id: u64, inv: LocalInvitation);
    /// Invitation `id` is over on this side.
    fn forget(&self, id: u64, local: bool);
    /// Emits a caller-side event.
    fn emit_local(&self, inv: &LocalInvitation, event: LocalInvitationEvent);
    /// Emits a callee-side event.
    fn emit_remote(&self, inv: &RemoteInvitation, event: RemoteInvitationEvent);
}

/// An invitation's way to its client, which it does not keep alive: once
/// the app has dropped the client, the invitation's calls find no session
/// (and its events no one to tell). A strong reference here would be a
/// cycle (the client keeps its pending invitations).
#[derive(Clone)]
struct HostRef(Weak<dyn Host>);

impl HostRef {
    fn get(&self) -> Option<Arc<dyn Host>> {
        self.0.upgrade()
    }
    fn send(&self, req: Request) -> Sent {
        match self.get() {
            Some(host) => host.send(req),
            None => Box::pin(async { None }),
        }
    }
    fn invite_budget(&self) -> bool {
        self.get().is_some_and(|h| h.invite_budget())
    }
    fn connected(&self) -> bool {
        self.get().is_some_and(|h| h.connected())
    }
    fn track_local(&self, id: u64, inv: LocalInvitation) {
        if let Some(h) = self.get() {
            h.track_local(id, inv);
        }
    }
    fn forget(&self, id: u64, local: bool) {
        if let Some(h) = self.get() {
            h.forget(id, local);
        }
    }
    fn emit_local(&self, inv: &LocalInvitation, event: LocalInvitationEvent) {
        if let Some(h) = self.get() {
            h.emit_local(inv, event);
        }
    }
    fn emit_remote(&self, inv: &RemoteInvitation, event: RemoteInvitationEvent) {
        if let Some(h) = self.get() {
            h.emit_remote(inv, event);
        }
    }
}

/// The events of a [`LocalInvitation`] (the caller's side).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalInvitationEvent {
    /// `LocalInvitationReceivedByPeer`.
    ReceivedByPeer,
    /// `LocalInvitationAccepted(response)`.
    Accepted(String),
    /// `LocalInvitationRefused(response)`.
    Refused(String),
    /// `LocalInvitationCanceled`.
    Canceled,
    /// `LocalInvitationFailure(reason)`: `PEER_OFFLINE`, `PEER_NO_RESPONSE`,
    /// `INVITATION_EXPIRE`, `NOT_LOGGEDIN`, `UNKNOWN`.
    Failure(String),
}

/// The events of a [`RemoteInvitation`] (the callee's side).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteInvitationEvent {
    /// `RemoteInvitationAccepted`: the caller has the acceptance.
    Accepted,
    /// `RemoteInvitationRefused`.
    Refused,
    /// `RemoteInvitationCanceled(content)`: the caller gave up.
    Canceled(String),
    /// `RemoteInvitationFailure(reason)`: `ACCEPT_FAILURE`, `INVITATION_EXPIRE`,
    /// `PEER_OFFLINE`, `UNKNOWN`.
    Failure(String),
}

/// `LocalInvitationState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types, missing_docs)]
pub enum LocalInvitationState {
    IDLE,
    SENT_TO_REMOTE,
    RECEIVED_BY_REMOTE,
    ACCEPTED_BY_REMOTE,
    REFUSED_BY_REMOTE,
    CANCELED,
    FAILURE,
}

/// `RemoteInvitationState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types, missing_docs)]
pub enum RemoteInvitationState {
    INVITATION_RECEIVED,
    ACCEPT_SENT_TO_LOCAL,
    REFUSED,
    ACCEPTED,
    CANCELED,
    FAILURE,
}

fn check_size(what: &str, text: &str) -> Result<()> {
    if text.len() > MAX_INVITATION_BYTES {
        return Err(Misuse::INVALID_ARGUMENT.err(format!("the {what} is over {MAX_INVITATION_BYTES} bytes")));
    }
    Ok(())
}

#[derive(Debug)]
struct LocalData {
    content: String,
    channel_id: String,
    response: String,
    state: LocalInvitationState,
    id: Option<u64>,
    cancel_asked: bool,
}

/// An invitation this client sends. Clones are the same invitation.
#[derive(Clone)]
pub struct LocalInvitation {
    host: HostRef,
    callee: Arc<str>,
    data: Arc<Mutex<LocalData>>,
}

impl std::fmt::Debug for LocalInvitation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalInvitation").field("callee", &self.callee).field("data", &self.data).finish()
    }
}

impl PartialEq for LocalInvitation {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.data, &other.data)
    }
}

impl LocalInvitation {
    pub(crate) fn new(host: Weak<dyn Host>, callee: String) -> LocalInvitation {
        let data = LocalData {
            content: String::new(),
            channel_id: String::new(),
            response: String::new(),
            state: LocalInvitationState::IDLE,
            id: None,
            cancel_asked: false,
        };
        LocalInvitation { host: HostRef(host), callee: callee.into(), data: Arc::new(Mutex::new(data)) }
    }

    fn data(&self) -> std::sync::MutexGuard<'_, LocalData> {
        self.data.lock().expect("invitation lock")
    }

    /// Who is called.
    pub fn callee_id(&self) -> &str {
        &self.callee
    }
    /// The content sent with it.
    pub fn content(&self) -> String {
        self.data().content.clone()
    }
    /// Sets the content (at most 8 KB), before `send()`.
    pub fn set_content(&self, content: impl Into<String>) -> Result<()> {
        let content = content.into();
        check_size("content", &content)?;
        self.data().content = content;
        Ok(())
    }
    /// The channel id sent with it.
    pub fn channel_id(&self) -> String {
        self.data().channel_id.clone()
    }
    /// Sets the channel id, before `send()`.
    pub fn set_channel_id(&self, channel_id: impl Into<String>) {
        self.data().channel_id = channel_id.into();
    }
    /// The callee's response, once answered.
    pub fn response(&self) -> String {
        self.data().response.clone()
    }
    /// Where it stands.
    pub fn state(&self) -> LocalInvitationState {
        self.data().state
    }

    fn ended(state: LocalInvitationState) -> bool {
        use LocalInvitationState::*;
        matches!(state, ACCEPTED_BY_REMOTE | REFUSED_BY_REMOTE | CANCELED | FAILURE)
    }

    /// Ends it with `LocalInvitationFailure(reason)` unless it has ended.
    pub(crate) fn fail(&self, reason: &str) {
        {
            let mut d = self.data();
            if Self::ended(d.state) {
                return;
            }
            d.state = LocalInvitationState::FAILURE;
        }
        self.host.emit_local(self, LocalInvitationEvent::Failure(reason.to_owned()));
    }

    /// Sends it. What happens next comes as [`crate::Event::LocalInvitation`]
    /// events, as in the web SDK: `Err` only for a call at the wrong time
    /// (`ALREADY_SENT`, `ALREADY_END`); not being logged in, an offline callee
    /// or too many invitations end it with `Failure` (`NOT_LOGGEDIN`,
    /// `PEER_OFFLINE`, `UNKNOWN`). Returns once the server has it.
    pub async fn send(&self) -> Result<()> {
        let req = {
            let mut d = self.data();
            match d.state {
                LocalInvitationState::IDLE => {}
                LocalInvitationState::SENT_TO_REMOTE | LocalInvitationState::RECEIVED_BY_REMOTE => {
                    return Err(Misuse::ALREADY_SENT.err("send() was already called"))
                }
                _ => return Err(Misuse::ALREADY_END.err("the invitation has ended")),
            }
            check_size("content", &d.content)?;
            if self.host.connected() {
                d.state = LocalInvitationState::SENT_TO_REMOTE;
            }
            Request::InviteSend {
                callee: self.callee.to_string(),
                content: d.content.clone(),
                channel_id: d.channel_id.clone(),
            }
        };
        if !self.host.connected() {
            self.fail("NOT_LOGGEDIN");
            return Ok(());
        }
        // Agora has no "too often" among the failure reasons; UNKNOWN is the
        // one not about the callee.
        if !self.host.invite_budget() {
            self.fail("UNKNOWN");
            return Ok(());
        }
        match self.host.send(req).await {
            Some(Ok(Reply::InviteSent { invitation, delivered: true })) => {
                let cancel = {
                    let mut d = self.data();
                    d.id = Some(invitation);
                    d.cancel_asked
                };
                self.host.track_local(invitation, self.clone());
                if cancel {
                    self.cancel_on_server(invitation).await;
                }
            }
            Some(Ok(Reply::InviteSent { delivered: false, .. })) => self.fail("PEER_OFFLINE"),
            None => self.fail("NOT_LOGGEDIN"),
            _ => self.fail("UNKNOWN"),
        }
        Ok(())
    }

    /// Cancels it once sent; `Canceled` follows (unless an answer crossed it).
    pub async fn cancel(&self) -> Result<()> {
        let id = {
            let mut d = self.data();
            match d.state {
                LocalInvitationState::IDLE => {
                    return Err(Misuse::NOT_STARTED.err("send() the invitation before canceling it"))
                }
                LocalInvitationState::SENT_TO_REMOTE | LocalInvitationState::RECEIVED_BY_REMOTE => {}
                _ => return Err(Misuse::ALREADY_END.err("the invitation has ended")),
            }
            if std::mem::replace(&mut d.cancel_asked, true) {
                return Ok(());
            }
            d.id
        };
        // Not yet numbered by the server: send() cancels as soon as it is.
        if let Some(id) = id {
            self.cancel_on_server(id).await;
        }
        Ok(())
    }

    async fn cancel_on_server(&self, id: u64) {
        let reply = self.host.send(Request::InviteCancel { invitation: id }).await;
        if !matches!(reply, Some(Ok(Reply::Done))) {
            return; // the answer or the expiry won the race: its event ended it
        }
        {
            let mut d = self.data();
            if Self::ended(d.state) {
                return;
            }
            d.state = LocalInvitationState::CANCELED;
        }
        self.host.forget(id, true);
        self.host.emit_local(self, LocalInvitationEvent::Canceled);
    }

    /// An update from the server.
    pub(crate) fn on_update(&self, update: InvitationUpdate) {
        let event = {
            let mut d = self.data();
            if Self::ended(d.state) {
                return;
            }
            match update {
                InvitationUpdate::ReceivedByPeer => {
                    d.state = LocalInvitationState::RECEIVED_BY_REMOTE;
                    LocalInvitationEvent::ReceivedByPeer
                }
                InvitationUpdate::Accepted(response) => {
                    d.state = LocalInvitationState::ACCEPTED_BY_REMOTE;
                    d.response.clone_from(&response);
                    LocalInvitationEvent::Accepted(response)
                }
                InvitationUpdate::Refused(response) => {
                    d.state = LocalInvitationState::REFUSED_BY_REMOTE;
                    d.response.clone_from(&response);
                    LocalInvitationEvent::Refused(response)
                }
                InvitationUpdate::Failure(reason) => {
                    d.state = LocalInvitationState::FAILURE;
                    LocalInvitationEvent::Failure(reason)
                }
                InvitationUpdate::Canceled(_) => return,
            }
        };
        self.host.emit_local(self, event);
    }
}

#[derive(Debug)]
struct RemoteData {
    response: String,
    state: RemoteInvitationState,
}

/// An invitation this client received. Clones are the same invitation.
#[derive(Clone)]
pub struct RemoteInvitation {
    host: HostRef,
    id: u64,
    caller: Arc<str>,
    content: Arc<str>,
    channel_id: Arc<str>,
    data: Arc<Mutex<RemoteData>>,
}

impl std::fmt::Debug for RemoteInvitation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteInvitation")
            .field("caller", &self.caller)
            .field("content", &self.content)
            .field("channel_id", &self.channel_id)
            .field("data", &self.data)
            .finish()
    }
}

impl PartialEq for RemoteInvitation {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.data, &other.data)
    }
}

impl RemoteInvitation {
    pub(crate) fn new(
        host: Weak<dyn Host>,
        id: u64,
        caller: String,
        content: String,
        channel_id: String,
    ) -> Self {
        let data = RemoteData { response: String::new(), state: RemoteInvitationState::INVITATION_RECEIVED };
        RemoteInvitation {
            host: HostRef(host),
            id,
            caller: caller.into(),
            content: content.into(),
            channel_id: channel_id.into(),
            data: Arc::new(Mutex::new(data)),
        }
    }

    fn data(&self) -> std::sync::MutexGuard<'_, RemoteData> {
        self.data.lock().expect("invitation lock")
    }

    /// Who calls.
    pub fn caller_id(&self) -> &str {
        &self.caller
    }
    /// The caller's content.
    pub fn content(&self) -> &str {
        &self.content
    }
    /// The caller's channel id.
    pub fn channel_id(&self) -> &str {
        &self.channel_id
    }
    /// The response given with the answer.
    pub fn response(&self) -> String {
        self.data().response.clone()
    }
    /// Sets the response (at most 8 KB), before answering.
    pub fn set_response(&self, response: impl Into<String>) -> Result<()> {
        let response = response.into();
        check_size("response", &response)?;
        self.data().response = response;
        Ok(())
    }
    /// Where it stands.
    pub fn state(&self) -> RemoteInvitationState {
        self.data().state
    }

    fn ended(state: RemoteInvitationState) -> bool {
        use RemoteInvitationState::*;
        matches!(state, ACCEPTED | REFUSED | CANCELED | FAILURE)
    }

    /// Accepts; `Accepted` (or `Failure("ACCEPT_FAILURE")` when a cancel
    /// crossed it) follows, and has happened when this returns.
    pub async fn accept(&self) -> Result<()> {
        self.answer(true).await
    }

    /// Refuses; `Refused` follows.
    pub async fn refuse(&self) -> Result<()> {
        self.answer(false).await
    }

    async fn answer(&self, accept: bool) -> Result<()> {
        let req = {
            let mut d = self.data();
            match d.state {
                RemoteInvitationState::INVITATION_RECEIVED => {}
                RemoteInvitationState::ACCEPT_SENT_TO_LOCAL | RemoteInvitationState::ACCEPTED => {
                    return Err(Misuse::ALREADY_ACCEPT.err("the invitation was already accepted"))
                }
                _ => return Err(Misuse::ALREADY_END.err("the invitation has ended")),
            }
            check_size("response", &d.response)?;
            d.state = if accept {
                RemoteInvitationState::ACCEPT_SENT_TO_LOCAL
            } else {
                RemoteInvitationState::REFUSED
            };
            Request::InviteAnswer {
                invitation: self.id,
                caller: self.caller.to_string(),
                accept,
                response: d.response.clone(),
            }
        };
        let reply = self.host.send(req).await;
        self.host.forget(self.id, false);
        if !accept {
            // Refusing ends it here at once; the caller is told.
            self.host.emit_remote(self, RemoteInvitationEvent::Refused);
            return Ok(());
        }
        let event = {
            let mut d = self.data();
            if Self::ended(d.state) {
                return Ok(()); // the session ended meanwhile: its event came
            }
            if matches!(reply, Some(Ok(Reply::Done))) {
                d.state = RemoteInvitationState::ACCEPTED;
                RemoteInvitationEvent::Accepted
            } else {
                d.state = RemoteInvitationState::FAILURE;
                RemoteInvitationEvent::Failure("ACCEPT_FAILURE".into())
            }
        };
        self.host.emit_remote(self, event);
        Ok(())
    }

    /// An update from the server. Once an acceptance is on its way, its
    /// outcome decides.
    pub(crate) fn on_update(&self, update: InvitationUpdate) {
        let event = {
            let mut d = self.data();
            if Self::ended(d.state) || d.state == RemoteInvitationState::ACCEPT_SENT_TO_LOCAL {
                return;
            }
            match update {
                InvitationUpdate::Canceled(content) => {
                    d.state = RemoteInvitationState::CANCELED;
                    RemoteInvitationEvent::Canceled(content)
                }
                InvitationUpdate::Failure(reason) => {
                    d.state = RemoteInvitationState::FAILURE;
                    RemoteInvitationEvent::Failure(reason)
                }
                _ => return,
            }
        };
        self.host.emit_remote(self, event);
    }

    /// The session ended (logout, kicked) while it was pending.
    pub(crate) fn end_with_session(&self) {
        {
            let mut d = self.data();
            if Self::ended(d.state) {
                return;
            }
            d.state = RemoteInvitationState::FAILURE;
        }
        self.host.emit_remote(self, RemoteInvitationEvent::Failure("UNKNOWN".into()));
    }
}
