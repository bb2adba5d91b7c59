//! Budgets a client cannot talk its way around: logins per user and token
//! renewals (2 per second each, as Agora's LOGIN_ERR_TOO_OFTEN and
//! RENEW_TOKEN_ERR_TOO_OFTEN), and frames the server cannot read (a few are
//! answered, a stream of them closes the connection).

mod common;
use common::*;
use rtm_protocol::{encode, ClientFrame, Reply, Request};
use rtm_server::config::{Config, Limits};
use tokio_tungstenite::tungstenite::Message;

fn login(uid: &str) -> Request {
    Request::Login { app_id: "app".into(), uid: uid.into(), token: None }
}

#[tokio::test]
async fn a_third_login_of_one_user_within_a_second_is_too_often() {
    let url = start_server_with(Config { limits: Limits::default(), ..Config::for_tests() }).await;
    let mut codes = Vec::new();
    for _ in 0..3 {
        let mut c = TestClient::connect(&url).await;
        codes.push(c.request(login("alice")).await.map(|_| 0).unwrap_or_else(|e| e.code));
    }
    assert_eq!(codes, [0, 0, 10], "LOGIN_ERR_TOO_OFTEN on the third");
    let mut other = TestClient::connect(&url).await;
    assert!(matches!(other.request(login("bob")).await, Ok(Reply::LoggedIn { .. })), "per user");
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let mut c = TestClient::connect(&url).await;
    assert!(matches!(c.request(login("alice")).await, Ok(Reply::LoggedIn { .. })), "a second later: fine");
}

#[tokio::test]
async fn a_third_token_renewal_within_a_second_is_too_often() {
    let url = start_server().await;
    let mut c = TestClient::login(&url, "app", "alice").await;
    let mut codes = Vec::new();
    for _ in 0..3 {
        let r = c.request(Request::RenewToken { token: "anything".into() }).await;
        codes.push(r.map(|_| 0).unwrap_or_else(|e| e.code));
    }
    assert_eq!(codes, [0, 0, 4], "RENEW_TOKEN_ERR_TOO_OFTEN on the third (development mode takes any token)");
}

#[tokio::test]
async fn a_stream_of_unreadable_frames_closes_the_connection() {
    let url = start_server().await;
    let mut c = TestClient::login(&url, "app", "alice").await;
    for id in 0..5u32 {
        // A readable request id, then a request variant this server does not know.
        let mut bytes = encode(&ClientFrame { id: 100 + id, req: Request::Ping });
        bytes.truncate(bytes.len() - 1);
        bytes.push(0x7f);
        c.send_raw(Message::Binary(bytes.into())).await;
        assert_eq!(c.reply_to(100 + id).await.unwrap_err().code, 1, "answered while within the budget");
    }
    c.send_raw(Message::Binary(vec![1, 0x7f].into())).await;
    let close = within(5, "the close", c.expect_close()).await;
    assert_eq!(u16::from(close.code), 1007, "{close:?}");
    assert!(close.reason.contains("too many malformed frames"), "{close:?}");
}
