//! The TOML file (`--config`): its tables, and the checks that turn an
//! operator's typo into an error message instead of a different server.

use crate::rest::credentials::{self, RestCredentials};
use rtm_protocol::limits;
use serde::Deserialize;
use std::path::PathBuf;

/// The TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Apps not listed log in without a token (default: true when no app is listed).
    pub development: Option<bool>,
    /// Cluster mode: the Redis engine's URL (the `--redis` flag wins).
    pub redis_url: Option<String>,
    /// Browser origins allowed to open a WebSocket (empty: any).
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// TLS: the certificate chain, PEM (the `--tls-cert` flag wins).
    pub tls_cert: Option<PathBuf>,
    /// TLS: the private key, PEM (the `--tls-key` flag wins).
    pub tls_key: Option<PathBuf>,
    /// Apps allowed to log in.
    #[serde(default)]
    pub apps: Vec<AppConfig>,
    /// Limits.
    #[serde(default)]
    pub limits: Limits,
    /// The admin API's secret (the `--admin-secret` flag wins).
    pub admin_secret: Option<String>,
}

impl FileConfig {
    /// Parses and checks the text of a config file: everything `--config`
    /// does but reading the file. Pure, so the fuzzer can run it
    /// (fuzz/fuzz_targets/config.rs); an operator's typo must be an error
    /// message, never a crash or a silently different server.
    pub fn parse(text: &str) -> anyhow::Result<FileConfig> {
        let file: FileConfig = toml::from_str(text)?;
        let mut ids = std::collections::HashSet::new();
        for app in &file.apps {
            anyhow::ensure!(
                rtm_protocol::limits::validate_app_id(&app.id),
                "config: app id {:?} must be 1-64 printable ASCII characters",
                app.id
            );
            if let Some(cert) = &app.certificate {
                anyhow::ensure!(!cert.is_empty(), "config: the certificate of app {:?} is empty", app.id);
            }
            anyhow::ensure!(ids.insert(app.id.as_str()), "config: app id {:?} is listed twice", app.id);
            app.rest_credentials()?;
        }
        if let Some(secret) = &file.admin_secret {
            anyhow::ensure!(
                !secret.is_empty(),
                "config: admin_secret is empty (leave it out to turn the admin API off)"
            );
        }
        anyhow::ensure!(file.limits.max_connections > 0, "config: limits.max_connections must be > 0");
        for (name, v) in [
            ("queue_bytes", file.limits.queue_bytes as u64),
            ("replay_bytes", file.limits.replay_bytes as u64),
            ("unacked_deliveries", file.limits.unacked_deliveries as u64),
            ("max_connections_per_ip", file.limits.max_connections_per_ip as u64),
            ("login_deadline_secs", file.limits.login_deadline_secs),
            ("write_timeout_secs", file.limits.write_timeout_secs),
            ("header_read_timeout_secs", file.limits.header_read_timeout_secs),
            ("offline_max_bytes_per_sender", file.limits.offline_max_bytes_per_sender),
            ("offline_max_bytes_per_app", file.limits.offline_max_bytes_per_app),
            ("rest_messages_per_sec", file.limits.rest_messages_per_sec as u64),
        ] {
            anyhow::ensure!(v > 0, "config: limits.{name} must be > 0");
        }
        Ok(file)
    }
}

/// One `[[apps]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// The app id clients pass to `createInstance`.
    pub id: String,
    /// With a certificate, logins need a valid token (006 or 007).
    pub certificate: Option<String>,
    /// The REST API's HTTP Basic user name (Agora's "Customer ID").
    pub customer_key: Option<String>,
    /// Its password (Agora's "Customer Secret").
    pub customer_secret: Option<String>,
}

impl AppConfig {
    /// The REST API's credentials of this app, if it has a (valid) pair.
    pub fn rest_credentials(&self) -> anyhow::Result<Option<RestCredentials>> {
        credentials::pair(&self.id, self.customer_key.as_deref(), self.customer_secret.as_deref())
    }
}

/// `[limits]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Bytes of frames queued for one connection. A burst may run over it
    /// for less than `write_timeout_secs` (and never past twice it); a queue
    /// that stays over it means the client reads too slowly, and it is
    /// dropped (4008). The default holds a burst of 7 senders × 160 typical
    /// messages (about 140 bytes each) several times over.
    pub queue_bytes: usize,
    /// Replaced by `queue_bytes` (the queue is sized in bytes now); still
    /// accepted so that existing files load, and ignored with a warning.
    pub queue_capacity: Option<usize>,
    /// Bytes of pushes a session keeps for a resume; older ones go first
    /// (a resume from before them fails, and the client logs in afresh).
    pub replay_bytes: usize,
    /// Peer messages pushed to one session and not yet acknowledged by its
    /// SDK; beyond it the oldest is forgotten (its sender hears false).
    pub unacked_deliveries: usize,
    /// Concurrent connections; more are refused with 503.
    pub max_connections: usize,
    /// Offline messages kept per user (the oldest go first).
    pub offline_max_messages: u32,
    /// Offline messages older than this are dropped.
    pub offline_max_age_days: u32,
    /// Bytes of offline messages one sender may have stored at once (payload
    /// plus 64 per message); past it `sendMessageToPeer` with
    /// `enableOfflineMessaging` fails (PEER_MESSAGE_ERR_FAILURE) until some
    /// are delivered or expire. The per-user cap alone let one user fill the
    /// disk by writing to many made-up uids.
    pub offline_max_bytes_per_sender: u64,
    /// Bytes of offline messages one app may have stored at once: what a
    /// crowd of senders can fill together.
    pub offline_max_bytes_per_app: u64,
    /// A channel empty this long loses its attributes (seconds).
    pub channel_attrs_ttl_secs: u64,
    /// An invitation not answered within this fails (seconds).
    pub invitation_timeout_secs: u64,
    /// Logins of one user per second on one node (Agora allows 2; more get
    /// LOGIN_ERR_TOO_OFTEN).
    pub logins_per_user_per_sec: u32,
    /// Connections from one client address.
    pub max_connections_per_ip: usize,
    /// A connection that has not logged in this long after opening is closed (seconds).
    pub login_deadline_secs: u64,
    /// A connection whose client takes no write for this long is closed (seconds).
    pub write_timeout_secs: u64,
    /// An HTTP connection whose request headers (the first request's, or the
    /// next one's on an idle keep-alive connection) have not all arrived
    /// this long after it was opened or went idle is closed (seconds).
    pub header_read_timeout_secs: u64,
    /// REST peer + channel messages of one app per second on one node (Agora: 500); more get 429.
    pub rest_messages_per_sec: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            queue_bytes: 1 << 20,
            queue_capacity: None,
            replay_bytes: 1 << 20,
            unacked_deliveries: 1024,
            max_connections: 10_000,
            offline_max_messages: 200,
            offline_max_age_days: 7,
            offline_max_bytes_per_sender: 4 << 20,
            offline_max_bytes_per_app: 1 << 30,
            channel_attrs_ttl_secs: 300,
            invitation_timeout_secs: 60,
            logins_per_user_per_sec: limits::LOGIN_RATE.0,
            max_connections_per_ip: 256,
            login_deadline_secs: 10,
            write_timeout_secs: 10,
            header_read_timeout_secs: 10,
            rest_messages_per_sec: 500,
        }
    }
}

impl Limits {
    /// The offline-message quotas these limits set.
    pub fn offline_quotas(&self) -> crate::engine::OfflineQuotas {
        crate::engine::OfflineQuotas {
            per_sender: self.offline_max_bytes_per_sender,
            per_app: self.offline_max_bytes_per_app,
        }
    }
}
