//! A protocol-level client over a real WebSocket, for tests against a server
//! started on a free loopback port.
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use rtm_protocol::{decode, encode, ClientFrame, ErrorReply, Push, Reply, Request, ServerFrame};
use rtm_server::config::Config;
use rtm_server::Server;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::rustls::ClientConfig;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::Request as HttpRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

/// Starts the real `rtm-server` binary with `args` (which should listen on
/// port 0); returns the process and its ws:// URL, read from the line it
/// prints when it listens. The caller kills it.
pub fn spawn_binary(args: &[&str]) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rtm-server"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("rtm-server starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().rsplit("://").next().expect("the listening line").to_owned();
    (child, format!("ws://{addr}/rtm"))
}

/// GET `path` over plain HTTP/1.1 on the server of `ws_url`; returns
/// (status, head, body).
pub async fn http_get(ws_url: &str, path: &str) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = ws_url.trim_start_matches("ws://").trim_end_matches("/rtm");
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tcp.write_all(req.as_bytes()).await.unwrap();
    let mut raw = String::new();
    within(15, "the HTTP answer", tcp.read_to_string(&mut raw)).await.unwrap();
    let status = raw.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status line");
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    (status, head.to_owned(), body.to_owned())
}

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

/// Starts a server that stops (gracefully) when the returned sender fires or drops;
/// the handle resolves once it has stopped.
pub async fn start_stoppable(
    config: Config,
) -> (String, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<anyhow::Result<()>>) {
    let server = Server::bind(config).await.unwrap();
    let addr = server.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(server.run(async move {
        let _ = rx.await;
    }));
    (format!("ws://{addr}/rtm"), tx, handle)
}

/// A node of a test cluster: a server on the cluster's shared engine, which
/// stops gracefully (every connection closed with 1001) on [`ClusterNode::stop`]
/// or when dropped.
pub struct ClusterNode {
    /// The node's ws:// URL.
    pub url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    stopped: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl ClusterNode {
    /// Stops the node and waits (at most 10 s) until it has: its connections
    /// are closed and its services dropped, so its lease is no longer renewed.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let stopped = tokio::time::timeout(Duration::from_secs(10), self.stopped).await;
        stopped.expect("the node stops within 10 s").expect("the node's task").expect("the node's run");
    }
}

/// Starts `n` development-mode nodes sharing one embedded engine (one
/// cluster, no Redis); returns their ws:// URLs. They stop when the test's
/// runtime ends.
pub async fn start_cluster(n: usize) -> Vec<String> {
    start_cluster_with(vec![Config::for_tests(); n]).await
}

/// One node per config, all on one embedded engine built from the first
/// config's settings; returns their ws:// URLs.
pub async fn start_cluster_with(configs: Vec<Config>) -> Vec<String> {
    let nodes = start_stoppable_cluster(configs).await;
    nodes
        .into_iter()
        .map(|node| {
            // Never stopped: the node runs until the test's runtime ends.
            std::mem::forget(node.stop);
            node.url
        })
        .collect()
}

/// Like [`start_cluster_with`], but each node can be stopped on its own.
pub async fn start_stoppable_cluster(configs: Vec<Config>) -> Vec<ClusterNode> {
    let first = configs.first().expect("a cluster has at least one node");
    let engine = rtm_server::engine::embedded::engine(&Server::embedded_options(first)).unwrap();
    let mut nodes = Vec::with_capacity(configs.len());
    for config in configs {
        let server = Server::bind_on(config, engine.clone()).await.unwrap();
        let addr = server.local_addr();
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        let stopped = tokio::spawn(server.run(async move {
            let _ = rx.await;
        }));
        nodes.push(ClusterNode { url: format!("ws://{addr}/rtm"), stop, stopped });
    }
    nodes
}

/// Runs `f` for at most `secs` seconds; panics with `what` when it takes longer.
pub async fn within<T>(secs: u64, what: &str, f: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(secs), f).await {
        Ok(value) => value,
        Err(_) => panic!("timed out after {secs} s waiting for {what}"),
    }
}

/// The opening request for `url`, offering the protocol's subprotocol.
fn ws_request(url: &str) -> HttpRequest<()> {
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("Sec-WebSocket-Protocol", rtm_protocol::SUBPROTOCOL.parse().unwrap());
    req
}

pub struct TestClient {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u32,
    /// Pushes that arrived while waiting for a reply.
    pub pushes: Vec<Push>,
}

impl TestClient {
    pub async fn connect(url: &str) -> TestClient {
        let (ws, _) = tokio_tungstenite::connect_async(ws_request(url)).await.unwrap();
        TestClient { ws, next_id: 1, pushes: Vec::new() }
    }

