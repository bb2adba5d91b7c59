//! Races in a session's life, over real sockets. Each test runs its race many
//! times and checks what users see:
//!
//! - a Join pipelined behind a Logout leaves no ghost member;
//! - a session kicked by a remote login serves no request after the kick;
//! - 20 concurrent logins of one uid leave exactly one session, and it is
//!   the user (peer messages reach it);
//! - a resume as the grace period ends is all or nothing: fully alive, or
//!   refused and fully gone.
//!
//! The racing connections are [`Wire`]s: unlike `TestClient`, a wire keeps
//! working when the server closes it mid-write, and records everything it
//! saw in order, so a test can tell a reply before a Kicked push from one
//! after it.

mod common;
use common::*;
use futures_util::{SinkExt, StreamExt};
use rtm_protocol::{decode, encode, ClientFrame, ConnectionChangeReason, ErrorReply, Payload};
use rtm_protocol::{PeerState, Push, Reply, Request, ServerFrame};
use rtm_server::config::Config;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Repetitions of a race that any one run may or may not hit.
const ROUNDS: usize = 20;

/// One thing a connection received.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Push(u64, Push),
    Reply(u32, Result<Reply, ErrorReply>),
    /// The connection ended: the close code, if a close frame came.
    Closed(Option<u16>),
}

/// A raw client connection that records what it sees.
struct Wire {
    ws: Option<WebSocketStream<MaybeTlsStream<TcpStream>>>,
    next_id: u32,
    seen: Vec<Seen>,
}

impl Wire {
    async fn connect(url: &str) -> Wire {
        let mut req = url.into_client_request().unwrap();
        req.headers_mut().insert("Sec-WebSocket-Protocol", rtm_protocol::SUBPROTOCOL.parse().unwrap());
        let (ws, _) = tokio_tungstenite::connect_async_with_config(req, None, true).await.unwrap();
        Wire { ws: Some(ws), next_id: 1, seen: Vec::new() }
    }

    /// Connects and logs in as `uid`; returns the wire and its resume secret.
    async fn login(url: &str, uid: &str) -> (Wire, String) {
        let mut wire = Wire::connect(url).await;
        match wire.request(login(uid)).await {
            Ok(Reply::LoggedIn { resume, .. }) => (wire, resume),
            other => panic!("login {uid}: {other:?}"),
        }
    }

    /// Sends `reqs` in one write (one TCP segment), without waiting for
    /// replies; what is written to a connection the server closed is lost.
    async fn send_all(&mut self, reqs: Vec<Request>) -> Vec<u32> {
        let ids: Vec<u32> = (self.next_id..).take(reqs.len()).collect();
        self.next_id += reqs.len() as u32;
        if let Some(ws) = &mut self.ws {
            for (id, req) in ids.iter().zip(reqs) {
                let _ = ws.feed(Message::Binary(encode(&ClientFrame { id: *id, req }).into())).await;
            }
            let _ = ws.flush().await;
        }
        ids
    }

    async fn send(&mut self, req: Request) -> u32 {
        self.send_all(vec![req]).await[0]
    }

    /// The next thing received, recorded (cancel-safe); `Closed` once it ended.
    async fn next(&mut self) -> Seen {
        let Some(ws) = &mut self.ws else { return Seen::Closed(self.closed().flatten()) };
        let seen = loop {
            match ws.next().await {
                Some(Ok(Message::Binary(bytes))) => match decode(&bytes).expect("server frames decode") {
                    ServerFrame::Push { seq, push } => break Seen::Push(seq, push),
                    ServerFrame::Reply { id, result } => break Seen::Reply(id, result),
                },
                Some(Ok(Message::Close(frame))) => break Seen::Closed(frame.map(|f| u16::from(f.code))),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => break Seen::Closed(None),
            }
        };
        if matches!(seen, Seen::Closed(_)) {
            self.ws = None;
        }
        self.seen.push(seen.clone());
        seen
    }

    /// Reads until `done` matches what arrived or the connection ends.
    async fn read_until(&mut self, secs: u64, what: &str, done: impl Fn(&Seen) -> bool) {
        in_time(secs, what, async {
            loop {
                let seen = self.next().await;
                if done(&seen) || matches!(seen, Seen::Closed(_)) {
                    return;
                }
            }
        })
        .await
    }

