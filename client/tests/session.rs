//! Logging in and out against a real rtm-server: states and reasons as the
//! web SDK reports them, tokens, REMOTE_LOGIN, and the codes of bad calls.

mod common;
use common::*;
use rtm_client::{Client, ConnectionChangeReason as Reason, ConnectionState as State, ErrorKind, Event};
use rtm_server::config::Config;

#[tokio::test]
async fn login_and_logout_report_the_web_sdks_states() {
    let url = server().await;
    let client = Client::connect(&url, "app").unwrap();
    let mut events = client.events();
    assert_eq!(client.connection_state(), (State::DISCONNECTED, Reason::LOGOUT));
    client.login(&unique("alice"), None).await.unwrap();
    assert_eq!(client.connection_state(), (State::CONNECTED, Reason::LOGIN_SUCCESS));
    client.logout().await.unwrap();
    let states: Vec<_> = drain(&mut events, 200)
        .await
        .into_iter()
        .filter_map(|e| match e {
            Event::ConnectionStateChanged { state, reason } => Some((state, reason)),
            _ => None,
        })
        .collect();
    assert_eq!(
        states,
        [
            (State::CONNECTING, Reason::LOGIN),
            (State::CONNECTED, Reason::LOGIN_SUCCESS),
            (State::DISCONNECTED, Reason::LOGOUT)
        ]
    );
    // Logged out, the same client logs in again.
    client.login(&unique("alice"), None).await.unwrap();
    client.logout().await.unwrap();
}

#[tokio::test]
async fn bad_calls_fail_with_the_web_sdks_codes() {
    let url = server().await;
    assert_eq!(Client::connect(&url, "").unwrap_err().code, 1, "createInstance INVALID_ARGUMENT");
    assert_eq!(Client::connect("http://x", "app").unwrap_err().code, 1);
    let client = Client::connect(&url, "app").unwrap();
    let e = client.login("", None).await.unwrap_err();
    assert_eq!((e.code, e.kind), (3, ErrorKind::InvalidArgument), "LOGIN_ERR_INVALID_ARGUMENT: {e}");
    let too_long = "x".repeat(65);
    assert_eq!(client.login(&too_long, None).await.unwrap_err().code, 3);
    assert_eq!(client.logout().await.unwrap_err().code, 102, "LOGOUT_ERR_USER_NOT_LOGGED_IN");
    let e = client.send_message_to_peer("bob", "hi", Default::default()).await.unwrap_err();
    assert_eq!((e.code, e.kind), (102, ErrorKind::InvalidStatus), "{e}");
    assert_eq!(client.renew_token("t").await.unwrap_err().code, 102);
    assert_eq!(client.channel("").unwrap_err().code, 1, "createChannel INVALID_ARGUMENT");
    assert_eq!(client.channel("lobby").unwrap().join().await.unwrap_err().code, 102);

    client.login(&unique("alice"), None).await.unwrap();
    assert_eq!(client.login("again", None).await.unwrap_err().code, 8, "LOGIN_ERR_ALREADY_LOGIN");
    assert_eq!(client.renew_token("").await.unwrap_err().code, 2, "RENEW_TOKEN_ERR_INVALID_ARGUMENT");
    let e = client.send_message_to_peer("", "hi", Default::default()).await.unwrap_err();
    assert_eq!(e.code, 6, "PEER_MESSAGE_ERR_INVALID_USERID");
    let big = "x".repeat(32 * 1024 + 1);
    assert_eq!(client.send_message_to_peer("bob", big, Default::default()).await.unwrap_err().code, 7);
    let e = client.get_channel_member_count(&[]).await.unwrap_err();
    assert_eq!(e.code, 2, "GET_CHANNEL_MEMBER_COUNT_ERR_INVALID_ARGUMENT");
    assert_eq!(client.query_peers_online_status(&[too_long.as_str()]).await.unwrap_err().code, 2);
    let e = client.create_local_invitation("").unwrap_err();
    assert_eq!(e.code, 1, "INVITATION_API_CALL_ERR_INVALID_ARGUMENT");
    client.logout().await.unwrap();
}

