//! Whatever a client sends, the server answers with an error reply or a close
//! with a reason, and keeps serving everyone else.

mod common;
use common::*;
use rtm_protocol::{encode, ClientFrame, Reply, Request};
use tokio_tungstenite::tungstenite::Message;

async fn assert_still_serving(url: &str) {
    let mut c = TestClient::connect(url).await;
    assert_eq!(c.request(Request::Ping).await, Ok(Reply::Done));
}

#[tokio::test]
async fn garbage_bytes_close_with_1007_and_a_reason() {
    let url = start_server().await;
    for junk in [vec![0xc1], vec![], vec![0xff; 100], b"\x81\xa2id".to_vec()] {
        let mut c = TestClient::connect(&url).await;
        c.send_raw(Message::Binary(junk.clone().into())).await;
        let close = c.expect_close().await;
        assert_eq!(u16::from(close.code), 1007, "{junk:?}");
        assert!(close.reason.contains("malformed frame"), "{}", close.reason);
    }
    assert_still_serving(&url).await;
}

#[tokio::test]
async fn unknown_request_type_gets_an_error_reply_naming_it() {
    let url = start_server().await;
    let mut c = TestClient::connect(&url).await;
    #[derive(serde::Serialize)]
    enum Future {
        Teleport { to: String },
    }
    #[derive(serde::Serialize)]
    struct Frame {
        id: u32,
        req: Future,
    }
    let bytes = encode(&Frame { id: 42, req: Future::Teleport { to: "mars".into() } });
    c.send_raw(Message::Binary(bytes.into())).await;
    let err = c.reply_to(42).await.unwrap_err();
    assert_eq!(err.code, 1);
    assert!(err.message.contains("Teleport"), "{}", err.message);
    // The connection stays usable.
    assert_eq!(c.request(Request::Ping).await, Ok(Reply::Done));
}

#[tokio::test]
async fn text_frames_close_with_1003() {
    let url = start_server().await;
    let mut c = TestClient::connect(&url).await;
    c.send_raw(Message::Text("{\"id\":1}".into())).await;
    let close = c.expect_close().await;
    assert_eq!(u16::from(close.code), 1003);
    assert!(close.reason.contains("binary"));
}

#[tokio::test]
async fn oversized_frames_close_with_1009() {
    let url = start_server().await;
    for size in [40 * 1024, 2 * 1024 * 1024] {
        let mut c = TestClient::login(&url, "app", "alice").await;
        let req = Request::SendPeer {
            peer: "bob".into(),
            payload: rtm_protocol::Payload::Text("x".repeat(size)),
            offline: false,
        };
        c.send_raw(Message::Binary(encode(&ClientFrame { id: 1, req }).into())).await;
        let close = c.expect_close().await;
        assert_eq!(u16::from(close.code), 1009, "{size}: {}", close.reason);
    }
    assert_still_serving(&url).await;
}

#[tokio::test]
async fn a_client_without_the_subprotocol_is_refused() {
    let url = start_server().await;
    let err = tokio_tungstenite::connect_async(url.as_str()).await.unwrap_err();
    assert!(err.to_string().contains("400"), "{err}");
}
