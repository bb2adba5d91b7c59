//! Logging in, logging out, and logging in again after the link drops.

use crate::core::{Core, Credentials};
use crate::errors::{self, RequestError};
use futures_util::future::{select, Either};
use gloo_timers::future::TimeoutFuture;
use rtm_protocol::codes::{LoginError, LogoutError};
use rtm_protocol::limits::{self, LOGIN_TIMEOUT_MS};
use rtm_protocol::{ConnectionChangeReason as Reason, ConnectionState as State, OpError, Reply, Request};
use std::rc::Rc;

/// How one attempt to establish a session failed.
enum Failure {
    /// The network or server was not reachable: try again.
    Retry,
    /// The server refused: trying again would not help.
    Refused(OpError),
    /// A logout (or newer login) started meanwhile.
    Superseded,
}

/// One attempt: open a link and log in on it.
async fn establish(core: &Rc<Core>, generation: u64, creds: &Credentials) -> Result<(), Failure> {
    let opened = core.open_link().await.unwrap_or(false);
    if core.generation() != generation {
        return Err(Failure::Superseded);
    }
    if !opened {
        return Err(Failure::Retry);
    }
    let req =
        Request::Login { app_id: core.app_id.clone(), uid: creds.uid.clone(), token: creds.token.clone() };
    let reply = core.request(req, LOGIN_TIMEOUT_MS).await.unwrap_or(Err(RequestError::LinkLost));
    if core.generation() != generation {
        return Err(Failure::Superseded);
    }
    match reply {
        Ok(Reply::LoggedIn { .. }) => Ok(()),
        Ok(other) => {
            Err(Failure::Refused(LoginError::UNKNOWN.err(format!("unexpected login reply {other:?}"))))
        }
        Err(RequestError::Refused(e)) => {
            Err(Failure::Refused(errors::from_reply(e, |c| LoginError::from_code(c).map(LoginError::kind))))
        }
        Err(RequestError::Timeout | RequestError::LinkLost) => Err(Failure::Retry),
    }
}

/// Keeps attempting with jittered backoff until one succeeds or cannot.
async fn establish_with_retries(
    core: &Rc<Core>,
    generation: u64,
    creds: &Credentials,
) -> Result<(), Failure> {
    let mut attempt = 0;
    loop {
        match establish(core, generation, creds).await {
            Err(Failure::Retry) => {}
            other => return other,
        }
        TimeoutFuture::new(crate::backoff::delay_ms(attempt, js_sys::Math::random())).await;
        attempt += 1;
        if core.generation() != generation {
            return Err(Failure::Superseded);
        }
    }
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

/// `login({uid, token})`.
pub async fn login(core: Rc<Core>, options: wasm_bindgen::JsValue) -> Result<(), OpError> {
    let creds = read_login_options(&options)?;
    if !core.state().may_login() {
        let why = match core.state().state {
            State::ABORTED => "the session was ended by the server; call logout() before logging in again",
            _ => "already logged in or logging in; call logout() first",
        };
        return Err(LoginError::ALREADY_LOGIN.err(why));
    }
    let generation = core.bump_generation();
    *core.credentials.borrow_mut() = Some(creds.clone());
    core.set_state(State::CONNECTING, Reason::LOGIN);

    let attempt = Box::pin(establish_with_retries(&core, generation, &creds));
    let outcome = match select(attempt, TimeoutFuture::new(LOGIN_TIMEOUT_MS)).await {
        Either::Left((result, _)) => result.map_err(Some),
        Either::Right(((), _)) => Err(None),
    };
    match outcome {
        Ok(()) => {
            core.set_state(State::CONNECTED, Reason::LOGIN_SUCCESS);
            Ok(())
        }
        Err(Some(Failure::Superseded)) => {
            Err(LoginError::ABORTED_BY_LOGOUT.err("logout() was called before login completed"))
        }
        Err(failure) => {
            core.bump_generation();
            core.drop_link();
            *core.credentials.borrow_mut() = None;
            let (reason, err) = match failure {
                Some(Failure::Refused(e)) => (Reason::LOGIN_FAILURE, e),
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
    core.drop_link();
    *core.credentials.borrow_mut() = None;
    core.forget_channels();
    core.set_state(State::DISCONNECTED, Reason::LOGOUT);
    Ok(())
}

/// Joins again, on the new session, every channel that was joined.
async fn rejoin_channels(core: &Rc<Core>) {
    let ids: Vec<String> = core.channels.borrow().keys().cloned().collect();
    for id in ids {
        let reply = core.request(Request::Join { channel: id.clone() }, limits::REQUEST_TIMEOUT_MS).await;
        if !matches!(reply, Ok(Ok(Reply::Done))) {
            core.log(
                crate::log::Level::Warn,
                &format!("could not re-join channel {id:?} after reconnecting"),
            );
        }
    }
}

/// After an unexpected drop: log in again with the same credentials until it
/// works, the server refuses, or the app logs out.
pub async fn reconnect(core: Rc<Core>, generation: u64) {
    let Some(creds) = core.credentials.borrow().clone() else { return };
    TimeoutFuture::new(crate::backoff::delay_ms(0, js_sys::Math::random())).await;
    if core.generation() != generation {
        return;
    }
    match establish_with_retries(&core, generation, &creds).await {
        Ok(()) => {
            rejoin_channels(&core).await;
            if core.generation() == generation {
                core.set_state(State::CONNECTED, Reason::LOGIN_SUCCESS);
            }
        }
        Err(Failure::Refused(e)) => {
            core.log(crate::log::Level::Warn, &format!("reconnect refused: {}", e.message));
            core.bump_generation();
            core.drop_link();
            core.forget_channels();
            core.set_state(State::ABORTED, Reason::LOGIN_FAILURE);
        }
        Err(Failure::Superseded | Failure::Retry) => {}
    }
}