    async fn request(&mut self, req: Request) -> Result<Reply, ErrorReply> {
        let id = self.send(req).await;
        self.read_until(10, "a reply", |s| matches!(s, Seen::Reply(rid, _) if *rid == id)).await;
        let reply = self.reply(id).map(|(_, r)| r.clone());
        reply.unwrap_or_else(|| panic!("closed before answering request {id}: {:?}", self.seen))
    }

    /// Where in `seen` the reply to `id` is, and what it says.
    fn reply(&self, id: u32) -> Option<(usize, &Result<Reply, ErrorReply>)> {
        self.seen.iter().enumerate().find_map(|(at, s)| match s {
            Seen::Reply(rid, result) if *rid == id => Some((at, result)),
            _ => None,
        })
    }

    /// How the connection ended, if it did.
    fn closed(&self) -> Option<Option<u16>> {
        self.seen.iter().find_map(|s| match s {
            Seen::Closed(code) => Some(*code),
            _ => None,
        })
    }

    fn was_kicked(&self) -> Option<usize> {
        let kicked = Push::Kicked { reason: ConnectionChangeReason::REMOTE_LOGIN };
        self.seen.iter().position(|s| matches!(s, Seen::Push(_, p) if *p == kicked))
    }

    /// Waits (at most `secs`) for a peer message from `from`, and acknowledges it.
    async fn ack_message_from(&mut self, secs: u64, from: &str) -> bool {
        let got = tokio::time::timeout(Duration::from_secs(secs), async {
            loop {
                match self.next().await {
                    Seen::Push(_, Push::PeerMessage { delivery, from: f, .. }) if f == from => {
                        self.send(Request::PeerAck { delivery }).await;
                        return true;
                    }
                    Seen::Closed(_) => return false,
                    _ => {}
                }
            }
        });
        got.await.unwrap_or(false)
    }
}

async fn in_time<T>(secs: u64, what: &str, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(secs), f).await {
        Ok(value) => value,
        Err(_) => panic!("timed out after {secs} s waiting for {what}"),
    }
}

fn login(uid: &str) -> Request {
    Request::Login { app_id: "app".into(), uid: uid.into(), token: None }
}

fn join(channel: &str) -> Request {
    Request::Join { channel: channel.into() }
}

fn text(s: &str) -> Payload {
    Payload::Text(s.into())
}

fn say(channel: &str, s: &str) -> Request {
    Request::SendChannel { channel: channel.into(), payload: text(s) }
}

fn tell(peer: &str, s: &str) -> Request {
    Request::SendPeer { peer: peer.into(), payload: text(s), offline: false }
}

fn not_logged_in(reply: &Result<Reply, ErrorReply>) -> bool {
    matches!(reply, Err(e) if e.code == 102)
}

/// `channel.getMembers()`, sorted.
async fn members(c: &mut TestClient, channel: &str) -> Vec<String> {
    match c.request(Request::GetMembers { channel: channel.into() }).await {
        Ok(Reply::Members { mut members }) => {
            members.sort();
            members
        }
        other => panic!("getMembers {channel}: {other:?}"),
    }
}

fn count(channel: &str) -> Request {
    Request::GetMemberCount { channels: vec![channel.into()] }
}

fn online(uid: &str) -> Request {
    Request::QueryOnline { peers: vec![uid.into()] }
}

/// Every push collected or arriving within `ms` of quiet.
async fn drain(c: &mut TestClient, ms: u64) -> Vec<Push> {
    let mut pushes = Vec::new();
    while let Ok(push) = tokio::time::timeout(Duration::from_millis(ms), c.next_push()).await {
        pushes.push(push);
    }
    pushes
}

/// Pushes up to and including the first that `pick` takes (at most `secs`).
async fn pushes_until(c: &mut TestClient, secs: u64, what: &str, pick: impl Fn(&Push) -> bool) -> Vec<Push> {
    in_time(secs, what, async {
        let mut pushes = Vec::new();
        loop {
            let push = c.next_push().await;
            let done = pick(&push);
            pushes.push(push);
            if done {
                return pushes;
            }
        }
    })
    .await
}

