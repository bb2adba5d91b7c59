//! A protocol-level client over a real WebSocket, for tests against a server
//! started on a free loopback port.
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use rtm_protocol::{decode, encode, ClientFrame, ErrorReply, Push, Reply, Request, ServerFrame};
use rtm_server::config::Config;
use rtm_server::Server;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Starts a development-mode server; it stops when the test's runtime ends.
pub async fn start_server() -> String {
    start_server_with(Config::for_tests()).await
}

/// Starts a server with `config`; returns its ws:// URL.
pub async fn start_server_with(config: Config) -> String {
    let server = Server::bind(config).await.unwrap();
    let addr = server.local_addr();
    tokio::spawn(server.run(std::future::pending()));
    format!("ws://{addr}/rtm")
}

pub struct TestClient {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u32,
    /// Pushes that arrived while waiting for a reply.
    pub pushes: Vec<Push>,
}

impl TestClient {
    pub async fn connect(url: &str) -> TestClient {
        let mut req = url.into_client_request().unwrap();
        req.headers_mut().insert("Sec-WebSocket-Protocol", rtm_protocol::SUBPROTOCOL.parse().unwrap());
        let (ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
        TestClient { ws, next_id: 1, pushes: Vec::new() }
    }

    pub async fn login(url: &str, app: &str, uid: &str) -> TestClient {
        let mut c = TestClient::connect(url).await;
        let r = c.request(Request::Login { app_id: app.into(), uid: uid.into(), token: None }).await;
        assert!(matches!(r, Ok(Reply::LoggedIn { .. })), "login {uid}: {r:?}");
        c
    }

    pub async fn send_raw(&mut self, msg: Message) {
        self.ws.send(msg).await.unwrap();
    }

    pub async fn send_frame(&mut self, req: Request) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        self.send_raw(Message::Binary(encode(&ClientFrame { id, req }).into())).await;
        id
    }

    /// Sends a request and waits for its reply, keeping pushes that come first.
    pub async fn request(&mut self, req: Request) -> Result<Reply, ErrorReply> {
        let id = self.send_frame(req).await;
        self.reply_to(id).await
    }

    pub async fn reply_to(&mut self, id: u32) -> Result<Reply, ErrorReply> {
        loop {
            match self.next_frame().await {
                ServerFrame::Reply { id: rid, result } if rid == id => return result,
                ServerFrame::Reply { id: other, .. } => panic!("reply to {other} while waiting for {id}"),
                ServerFrame::Push(p) => self.pushes.push(p),
            }
        }
    }

    pub async fn next_frame(&mut self) -> ServerFrame {
        match self.next_message().await {
            Message::Binary(b) => decode(&b).expect("server frames decode"),
            other => panic!("expected a binary frame, got {other:?}"),
        }
    }

    pub async fn next_message(&mut self) -> Message {
        let msg = tokio::time::timeout(Duration::from_secs(10), self.ws.next()).await;
        msg.expect("timed out waiting for a frame").expect("socket ended").expect("socket error")
    }

    /// The next push (earlier pushes collected while waiting come first).
    pub async fn next_push(&mut self) -> Push {
        if !self.pushes.is_empty() {
            return self.pushes.remove(0);
        }
        loop {
            if let ServerFrame::Push(p) = self.next_frame().await {
                return p;
            }
        }
    }

    /// Reads until the server's close frame; returns it.
    pub async fn expect_close(&mut self) -> CloseFrame {
        loop {
            match self.next_message().await {
                Message::Close(Some(frame)) => return frame,
                Message::Close(None) => panic!("close without a reason"),
                Message::Binary(b) => {
                    if let Ok(ServerFrame::Push(p)) = decode::<ServerFrame>(&b) {
                        self.pushes.push(p);
                    }
                }
                _ => {}
            }
        }
    }
}
