//! Call invitations across two nodes of one cluster (two `Server`s sharing
//! one embedded engine, no Redis): the caller on node A, the callee on node
//! B, both on real WebSockets.
//!
//! Proves every path of an invitation when the caller's node (which keeps the
//! invitation and decides its races) is not the callee's: the offer and
//! "delivered" (an acknowledgement from the callee's node), ReceivedByPeer,
//! accept and refuse with their responses, cancel (the callee gets the
//! content), a callee offline (not delivered), no answer in time
//! (INVITATION_EXPIRE on both sides), the callee logging out while it
//! rings (PEER_OFFLINE to the caller), the caller logging out (PEER_OFFLINE
//! to the callee), and an answer that comes too late (an error, decided on
//! the caller's node).

mod common;
use common::*;
use rtm_protocol::{InvitationUpdate, Push, Reply, Request};
use rtm_server::config::Config;
use std::time::Duration;

/// Code of InvitationApiCallError::ALREADY_END.
const ALREADY_END: u16 = 3;

fn invite(callee: &str, content: &str) -> Request {
    Request::InviteSend { callee: callee.into(), content: content.into(), channel_id: "call-room".into() }
}

fn answer(invitation: u64, accept: bool, response: &str) -> Request {
    Request::InviteAnswer { invitation, caller: "caller".into(), accept, response: response.into() }
}

/// The caller on node A and the callee on node B.
async fn pair(urls: &[String]) -> (TestClient, TestClient) {
    let caller = TestClient::login(&urls[0], "app", "caller").await;
    let callee = TestClient::login(&urls[1], "app", "callee").await;
    (caller, callee)
}

/// Sends an invitation from `caller`; the callee gets the offer. Returns its id.
async fn ring(caller: &mut TestClient, callee: &mut TestClient, content: &str) -> u64 {
    let r = within(10, "the InviteSent reply", caller.request(invite("callee", content))).await;
    let Ok(Reply::InviteSent { invitation, delivered }) = r else { panic!("invite: {r:?}") };
    assert!(delivered, "the callee's node showed it");
    let offer = callee
        .wait_for(10, "the offer", |p| match p {
            Push::InvitationReceived { invitation, caller, content, channel_id } => {
                Some((invitation, caller, content, channel_id))
            }
            _ => None,
        })
        .await;
    assert_eq!(offer, (invitation, "caller".into(), content.into(), "call-room".into()));
    invitation
}

