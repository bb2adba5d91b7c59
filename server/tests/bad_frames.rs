//! Whatever a client sends, the server answers with an error reply or a close
//! with a reason, and keeps serving everyone else.

mod common;
use common::*;
use rtm_protocol::{encode, ClientFrame, Reply, Request};
use tokio_tungstenite::tungstenite::Message;

async fn assert_still_serving(url: &str) {
    let mut c = TestClient::login(url, "app", "still-serving").await;
    assert_eq!(c.request(Request::Ping).await, Ok(Reply::Done));
}

#[tokio::test]
async fn garbage_bytes_close_with_1007_and_a_reason() {
    let url = start_server().await;
    // No readable request id: an empty frame, a cut-off varint, an overlong one.
    for junk in [vec![], vec![0xc1], vec![0xff; 100]] {
        let mut c = TestClient::connect(&url).await;
        c.send_raw(Message::Binary(junk.clone().into())).await;
        let close = c.expect_close().await;
        assert_eq!(u16::from(close.code), 1007, "{junk:?}");
        assert!(close.reason.contains("malformed frame"), "{}", close.reason);
    }
    assert_still_serving(&url).await;
}

#[tokio::test]
async fn unknown_request_type_gets_an_error_reply() {
    let url = start_server().await;
    let mut c = TestClient::login(&url, "app", "alice").await;
    // Request id 42, then a request variant from a newer protocol than this server's.
    c.send_raw(Message::Binary(vec![42, 0x7f, 1, 2, 3].into())).await;
    let err = c.reply_to(42).await.unwrap_err();
    assert_eq!(err.code, 1);
    assert!(err.message.contains("unknown or malformed request"), "{}", err.message);
    // A known request with trailing bytes is malformed too.
    let mut bytes = encode(&ClientFrame { id: 43, req: Request::Ping });
    bytes.extend_from_slice(b"junk");
    c.send_raw(Message::Binary(bytes.into())).await;
    assert_eq!(c.reply_to(43).await.unwrap_err().code, 1);
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
