//! Logging in and out, renewing the token, and getting the session back after
//! the link drops: first by resuming it (every missed push replayed, once, in
//! order), else by logging in again and re-joining channels and
//! subscriptions. The same states and reasons as the web SDK.

use crate::core::{now_ms, Credentials, Inner, REQUEST_TIMEOUT};
use crate::error::{self, RequestError, Result};
use crate::event::Event;
use crate::link::{Handler, Link};
use rtm_protocol::backoff::delay_ms;
use rtm_protocol::codes::{LoginError, LogoutError, RenewTokenError};
use rtm_protocol::limits::{self, KEEPALIVE_MS, KEEPALIVE_TIMEOUT_MS, LOGIN_TIMEOUT_MS};
use rtm_protocol::session::{after_login, after_resume, AfterResume, Established, Failure};
use rtm_protocol::{ConnectionChangeReason as Reason, ConnectionState as State, Request};
use std::sync::{Arc, Weak};
use std::time::Duration;

const LOGIN_TIMEOUT: Duration = Duration::from_millis(LOGIN_TIMEOUT_MS as u64);

fn jitter(attempt: u32) -> Duration {
    Duration::from_millis(delay_ms(attempt, rand::random::<f64>()) as u64)
}

/// One attempt: open a link, resume the session if asked and there is one,
/// else log in.
async fn establish(inner: &Arc<Inner>, generation: u64, resume: bool) -> Result<Established, Failure> {
    let handler: Weak<dyn Handler> = Arc::downgrade(inner) as Weak<dyn Handler>;
    let link = Link::open(&inner.url, LOGIN_TIMEOUT, handler).await;
    let (link, creds, secret, last_seq) = {
        let mut s = inner.lock();
        if s.generation != generation {
            if let Ok(link) = link {
                link.close();
            }
            return Err(Failure::Superseded);
        }
        let Ok(link) = link else { return Err(Failure::Retry) };
        let Some(creds) = s.creds.clone() else { return Err(Failure::Superseded) };
        // An earlier attempt's link (its request timed out) goes now.
        if let Some(old) = s.link.replace(link.clone()) {
            old.close();
        }
        (link, creds, s.resume.clone().filter(|_| resume), s.last_seq)
    };
    let superseded = || inner.generation() != generation;
    if let Some(secret) = secret {
        let req = Request::Resume {
            app_id: inner.app_id.clone(),
            uid: creds.uid.clone(),
            token: creds.token.clone(),
            resume: secret,
            last_seq,
        };
        let reply = link.request(req, LOGIN_TIMEOUT).await;
        if superseded() {
            return Err(Failure::Superseded);
        }
        match after_resume(reply) {
            AfterResume::Resumed => return Ok(Established::Resumed),
            AfterResume::LogInAnew => {} // on this same link
            AfterResume::Failed(failure) => return Err(failure),
        }
    }
    let req = Request::Login { app_id: inner.app_id.clone(), uid: creds.uid, token: creds.token };
    let reply = link.request(req, LOGIN_TIMEOUT).await;
    if superseded() {
        return Err(Failure::Superseded);
    }
    let resume = after_login(reply)?;
    let mut s = inner.lock();
    s.resume = Some(resume);
    s.last_seq = 0;
    Ok(Established::Fresh)
}

/// `login(uid, token)`: retries an unreachable server within the 12 s budget.
pub(crate) async fn login(inner: Arc<Inner>, uid: &str, token: Option<&str>) -> Result<()> {
    limits::validate_id(uid).map_err(|e| LoginError::INVALID_ARGUMENT.err(e.describe("uid")))?;
    if token.is_some_and(|t| t.is_empty() || t.len() > limits::MAX_TOKEN_BYTES) {
        let why = format!("the token must be 1-{} bytes", limits::MAX_TOKEN_BYTES);
        return Err(LoginError::INVALID_ARGUMENT.err(why));
    }
    let generation = {
        let mut s = inner.lock();
        match s.state {
            State::DISCONNECTED => {}
            State::ABORTED => {
                let why = "the session was ended by the server; call logout() before logging in again";
                return Err(LoginError::ALREADY_LOGIN.err(why));
            }
            _ => {
                return Err(
                    LoginError::ALREADY_LOGIN.err("already logged in or logging in; call logout() first")
                )
            }
        }
        if !s.budgets.login(now_ms()) {
            return Err(LoginError::TOO_OFTEN.err("login() is limited to 2 calls per second"));
        }
        s.generation += 1;
        s.creds = Some(Credentials { uid: uid.to_owned(), token: token.map(str::to_owned) });
        s.resume = None;
        s.last_seq = 0;
        s.generation
    };
    inner.set_state(State::CONNECTING, Reason::LOGIN);
    let attempts = async {
        let mut attempt = 0;
        loop {
            match establish(&inner, generation, false).await {
                Err(Failure::Retry) => {}
                other => return other,
            }
            tokio::time::sleep(jitter(attempt)).await;
            attempt += 1;
        }
    };
    let outcome = tokio::time::timeout(LOGIN_TIMEOUT, attempts).await;
    if inner.generation() != generation {
        return Err(LoginError::ABORTED_BY_LOGOUT.err("logout() was called before login completed"));
    }
    let failure = match outcome {
        Ok(Ok(_)) => {
            inner.set_state(State::CONNECTED, Reason::LOGIN_SUCCESS);
            tokio::spawn(keepalive(Arc::downgrade(&inner), generation));
            return Ok(());
        }
        Ok(Err(Failure::Refused(e) | Failure::TokenExpired(e))) => (Reason::LOGIN_FAILURE, e),
        Ok(Err(Failure::Retry | Failure::Superseded)) | Err(_) => {
            let why = format!(
                "could not log in to {} within {} s; is rtm-server running there?",
                inner.url,
                LOGIN_TIMEOUT_MS / 1000
            );
            (Reason::LOGIN_TIMEOUT, LoginError::TIMEOUT.err(why))
        }
    };
    inner.end_session();
    inner.lock().creds = None;
    inner.set_state(State::DISCONNECTED, failure.0);
    Err(failure.1)
}

