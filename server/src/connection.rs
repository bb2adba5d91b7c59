//! One WebSocket connection: a reader loop that decodes and dispatches the
//! client's frames, and a writer task fed by the session's bounded queue.
//!
//! Every way a connection ends goes through one watch channel (`kill`): the
//! writer flushes what is queued (a reply, a Kicked push), sends a close frame
//! with the reason, and the reader unregisters the session.

use crate::hub::Hub;
use crate::session::{close, CloseReason, Outbound, Outbox, SessionHandle};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use rtm_protocol::codes::{LoginError, LogoutError, PeerMessageError, RenewTokenError};
use rtm_protocol::frames::ClientFrameId;
use rtm_protocol::limits::MAX_FRAME_BYTES;
use rtm_protocol::{
    decode, decode_prefix, push_frame, ClientFrame, ErrorReply, OpError, Push, Reply, Request,
};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

/// Serves one upgraded socket until it closes.
pub async fn serve(socket: WebSocket, hub: Arc<Hub>, mut shutdown: watch::Receiver<bool>) {
    let (sink, mut stream) = socket.split();
    let (outbox, out_rx, mut kill_rx) = Outbox::new(hub.config().limits.queue_capacity);
    let writer = tokio::spawn(write_loop(sink, out_rx, kill_rx.clone()));
    let mut conn = Conn { hub: hub.clone(), outbox, session: None, generation: 0 };

    let idle = std::time::Duration::from_secs(rtm_protocol::limits::IDLE_TIMEOUT_SECS);
    loop {
        tokio::select! {
            msg = tokio::time::timeout(idle, stream.next()) => match msg.unwrap_or_else(|_| {
                conn.close(close::IDLE, "nothing heard for 60 s; the SDK pings every 20 s");
                None
            }) {
                None | Some(Ok(Message::Close(_))) => break,
                Some(Ok(Message::Binary(bytes))) => conn.on_frame(&bytes).await,
                Some(Ok(Message::Text(_))) => conn.close(
                    close::UNSUPPORTED,
                    "text frames are not spoken here: send binary frames (docs/protocol.md)",
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
        // A session that did not end on purpose waits for its client to resume.
        if !session.has_ended() {
            hub.suspend(&session, conn.generation);
        }
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
                Some(item) => {
                    if sink.send(Message::Binary(wire(item))).await.is_err() {
                        return;
                    }
                }
                None => break,
            },
            _ = kill.changed() => break,
        }
    }
    while let Ok(item) = out.try_recv() {
        if sink.send(Message::Binary(wire(item))).await.is_err() {
            return;
        }
    }
    let reason = kill.borrow().clone().unwrap_or(CloseReason { code: close::NORMAL, reason: String::new() });
    let frame = CloseFrame { code: reason.code, reason: truncate(&reason.reason, 123).into() };
    let _ = sink.send(Message::Close(Some(frame))).await;
    let _ = sink.close().await;
}

/// The bytes of one queued item.
fn wire(item: Outbound) -> Bytes {
    match item {
        Outbound::Frame(bytes) => bytes,
        Outbound::Push { seq, body } => push_frame(seq, &body).into(),
    }
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
    /// The session's attachment generation this connection holds.
    generation: u64,
}

impl Conn {
    fn close(&self, code: u16, reason: &str) {
        self.outbox.close(code, reason);
    }

    fn reply(&self, id: u32, result: Result<Reply, OpError>) {
        self.outbox.reply(id, result.map_err(|e| e.to_reply()));
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
        let id = frame.id;
        match (frame.req, self.session.clone()) {
            (Request::Login { app_id, uid, token }, None) => {
                match self.hub.login(&self.outbox, app_id, uid, token).await {
                    Ok((session, reply)) => {
                        self.reply(id, Ok(reply));
                        self.generation = session.generation();
                        self.session = Some(session.clone());
                        self.hub.deliver_stored(&session).await;
                    }
                    Err(e) => self.reply(id, Err(e)),
                }
            }
            (Request::Resume { app_id, uid, token, resume, last_seq }, None) => {
                match self.hub.resume(&self.outbox, id, app_id, uid, token, resume, last_seq).await {
                    Ok((session, generation)) => {
                        self.session = Some(session);
                        self.generation = generation;
                    }
                    Err(e) => self.reply(id, Err(e)),
                }
            }
            (Request::Login { .. } | Request::Resume { .. }, Some(_)) => self.reply(
                id,
                Err(LoginError::ALREADY_LOGIN.err("this connection is already logged in; log out first")),
            ),
            (Request::Ping, _) => self.reply(id, Ok(Reply::Done)),
            (Request::PeerAck { .. } | Request::InviteReceived { .. }, None) => {}
            (req, None) => self.reply(id, Err(not_logged_in(&req))),
            (Request::Logout, Some(session)) => {
                self.reply(id, Ok(Reply::Done));
                self.hub.end_session(&session).await;
                self.close(close::NORMAL, "logout");
            }
            (Request::RenewToken { token }, Some(session)) => {
                self.reply(id, self.hub.renew(&session, token).map(|()| Reply::Done));
            }
            (Request::PeerAck { delivery }, Some(session)) => self.hub.peer_ack(&session, delivery).await,
            (Request::Join { channel }, Some(session)) => match self.hub.join(&session, &channel).await {
                Ok(count) => {
                    self.reply(id, Ok(Reply::Done));
                    session.push(&Push::MemberCount { channel, count });
                }
                Err(e) => self.reply(id, Err(e)),
            },
            (Request::Leave { channel }, Some(session)) => {
                let result = self.hub.leave(&session, &channel).await;
                self.reply(id, result.map(|()| Reply::Done));
            }
            (Request::SendChannel { channel, payload }, Some(session)) => {
                let result = self.hub.send_channel(&session, &channel, payload).await;
                self.reply(id, result.map(|()| Reply::Done));
            }
            (Request::GetMembers { channel }, Some(session)) => {
                let result = self.hub.get_members(&session, &channel).await;
                self.reply(id, result.map(|members| Reply::Members { members }));
            }
            (Request::GetMemberCount { channels }, Some(session)) => {
                let result = self.hub.member_counts(&session, &channels).await;
                self.reply(id, result.map(|counts| Reply::MemberCounts { counts }));
            }
            (Request::QueryOnline { peers }, Some(session)) => {
                let result = self.hub.query_online(&session, &peers).await;
                self.reply(id, result.map(|online| Reply::Online { online }));
            }
            (Request::Subscribe { peers }, Some(session)) => {
                let result = self.hub.subscribe(&session, &peers).await;
                self.reply(id, result.map(|states| Reply::PeerStates { states }));
            }
            (Request::Unsubscribe { peers }, Some(session)) => {
                self.reply(id, self.hub.unsubscribe(&session, &peers).map(|()| Reply::Done));
            }
            (Request::UserAttrs { op }, Some(session)) => {
                let result = self.hub.write_user_attrs(&session, op).await;
                self.reply(id, result.map(|()| Reply::Done));
            }
            (Request::GetUserAttrs { uid, keys }, Some(session)) => {
                let result = self.hub.read_user_attrs(&session, &uid, keys).await;
                self.reply(id, result.map(|attrs| Reply::UserAttrs { attrs }));
            }
            (Request::ChannelAttrs { channel, op, notify }, Some(session)) => {
                let result = self.hub.write_channel_attrs(&session, &channel, op, notify).await;
                self.reply(id, result.map(|()| Reply::Done));
            }
            (Request::GetChannelAttrs { channel, keys }, Some(session)) => {
                let result = self.hub.read_channel_attrs(&session, &channel, keys).await;
                self.reply(id, result.map(|attrs| Reply::ChannelAttrs { attrs }));
            }
            (Request::InviteSend { callee, content, channel_id }, Some(session)) => {
                self.reply(id, self.hub.invite(&session, callee, content, channel_id).await);
            }
            (Request::InviteCancel { invitation }, Some(session)) => {
                let result = self.hub.cancel_invite(&session, invitation).await;
                self.reply(id, result.map(|()| Reply::Done));
            }
            (Request::InviteReceived { invitation, caller }, Some(session)) => {
                self.hub.invite_received(&session, invitation, &caller).await;
            }
            (Request::InviteAnswer { invitation, caller, accept, response }, Some(session)) => {
                // The answer's outcome comes back from the caller's node: don't stall the reader.
                let (hub, outbox) = (self.hub.clone(), self.outbox.clone());
                tokio::spawn(async move {
                    let result = hub.answer_invite(&session, invitation, &caller, accept, response).await;
                    outbox.reply(id, result.map(|()| Reply::Done).map_err(|e| e.to_reply()));
                });
            }
            (Request::SendPeer { peer, payload, offline }, Some(session)) => {
                // Waiting for the peer's acknowledgement must not stall this
                // reader: the acks of messages *to* this client arrive here.
                let (hub, outbox) = (self.hub.clone(), self.outbox.clone());
                tokio::spawn(async move {
                    let result = hub.send_peer(&session, peer, payload, offline).await;
                    outbox.reply(id, result.map_err(|e| e.to_reply()));
                });
            }
        }
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
