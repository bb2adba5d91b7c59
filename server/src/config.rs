//! Settings: command-line flags (each mirrored by an `RTM_` environment
//! variable) and an optional TOML file for apps and limits.
//!
//! ```toml
//! # rtm-server.toml
//! [[apps]]
//! id = "970CA35de60c44645bbae8a215061b33"
//!
//! [limits]
//! queue_capacity = 1024     # outbound frames buffered per connection
//! max_connections = 10000   # concurrent WebSocket connections
//! ```
//!
//! Without a file (or with no `[[apps]]`), any app id logs in without a token:
//! development mode, which the log announces at startup.

use anyhow::Context;
use clap::Parser;
use serde::Deserialize;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// rtm-server: the self-hosted server behind the rtm-wasm SDK.
#[derive(Debug, Parser)]
#[command(name = "rtm-server", version, about)]
pub struct Cli {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "RTM_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Folder served at `/` (default: the repository's demo, www/).
    #[arg(long, env = "RTM_WWW")]
    pub www: Option<PathBuf>,
    /// TOML file with `[[apps]]` and `[limits]`.
    #[arg(long, env = "RTM_CONFIG")]
    pub config: Option<PathBuf>,
    /// Log filter, in tracing's env-filter syntax.
    #[arg(long, env = "RTM_LOG", default_value = "info")]
    pub log: String,
}

/// The TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Apps allowed to log in. Empty: any app id (development mode).
    #[serde(default)]
    pub apps: Vec<AppConfig>,
    /// Limits.
    #[serde(default)]
    pub limits: Limits,
}

/// One `[[apps]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// The app id clients pass to `createInstance`.
    pub id: String,
}

/// `[limits]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Frames buffered for one connection before it is dropped as too slow.
    pub queue_capacity: usize,
    /// Concurrent connections; more wait for a free slot.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { queue_capacity: 1024, max_connections: 10_000 }
    }
}

/// Everything the server runs with.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address.
    pub listen: SocketAddr,
    /// Static folder.
    pub www: PathBuf,
    /// Allowed app ids; `None` is development mode (any app id).
    pub apps: Option<HashSet<String>>,
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
                toml::from_str::<FileConfig>(&text)
                    .with_context(|| format!("parsing config file {}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let mut apps = HashSet::new();
        for app in &file.apps {
            anyhow::ensure!(
                rtm_protocol::limits::validate_app_id(&app.id),
                "config: app id {:?} must be 1-64 printable ASCII characters",
                app.id
            );
            anyhow::ensure!(apps.insert(app.id.clone()), "config: app id {:?} is listed twice", app.id);
        }
        anyhow::ensure!(file.limits.queue_capacity > 0, "config: limits.queue_capacity must be > 0");
        anyhow::ensure!(file.limits.max_connections > 0, "config: limits.max_connections must be > 0");
        Ok(Config {
            listen: cli.listen,
            www: cli.www.clone().unwrap_or_else(default_www),
            apps: (!apps.is_empty()).then_some(apps),
            limits: file.limits,
        })
    }

    /// A development-mode config listening on a free loopback port: for tests.
    pub fn for_tests() -> Config {
        Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            www: default_www(),
            apps: None,
            limits: Limits::default(),
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
        Ok(toml::from_str(text)?)
    }

    #[test]
    fn file_with_apps_and_limits() {
        let f = parse("[[apps]]\nid = \"a1\"\n[limits]\nqueue_capacity = 8\n").unwrap();
        assert_eq!(f.apps[0].id, "a1");
        assert_eq!(f.limits.queue_capacity, 8);
        assert_eq!(f.limits.max_connections, 10_000);
    }

    #[test]
    fn typos_are_errors_not_silently_ignored() {
        assert!(parse("[[apps]]\nidd = \"a1\"\n").is_err());
        assert!(parse("[limit]\n").is_err());
    }
}
