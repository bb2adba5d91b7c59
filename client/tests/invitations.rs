//! Call invitations between native clients on a real rtm-server: every path
//! the web SDK has, and its misuse codes.

mod common;
use common::*;
use rtm_client::{
    Event, Events, LocalInvitation, LocalInvitationEvent as Local, LocalInvitationState, RemoteInvitation,
    RemoteInvitationEvent as Remote, RemoteInvitationState,
};

async fn received(events: &mut Events) -> RemoteInvitation {
    wait_for(events, 5, "RemoteInvitationReceived", |e| match e {
        Event::RemoteInvitationReceived(inv) => Some(inv),
        _ => None,
    })
    .await
}

async fn local_event(events: &mut Events, inv: &LocalInvitation, what: &str) -> Local {
    wait_for(events, 5, what, |e| match e {
        Event::LocalInvitation(i, event) if &i == inv && event != Local::ReceivedByPeer => Some(event),
        _ => None,
    })
    .await
}

async fn remote_event(events: &mut Events, what: &str) -> Remote {
    wait_for(events, 5, what, |e| match e {
        Event::RemoteInvitation(_, event) => Some(event),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn an_invitation_is_accepted_with_a_response() {
    let url = server().await;
    let (a_uid, b_uid) = (unique("caller"), unique("callee"));
    let (a, mut a_events) = logged_in(&url, "app", &a_uid).await;
    let (_b, mut b_events) = logged_in(&url, "app", &b_uid).await;
    let call = a.create_local_invitation(&b_uid).unwrap();
    call.set_content("video?").unwrap();
    call.set_channel_id("room-1");
    call.send().await.unwrap();
    let incoming = received(&mut b_events).await;
    assert_eq!(
        (incoming.caller_id(), incoming.content(), incoming.channel_id()),
        (a_uid.as_str(), "video?", "room-1")
    );
    wait_for(&mut a_events, 5, "ReceivedByPeer", |e| match e {
        Event::LocalInvitation(_, Local::ReceivedByPeer) => Some(()),
        _ => None,
    })
    .await;
    incoming.set_response("sure").unwrap();
    incoming.accept().await.unwrap();
    assert_eq!(remote_event(&mut b_events, "RemoteInvitationAccepted").await, Remote::Accepted);
    assert_eq!(incoming.state(), RemoteInvitationState::ACCEPTED);
    assert_eq!(
        local_event(&mut a_events, &call, "LocalInvitationAccepted").await,
        Local::Accepted("sure".into())
    );
    assert_eq!(
        (call.state(), call.response()),
        (LocalInvitationState::ACCEPTED_BY_REMOTE, "sure".to_string())
    );

    // Misuse of ended invitations, with InvitationApiCallError codes.
    assert_eq!(call.send().await.unwrap_err().code, 3, "ALREADY_END");
    assert_eq!(call.cancel().await.unwrap_err().code, 3, "ALREADY_END");
    assert_eq!(incoming.accept().await.unwrap_err().code, 4, "ALREADY_ACCEPT");
}

#[tokio::test]
async fn refused_canceled_and_offline_invitations() {
    let url = server().await;
    let (a_uid, b_uid) = (unique("caller"), unique("callee"));
    let (a, mut a_events) = logged_in(&url, "app", &a_uid).await;
    let (_b, mut b_events) = logged_in(&url, "app", &b_uid).await;

    let call = a.create_local_invitation(&b_uid).unwrap();
    assert_eq!(call.cancel().await.unwrap_err().code, 2, "NOT_STARTED");
    call.send().await.unwrap();
    assert_eq!(call.send().await.unwrap_err().code, 5, "ALREADY_SENT");
    let incoming = received(&mut b_events).await;
    incoming.refuse().await.unwrap();
    assert_eq!(remote_event(&mut b_events, "RemoteInvitationRefused").await, Remote::Refused);
    assert_eq!(
        local_event(&mut a_events, &call, "LocalInvitationRefused").await,
        Local::Refused(String::new())
    );

    let call = a.create_local_invitation(&b_uid).unwrap();
    call.set_content("are you there?").unwrap();
    call.send().await.unwrap();
    let incoming = received(&mut b_events).await;
    call.cancel().await.unwrap();
    assert_eq!(local_event(&mut a_events, &call, "LocalInvitationCanceled").await, Local::Canceled);
    assert_eq!(
        remote_event(&mut b_events, "RemoteInvitationCanceled").await,
        Remote::Canceled("are you there?".into())
    );
    assert_eq!(incoming.state(), RemoteInvitationState::CANCELED);

    let nobody = a.create_local_invitation(&unique("nobody")).unwrap();
    nobody.send().await.unwrap();
    assert_eq!(
        local_event(&mut a_events, &nobody, "LocalInvitationFailure").await,
        Local::Failure("PEER_OFFLINE".into())
    );
    assert_eq!(nobody.state(), LocalInvitationState::FAILURE);
    let e = call.set_content("x".repeat(8 * 1024 + 1)).unwrap_err();
    assert_eq!(e.code, 1, "INVALID_ARGUMENT");
}
