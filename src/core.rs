//! The state behind one `RtmClient`: its connection state and session, and
//! what a push or a lost link means for them. The link and the requests
//! waiting for replies are the transport's (`transport.rs`); getting a lost
//! session back is the supervisor's (`login.rs`).
//!
//! Async methods clone the `Rc<Core>` before awaiting and never hold a
//! `RefCell` borrow across an `.await`.

use crate::emitter::{Emitter, Message};
use crate::link::LinkEvent;
use crate::state::ConnState;
use crate::transport::{Incoming, ReplyResult, Transport};
use futures_channel::oneshot;
use rtm_protocol::families::Family;
use rtm_protocol::rate::Budgets;
use rtm_protocol::OpError;
use rtm_protocol::{ConnectionChangeReason as Reason, ConnectionState as State, Push, Request};
use std::cell::{Cell, OnceCell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use wasm_bindgen::JsValue;

/// Who is logged in.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// User id.
    pub uid: String,
    /// Token, if any.
    pub token: Option<String>,
}

/// A part of the client with state of its own on the server's side
/// (channels, presence, invitations): it takes the pushes that are its, and
/// hears when the session ends or comes back fresh.
pub trait Feature {
    /// Handles one of this feature's pushes (see [`Core::add_feature`]).
    fn on_push(&self, core: &Rc<Core>, push: Push);
    /// The session ended (logout, kicked, refused): forget what was its.
    fn session_ended(&self);
    /// After a fresh login on reconnect (the server forgot the session):
    /// restore on the server what this feature had, before CONNECTED.
    fn restore(&self, _core: Rc<Core>) -> Pin<Box<dyn Future<Output = ()>>> {
        Box::pin(async {})
    }
}

/// The client's features, given to the core once, when the client is created.
pub struct Features {
    /// Channel messages, members, counts and attributes.
    pub channels: Box<dyn Feature>,
    /// Subscribed peers' online states.
    pub presence: Box<dyn Feature>,
    /// Invitations received and their updates.
    pub invitations: Box<dyn Feature>,
}

impl Features {
    fn all(&self) -> [&dyn Feature; 3] {
        [&*self.channels, &*self.presence, &*self.invitations]
    }
}

/// One client's state.
pub struct Core {
    /// The app id given to `createInstance`.
    pub app_id: String,
    /// `config.serverUrl`, if given.
    server_url: Option<String>,
    /// Which console messages this client writes (`logFilter`).
    log_filter: Cell<crate::log::LogFilter>,
    /// The client's listeners.
    pub emitter: Emitter,
    state: Cell<ConnState>,
    /// Told at the next change of state (sends waiting out a reconnection).
    state_waiters: RefCell<Vec<oneshot::Sender<()>>>,
    /// Bumped by every login and logout: loops and links of an older
    /// generation stop instead of acting on a session that is gone.
    generation: Cell<u64>,
    /// The logged-in (or logging-in) user.
    pub credentials: RefCell<Option<Credentials>>,
    /// The link, the requests waiting for replies, the order of pushes.
    pub transport: Rc<Transport>,
    /// Set by a Kicked push: the reason the coming close gets.
    kicked: Cell<Option<Reason>>,
    /// The API's per-client rates, checked before the server checks them again.
    pub budgets: RefCell<Budgets>,
    /// The server's secret for resuming the current session after a drop.
    pub resume_token: RefCell<Option<String>>,
    /// Channels, presence, invitations: where the other pushes go.
    features: OnceCell<Features>,
}

impl Core {
    /// A disconnected client of `app_id`; `server_url` overrides where it connects.
    pub fn new(app_id: String, server_url: Option<String>) -> Rc<Core> {
        Rc::new(Core {
            app_id,
            server_url,
            log_filter: Cell::new(crate::log::LogFilter::default()),
            emitter: Emitter::default(),
            state: Cell::new(ConnState::default()),
            state_waiters: RefCell::new(Vec::new()),
            generation: Cell::new(0),
            credentials: RefCell::new(None),
            transport: Rc::default(),
            kicked: Cell::new(None),
            budgets: RefCell::new(Budgets::default()),
            resume_token: RefCell::new(None),
            features: OnceCell::new(),
        })
    }

    /// Gives the core the client's features (once, when it is created).
    pub fn set_features(&self, features: Features) {
        let _ = self.features.set(features);
    }

