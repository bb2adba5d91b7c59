//! Settings: command-line flags (each mirrored by an `RTM_` environment
//! variable) and an optional TOML file for apps and limits.
//!
//! ```toml
//! # rtm-server.toml
//! development = false       # true: app ids not listed log in without a token
//! allowed_origins = ["https://app.example.com"]  # browser origins (default: any)
//! redis_url = "redis://127.0.0.1:6379"  # cluster mode (the --redis flag wins)
//! tls_cert = "/etc/rtm/fullchain.pem"   # TLS: both or neither (the --tls-* flags win)
//! tls_key = "/etc/rtm/privkey.pem"
//!
//! [[apps]]
//! id = "970CA35de60c44645bbae8a215061b33"
//! certificate = "5CFd2fd1755d40ecb72977518be15d3b"  # optional: then tokens are required
//!
//! [limits]
//! queue_bytes = 1048576       # outbound bytes buffered per connection (twice that, briefly)
//! replay_bytes = 1048576      # pushes a session keeps for a resume, in bytes
//! unacked_deliveries = 1024   # peer messages a session holds unacknowledged
//! max_connections = 10000      # concurrent WebSocket connections
//! offline_max_messages = 200   # stored offline messages per user
//! offline_max_age_days = 7
//! offline_max_bytes_per_sender = 4194304  # stored offline messages of one sender (4 MiB)
//! offline_max_bytes_per_app = 1073741824  # stored offline messages of one app (1 GiB)
//! channel_attrs_ttl_secs = 300 # an empty channel's attributes are kept this long
//! invitation_timeout_secs = 60  # an unanswered call invitation fails after this
//! logins_per_user_per_sec = 2  # more logins of one user get LOGIN_ERR_TOO_OFTEN
//! max_connections_per_ip = 256 # connections from one client address
//! login_deadline_secs = 10     # a connection must log in this soon after opening
//! write_timeout_secs = 10      # a client that takes no write this long is dropped
//! header_read_timeout_secs = 10 # HTTP request headers must arrive within this
//! ```
//!
//! Without a file (or with no `[[apps]]`), any app id logs in without a token:
//! development mode, which the log announces at startup.

use anyhow::Context;
use clap::Parser;
use rtm_protocol::limits;
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// rtm-server: the self-hosted server behind the rtm-wasm SDK.
#[derive(Debug, Parser)]
#[command(name = "rtm-server", version, about)]
pub struct Cli {
    /// A tool instead of the server.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "RTM_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Folder served at `/` (default: the repository's demo, www/).
    #[arg(long, env = "RTM_WWW")]
    pub www: Option<PathBuf>,
    /// TOML file with `[[apps]]` and `[limits]`.
    #[arg(long, env = "RTM_CONFIG")]
    pub config: Option<PathBuf>,
    /// Folder of the embedded store (offline messages, SQLite).
    #[arg(long, env = "RTM_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// How long a session whose connection dropped stays in its channels,
    /// waiting for the client to come back (seconds).
    #[arg(long, env = "RTM_GRACE_SECS", default_value_t = 30)]
    pub grace_secs: u64,
    /// Cluster mode: use the Redis at this URL (`redis://HOST:PORT[/DB]`) as the
    /// engine; every node on one Redis is one system. Without it the node runs
    /// alone on its embedded engine (memory + SQLite in --data-dir).
    #[arg(long, env = "RTM_REDIS")]
    pub redis: Option<String>,
    /// Allow, on an address other than loopback, what lets anyone log in as
    /// anyone: development mode (app ids not listed need no token) or apps
    /// without a certificate. Refused without this flag.
    #[arg(long, env = "RTM_INSECURE")]
    pub insecure: bool,
    /// TLS: the certificate chain (PEM); clients then connect with wss://.
    /// Needs --tls-key.
    #[arg(long, env = "RTM_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// TLS: the certificate's private key (PEM). Needs --tls-cert.
    #[arg(long, env = "RTM_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// Log filter, in tracing's env-filter syntax.
    #[arg(long, env = "RTM_LOG", default_value = "info")]
    pub log: String,
    /// Log format on standard error: `text` for people, `json` (one object
    /// per line) for log shippers.
    #[arg(long, env = "RTM_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How log lines are written (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, `fields`.
    Json,
}