    /// Connects to a wss:// `url`, trusting what `tls` trusts.
    pub async fn connect_tls(url: &str, tls: Arc<ClientConfig>) -> Result<TestClient, WsError> {
        let connector = Some(Connector::Rustls(tls));
        let (ws, _) =
            tokio_tungstenite::connect_async_tls_with_config(ws_request(url), None, false, connector).await?;
        Ok(TestClient { ws, next_id: 1, pushes: Vec::new() })
    }

    /// Connects with a tiny receive buffer, so that a client that reads
    /// slowly soon backs up into the server's outbound queue.
    pub async fn connect_narrow(url: &str) -> TestClient {
        let req = ws_request(url);
        let addr = req.uri().authority().unwrap().as_str().parse().unwrap();
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let stream = socket.connect(addr).await.unwrap();
        let (ws, _) = tokio_tungstenite::client_async(req, MaybeTlsStream::Plain(stream)).await.unwrap();
        TestClient { ws, next_id: 1, pushes: Vec::new() }
    }

    pub async fn login(url: &str, app: &str, uid: &str) -> TestClient {
        Self::login_with(url, app, uid, None).await.0
    }

    /// Logs in; returns the client and its resume secret.
    pub async fn login_with(url: &str, app: &str, uid: &str, token: Option<String>) -> (TestClient, String) {
        TestClient::connect(url).await.log_in(app, uid, token).await
    }

    /// Logs this connection in; returns it and its resume secret.
    pub async fn log_in(mut self, app: &str, uid: &str, token: Option<String>) -> (TestClient, String) {
        let r = self.request(Request::Login { app_id: app.into(), uid: uid.into(), token }).await;
        match r {
            Ok(Reply::LoggedIn { resume, .. }) => (self, resume),
            other => panic!("login {uid}: {other:?}"),
        }
    }

    /// Drops the TCP connection without a close frame, as a network failure.
    pub fn cut(self) {
        drop(self.ws);
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
                ServerFrame::Push { push, .. } => self.pushes.push(push),
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

    /// The next push with its sequence number (nothing collected earlier).
    pub async fn next_seq_push(&mut self) -> (u64, Push) {
        loop {
            if let ServerFrame::Push { seq, push } = self.next_frame().await {
                return (seq, push);
            }
        }
    }

    /// The next push (earlier pushes collected while waiting come first).
    pub async fn next_push(&mut self) -> Push {
        if !self.pushes.is_empty() {
            return self.pushes.remove(0);
        }
        loop {
            if let ServerFrame::Push { push, .. } = self.next_frame().await {
                return push;
            }
        }
    }

    /// Skips pushes until `pick` takes one (earlier pushes collected while
    /// waiting come first); at most `secs` seconds.
    pub async fn wait_for<T>(&mut self, secs: u64, what: &str, mut pick: impl FnMut(Push) -> Option<T>) -> T {
        within(secs, what, async {
            loop {
                if let Some(found) = pick(self.next_push().await) {
                    return found;
                }
            }
        })
        .await
    }

    /// The next push that is not a member count (counts arrive on their own
    /// clock). The counts passed over stay queued, in order, so that a later
    /// wait for a count sees them.
    pub async fn next_event(&mut self) -> Push {
        let mut counts = Vec::new();
        let event = within(10, "a push other than MemberCount", async {
            loop {
                match self.next_push().await {
                    count @ Push::MemberCount { .. } => counts.push(count),
                    event => return event,
                }
            }
        })
        .await;
        counts.append(&mut self.pushes);
        self.pushes = counts;
        event
    }

    /// Fails if a push that `unwanted` matches arrives within `ms` milliseconds;
    /// other pushes are dropped.
    pub async fn expect_none(&mut self, ms: u64, what: &str, mut unwanted: impl FnMut(&Push) -> bool) {
        let found = tokio::time::timeout(Duration::from_millis(ms), async {
            loop {
                let push = self.next_push().await;
                if unwanted(&push) {
                    return push;
                }
            }
        })
        .await;
        if let Ok(push) = found {
            panic!("{what}: {push:?}");
        }
    }

    /// Reads until the server's close frame; returns it.
    pub async fn expect_close(&mut self) -> CloseFrame {
        loop {
            match self.next_message().await {
                Message::Close(Some(frame)) => return frame,
                Message::Close(None) => panic!("close without a reason"),
                Message::Binary(b) => {
                    if let Ok(ServerFrame::Push { push, .. }) = decode::<ServerFrame>(&b) {
                        self.pushes.push(push);
                    }
                }
                _ => {}
            }
        }
    }
}
