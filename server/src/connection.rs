//! One WebSocket connection: a reader loop that decodes and dispatches the
//! client's frames, and a writer task fed by the session's bounded queue.
//!
//! Every way a connection ends goes through one watch channel (`kill`): the
//! writer flushes what is queued (a reply, a Kicked push), sends a close frame
//! with the reason, and the reader unregisters the session.

use crate::hub::Hub;
use crate::session::{close, CloseReason, Outbound, Outbox, SessionHandle};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::{SinkExt, StreamExt};
use rtm_protocol::codes::{LoginError, LogoutError, PeerMessageError};
use rtm_protocol::frames::ClientFrameId;
use rtm_protocol::limits::{self, MAX_FRAME_BYTES};
use rtm_protocol::{decode, decode_prefix, ClientFrame, ErrorReply, OpError, Push, Reply, Request, ServerFrame};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

/// Serves one upgraded socket until it closes.
pub async fn serve(socket: WebSocket, hub: Arc<Hub>, mut shutdown: watch::Receiver<bool>) {
    let (sink, mut stream) = socket.split();
    let (outbox, out_rx, mut kill_rx) = Outbox::new(hub.config().limits.queue_capacity);
    let writer = tokio::spawn(write_loop(sink, out_rx, kill_rx.clone()));
    let mut conn = Conn { hub: hub.clone(), outbox, session: None };

    loop {
        tokio::select! {
            msg = stream.next() => match msg {
                None | Some(Ok(Message::Close(_))) => break,
                Some(Ok(Message::Binary(bytes))) => conn.on_frame(&bytes).await,
                Some(Ok(Message::Text(_))) => conn.close(
                    close::UNSUPPORTED,
                    "text frames are not spoken here: send binary MessagePack frames (docs/protocol.md)",
                ),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Err(e)) => {
                    let text = e.to_string();
                    tracing::debug!(error = %text, "websocket read error");
                    if text.contains("too long") || text.contains("too big") {
                        conn.close(close::TOO_BIG, &format!("frame larger than {MAX_FRAME_BYTES} bytes"));
                    }
                    break;
                }
            },
            _ = kill_rx.changed() => break,
            _ = shutdown.changed() => conn.close(close::GOING_AWAY, "server shutting down; reconnect later"),
        }
    }
    // However the loop ended, tell the writer; a reason set earlier wins.
    conn.close(close::NORMAL, "closed");
    if let Some(session) = conn.session.take() {
        hub.unregister(&session).await;
    }
    let _ = writer.await;
}

/// Sends queued frames until the connection is told to end, then flushes what is
/// still queued and sends the close frame.
async fn write_loop(
    mut sink: futures_util::stream::SplitSink<WebSocket, Message>,
    mut out: mpsc::Receiver<Outbound>,
    mut kill: watch::Receiver<Option<CloseReason>>,
) {
    loop {
        tokio::select! {
            biased;
            frame = out.recv() => match frame {
                Some(Outbound::Frame(bytes)) => {
                    if sink.send(Message::Binary(bytes)).await.is_err() {
                        return;
                    }
                }
                None => break,
            },
            _ = kill.changed() => break,
        }
    }
    while let Ok(Outbound::Frame(bytes)) = out.try_recv() {
        if sink.send(Message::Binary(bytes)).await.is_err() {
            return;
        }
    }
    let reason = kill.borrow().clone().unwrap_or(CloseReason { code: close::NORMAL, reason: String::new() });
    let frame = CloseFrame { code: reason.code, reason: truncate(&reason.reason, 123).into() };
    let _ = sink.send(Message::Close(Some(frame))).await;
    let _ = sink.close().await;
}

/// A close reason may be at most 123 bytes; cut on a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The reader's state.
struct Conn {
    hub: Arc<Hub>,
    outbox: Outbox,
    session: Option<Arc<SessionHandle>>,
}

impl Conn {
    fn close(&self, code: u16, reason: &str) {
        self.outbox.close(code, reason);
    }

    fn reply(&self, id: u32, result: Result<Reply, ErrorReply>) {
        self.outbox.send(&ServerFrame::Reply { id, result });
    }