    /// Where this client connects: `config.serverUrl`, else the module-level
    /// setting, else the page's own origin.
    pub fn url(&self) -> String {
        self.server_url.clone().unwrap_or_else(crate::params::default_server_url)
    }

    /// Applies an `RtmConfig` (`logFilter`; the other fields are accepted).
    pub fn apply_config(&self, config: &JsValue) {
        if let Some(filter) = crate::log::LogFilter::from_config(config) {
            self.log_filter.set(filter);
        }
    }

    /// Writes to the console if the log filter lets `level` through.
    pub fn log(&self, level: crate::log::Level, message: &str) {
        self.log_filter.get().write(level, message);
    }

    /// Why a call that needs a live session cannot run now, for its error.
    pub fn not_ready(&self) -> &'static str {
        match self.state().state {
            State::RECONNECTING => {
                "the connection is being restored (RECONNECTING): retry once ConnectionStateChanged reports CONNECTED"
            }
            State::CONNECTING => "login() has not finished yet: wait for it to resolve",
            State::ABORTED => "the session was ended by the server (ABORTED): log out, then log in again",
            _ => "not logged in: call login() first and wait for it to resolve",
        }
    }

    /// Ok when logged in; otherwise the operation's "not logged in" error,
    /// built only then, saying why (e.g. RECONNECTING).
    pub fn require_session(&self, family: &Family) -> Result<(), OpError> {
        if self.state().is_connected() {
            Ok(())
        } else {
            Err(family.not_logged_in(self.not_ready()))
        }
    }

    /// The current connection state.
    pub fn state(&self) -> ConnState {
        self.state.get()
    }

    /// Moves to `state`, emitting ConnectionStateChanged if it changed.
    pub fn set_state(&self, state: State, reason: Reason) {
        let mut s = self.state.get();
        let changed = s.set(state, reason);
        self.state.set(s);
        // The client is held while it has (or seeks) a session: its events can
        // come. Let go only after the last event it gets.
        if state != State::DISCONNECTED {
            self.emitter.pin();
        }
        if let Some((state, reason)) = changed {
            let waiters: Vec<_> = self.state_waiters.borrow_mut().drain(..).collect();
            waiters.into_iter().for_each(|w| _ = w.send(()));
            let args = [JsValue::from_str(state.as_str()), JsValue::from_str(reason.as_str())];
            self.emitter.emit("ConnectionStateChanged", &args);
        }
        if state == State::DISCONNECTED {
            self.emitter.unpin();
        }
    }

    /// Resolves at the next change of the connection state.
    pub fn next_state_change(&self) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        self.state_waiters.borrow_mut().push(tx);
        rx
    }

    /// While RECONNECTING, waits (at most 10 s, as Agora's sends do) for the
    /// state to change: a message sent during a short drop goes out once the
    /// session is back instead of failing. Still RECONNECTING then: the
    /// operation's timeout error.
    pub async fn ride_out_reconnect(&self, family: &Family) -> Result<(), OpError> {
        if self.state().state != State::RECONNECTING {
            return Ok(());
        }
        let changed = self.next_state_change();
        let _ = futures_util::future::select(changed, gloo_timers::future::TimeoutFuture::new(10_000)).await;
        if self.state().state == State::RECONNECTING {
            let why = "the connection was not restored within 10 s (RECONNECTING); nothing was sent";
            return Err(family.err(family.timeout, why));
        }
        Ok(())
    }

    /// The current generation.
    pub fn generation(&self) -> u64 {
        self.generation.get()
    }

    /// Starts a new generation (login, logout); returns it.
    pub fn bump_generation(&self) -> u64 {
        self.generation.set(self.generation.get() + 1);
        self.generation.get()
    }

    /// Opens a new link (dropping any old one); resolves true once it is open.
    pub fn open_link(self: &Rc<Core>) -> oneshot::Receiver<bool> {
        let weak: Weak<Core> = Rc::downgrade(self);
        let handler = Rc::new(move |link_id, event| {
            if let Some(core) = weak.upgrade() {
                core.on_link_event(link_id, event);
            }
        });
        self.transport.open(&self.url(), self.generation(), handler).unwrap_or_else(|e| {
            self.log(crate::log::Level::Warn, &e);
            let (tx, rx) = oneshot::channel();
            let _ = tx.send(false);
            rx
        })
    }

    /// Closes the current link on purpose and fails what waits on it.
    pub fn drop_link(&self) {
        self.transport.drop_link();
    }

    /// Resolves when the current link closes (immediately if there is none).
    pub fn link_closed(&self) -> oneshot::Receiver<()> {
        self.transport.link_closed()
    }

    /// Sends a request; resolves with its reply, a timeout, or the link's loss.
    pub fn request(&self, req: Request, timeout_ms: u32) -> oneshot::Receiver<ReplyResult> {
        self.transport.request(req, timeout_ms)
    }

    /// Sends a frame that expects no reply.
    pub fn notify(&self, req: Request) {
        self.transport.notify(req);
    }

    fn on_link_event(self: &Rc<Core>, link_id: u64, event: LinkEvent) {
        let Some((current, link_generation)) = self.transport.current() else { return };
        if current != link_id {
            return; // a late event of a link already replaced
        }
        match event {
            LinkEvent::Open => self.transport.on_open(),
            LinkEvent::Frame(bytes) => self.on_frame(&bytes),
            LinkEvent::Closed { code, reason } => {
                self.transport.on_close();
                self.on_link_closed(link_generation, code, &reason);
            }
        }
    }

    /// Treats the current link as dead (it stopped answering): the same path
    /// as a close the browser reported.
    pub fn abandon_link(self: &Rc<Core>, why: &str) {
        let Some((id, _)) = self.transport.current() else { return };
        self.on_link_event(id, LinkEvent::Closed { code: 4000, reason: why.to_owned() });
    }

    fn on_link_closed(self: &Rc<Core>, link_generation: u64, code: u16, reason: &str) {
        if link_generation != self.generation() {
            return; // closed on purpose by logout or a newer login
        }
        if let Some(why) = self.kicked.take() {
            if !why.should_retry() {
                self.bump_generation();
                self.forget_session();
                self.set_state(State::ABORTED, why);
                return;
            }
        }
        if self.state().is_connected() {
            // The session's supervisor (`login::supervise`) sees this and reconnects.
            self.log(crate::log::Level::Info, &format!("connection lost ({code} {reason}); reconnecting"));
            self.set_state(State::RECONNECTING, Reason::INTERRUPTED);
        }
    }

    /// A frame from the server: replies go to the transport; pushes are the
    /// core's own, or a feature's.
    fn on_frame(self: &Rc<Core>, bytes: &[u8]) {
        let push = match self.transport.on_frame(bytes) {
            Ok(Incoming::Push(push)) => push,
            Ok(Incoming::Handled) => return,
            Ok(Incoming::Gap) => {
                return self
                    .abandon_link("a push arrived out of sequence; resuming to recover the missing ones")
            }
            Err(e) => {
                self.log(crate::log::Level::Warn, &format!("ignoring a frame this SDK cannot read: {e}"));
                return;
            }
        };
        let push = match push {
            Push::PeerMessage { delivery, from, payload, ts, offline } => {
                // Acknowledge first: the app now has it, whatever its listeners do.
                self.notify(Request::PeerAck { delivery });
                return self.emitter.emit_message(Message::Peer, &payload, &from, ts, offline);
            }
            Push::Kicked { reason } => return self.kicked.set(Some(reason)),
            Push::TokenWillExpire => return self.emitter.emit("TokenPrivilegeWillExpire", &[]),
            other => other,
        };
        let Some(features) = self.features.get() else { return };
        // Each kind named, so that a new one must be given a home here.
        let feature = match push {
            Push::PeerState { .. } => &features.presence,
            Push::InvitationReceived { .. } | Push::Invitation { .. } => &features.invitations,
            Push::ChannelMessage { .. }
            | Push::ChannelAttrs { .. }
            | Push::MemberJoined { .. }
            | Push::MemberLeft { .. }
            | Push::MemberCount { .. } => &features.channels,
            Push::PeerMessage { .. } | Push::Kicked { .. } | Push::TokenWillExpire => return,
        };
        feature.on_push(self, push);
    }

    /// The session ended: forget it (its resume secret, and what each
    /// feature had).
    pub fn forget_session(&self) {
        *self.credentials.borrow_mut() = None;
        *self.resume_token.borrow_mut() = None;
        if let Some(features) = self.features.get() {
            features.all().iter().for_each(|f| f.session_ended());
        }
    }

    /// After a fresh login on reconnect: each feature restores its state on
    /// the server, in turn.
    pub async fn restore_features(self: &Rc<Core>) {
        let Some(features) = self.features.get() else { return };
        for feature in features.all() {
            feature.restore(self.clone()).await;
        }
    }
}