/// Tools.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Prints an RTM login token (AccessToken2, "007") for app servers and tests.
    Token {
        /// The app id.
        #[arg(long)]
        app_id: String,
        /// The app certificate.
        #[arg(long)]
        certificate: String,
        /// The user id the token logs in.
        #[arg(long)]
        uid: String,
        /// Seconds until the token expires.
        #[arg(long, default_value_t = 3600)]
        expire: u32,
    },
}

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

/// A node's presence lease: renewed every third of it.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(9);

/// Everything the server runs with.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address.
    pub listen: SocketAddr,
    /// Static folder.
    pub www: PathBuf,
    /// Listed apps and their certificates.
    pub apps: HashMap<String, Option<String>>,
    /// Apps not listed log in without a token.
    pub development: bool,
    /// Where the store lives; `None` keeps it in memory (tests).
    pub data_dir: Option<PathBuf>,
    /// Cluster mode: the Redis engine's URL; `None` runs on the embedded engine.
    pub redis_url: Option<String>,
    /// TLS on the listen address; `None` serves plain ws:// and http://.
    pub tls: Option<TlsFiles>,
    /// How long a dropped session waits for its client.
    pub grace: Duration,
    /// How long this node's presence lease lasts without renewal: when a node
    /// dies, its users go offline for the others within about this long.
    pub lease: Duration,
    /// Browser origins allowed to connect (empty: any).
    pub allowed_origins: Vec<String>,
    /// Limits.
    pub limits: Limits,
}

impl Config {
    /// Reads the file named by the flags, if any, and checks it.
    pub fn from_cli(cli: &Cli) -> anyhow::Result<Config> {
        let file = match &cli.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading config file {}", path.display()))?;
                FileConfig::parse(&text).with_context(|| format!("parsing config file {}", path.display()))?
            }
            None => FileConfig::default(),
        };
        if file.limits.queue_capacity.is_some() {
            tracing::warn!("config: limits.queue_capacity is no longer used (the queue is sized by limits.queue_bytes); remove it");
        }
        // `parse` refused duplicate ids, so nothing is lost here.
        let apps: HashMap<_, _> = file.apps.iter().map(|a| (a.id.clone(), a.certificate.clone())).collect();
        let development = file.development.unwrap_or(apps.is_empty());
        let open_apps: Vec<&String> =
            apps.iter().filter(|(_, cert)| cert.is_none()).map(|(id, _)| id).collect();
        if !cli.listen.ip().is_loopback() && (development || !open_apps.is_empty()) {
            let what = if development {
                "development mode (app ids not listed log in without a token)".to_owned()
            } else {
                format!("apps without a certificate ({open_apps:?})")
            };
            anyhow::ensure!(
                cli.insecure,
                "refusing to listen on {} with {what}: anyone who can reach it could log in as any user. \
                 Give every app a certificate in the config file, listen on 127.0.0.1, or pass --insecure",
                cli.listen
            );
            tracing::warn!(
                listen = %cli.listen,
                "INSECURE: --insecure allows {what} on a public address: anyone who can reach it can log in as any user"
            );
        }
        Ok(Config {
            listen: cli.listen,
            www: cli.www.clone().unwrap_or_else(default_www),
            development,
            apps,
            data_dir: Some(cli.data_dir.clone()),
            redis_url: cli.redis.clone().or(file.redis_url),
            tls: tls_files(cli.tls_cert.clone().or(file.tls_cert), cli.tls_key.clone().or(file.tls_key))?,
            grace: Duration::from_secs(cli.grace_secs),
            lease: DEFAULT_LEASE,
            allowed_origins: file.allowed_origins,
            limits: file.limits,
        })
    }

    /// A development-mode config listening on a free loopback port: for tests.
    pub fn for_tests() -> Config {
        Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            www: default_www(),
            apps: HashMap::new(),
            development: true,
            data_dir: None,
            redis_url: None,
            tls: None,
            grace: Duration::from_secs(30),
            lease: DEFAULT_LEASE,
            allowed_origins: Vec::new(),
            // Tests log one user in again and again in quick succession, and
            // every test client comes from 127.0.0.1; these budgets have their
            // own tests, with the defaults.
            limits: Limits {
                logins_per_user_per_sec: 1_000,
                max_connections_per_ip: 1 << 20,
                ..Limits::default()
            },
        }
    }
}

