//! Request dispatch for one connection: decode a frame, check the login,
//! hand the request to its handler, and write exactly one reply (or none,
//! for the client's acknowledgements). Replies that wait for another client
//! run beside the reader, so its acknowledgements keep flowing.

use crate::clock::now_ms;
use crate::features::Handled;
use crate::metrics::{self, Login, Op};
use crate::services::Services;
use crate::sessions::{close, Outbox, Session};
use rtm_protocol::codes::{LoginError, LogoutError, PeerMessageError, RenewTokenError};
use rtm_protocol::frames::ClientFrameId;
use rtm_protocol::limits::{MALFORMED_RATE, MAX_FRAME_BYTES};
use rtm_protocol::rate::RateWindow;
use rtm_protocol::{decode, decode_prefix, ClientFrame, ErrorReply, OpError, Reply, Request};
use std::sync::Arc;
use std::time::Instant;

/// The reader's state.
pub(super) struct Conn {
    services: Arc<Services>,
    outbox: Outbox,
    /// The logged-in session, and the attachment generation this connection holds.
    session: Option<(Arc<Session>, u64)>,
    /// Frames this connection sent that could not be read.
    malformed: RateWindow,
}

impl Conn {
    pub(super) fn new(services: Arc<Services>, outbox: Outbox) -> Conn {
        Conn { services, outbox, session: None, malformed: RateWindow::from_rate(MALFORMED_RATE) }
    }

    pub(super) fn close(&self, code: u16, reason: &str) {
        self.outbox.close(code, reason);
    }

    /// Whether a session is (or was) logged in on this connection.
    pub(super) fn is_logged_in(&self) -> bool {
        self.session.is_some()
    }

    /// The session this connection leaves behind, if it did not end.
    pub(super) fn take_session(&mut self) -> Option<(Arc<Session>, u64)> {
        self.session.take().filter(|(s, _)| !s.has_ended())
    }

    pub(super) async fn on_frame(&mut self, bytes: &[u8]) {
        if bytes.len() > MAX_FRAME_BYTES {
            let reason = format!("frame of {} bytes exceeds the {MAX_FRAME_BYTES}-byte limit", bytes.len());
            return self.close(close::TOO_BIG, &reason);
        }
        let frame: ClientFrame = match decode(bytes) {
            Ok(frame) => frame,
            Err(e) => {
                if !self.malformed.try_hit(now_ms()) {
                    return self
                        .close(close::INVALID_PAYLOAD, "too many malformed frames; see docs/protocol.md");
                }
                // Answer the request if its id can be read; otherwise the
                // frame is garbage and the connection cannot be trusted.
                return match decode_prefix::<ClientFrameId>(bytes) {
                    Ok(ClientFrameId { id }) => self.outbox.reply(
                        id,
                        Err(ErrorReply::new(
                            1,
                            format!("unknown or malformed request: {e}; see docs/protocol.md"),
                        )),
                    ),
                    Err(_) => self.close(close::INVALID_PAYLOAD, &format!("malformed frame: {e}")),
                };
            }
        };
        // A session that ended (logout, remote login) no longer counts.
        if self.session.as_ref().is_some_and(|(s, _)| s.has_ended()) {
            self.session = None;
        }
        let (op, started) = (metrics::op(&frame.req), Instant::now());
        let handled = self.handle(frame.id, frame.req).await;
        self.finish(frame.id, handled, op, started).await;
    }

