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
//! admin_secret = "long-random-string"  # enables /admin and /admin/api (the --admin-secret flag wins)
//!
//! [[apps]]
//! id = "970CA35de60c44645bbae8a215061b33"
//! certificate = "5CFd2fd1755d40ecb72977518be15d3b"  # optional: then tokens are required
//! customer_key = "4b9a3c1d0e8f4a6b"     # optional: the REST API's HTTP Basic pair
//! customer_secret = "0f1e2d3c4b5a6978"  # (docs/rest-api.md), both or neither
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
//! rest_messages_per_sec = 500  # REST peer + channel messages per app (Agora's limit)
//! ```
//!
//! Without a file (or with no `[[apps]]`), any app id logs in without a token:
//! development mode, which the log announces at startup.

mod cli;
mod file;

pub use cli::{Cli, Command, LogFormat};
pub use file::{AppConfig, FileConfig, Limits};

use crate::rest::credentials::RestCredentials;
use anyhow::Context;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    /// App id → its REST API Basic credentials; apps not in it take only tokens.
    pub rest_credentials: HashMap<String, RestCredentials>,
    /// The admin API's secret; `None` turns /admin and /admin/api off.
    pub admin_secret: Option<String>,
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
        let rest = file.apps.iter().filter_map(|a| Some((a.id.clone(), a.rest_credentials().ok()??)));
        let development = file.development.unwrap_or(apps.is_empty());
        // An empty secret would open the admin API to an empty password.
        anyhow::ensure!(
            cli.admin_secret.as_deref() != Some(""),
            "--admin-secret is empty: give a long random one"
        );
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
            rest_credentials: rest.collect(), // `parse` checked every pair
            admin_secret: cli.admin_secret.clone().or(file.admin_secret),
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
            rest_credentials: HashMap::new(),
            admin_secret: None,
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
    use clap::Parser;

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
        assert!(parse("[limits]\nrest_messages_per_sec = 0\n").is_err());
    }
}
