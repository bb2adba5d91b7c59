//! The binary's tools besides serving: `check-config` and `health`. They
//! exist for deployment: an operator (or a CI step, or a package's
//! post-install script) checks a config without starting a server, and a
//! container image with no curl in it checks its own health.

use crate::config::{Cli, Config};
use anyhow::Context;
use http_body_util::Empty;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use std::time::Duration;

/// `rtm-server check-config`: everything the server checks at startup, short
/// of binding its port and opening its store. Returns the summary to print.
pub fn check_config(cli: &Cli) -> anyhow::Result<String> {
    let config = Config::from_cli(cli)?;
    if let Some(files) = &config.tls {
        crate::tls::load(files).context("TLS")?;
    }
    let certified = config.apps.values().filter(|cert| cert.is_some()).count();
    let engine = match &config.redis_url {
        Some(url) => format!("redis ({})", crate::engine::redis::redact(url)),
        None => format!("embedded (data dir {})", cli.data_dir.display()),
    };
    Ok(format!(
        "config ok: listen {}{}, {} app(s) ({certified} with a certificate), development mode {}, engine {engine}",
        config.listen,
        if config.tls.is_some() { " (TLS)" } else { "" },
        config.apps.len(),
        if config.development { "ON" } else { "off" },
    ))
}

/// The URL `health` asks when given none: `/readyz` on this machine, at the
/// port the server listens on (`--listen` / `RTM_LISTEN`, as it was started).
pub fn default_health_url(cli: &Cli) -> String {
    format!("http://127.0.0.1:{}/readyz", cli.listen.port())
}

/// `rtm-server health`: Ok when `url` (plain http) answers 200 within `timeout`.
pub async fn health(url: &str, timeout: Duration) -> anyhow::Result<()> {
    let uri: hyper::Uri = url.parse().with_context(|| format!("not a URL: {url}"))?;
    anyhow::ensure!(uri.scheme_str() == Some("http"), "health asks over plain http only, not {url}");
    let host = uri.host().context("the URL has no host")?.to_owned();
    let port = uri.port_u16().unwrap_or(80);
    let ask = async {
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
        tokio::spawn(conn);
        let request = hyper::Request::get(uri.path()).header("host", &host).body(Empty::<Bytes>::new())?;
        anyhow::Ok(sender.send_request(request).await?.status())
    };
    let status = tokio::time::timeout(timeout, ask)
        .await
        .with_context(|| format!("{url} did not answer within {} s", timeout.as_secs()))?
        .with_context(|| format!("asking {url}"))?;
    anyhow::ensure!(status.is_success(), "{url} answered {status}");
    Ok(())
}
