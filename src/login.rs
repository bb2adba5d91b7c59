//! Logging in, logging out, renewing the token, and getting the session back
//! after the link drops: first by resuming it (nothing missed), else by
//! logging in again and re-joining the channels.

use crate::core::{Core, Credentials};
use crate::errors::{self, RequestError};
use futures_util::future::{select, Either};
use gloo_timers::future::TimeoutFuture;
use rtm_protocol::codes::{LoginError, LogoutError, RenewTokenError};
use rtm_protocol::families;
use rtm_protocol::limits::{self, LOGIN_TIMEOUT_MS, REQUEST_TIMEOUT_MS};
use rtm_protocol::session::{after_login, after_resume, AfterResume, Established, Failure};
use rtm_protocol::{ConnectionChangeReason as Reason, ConnectionState as State, OpError, Request};
use std::rc::Rc;

/// One attempt: open a link, resume the session if there is one, else log in.
async fn establish(core: &Rc<Core>, generation: u64, resume: bool) -> Result<Established, Failure> {
    let opened = core.open_link().await.unwrap_or(false);
    if core.generation() != generation {
        return Err(Failure::Superseded);
    }
    if !opened {
        return Err(Failure::Retry);
    }
    let Some(creds) = core.credentials.borrow().clone() else { return Err(Failure::Superseded) };
    let resume_token = core.resume_token.borrow().clone().filter(|_| resume);
    if let Some(resume) = resume_token {
        let req = Request::Resume {
            app_id: core.app_id.clone(),
            uid: creds.uid.clone(),
            token: creds.token.clone(),
            resume,
            last_seq: core.transport.last_seq.get(),
        };
        let reply = core.request(req, LOGIN_TIMEOUT_MS).await.unwrap_or(Err(RequestError::LinkLost));
        if core.generation() != generation {
            return Err(Failure::Superseded);
        }
        match after_resume(reply) {
            AfterResume::Resumed => return Ok(Established::Resumed),
            AfterResume::LogInAnew => {} // on this same link
            AfterResume::Failed(failure) => return Err(failure),
        }
    }
    let req = Request::Login { app_id: core.app_id.clone(), uid: creds.uid, token: creds.token };
    let reply = core.request(req, LOGIN_TIMEOUT_MS).await.unwrap_or(Err(RequestError::LinkLost));
    if core.generation() != generation {
        return Err(Failure::Superseded);
    }
    let resume = after_login(reply)?;
    *core.resume_token.borrow_mut() = Some(resume);
    core.transport.last_seq.set(0);
    Ok(Established::Fresh)
}

fn read_login_options(options: &wasm_bindgen::JsValue) -> Result<Credentials, OpError> {
    let bad = |msg: &str| LoginError::INVALID_ARGUMENT.err(msg);
    if !options.is_object() {
        return Err(bad("login() takes an object: {uid: string, token?: string}"));
    }
    let get = |k: &str| js_sys::Reflect::get(options, &k.into()).unwrap_or_default();
    let uid = get("uid").as_string().ok_or_else(|| bad("uid must be a string"))?;
    limits::validate_id(&uid).map_err(|e| bad(&e.describe("uid")))?;
    let token = get("token");
    let token = if token.is_undefined() || token.is_null() {
        None
    } else {
        Some(token.as_string().ok_or_else(|| bad("token must be a string"))?)
    };
    Ok(Credentials { uid, token })
}

/// `login({uid, token})`: retries unreachable servers within the 12 s budget.
pub async fn login(core: Rc<Core>, options: wasm_bindgen::JsValue) -> Result<(), OpError> {
    let creds = read_login_options(&options)?;
    if !core.state().may_login() {
        let why = match core.state().state {
            State::ABORTED => "the session was ended by the server; call logout() before logging in again",
            _ => "already logged in or logging in; call logout() first",
        };
        return Err(LoginError::ALREADY_LOGIN.err(why));
    }
    if !core.budgets.borrow_mut().login(js_sys::Date::now() as u64) {
        return Err(LoginError::TOO_OFTEN.err("login() is limited to 2 calls per second"));
    }
    let generation = core.bump_generation();
    *core.credentials.borrow_mut() = Some(creds);
    *core.resume_token.borrow_mut() = None;
    core.set_state(State::CONNECTING, Reason::LOGIN);

    let attempts = async {
        let mut attempt = 0;
        loop {
            match establish(&core, generation, false).await {
                Err(Failure::Retry) => {}
                other => return other,
            }
            TimeoutFuture::new(rtm_protocol::backoff::delay_ms(attempt, js_sys::Math::random())).await;
            attempt += 1;
        }
    };
    let outcome = match select(Box::pin(attempts), TimeoutFuture::new(LOGIN_TIMEOUT_MS)).await {
        Either::Left((result, _)) => result.map_err(Some),
        Either::Right(((), _)) => Err(None),
    };
    if core.generation() != generation {
        return Err(LoginError::ABORTED_BY_LOGOUT.err("logout() was called before login completed"));
    }
    match outcome {
        Ok(_) => {
            core.set_state(State::CONNECTED, Reason::LOGIN_SUCCESS);
            wasm_bindgen_futures::spawn_local(keepalive(core.clone(), generation));
            wasm_bindgen_futures::spawn_local(supervise(core.clone(), generation));
            Ok(())
        }
        Err(failure) => {
            core.bump_generation();
            core.drop_link();
            core.forget_session();
            let (reason, err) = match failure {
                Some(Failure::Refused(e) | Failure::TokenExpired(e)) => (Reason::LOGIN_FAILURE, e),
                _ => (
                    Reason::LOGIN_TIMEOUT,
                    LoginError::TIMEOUT.err(format!(
                        "could not log in to {} within {} s; is rtm-server running there?",
                        core.url(),
                        LOGIN_TIMEOUT_MS / 1000
                    )),
                ),
            };
            core.set_state(State::DISCONNECTED, reason);
            Err(err)
        }
    }
}

