//! What the client tests share: a real rtm-server on a free loopback port (in
//! this process), a TCP proxy in front of it that a test can sever, and
//! waiting for events.
#![allow(dead_code)]

use rtm_client::{Client, ConnectionChangeReason, ConnectionState, Event, Events};
use rtm_server::config::Config;
use rtm_server::Server;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A development-mode server (any app id, no token); it stops with the test.
pub async fn server() -> String {
    server_with(Config::for_tests()).await
}

/// A server with `config`; its ws:// URL.
pub async fn server_with(config: Config) -> String {
    let server = Server::bind(config).await.unwrap();
    let addr = server.local_addr();
    tokio::spawn(server.run(std::future::pending()));
    format!("ws://{addr}/rtm")
}

/// A unique id for this run (tests share nothing).
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{:08x}", rand_u32())
}

fn rand_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
    h.finish() as u32
}

/// A client of `app` logged in as `uid`, with its event stream.
pub async fn logged_in(url: &str, app: &str, uid: &str) -> (Client, Events) {
    let client = Client::connect(url, app).unwrap();
    let events = client.events();
    client.login(uid, None).await.unwrap();
    (client, events)
}

/// The first event `pick` takes within `secs`; panics naming `what` if none.
pub async fn wait_for<T>(
    events: &mut Events,
    secs: u64,
    what: &str,
    mut pick: impl FnMut(Event) -> Option<T>,
) -> T {
    let found = tokio::time::timeout(Duration::from_secs(secs), async {
        while let Some(event) = events.recv().await {
            if let Some(t) = pick(event) {
                return Some(t);
            }
        }
        None
    })
    .await;
    match found {
        Ok(Some(t)) => t,
        Ok(None) => panic!("the event stream ended before {what}"),
        Err(_) => panic!("no {what} within {secs} s"),
    }
}

/// Waits until the client reports `state` for `reason`.
pub async fn wait_state(
    events: &mut Events,
    secs: u64,
    state: ConnectionState,
    reason: ConnectionChangeReason,
) {
    wait_for(events, secs, &format!("{state:?}/{reason:?}"), |e| match e {
        Event::ConnectionStateChanged { state: s, reason: r } if (s, r) == (state, reason) => Some(()),
        _ => None,
    })
    .await
}

/// Every event that arrives within `ms`.
pub async fn drain(events: &mut Events, ms: u64) -> Vec<Event> {
    let mut seen = Vec::new();
    let _ = tokio::time::timeout(Duration::from_millis(ms), async {
        while let Some(e) = events.recv().await {
            seen.push(e);
        }
    })
    .await;
    seen
}

/// A TCP proxy to a server: clients connect through it, and the test can cut
/// every connection at once (a network that drops) while the server stays up.
pub struct Proxy {
    /// The ws:// URL through the proxy.
    pub url: String,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Proxy {
    /// A proxy in front of the server at `server_url`.
    pub async fn start(server_url: &str) -> Proxy {
        let upstream: SocketAddr =
            server_url.trim_start_matches("ws://").split('/').next().unwrap().parse().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/rtm", listener.local_addr().unwrap());
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let accept = tokio::spawn({
            let links = links.clone();
            async move {
                while let Ok((mut client, _)) = listener.accept().await {
                    let link = tokio::spawn(async move {
                        if let Ok(mut server) = TcpStream::connect(upstream).await {
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        }
                    });
                    links.lock().unwrap().push(link);
                }
            }
        });
        Proxy { url, links, accept }
    }

    /// Drops every connection through the proxy (both sides see a reset).
    pub fn sever(&self) {
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.sever();
        self.accept.abort();
    }
}

/// A server that stops gracefully (every connection closed with 1001) when
/// [`Stoppable::stop`] is called; its address stays free for a restart.
pub struct Stoppable {
    /// Its ws:// URL.
    pub url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    stopped: JoinHandle<anyhow::Result<()>>,
}

impl Stoppable {
    /// Starts a server with `config`.
    pub async fn start(config: Config) -> Stoppable {
        let server = Server::bind(config).await.unwrap();
        let url = format!("ws://{}/rtm", server.local_addr());
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        let stopped = tokio::spawn(server.run(async move {
            let _ = rx.await;
        }));
        Stoppable { url, stop, stopped }
    }

    /// Stops it and waits until it has.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(10), self.stopped).await;
    }

    /// Stops it, then starts a fresh server (nothing kept) on the same address.
    pub async fn restart(self) -> Stoppable {
        let addr: SocketAddr =
            self.url.trim_start_matches("ws://").split('/').next().unwrap().parse().unwrap();
        self.stop().await;
        let mut config = Config::for_tests();
        config.listen = addr;
        Stoppable::start(config).await
    }
}