#[tokio::test]
async fn tokens_are_checked_and_renewed() {
    let (app, cert) = ("970CA35de60c44645bbae8a215061b33", "5CFd2fd1755d40ecb72977518be15d3b");
    let mut config = Config::for_tests();
    config.development = false;
    config.apps.insert(app.into(), Some(cert.into()));
    let url = server_with(config).await;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as u32;
    let token = |uid: &str| rtm_server::token::build_007(app, cert, uid, 3600, now, 7);
    let client = Client::connect(&url, app).unwrap();
    let e = client.login("alice", None).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unauthenticated, "no token: {e}");
    assert_eq!(client.connection_state(), (State::DISCONNECTED, Reason::LOGIN_FAILURE));
    let e = client.login("alice", Some(&token("bob"))).await.unwrap_err();
    assert_eq!(e.code, 5, "LOGIN_ERR_INVALID_TOKEN: another user's token: {e}");
    // Logins of one client are limited to 2 per second: wait out the window.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    client.login("alice", Some(&token("alice"))).await.unwrap();
    client.renew_token(&token("alice")).await.unwrap();
    let e = client.renew_token(&token("bob")).await.unwrap_err();
    assert_eq!(e.code, 6, "RENEW_TOKEN_ERR_INVALID_TOKEN: {e}");
    client.logout().await.unwrap();
}

#[tokio::test]
async fn a_second_login_of_the_same_user_ends_the_first_with_remote_login() {
    let url = server().await;
    let uid = unique("alice");
    let (first, mut first_events) = logged_in(&url, "app", &uid).await;
    let (second, _) = logged_in(&url, "app", &uid).await;
    wait_state(&mut first_events, 5, State::ABORTED, Reason::REMOTE_LOGIN).await;
    assert_eq!(first.connection_state(), (State::ABORTED, Reason::REMOTE_LOGIN));
    // The first does not come back by itself; its calls say why.
    let e = first.send_message_to_peer("bob", "hi", Default::default()).await.unwrap_err();
    assert_eq!(e.code, 102);
    assert!(e.message.contains("ABORTED"), "{e}");
    assert_eq!(second.connection_state().0, State::CONNECTED);
    first.logout().await.unwrap();
    second.logout().await.unwrap();
}

#[tokio::test]
async fn login_to_a_server_that_is_not_there_times_out() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client = Client::connect(&format!("ws://127.0.0.1:{port}/rtm"), "app").unwrap();
    let e = client.login("alice", None).await.unwrap_err();
    assert_eq!((e.code, e.kind), (9, ErrorKind::Timeout), "LOGIN_ERR_TIMEOUT: {e}");
    assert_eq!(client.connection_state(), (State::DISCONNECTED, Reason::LOGIN_TIMEOUT));
}

#[tokio::test]
async fn dropping_every_handle_closes_the_connection() {
    use rtm_client::PeerState;
    let url = server().await;
    let (a_uid, b_uid) = (unique("a"), unique("b"));
    let (a, a_events) = logged_in(&url, "app", &a_uid).await;
    let a_room = a.channel("room").unwrap();
    a_room.join().await.unwrap();
    // A pending invitation must not keep its client alive either.
    let call = a.create_local_invitation(&b_uid).unwrap();
    let (b, mut b_events) = logged_in(&url, "app", &b_uid).await;
    call.send().await.unwrap();
    b.subscribe_peers_online_status(&[&a_uid]).await.unwrap();
    drop((a, a_events, a_room));
    // The server notices the connection is gone: A is in its grace period.
    wait_for(&mut b_events, 5, "A UNREACHABLE", |e| match e {
        Event::PeersOnlineStatusChanged(states) => {
            (states.get(&a_uid) == Some(&PeerState::UNREACHABLE)).then_some(())
        }
        _ => None,
    })
    .await;
    // The invitation outlives its client harmlessly.
    assert_eq!(call.cancel().await.unwrap_err().code, 3, "ALREADY_END: ended with its session");
}
