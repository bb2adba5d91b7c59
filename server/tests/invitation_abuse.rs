//! Invitations a caller cannot abuse, on real WebSockets: a budget for
//! `send()` per session (INVITE_RATE; past it the reply is
//! InviteSendError::TOO_OFTEN, which the SDK reports as
//! LocalInvitationFailure UNKNOWN), a cap on invitations ringing at one callee
//! (past it the new one fails for its caller with PEER_NO_RESPONSE and never
//! reaches the callee), and answers taken only from the callee of that
//! invitation in that app.

mod common;
use common::*;
use rtm_protocol::codes::InviteSendError;
use rtm_protocol::limits::{INVITE_RATE, MAX_RINGING_PER_CALLEE};
use rtm_protocol::{InvitationUpdate, Push, Reply, Request};

/// Code of InvitationApiCallError::ALREADY_END.
const ALREADY_END: u16 = 3;

fn invite(callee: &str) -> Request {
    Request::InviteSend { callee: callee.into(), content: "c".into(), channel_id: String::new() }
}

fn answer(invitation: u64, caller: &str) -> Request {
    Request::InviteAnswer { invitation, caller: caller.into(), accept: true, response: "yes".into() }
}

/// Sends an invitation; its id and whether it was offered.
async fn send(caller: &mut TestClient, callee: &str) -> Result<(u64, bool), u16> {
    match within(10, "the InviteSent reply", caller.request(invite(callee))).await {
        Ok(Reply::InviteSent { invitation, delivered }) => Ok((invitation, delivered)),
        Ok(other) => panic!("unexpected reply {other:?}"),
        Err(e) => Err(e.code),
    }
}

#[tokio::test]
async fn sending_invitations_has_a_budget_per_session() {
    let url = start_server().await;
    let mut caller = TestClient::login(&url, "app", "caller").await;
    let mut outcomes = Vec::new();
    for i in 0..=INVITE_RATE.0 {
        // Offline callees: nothing rings, only the budget is tested.
        outcomes.push(send(&mut caller, &format!("nobody{i}")).await.map(|(_, delivered)| delivered));
    }
    let mut expected = vec![Ok(false); INVITE_RATE.0 as usize];
    expected.push(Err(InviteSendError::TOO_OFTEN.code()));
    assert_eq!(outcomes, expected);
    // Another session has its own budget.
    let mut other = TestClient::login(&url, "app", "other").await;
    let r = send(&mut other, "nobody").await.map(|(_, delivered)| delivered);
    assert_eq!(r, Ok(false), "per session");
}

#[tokio::test]
async fn a_callee_rings_at_most_the_cap_and_the_next_caller_hears_no_response() {
    let url = start_server().await;
    let mut callee = TestClient::login(&url, "app", "callee").await;
    // Several callers, each within its own budget.
    let mut callers = Vec::new();
    let mut sent = Vec::new();
    for i in 0..=MAX_RINGING_PER_CALLEE {
        if i % INVITE_RATE.0 as usize == 0 {
            callers.push(TestClient::login(&url, "app", &format!("caller{}", callers.len())).await);
        }
        let c = callers.last_mut().unwrap();
        let (id, delivered) = send(c, "callee").await.expect("within the budget");
        assert!(delivered, "the callee is online");
        sent.push((callers.len() - 1, id));
    }
    for _ in 0..MAX_RINGING_PER_CALLEE {
        callee.wait_for(10, "an offer", |p| matches!(p, Push::InvitationReceived { .. }).then_some(())).await;
    }
    let (last_caller, last_id) = *sent.last().unwrap();
    let update = callers[last_caller]
        .wait_for(10, "the refusal of the one past the cap", |p| match p {
            Push::Invitation { invitation, update } if invitation == last_id => Some(update),
            _ => None,
        })
        .await;
    assert_eq!(update, InvitationUpdate::Failure("PEER_NO_RESPONSE".into()));
    callee.expect_none(300, "an offer past the cap", |p| matches!(p, Push::InvitationReceived { .. })).await;
    // Answering one frees its place: the next invitation rings again.
    let (first_caller, first_id) = sent[0];
    let caller_uid = format!("caller{first_caller}");
    assert_eq!(callee.request(answer(first_id, &caller_uid)).await, Ok(Reply::Done));
    let mut late = TestClient::login(&url, "app", "late").await;
    assert_eq!(send(&mut late, "callee").await.map(|(_, d)| d), Ok(true));
    callee
        .wait_for(10, "the offer after a place freed", |p| {
            matches!(p, Push::InvitationReceived { .. }).then_some(())
        })
        .await;
}

/// Rings `callee` from `caller`; the invitation's id.
async fn ring(caller: &mut TestClient, callee: &mut TestClient) -> u64 {
    let (id, delivered) = send(caller, "callee").await.expect("sent");
    assert!(delivered);
    callee
        .wait_for(10, "the offer", |p| match p {
            Push::InvitationReceived { invitation, .. } => Some(invitation),
            _ => None,
        })
        .await;
    id
}

#[tokio::test]
async fn only_the_callee_answers_another_user_cannot() {
    let url = start_server().await;
    let mut caller = TestClient::login(&url, "app", "caller").await;
    let mut callee = TestClient::login(&url, "app", "callee").await;
    let id = ring(&mut caller, &mut callee).await;
    // Mallory learned the id and the caller: her answer is not taken.
    let mut mallory = TestClient::login(&url, "app", "mallory").await;
    let r = within(10, "mallory's answer", mallory.request(answer(id, "caller"))).await;
    assert_eq!(r.map_err(|e| e.code), Err(ALREADY_END));
    caller
        .expect_none(
            300,
            "an answer from mallory",
            |p| matches!(p, Push::Invitation { invitation, .. } if *invitation == id),
        )
        .await;
    // The callee's answer still is.
    assert_eq!(callee.request(answer(id, "caller")).await, Ok(Reply::Done));
}

#[tokio::test]
async fn the_same_uids_in_another_app_cannot_answer() {
    let url = start_server().await;
    let mut caller = TestClient::login(&url, "app", "caller").await;
    let mut callee = TestClient::login(&url, "app", "callee").await;
    let id = ring(&mut caller, &mut callee).await;
    // The same two uids in another app, on the same node: the answer travels
    // to "caller" of that app, whose node is the real caller's.
    let _twin_caller = TestClient::login(&url, "other", "caller").await;
    let mut twin_callee = TestClient::login(&url, "other", "callee").await;
    let r = within(10, "the twin's answer", twin_callee.request(answer(id, "caller"))).await;
    assert_eq!(r.map_err(|e| e.code), Err(ALREADY_END));
    caller
        .expect_none(
            300,
            "an answer from another app",
            |p| matches!(p, Push::Invitation { invitation, .. } if *invitation == id),
        )
        .await;
    assert_eq!(callee.request(answer(id, "caller")).await, Ok(Reply::Done));
}
