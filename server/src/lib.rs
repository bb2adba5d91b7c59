//! rtm-server: the self-hosted server behind the rtm-wasm SDK.
//!
//! The map, from the socket down (each layer uses only the layers below it):
//!
//! ```text
//! serve         the accept loop: HTTP/1.1 per connection, header deadline
//! http          the router: /rtm (WebSocket), /healthz, /readyz, static
//!               files, and what admin/, metrics and rest/ add
//! admin/        /admin/api (kick, ban, attributes, listings, tokens), the
//!               /admin page, /openapi.json; behind the admin secret
//! metrics       Prometheus counters, histograms and gauges; GET /metrics
//! admission     who may connect: connection caps (total, per address), origins
//! connection/   one socket: reader loop, writer, request dispatch (one reply each)
//! services/     the features wired together: request and event routing,
//!               the session lifecycle (login, resume, logout, kick, grace),
//!               this node's lease and the reaping of dead nodes
//! features/     peer, channels, presence, attributes, invitations: each owns
//!               its state, handles its requests, hears its events
//! node/         what features share: config, engine, sessions, the topics
//!               this node hears (subscriptions), acknowledgements it awaits
//! sessions/     this node's sessions: registry, session, link + replay, outbox
//! engine/       what nodes share: broker, presence, membership, attributes,
//!               offline messages (traits in mod.rs); embedded/ = one process,
//!               redis/ = cluster mode
//! store/        SQLite: offline messages and channel attributes
//! token/        Agora 006/007 login tokens and the credential rules
//! rest/         Agora's RTM REST API (/dev/v2/project/{appid}/rtm/...): auth,
//!               per-app rate, peer and channel messages through the features,
//!               user and channel events from the engine's event log
//! config, clock the settings; milliseconds since the epoch
//! tls           wss:// on the server's own port (PEM certificate and key)
//! tools         the binary's check-config and health commands (deployment)
//! fuzzing       what the fuzz targets (fuzz/) and tests/fuzz_corpus.rs run
//! ```
//!
//! A node reaches other nodes only through the engine: it publishes events
//! on topics (a user, a channel, a user's presence, a node) and hears the
//! topics its clients need. Nothing assumes one process: "delivered" is an
//! acknowledgement that travels back, and presence is a lease.
//!
//! [`Server::bind`] then [`Server::run`] is the whole life of a server;
//! `main.rs` only parses flags and waits for a signal.
#![warn(missing_docs)]

pub mod admin;
pub mod admission;
pub mod clock;
pub mod config;
pub mod connection;
pub mod engine;
pub mod features;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod metrics;
pub mod node;
pub mod rest;
pub mod serve;
pub mod services;
pub mod sessions;
pub mod store;
pub mod tls;
pub mod token;
pub mod tools;

use admission::Admission;
use engine::embedded::{self, EmbeddedOptions};
use engine::Engine;
use services::Services;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::rustls::ServerConfig as TlsConfig;

/// Name and version, as the server reports itself to clients.
pub const SERVER_NAME: &str = concat!("rtm-server ", env!("CARGO_PKG_VERSION"));

/// A bound, not yet running server.
pub struct Server {
    listener: TcpListener,
    /// Set when the config names a certificate: every connection is TLS.
    tls: Option<Arc<TlsConfig>>,
    services: Arc<Services>,
}

impl Server {
    /// Binds the listen address of `config` on its engine: Redis when
    /// `config.redis_url` is set (cluster mode), else the embedded engine
    /// (memory, and SQLite in `config.data_dir`).
    pub async fn bind(config: config::Config) -> anyhow::Result<Server> {
        let engine = match &config.redis_url {
            Some(url) => {
                tracing::info!(redis = %engine::redis::redact(url), "cluster mode: the engine is Redis");
                engine::redis::engine(&Self::redis_options(&config, url)).await?
            }
            None => embedded::engine(&Self::embedded_options(&config))?,
        };
        Self::bind_on(config, engine).await
    }

    /// The Redis engine's settings from `config`.
    pub fn redis_options(config: &config::Config, url: &str) -> engine::redis::RedisOptions {
        engine::redis::RedisOptions::from_limits(url, &config.limits)
    }

    /// The embedded engine's settings from `config`.
    pub fn embedded_options(config: &config::Config) -> EmbeddedOptions {
        EmbeddedOptions::from_limits(config.data_dir.clone(), &config.limits)
    }

    /// Binds the listen address of `config` as a node on `engine`, which other
    /// nodes may share.
    pub async fn bind_on(config: config::Config, engine: Engine) -> anyhow::Result<Server> {
        // Before anything starts: a bad certificate or key must stop the
        // server, never leave it serving plain text on a port meant for TLS.
        let tls = config.tls.as_ref().map(tls::load).transpose()?;
        let listener = TcpListener::bind(config.listen).await?;
        if config.development {
            tracing::warn!("development mode: app ids not configured log in without a token");
        }
        let services = Services::start(config, engine).await?;
        Ok(Server { listener, tls, services })
    }

    /// The address actually bound (port 0 resolved).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Whether clients connect with TLS (`wss://`, `https://`).
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Serves until `shutdown` completes, then closes every connection with
    /// 1001 (going away) so clients reconnect elsewhere or later.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let limits = &self.services.config().limits;
        let admission = Arc::new(Admission::new(limits.max_connections, limits.max_connections_per_ip));
        let header_timeout = Duration::from_secs(limits.header_read_timeout_secs);
        tokio::spawn(connection::relay::accept(Arc::downgrade(&self.services), stop_rx.clone()));
        let state =
            http::AppState { services: self.services, admission: admission.clone(), shutdown: stop_rx };
        let app = http::router(state);
        let shutdown = async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        };
        match self.tls {
            Some(tls) => {
                let listener = tls::TlsListener::new(self.listener, tls)?;
                serve::serve(listener, app, header_timeout, shutdown).await
            }
            None => {
                use axum::serve::ListenerExt;
                // Pushes are small and latency matters: no Nagle delay.
                let listener = self.listener.tap_io(|tcp| {
                    let _ = tcp.set_nodelay(true);
                });
                serve::serve(listener, app, header_timeout, shutdown).await
            }
        }
        // Upgraded sockets outlive the HTTP server: wait (briefly) until every
        // connection has sent its close frame and released its slot.
        admission.drained(Duration::from_secs(5)).await;
        Ok(())
    }
}