    async fn on_frame(&mut self, bytes: &[u8]) {
        if bytes.len() > MAX_FRAME_BYTES {
            let reason = format!("frame of {} bytes exceeds the {MAX_FRAME_BYTES}-byte limit", bytes.len());
            return self.close(close::TOO_BIG, &reason);
        }
        let frame: ClientFrame = match decode(bytes) {
            Ok(frame) => frame,
            Err(e) => {
                // Answer the request if its id can be read; otherwise the
                // frame is garbage and the connection cannot be trusted.
                return match decode_prefix::<ClientFrameId>(bytes) {
                    Ok(ClientFrameId { id }) => self.reply(
                        id,
                        Err(ErrorReply::new(
                            1,
                            format!("unknown or malformed request: {e}; see docs/protocol.md"),
                        )),
                    ),
                    _ => self.close(close::INVALID_PAYLOAD, &format!("malformed frame: {e}")),
                };
            }
        };
        let id = frame.id;
        match (frame.req, self.session.clone()) {
            (Request::Login { app_id, uid, token }, None) => {
                let result = self.login(app_id, uid, token).await;
                self.reply(id, result.map_err(|e| e.to_reply()));
            }
            (Request::Login { .. }, Some(_)) => self.reply(
                id,
                Err(LoginError::ALREADY_LOGIN
                    .err("this connection is already logged in; log out first")
                    .to_reply()),
            ),
            (Request::Ping, _) => self.reply(id, Ok(Reply::Done)),
            (Request::PeerAck { .. }, None) => {}
            (req, None) => self.reply(id, Err(not_logged_in(&req).to_reply())),
            (Request::Logout, Some(_)) => {
                self.reply(id, Ok(Reply::Done));
                self.close(close::NORMAL, "logout");
            }
            (Request::PeerAck { delivery }, Some(session)) => self.hub.peer_ack(&session, delivery).await,
            (Request::Join { channel }, Some(session)) => match self.hub.join(&session, &channel).await {
                Ok(count) => {
                    self.reply(id, Ok(Reply::Done));
                    session.send(&ServerFrame::Push(Push::MemberCount { channel, count }));
                }
                Err(e) => self.reply(id, Err(e.to_reply())),
            },
            (Request::Leave { channel }, Some(session)) => {
                let result = self.hub.leave(&session, &channel).await;
                self.reply(id, result.map(|()| Reply::Done).map_err(|e| e.to_reply()));
            }
            (Request::SendChannel { channel, payload }, Some(session)) => {
                let result = self.hub.send_channel(&session, &channel, payload).await;
                self.reply(id, result.map(|()| Reply::Done).map_err(|e| e.to_reply()));
            }
            (Request::GetMembers { channel }, Some(session)) => {
                let result = self.hub.get_members(&session, &channel).await;
                self.reply(id, result.map(|members| Reply::Members { members }).map_err(|e| e.to_reply()));
            }
            (Request::GetMemberCount { channels }, Some(session)) => {
                let result = self.hub.member_counts(&session, &channels).await;
                self.reply(id, result.map(|counts| Reply::MemberCounts { counts }).map_err(|e| e.to_reply()));
            }
            (Request::SendPeer { peer, payload, offline: _ }, Some(session)) => {
                // Waiting for the peer's acknowledgement must not stall this
                // reader: the acks of messages *to* this client arrive here.
                let hub = self.hub.clone();
                tokio::spawn(async move {
                    let result = hub.send_peer(&session, peer, payload).await;
                    let result = result.map_err(|e| e.to_reply());
                    session.send(&ServerFrame::Reply { id, result });
                });
            }
        }
    }

    async fn login(&mut self, app_id: String, uid: String, token: Option<String>) -> Result<Reply, OpError> {
        self.hub.check_login(&app_id, &uid)?;
        if token.as_deref().is_some_and(|t| t.len() > limits::MAX_TOKEN_BYTES) {
            return Err(LoginError::INVALID_TOKEN.err("the token is longer than any valid token"));
        }
        let session =
            Arc::new(SessionHandle::new(self.hub.next_session_ref(), app_id, uid, self.outbox.clone()));
        self.hub.register(session.clone()).await?;
        tracing::debug!(app = %session.app, uid = %session.uid, "login");
        self.session = Some(session);
        Ok(Reply::LoggedIn { server_ts: crate::hub::now_ms(), server: crate::SERVER_NAME.to_owned() })
    }
}

/// "Not logged in", in the code family of the request.
fn not_logged_in(req: &Request) -> OpError {
    const MSG: &str = "not logged in: call login() first and wait for it to resolve";
    match req {
        Request::Logout => LogoutError::USER_NOT_LOGGED_IN.err(MSG),
        _ => PeerMessageError::USER_NOT_LOGGED_IN.err(MSG),
    }
}
