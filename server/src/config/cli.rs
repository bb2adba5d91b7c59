//! The command line: flags (each mirrored by an `RTM_` environment
//! variable) and the binary's tools.

use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;

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
    /// The secret of the admin API (/admin/api) and page (/admin): clients
    /// send it as `Authorization: Bearer SECRET` or as the password of HTTP
    /// Basic. Without it (here or `admin_secret` in the file) both are off.
    #[arg(long, env = "RTM_ADMIN_SECRET", hide_env_values = true)]
    pub admin_secret: Option<String>,
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
    /// Checks the settings (flags, environment, `--config` file, TLS files)
    /// as the server would at startup, without starting it: exits 0 and
    /// prints a summary, or 1 with what is wrong.
    CheckConfig,
    /// Asks a running server whether it is ready (`GET /readyz`): exits 0 on
    /// 200, else 1. For container health checks, where the image has no curl.
    Health {
        /// The URL to ask (default: `http://127.0.0.1:PORT/readyz`, with the
        /// port of `--listen`).
        #[arg(long)]
        url: Option<String>,
        /// Seconds to wait for the answer.
        #[arg(long, default_value_t = 3)]
        timeout: u64,
    },
}