/// The next update of `invitation` told to `c`.
async fn update(c: &mut TestClient, invitation: u64) -> InvitationUpdate {
    c.wait_for(10, "an invitation update", |p| match p {
        Push::Invitation { invitation: id, update } if id == invitation => Some(update),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn an_invitation_is_received_and_accepted_across_nodes() {
    let urls = start_cluster(2).await;
    let (mut caller, mut callee) = pair(&urls).await;
    let id = ring(&mut caller, &mut callee, "join me").await;
    // The callee's SDK says it has it: the caller hears ReceivedByPeer.
    callee.send_frame(Request::InviteReceived { invitation: id, caller: "caller".into() }).await;
    assert_eq!(update(&mut caller, id).await, InvitationUpdate::ReceivedByPeer);
    let r = within(10, "the answer's reply", callee.request(answer(id, true, "on my way"))).await;
    assert_eq!(r, Ok(Reply::Done), "the caller's node took the answer");
    assert_eq!(update(&mut caller, id).await, InvitationUpdate::Accepted("on my way".into()));
    // It is over: a second answer and a cancel both come too late.
    let r = within(10, "the second answer's reply", callee.request(answer(id, false, "no"))).await;
    assert_eq!(r.unwrap_err().code, ALREADY_END);
    let r = caller.request(Request::InviteCancel { invitation: id }).await;
    assert_eq!(r.unwrap_err().code, ALREADY_END);
}

#[tokio::test]
async fn an_invitation_is_refused_across_nodes() {
    let urls = start_cluster(2).await;
    let (mut caller, mut callee) = pair(&urls).await;
    let id = ring(&mut caller, &mut callee, "call?").await;
    let r = within(10, "the answer's reply", callee.request(answer(id, false, "busy"))).await;
    assert_eq!(r, Ok(Reply::Done));
    assert_eq!(update(&mut caller, id).await, InvitationUpdate::Refused("busy".into()));
}

#[tokio::test]
async fn a_canceled_invitation_tells_the_callee_and_a_late_answer_fails() {
    let urls = start_cluster(2).await;
    let (mut caller, mut callee) = pair(&urls).await;
    let id = ring(&mut caller, &mut callee, "the content").await;
    assert_eq!(caller.request(Request::InviteCancel { invitation: id }).await, Ok(Reply::Done));
    assert_eq!(update(&mut callee, id).await, InvitationUpdate::Canceled("the content".into()));
    let r = within(10, "the late answer's reply", callee.request(answer(id, true, "too late"))).await;
    assert_eq!(r.unwrap_err().code, ALREADY_END, "answered after the cancel");
    caller.expect_none(300, "an answer after the cancel", |p| matches!(p, Push::Invitation { .. })).await;
}

#[tokio::test]
async fn an_invitation_to_an_offline_callee_is_not_delivered() {
    let urls = start_cluster(2).await;
    let mut caller = TestClient::login(&urls[0], "app", "caller").await;
    let r = caller.request(invite("callee", "hello?")).await;
    assert!(matches!(r, Ok(Reply::InviteSent { delivered: false, .. })), "never logged in: {r:?}");
    // Online on node B, then logged out: offline again.
    let mut callee = TestClient::login(&urls[1], "app", "callee").await;
    callee.request(Request::Logout).await.unwrap();
    let r = caller.request(invite("callee", "hello?")).await;
    assert!(matches!(r, Ok(Reply::InviteSent { delivered: false, .. })), "logged out on node B: {r:?}");
}

#[tokio::test]
async fn an_unanswered_invitation_expires_on_both_sides() {
    let mut config = Config::for_tests();
    config.limits.invitation_timeout_secs = 1;
    let urls = start_cluster_with(vec![config.clone(), config]).await;
    let (mut caller, mut callee) = pair(&urls).await;
    let id = ring(&mut caller, &mut callee, "anyone?").await;
    assert_eq!(update(&mut caller, id).await, InvitationUpdate::Failure("INVITATION_EXPIRE".into()));
    assert_eq!(update(&mut callee, id).await, InvitationUpdate::Failure("INVITATION_EXPIRE".into()));
    let r = within(10, "the late answer's reply", callee.request(answer(id, true, "sorry"))).await;
    assert_eq!(r.unwrap_err().code, ALREADY_END, "answered after it expired");
}

#[tokio::test]
async fn a_callee_logging_out_while_it_rings_fails_the_caller() {
    let urls = start_cluster(2).await;
    let (mut caller, mut callee) = pair(&urls).await;
    let id = ring(&mut caller, &mut callee, "ring ring").await;
    callee.request(Request::Logout).await.unwrap();
    assert_eq!(update(&mut caller, id).await, InvitationUpdate::Failure("PEER_OFFLINE".into()));
    let r = caller.request(Request::InviteCancel { invitation: id }).await;
    assert_eq!(r.unwrap_err().code, ALREADY_END, "it is over");
}

#[tokio::test]
async fn a_caller_logging_out_while_it_rings_fails_the_callee() {
    let urls = start_cluster(2).await;
    let (mut caller, mut callee) = pair(&urls).await;
    let id = ring(&mut caller, &mut callee, "ring ring").await;
    caller.request(Request::Logout).await.unwrap();
    assert_eq!(update(&mut callee, id).await, InvitationUpdate::Failure("PEER_OFFLINE".into()));
}

#[tokio::test]
async fn invitations_work_from_node_b_to_node_a_too() {
    let urls = start_cluster(2).await;
    let mut caller = TestClient::login(&urls[1], "app", "caller").await;
    let mut callee = TestClient::login(&urls[0], "app", "callee").await;
    let id = ring(&mut caller, &mut callee, "reverse").await;
    callee.send_frame(Request::InviteReceived { invitation: id, caller: "caller".into() }).await;
    assert_eq!(update(&mut caller, id).await, InvitationUpdate::ReceivedByPeer);
    let r = within(10, "the answer's reply", callee.request(answer(id, true, "ok"))).await;
    assert_eq!(r, Ok(Reply::Done));
    assert_eq!(update(&mut caller, id).await, InvitationUpdate::Accepted("ok".into()));
}

/// The caller's node stops while the invitation rings: nothing can come from
/// the caller's side any more (its pending invitation and timer are gone with
/// the node), yet the callee's invitation must still end rather than ring
/// forever.
#[tokio::test]
async fn an_invitation_whose_callers_node_stops_still_ends_for_the_callee() {
    let mut config = Config::for_tests();
    // Longer than node A takes to stop (checked below), so its timer cannot
    // end the invitation first; and a grace period that outlasts the test.
    config.limits.invitation_timeout_secs = 3;
    config.grace = Duration::from_secs(120);
    let mut nodes = start_stoppable_cluster(vec![config.clone(), config]).await;
    let urls: Vec<String> = nodes.iter().map(|n| n.url.clone()).collect();
    let (mut caller, mut callee) = pair(&urls).await;
    let sent = std::time::Instant::now();
    let id = ring(&mut caller, &mut callee, "are you there?").await;
    callee.send_frame(Request::InviteReceived { invitation: id, caller: "caller".into() }).await;
    assert_eq!(update(&mut caller, id).await, InvitationUpdate::ReceivedByPeer);
    // Node A stops; the caller's client reads its going-away close and hangs up.
    let stopping = tokio::spawn(nodes.remove(0).stop());
    assert_eq!(u16::from(within(10, "the close frame", caller.expect_close()).await.code), 1001);
    drop(caller);
    within(10, "node A to stop", stopping).await.unwrap();
    assert!(sent.elapsed() < Duration::from_secs(3), "node A stopped before its invitation timer ran out");
    let failed = callee
        .wait_for(10, "the callee's invitation to end", |p| match p {
            Push::Invitation { invitation, update } if invitation == id => Some(update),
            _ => None,
        })
        .await;
    assert_eq!(failed, InvitationUpdate::Failure("INVITATION_EXPIRE".into()));
    let r = within(10, "the late answer's reply", callee.request(answer(id, true, "hello?"))).await;
    assert!(r.is_err(), "nobody can take the answer: {r:?}");
}