/// Where the certificate chain and its private key are (PEM files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain: the server's certificate first, then any
    /// intermediates (as Let's Encrypt's `fullchain.pem`).
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Both files or neither: a certificate without its key (or the reverse) is
/// a typo, and serving plain text instead would be a silent downgrade.
fn tls_files(cert: Option<PathBuf>, key: Option<PathBuf>) -> anyhow::Result<Option<TlsFiles>> {
    match (cert, key) {
        (Some(cert), Some(key)) => Ok(Some(TlsFiles { cert, key })),
        (None, None) => Ok(None),
        (Some(cert), None) => {
            anyhow::bail!(
                "TLS certificate {} given without a key: add --tls-key (or tls_key)",
                cert.display()
            )
        }
        (None, Some(key)) => {
            anyhow::bail!(
                "TLS key {} given without a certificate: add --tls-cert (or tls_cert)",
                key.display()
            )
        }
    }
}

/// The demo next to the sources when run from a checkout, else `./www`.
fn default_www() -> PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../www");
    if repo.is_dir() {
        repo
    } else {
        PathBuf::from("www")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> anyhow::Result<FileConfig> {
        FileConfig::parse(text)
    }

    #[test]
    fn file_with_apps_and_limits() {
        let f = parse(
            "development = true\n[[apps]]\nid = \"a1\"\ncertificate = \"c\"\n[limits]\nqueue_bytes = 8192\n",
        )
        .unwrap();
        assert_eq!(f.apps[0].id, "a1");
        assert_eq!(f.apps[0].certificate.as_deref(), Some("c"));
        assert_eq!(f.development, Some(true));
        assert_eq!(f.limits.queue_bytes, 8192);
        assert_eq!(f.limits.replay_bytes, 1 << 20);
        assert_eq!(f.limits.max_connections, 10_000);
    }

    #[test]
    fn typos_are_errors_not_silently_ignored() {
        assert!(parse("[[apps]]\nidd = \"a1\"\n").is_err());
        assert!(parse("[limit]\n").is_err());
    }

    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from([&["rtm-server"], args].concat()).unwrap()
    }

    #[test]
    fn tls_needs_both_files() {
        let config = Config::from_cli(&cli(&["--tls-cert", "c.pem", "--tls-key", "k.pem"])).unwrap();
        assert_eq!(config.tls, Some(TlsFiles { cert: "c.pem".into(), key: "k.pem".into() }));
        assert_eq!(Config::from_cli(&cli(&[])).unwrap().tls, None);
        let err = Config::from_cli(&cli(&["--tls-cert", "c.pem"])).unwrap_err().to_string();
        assert!(err.contains("c.pem") && err.contains("--tls-key"), "{err}");
        let err = Config::from_cli(&cli(&["--tls-key", "k.pem"])).unwrap_err().to_string();
        assert!(err.contains("k.pem") && err.contains("--tls-cert"), "{err}");
    }

    #[test]
    fn tls_files_from_the_config_file() {
        let f = parse("tls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n").unwrap();
        let files = tls_files(f.tls_cert, f.tls_key).unwrap().unwrap();
        assert_eq!((files.cert.to_str(), files.key.to_str()), (Some("c.pem"), Some("k.pem")));
    }

    #[test]
    fn checks_run_on_the_parsed_file() {
        assert!(parse("[[apps]]\nid = \"a\"\n[[apps]]\nid = \"a\"\n").is_err(), "duplicate id");
        assert!(parse("[[apps]]\nid = \"a\"\ncertificate = \"\"\n").is_err(), "empty certificate");
        assert!(parse("[[apps]]\nid = \"\"\n").is_err(), "empty id");
        assert!(parse("[limits]\nqueue_bytes = 0\n").is_err());
        assert!(parse("[limits]\nqueue_capacity = 1024\n").is_ok(), "an old file still loads");
        assert!(parse("").is_ok());
    }
}