#[tokio::test]
async fn a_join_pipelined_behind_logout_leaves_no_ghost_member() {
    let url = start_server().await;
    for round in 0..ROUNDS {
        let (uid, room, other) = (format!("leaver{round}"), format!("room{round}"), format!("other{round}"));
        let (mut leaver, _) = Wire::login(&url, &uid).await;
        // Both frames in one write, before any reply.
        let ids = leaver.send_all(vec![Request::Logout, join(&room)]).await;
        let (logout, joined) = (ids[0], ids[1]);
        leaver.read_until(5, "the logged-out connection to close", |_| false).await;
        let mut o = TestClient::login(&url, "app", &other).await;
        assert_eq!(o.request(join(&room)).await, Ok(Reply::Done));
        assert_eq!(
            members(&mut o, &room).await,
            [other.as_str()],
            "round {round}: {uid} logged out, yet its pipelined Join made it a member of {room} (a ghost)"
        );
        let counts = Ok(Reply::MemberCounts { counts: vec![1] });
        assert_eq!(o.request(count(&room)).await, counts, "round {round}: {uid} is counted in {room}");
        assert_eq!(leaver.reply(logout).map(|(_, r)| r.clone()), Some(Ok(Reply::Done)));
        if let Some((_, reply)) = leaver.reply(joined) {
            assert!(not_logged_in(reply), "round {round}: Join after Logout answered {reply:?}, not 102");
        }
    }
}