/// `logout()`: resolves once the socket is closed.
pub async fn logout(core: Rc<Core>) -> Result<(), OpError> {
    let state = core.state().state;
    if state == State::DISCONNECTED {
        return Err(LogoutError::USER_NOT_LOGGED_IN.err("not logged in"));
    }
    core.bump_generation();
    if state == State::CONNECTED {
        // Tell the server, then wait (briefly) for it to close the socket.
        let closed = core.link_closed();
        let _ = core.request(Request::Logout, 3_000).await;
        let _ = select(closed, TimeoutFuture::new(1_000)).await;
    }
    end_session(&core);
    Ok(())
}

/// `logoutSync()`: tells the server, if connected, and ends the session
/// without waiting for its answer.
pub fn logout_now(core: &Core) -> Result<(), OpError> {
    let state = core.state().state;
    if state == State::DISCONNECTED {
        return Err(LogoutError::USER_NOT_LOGGED_IN.err("not logged in"));
    }
    core.bump_generation();
    if state == State::CONNECTED {
        core.notify(Request::Logout);
    }
    end_session(core);
    Ok(())
}

fn end_session(core: &Core) {
    core.drop_link();
    core.forget_session();
    core.set_state(State::DISCONNECTED, Reason::LOGOUT);
}

/// `renewToken(token)`: on a live session the server checks it; while
/// (re)connecting it is kept for the next attempt.
pub async fn renew_token(core: Rc<Core>, token: wasm_bindgen::JsValue) -> Result<(), OpError> {
    let token = token
        .as_string()
        .filter(|t| !t.is_empty() && t.len() <= limits::MAX_TOKEN_BYTES)
        .ok_or_else(|| RenewTokenError::INVALID_ARGUMENT.err("the token must be a non-empty string"))?;
    match core.state().state {
        State::DISCONNECTED | State::ABORTED => {
            return Err(RenewTokenError::USER_NOT_LOGGED_IN.err("not logged in: renewToken() needs a session"))
        }
        State::CONNECTING => {
            return Err(RenewTokenError::USER_NOT_LOGGED_IN
                .err("login() has not finished yet: renew the token once it resolves"))
        }
        State::RECONNECTING => {
            // Kept for the next attempt, which may need it (TokenExpired).
            if let Some(creds) = core.credentials.borrow_mut().as_mut() {
                creds.token = Some(token);
            }
            return Ok(());
        }
        State::CONNECTED => {}
    }
    if !core.budgets.borrow_mut().renew(js_sys::Date::now() as u64) {
        return Err(RenewTokenError::TOO_OFTEN.err("renewToken() is limited to 2 calls per second"));
    }
    let reply = core.request(Request::RenewToken { token: token.clone() }, REQUEST_TIMEOUT_MS).await;
    errors::settle(reply, &families::RENEW)?;
    if let Some(creds) = core.credentials.borrow_mut().as_mut() {
        creds.token = Some(token);
    }
    Ok(())
}

/// Pings the server while connected: a link that stops answering (a network
/// that died without closing the socket) is abandoned and reconnected, instead
/// of waiting minutes for the browser to notice. The server closes a client it
/// has not heard from in 60 s.
async fn keepalive(core: Rc<Core>, generation: u64) {
    loop {
        TimeoutFuture::new(limits::KEEPALIVE_MS).await;
        if core.generation() != generation {
            return;
        }
        if !core.state().is_connected() {
            continue;
        }
        let reply = core.request(Request::Ping, limits::KEEPALIVE_TIMEOUT_MS).await;
        if matches!(reply, Ok(Err(RequestError::Timeout))) && core.generation() == generation {
            core.abandon_link("the server stopped answering pings");
        }
    }
}

/// The session's supervisor, from login to logout: each time the transport
/// reports the link lost (RECONNECTING), it gets the session back.
async fn supervise(core: Rc<Core>, generation: u64) {
    loop {
        let _ = core.next_state_change().await;
        if core.generation() != generation {
            return; // logged out, logged in anew, or ended by the server
        }
        if core.state().state == State::RECONNECTING {
            reconnect(core.clone(), generation).await;
        }
    }
}

/// After an unexpected drop: resume (or log in again) with jittered backoff
/// until it works, the server refuses, or the app logs out. An expired token
/// fires TokenExpired once and waits for `renewToken()`.
async fn reconnect(core: Rc<Core>, generation: u64) {
    let mut attempt = 0;
    let mut told_expired = false;
    loop {
        TimeoutFuture::new(rtm_protocol::backoff::delay_ms(attempt, js_sys::Math::random())).await;
        if core.generation() != generation {
            return;
        }
        match establish(&core, generation, true).await {
            Ok(how) => {
                if how == Established::Fresh {
                    core.restore_features().await;
                }
                if core.generation() == generation {
                    core.set_state(State::CONNECTED, Reason::LOGIN_SUCCESS);
                }
                return;
            }
            Err(Failure::Retry) => attempt += 1,
            Err(Failure::TokenExpired(_)) => {
                if !told_expired {
                    told_expired = true;
                    core.emitter.emit("TokenExpired", &[]);
                }
                attempt += 1;
            }
            Err(Failure::Refused(e)) => {
                core.log(crate::log::Level::Warn, &format!("reconnect refused: {}", e.message));
                core.bump_generation();
                core.drop_link();
                core.forget_session();
                core.set_state(State::ABORTED, Reason::LOGIN_FAILURE);
                return;
            }
            Err(Failure::Superseded) => return,
        }
    }
}
