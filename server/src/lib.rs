//! rtm-server: the self-hosted server behind the rtm-wasm SDK.
//!
//! Layout (one concern per file):
//! - [`config`]: flags, environment and the TOML file.
//! - [`http`]: the router — `/rtm` WebSocket, `/healthz`, static files.
//! - [`connection`]: one socket's reader loop and writer task.
//! - [`session`]: a logged-in session, its bounded queue and ack bookkeeping.
//! - [`hub`]: this node's sessions and the operations on them;
//!   [`channels`]: the channel operations and fan-out; [`presence`]: online
//!   status queries and subscriptions; [`attributes`]: user and channel
//!   attributes ([`attributes_memory`] keeps them for the memory engine);
//!   [`invitations`]: call invitations.
//! - [`engine`]: the broker, presence, membership and store traits the hub
//!   runs on; [`engine_memory`] is the single-process implementation and
//!   [`store_sqlite`] the embedded offline-message store.
//! - [`auth`] and [`token`]: login tokens (Agora 006 and 007).
//!
//! [`Server::bind`] then [`Server::run`] is the whole life of a server; `main.rs`
//! only parses flags and waits for a signal.
#![warn(missing_docs)]

pub mod attributes;
pub mod attributes_memory;
pub mod auth;
pub mod channels;
pub mod config;
pub mod connection;
pub mod engine;
pub mod engine_memory;
pub mod http;
pub mod hub;
pub mod invitations;
pub mod presence;
pub mod session;
pub mod store_sqlite;
pub mod token;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

/// Name and version, as the server reports itself to clients.
pub const SERVER_NAME: &str = concat!("rtm-server ", env!("CARGO_PKG_VERSION"));

/// A bound, not yet running server.
pub struct Server {
    listener: TcpListener,
    hub: Arc<hub::Hub>,
}

impl Server {
    /// Binds the listen address of `config` on the memory engine.
    pub async fn bind(config: config::Config) -> anyhow::Result<Server> {
        let listener = TcpListener::bind(config.listen).await?;
        if config.development {
            tracing::warn!("development mode: app ids not configured log in without a token");
        }
        let (max, age) = (config.limits.offline_max_messages, config.limits.offline_max_age_days);
        let age_ms = u64::from(age) * 24 * 3600 * 1000;
        let store = match &config.data_dir {
            Some(dir) => store_sqlite::SqliteStore::open(dir, max, age_ms)?,
            None => store_sqlite::SqliteStore::in_memory(max, age_ms)?,
        };
        let hub = hub::Hub::new(config, engine::Engine::memory(std::sync::Arc::new(store)));
        Ok(Server { listener, hub })
    }

    /// The address actually bound (port 0 resolved).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes, then closes every connection with
    /// 1001 (going away) so clients reconnect elsewhere or later.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let slots = Arc::new(Semaphore::new(self.hub.config().limits.max_connections));
        let state = http::AppState { hub: self.hub, slots: slots.clone(), shutdown: stop_rx };
        let max = state.hub.config().limits.max_connections as u32;
        let app = http::router(state);
        axum::serve(self.listener, app)
            .with_graceful_shutdown(async move {
                shutdown.await;
                let _ = stop_tx.send(true);
            })
            .await?;
        // Upgraded sockets outlive the HTTP server: wait (briefly) until every
        // connection has sent its close frame and released its slot.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), slots.acquire_many(max)).await;
        Ok(())
    }
}