#[tokio::test]
async fn a_session_kicked_by_a_remote_login_serves_no_more_requests() {
    let url = start_server().await;
    let mut untold = Vec::new();
    for round in 0..ROUNDS {
        let (uid, room, side) = (format!("dup{round}"), format!("hall{round}"), format!("side{round}"));
        let watcher_id = format!("watcher{round}");
        let mut watcher = TestClient::login(&url, "app", &watcher_id).await;
        assert_eq!(watcher.request(join(&room)).await, Ok(Reply::Done));
        let (mut first, _) = Wire::login(&url, &uid).await;
        assert_eq!(first.request(join(&room)).await, Ok(Reply::Done));
        let mut second = Wire::connect(&url).await;
        // A message racing the second login: it may be served only if it came first.
        let login2 = second.send(login(&uid)).await;
        let early = first.send(say(&room, "early")).await;
        let answered = |s: &Seen| matches!(s, Seen::Reply(id, _) if *id == login2);
        second.read_until(5, "the second login's reply", answered).await;
        let second_login = second.reply(login2).map(|(_, r)| r);
        assert!(matches!(second_login, Some(Ok(Reply::LoggedIn { .. }))), "{:?}", second.seen);
        // The second login is answered, so the first session was kicked: all refused.
        let late = [
            first.send(join(&side)).await,
            first.send(say(&room, "late")).await,
            first.send(tell(&watcher_id, "late")).await,
        ];
        first.read_until(5, "the kicked connection to close", |_| false).await;
        // Told it was kicked, and then closed with 4001 (checked after every round).
        let kicked = first.was_kicked();
        if kicked.is_none() || first.closed() != Some(Some(4001)) {
            untold.push((round, first.seen.clone()));
        }
        // Whether reply #`at` came before the Kicked push (unknown without one).
        let before_kick = |at: usize| kicked.is_none_or(|k| at < k);
        for id in std::iter::once(early).chain(late) {
            if let Some((at, reply)) = first.reply(id) {
                assert!(
                    not_logged_in(reply) || (id == early && before_kick(at)),
                    "round {round}: request {id} of the kicked connection was answered {reply:?} after \
                     the kick (Kicked push at #{kicked:?}, reply at #{at}); it must be refused as not \
                     logged in (102)"
                );
            }
        }
        // Others see it leave, and nothing it sent after the kick.
        let left = Push::MemberLeft { channel: room.clone(), uid: uid.clone() };
        let mut heard = pushes_until(&mut watcher, 5, "the kicked session to leave", |p| *p == left).await;
        heard.extend(drain(&mut watcher, 200).await);
        let served = matches!(first.reply(early), Some((at, Ok(Reply::Done))) if before_kick(at));
        for push in &heard {
            match push {
                Push::ChannelMessage { from, payload, .. } if *from == uid => assert!(
                    *payload == text("early") && (served || kicked.is_none()),
                    "round {round}: the watcher got {payload:?} from the kicked connection, which was \
                     not told it was sent before the kick: {:?}",
                    first.seen
                ),
                Push::PeerMessage { from, .. } if *from == uid => {
                    panic!("round {round}: the watcher got a peer message sent after the kick: {push:?}")
                }
                _ => {}
            }
        }
        assert_eq!(members(&mut watcher, &room).await, [watcher_id.as_str()], "round {round}: a ghost");
        let none = Ok(Reply::MemberCounts { counts: vec![0] });
        assert_eq!(
            watcher.request(count(&side)).await,
            none,
            "round {round}: the kicked session joined {side}"
        );
    }
    assert!(untold.is_empty(), "kicked without the Kicked push and close 4001: {untold:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_logins_of_one_uid_leave_one_reachable_session() {
    let url = start_server().await;
    // 500 rounds, 20 at once. The race needs two logins of one uid to
    // interleave within microseconds: about 1 round in 100 on the old code.
    for wave in 0..25 {
        let rounds: Vec<_> = (0..20).map(|i| tokio::spawn(crowd(url.clone(), wave * 20 + i))).collect();
        for round in rounds {
            if let Err(e) = round.await {
                std::panic::resume_unwind(e.into_panic());
            }
        }
    }
}

/// One uid logs in on 20 connections at once: one session remains, and it is the user.
async fn crowd(url: String, round: usize) {
    const LOGINS: usize = 20;
    let uid = format!("crowd{round}");
    let mut wires = Vec::new();
    for _ in 0..LOGINS {
        wires.push(Wire::connect(&url).await);
    }
    let start = Arc::new(tokio::sync::Barrier::new(LOGINS));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let (closed_tx, mut closed_rx) = tokio::sync::mpsc::unbounded_channel();
    let tasks: Vec<_> = (wires.into_iter().enumerate())
        .map(|(i, mut wire)| {
            let (start, mut stop, closed, uid) =
                (start.clone(), stop_rx.clone(), closed_tx.clone(), uid.clone());
            tokio::spawn(async move {
                start.wait().await;
                wire.send(login(&uid)).await;
                loop {
                    tokio::select! {
                        seen = wire.next() => if let Seen::Closed(_) = seen {
                            let _ = closed.send(i);
                            break;
                        },
                        _ = stop.changed() => break,
                    }
                }
                wire
            })
        })
        .collect();
    // All but one are kicked (the last is shown alive below).
    for n in 0..LOGINS - 1 {
        let closed = tokio::time::timeout(Duration::from_secs(10), closed_rx.recv()).await;
        assert!(
            matches!(closed, Ok(Some(_))),
            "round {round}: only {n} of {LOGINS} concurrent logins of {uid} were ended within 10 s; \
             all but one must be kicked"
        );
    }
    stop_tx.send(true).unwrap();
    let mut wires = Vec::new();
    for task in tasks {
        wires.push(task.await.unwrap());
    }
    let survivor = wires.iter().position(|w| w.closed().is_none()).unwrap();
    for (i, wire) in wires.iter().enumerate().filter(|(i, _)| *i != survivor) {
        assert!(wire.was_kicked().is_some(), "round {round}: connection {i}: {:?}", wire.seen);
        assert_eq!(wire.closed(), Some(Some(4001)), "round {round}: connection {i}: {:?}", wire.seen);
    }
    let mut survivor = wires.swap_remove(survivor);
    let logged_in = |s: &Seen| matches!(s, Seen::Reply(1, _));
    if survivor.reply(1).is_none() {
        survivor.read_until(5, "the surviving login's reply", logged_in).await;
    }
    let reply = survivor.reply(1).map(|(_, r)| r);
    assert!(matches!(reply, Some(Ok(Reply::LoggedIn { .. }))), "round {round}: {:?}", survivor.seen);
    // The survivor is the user: a peer message reaches it.
    let sender_id = format!("sender{round}");
    let mut sender = TestClient::login(&url, "app", &sender_id).await;
    let id = sender.send_frame(tell(&uid, "hello")).await;
    let (got, sent) = tokio::join!(survivor.ack_message_from(7, &sender_id), sender.reply_to(id));
    assert!(got, "round {round}: a peer message to {uid} never reached its one logged-in connection");
    assert_eq!(sent, Ok(Reply::PeerSent { has_peer_received: true }), "round {round}");
}

const GRACE_MS: u64 = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_resume_as_the_grace_period_ends_is_all_or_nothing() {
    let mut config = Config::for_tests();
    config.grace = Duration::from_millis(GRACE_MS);
    let url = start_server_with(config).await;
    // Right away, around the end of the grace period, and surely too late.
    let offsets = [0, 0, 0].into_iter().chain((GRACE_MS - 60..=GRACE_MS + 60).step_by(10));
    let (mut resumed, mut refused) = (0, 0);
    for (round, offset) in offsets.chain([GRACE_MS + 300]).enumerate() {
        let (uid, room, watcher_id) = (format!("back{round}"), format!("den{round}"), format!("eye{round}"));
        let mut watcher = TestClient::login(&url, "app", &watcher_id).await;
        assert_eq!(watcher.request(join(&room)).await, Ok(Reply::Done));
        let states = watcher.request(Request::Subscribe { peers: vec![uid.clone()] }).await;
        assert!(matches!(states, Ok(Reply::PeerStates { .. })), "{states:?}");
        let (mut gone, secret) = Wire::login(&url, &uid).await;
        assert_eq!(gone.request(join(&room)).await, Ok(Reply::Done));
        let mut back = Wire::connect(&url).await;
        drop(gone); // the link is cut: no close frame
        tokio::time::sleep(Duration::from_millis(offset)).await;
        // Replays everything (the ring still holds it).
        let (app_id, last_seq) = ("app".to_owned(), 0);
        let resume = Request::Resume { app_id, uid: uid.clone(), token: None, resume: secret, last_seq };
        let ctx = format!("round {round}, resume {offset} ms after the cut");
        match back.request(resume).await {
            Ok(Reply::Resumed { .. }) => {
                resumed += 1;
                fully_alive(&ctx, &mut watcher, &mut back, &uid, &room, &watcher_id).await;
            }
            Err(e) if e.code == 2 => {
                refused += 1;
                fully_gone(&ctx, &mut watcher, &uid, &room, &watcher_id).await;
            }
            other => panic!("{ctx}: {other:?}"),
        }
    }
    assert!(resumed > 0 && refused > 0, "{resumed} resumed, {refused} refused: both outcomes must be tried");
}

/// After a resume: still in its channel, ONLINE, reachable — also once the
/// grace period would have ended the session.
async fn fully_alive(ctx: &str, watcher: &mut TestClient, back: &mut Wire, uid: &str, room: &str, me: &str) {
    tokio::time::sleep(Duration::from_millis(GRACE_MS + 200)).await;
    let mut both = vec![uid.to_owned(), me.to_owned()];
    both.sort();
    assert_eq!(members(watcher, room).await, both, "{ctx}: resumed, but no longer a member of {room}");
    let yes = Ok(Reply::Online { online: vec![true] });
    assert_eq!(watcher.request(online(uid)).await, yes, "{ctx}: resumed, but not ONLINE");
    let id = watcher.send_frame(tell(uid, "still there?")).await;
    assert!(back.ack_message_from(6, me).await, "{ctx}: resumed, but a peer message never reached it");
    let sent = watcher.reply_to(id).await;
    assert_eq!(sent, Ok(Reply::PeerSent { has_peer_received: true }), "{ctx}: resumed, but unreachable");
    for push in drain(watcher, 200).await {
        let ended = push == Push::MemberLeft { channel: room.into(), uid: uid.into() }
            || push == Push::PeerState { uid: uid.into(), state: PeerState::OFFLINE };
        assert!(!ended, "{ctx}: resumed, but others were told {push:?}");
    }
    assert_eq!(back.closed(), None, "{ctx}: resumed, but its connection closed: {:?}", back.seen);
}

/// After a refused resume: others hear the user leave and go offline.
async fn fully_gone(ctx: &str, watcher: &mut TestClient, uid: &str, room: &str, me: &str) {
    let left = Push::MemberLeft { channel: room.into(), uid: uid.into() };
    let offline = Push::PeerState { uid: uid.into(), state: PeerState::OFFLINE };
    let (mut saw_left, mut saw_offline) = (false, false);
    in_time(5, &format!("{ctx}: refused, and the user to leave and go offline"), async {
        while !(saw_left && saw_offline) {
            let push = watcher.next_push().await;
            saw_left |= push == left;
            saw_offline |= push == offline;
        }
    })
    .await;
    assert_eq!(members(watcher, room).await, [me], "{ctx}: refused, but still a member of {room}");
    let no = Ok(Reply::Online { online: vec![false] });
    assert_eq!(watcher.request(online(uid)).await, no, "{ctx}: refused, but still online");
}