/// `logout()`: returns once the connection is closed.
pub(crate) async fn logout(inner: Arc<Inner>) -> Result<()> {
    // The link leaves the client's state before the server closes it: its
    // end is then no drop to recover from (no RECONNECTING on the way out),
    // and a reconnect or keepalive in flight sees the new generation.
    let (state, link) = {
        let mut s = inner.lock();
        if s.state == State::DISCONNECTED {
            return Err(LogoutError::USER_NOT_LOGGED_IN.err("not logged in"));
        }
        s.generation += 1;
        (s.state, s.link.take())
    };
    if let Some(link) = link {
        if state == State::CONNECTED {
            // Tell the server, which ends the session and closes the socket.
            let _ = link.request(Request::Logout, Duration::from_secs(3)).await;
        }
        link.close();
    }
    inner.end_session();
    inner.lock().creds = None;
    inner.set_state(State::DISCONNECTED, Reason::LOGOUT);
    Ok(())
}

/// `renewToken(token)`: on a live session the server checks it; while
/// (re)connecting it is kept for the next attempt.
pub(crate) async fn renew_token(inner: Arc<Inner>, token: &str) -> Result<()> {
    if token.is_empty() || token.len() > limits::MAX_TOKEN_BYTES {
        let why = format!("the token must be 1-{} bytes", limits::MAX_TOKEN_BYTES);
        return Err(RenewTokenError::INVALID_ARGUMENT.err(why));
    }
    {
        let mut s = inner.lock();
        match s.state {
            State::DISCONNECTED | State::ABORTED => {
                return Err(
                    RenewTokenError::USER_NOT_LOGGED_IN.err("not logged in: renew_token() needs a session")
                )
            }
            State::CONNECTING | State::RECONNECTING => {
                if let Some(creds) = s.creds.as_mut() {
                    creds.token = Some(token.to_owned());
                }
                return Ok(());
            }
            State::CONNECTED => {}
        }
        if !s.budgets.renew(now_ms()) {
            return Err(RenewTokenError::TOO_OFTEN.err("renew_token() is limited to 2 calls per second"));
        }
    }
    inner.call(Request::RenewToken { token: token.to_owned() }, &error::RENEW).await?;
    if let Some(creds) = inner.lock().creds.as_mut() {
        creds.token = Some(token.to_owned());
    }
    Ok(())
}

/// After an unexpected drop: resume (or log in again) with jittered backoff
/// until it works, the server refuses, or the app logs out. An expired token
/// emits `TokenExpired` once and waits for `renew_token()`.
pub(crate) async fn reconnect(inner: Arc<Inner>, generation: u64) {
    let mut attempt = 0;
    let mut told_expired = false;
    loop {
        tokio::time::sleep(jitter(attempt)).await;
        if inner.generation() != generation {
            return;
        }
        match establish(&inner, generation, true).await {
            Ok(how) => {
                if how == Established::Fresh {
                    restore(&inner).await;
                }
                if inner.generation() == generation {
                    inner.set_state(State::CONNECTED, Reason::LOGIN_SUCCESS);
                }
                return;
            }
            Err(Failure::Retry) => attempt += 1,
            Err(Failure::TokenExpired(_)) => {
                if !std::mem::replace(&mut told_expired, true) {
                    inner.lock().router.emit(Event::TokenExpired);
                }
                attempt += 1;
            }
            Err(Failure::Refused(_)) => {
                inner.end_session();
                inner.set_state(State::ABORTED, Reason::LOGIN_FAILURE);
                return;
            }
            Err(Failure::Superseded) => return,
        }
    }
}

/// On a new session: joins every channel that was joined and subscribes
/// every peer that was subscribed.
async fn restore(inner: &Arc<Inner>) {
    let (link, channels, peers) = {
        let s = inner.lock();
        let Some(link) = s.link.clone() else { return };
        (link, s.channels.clone(), s.subscribed.iter().cloned().collect::<Vec<_>>())
    };
    for channel in channels {
        // A channel that cannot be joined again stays listed; the app sees
        // no member events from it, as with the web SDK.
        let _ = link.request(Request::Join { channel }, REQUEST_TIMEOUT).await;
    }
    for peers in peers.chunks(limits::MAX_PEERS_PER_CALL) {
        let _ = link.request(Request::Subscribe { peers: peers.to_vec() }, REQUEST_TIMEOUT).await;
    }
}

/// Pings the server while connected: a link that stops answering (a network
/// that died without closing the socket) is given up and reconnected.
async fn keepalive(inner: Weak<Inner>, generation: u64) {
    loop {
        tokio::time::sleep(Duration::from_millis(KEEPALIVE_MS as u64)).await;
        let Some(inner) = inner.upgrade() else { return };
        let link = {
            let s = inner.lock();
            if s.generation != generation {
                return;
            }
            match (s.state, &s.link) {
                (State::CONNECTED, Some(link)) => link.clone(),
                _ => continue,
            }
        };
        drop(inner);
        let timeout = Duration::from_millis(KEEPALIVE_TIMEOUT_MS as u64);
        if let Err(RequestError::Timeout) = link.request(Request::Ping, timeout).await {
            link.close();
        }
    }
}