    async fn handle(&mut self, id: u32, req: Request) -> Handled {
        let session = self.session.as_ref().map(|(s, _)| s.clone());
        match (req, session) {
            // Not before login: a ping must not keep a socket that never logs in.
            (Request::Ping, Some(_)) => Handled::Reply(Ok(Reply::Done)),
            (Request::Login { app_id, uid, token }, None) => {
                let result = self.services.lifecycle.login(&self.outbox, app_id, uid, token).await;
                metrics::login(login_result(&result));
                match result {
                    Ok((session, reply)) => {
                        self.session = Some((session.clone(), session.generation()));
                        let peer = self.services.peer.clone();
                        // Offline messages follow the reply.
                        Handled::ReplyThen(
                            Ok(reply),
                            Box::pin(async move { peer.deliver_stored(&session).await }),
                        )
                    }
                    Err(e) => Handled::Reply(Err(e)),
                }
            }
            (Request::Resume { app_id, uid, token, resume, last_seq }, None) => {
                match self
                    .services
                    .lifecycle
                    .resume(&self.outbox, id, app_id, uid, token, resume, last_seq)
                    .await
                {
                    // The reply is queued already, ahead of the replay.
                    Ok((session, generation)) => {
                        self.session = Some((session, generation));
                        Handled::Silent
                    }
                    Err(e) => Handled::Reply(Err(e)),
                }
            }
            (req @ (Request::Login { .. } | Request::Resume { .. }), Some(_)) => {
                if matches!(req, Request::Login { .. }) {
                    metrics::login(Login::Refused);
                }
                Handled::Reply(Err(
                    LoginError::ALREADY_LOGIN.err("this connection is already logged in; log out first")
                ))
            }
            // Acknowledgements from a client that is no longer logged in: nothing to do.
            (Request::PeerAck { .. } | Request::InviteReceived { .. }, None) => Handled::Silent,
            (req, None) => Handled::Reply(Err(not_logged_in(&req))),
            (Request::Logout, Some(session)) => {
                self.outbox.reply(id, Ok(Reply::Done));
                self.session = None;
                self.services.lifecycle.end(&session).await;
                self.close(close::NORMAL, "logout");
                Handled::Silent
            }
            (req, Some(session)) => {
                let _one_at_a_time = session.serialize().await;
                if session.has_ended() {
                    self.session = None;
                    return Handled::Reply(Err(not_logged_in(&req)));
                }
                self.services.handle(&session, req).await
            }
        }
    }

    /// Queues the reply; the request's latency is taken when it is queued
    /// (for a reply that waits, such as a peer message's acknowledgement,
    /// when the wait ends).
    async fn finish(&self, id: u32, handled: Handled, op: Op, started: Instant) {
        let reply = |answer: Result<Reply, OpError>| answer.map_err(|e| e.to_reply());
        match handled {
            Handled::Reply(answer) => {
                self.outbox.reply(id, reply(answer));
                metrics::request_done(op, started);
            }
            Handled::ReplyThen(answer, then) => {
                self.outbox.reply(id, reply(answer));
                metrics::request_done(op, started);
                then.await;
            }
            Handled::Later(answer) => {
                let outbox = self.outbox.clone();
                tokio::spawn(async move {
                    outbox.reply(id, reply(answer.await));
                    metrics::request_done(op, started);
                });
            }
            Handled::Silent => metrics::request_done(op, started),
        }
    }
}

/// How a login ended: refused for what the client sent, or an error of the
/// server's (an engine it could not reach, a timeout).
fn login_result<T>(result: &Result<T, OpError>) -> Login {
    match result {
        Ok(_) => Login::Ok,
        Err(e) if e.code == LoginError::UNKNOWN.code() || e.code == LoginError::TIMEOUT.code() => {
            Login::Error
        }
        Err(_) => Login::Refused,
    }
}

/// "Not logged in", in the code family of the request.
fn not_logged_in(req: &Request) -> OpError {
    const MSG: &str = "not logged in: call login() first and wait for it to resolve";
    match req {
        Request::Logout => LogoutError::USER_NOT_LOGGED_IN.err(MSG),
        Request::RenewToken { .. } => RenewTokenError::USER_NOT_LOGGED_IN.err(MSG),
        // Every other family numbers "not logged in" 102 too.
        _ => PeerMessageError::USER_NOT_LOGGED_IN.err(MSG),
    }
}
