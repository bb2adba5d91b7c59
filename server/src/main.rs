//! The `rtm-server` binary: flags, logging, signals. Everything else is the
//! library (`rtm_server`).

use clap::Parser;
use rtm_server::config::{Cli, Command, Config, LogFormat};
use rtm_server::Server;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match &cli.command {
        Some(Command::Token { app_id, certificate, uid, expire }) => {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() as u32;
            let salt = rand::random_range(1..=99_999_999);
            println!("{}", rtm_server::token::build_007(app_id, certificate, uid, *expire, now, salt));
            return Ok(());
        }
        Some(Command::CheckConfig) => {
            println!("{}", rtm_server::tools::check_config(&cli)?);
            return Ok(());
        }
        Some(Command::Health { url, timeout }) => {
            let url = url.clone().unwrap_or_else(|| rtm_server::tools::default_health_url(&cli));
            rtm_server::tools::health(&url, std::time::Duration::from_secs(*timeout)).await?;
            println!("ready: {url}");
            return Ok(());
        }
        None => {}
    }
    let logs = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&cli.log)?)
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    let config = Config::from_cli(&cli)?;
    let www = config.www.clone();
    let shutdown = shutdown_signal()?;
    let server = Server::bind(config).await?;
    // Scripts and tests wait for exactly this line on stdout; its scheme
    // tells them (and people) whether clients need wss://.
    let scheme = if server.is_tls() { "https" } else { "http" };
    println!("rtm-server listening on {scheme}://{}", server.local_addr());
    tracing::info!(www = %www.display(), "serving static files");
    server.run(shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed here, before
/// the server says it listens: a signal sent as soon as the listening line
/// appears (a supervisor, a test) must stop it cleanly, not kill it.
#[cfg(unix)]
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let (mut int, mut term) = (signal(SignalKind::interrupt())?, signal(SignalKind::terminate())?);
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {},
            _ = term.recv() => {},
        }
        tracing::info!("shutting down");
    })
}

/// Resolves on Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    })
}
