//! Connections at rest and connections coming and going: the server's memory
//! per idle logged-in connection, and connect-login-join-logout cycles per
//! second with the server's memory before and after.

use crate::conn::{members, Conn, Server};
use crate::procs::ServerProcess;
use crate::stats::{round3, Record};
use anyhow::Result;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

/// Server RSS per logged-in idle connection, `n` of them, on a fresh server.
pub async fn idle_memory(server: Server, bin_dir: &Path, n: usize) -> Result<Record> {
    let proc = ServerProcess::start(server, bin_dir)?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let base = proc.rss_kib();
    let conns = members(server, &proc.url, "idle", n, None).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss = proc.rss_kib();
    drop(conns);
    Ok(Record {
        scenario: "idle_memory",
        server: server.name(),
        params: json!({ "connections": n }),
        metrics: json!({
            "rss_base_kib": base,
            "rss_kib": rss,
            "bytes_per_connection": ((rss.saturating_sub(base) * 1024) as f64 / n as f64).round(),
        }),
        ok: true,
        error: None,
    })
}

const LANES: usize = 8;

/// Cycles `from..to` of connect, login, join, logout, in 8 lanes; the last error.
async fn cycles(server: Server, url: &str, from: usize, to: usize) -> Result<Option<String>> {
    let lanes: Vec<_> = (0..LANES)
        .map(|lane| {
            let url = url.to_owned();
            tokio::spawn(async move {
                for i in (from + lane..to).step_by(LANES) {
                    let conn = Conn::login(server, &url, &format!("churn{i}")).await?;
                    conn.join(&format!("room{}", i % 50)).await?;
                    conn.logout().await?;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    let mut failed = None;
    for lane in lanes {
        if let Err(e) = lane.await? {
            failed = Some(e.to_string());
        }
    }
    Ok(failed)
}

/// `n` cycles of connect, login, join, logout in 8 lanes, on a fresh server,
/// after `n / 10` of warm-up: the RSS before is that of a server that has
/// served (its allocator's pools and tables sized), so that growth after
/// means something left behind.
pub async fn churn(server: Server, bin_dir: &Path, n: usize) -> Result<Record> {
    let proc = ServerProcess::start(server, bin_dir)?;
    let warm_up = n / 10;
    let mut failed = cycles(server, &proc.url, 0, warm_up).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = proc.rss_kib();
    let began = Instant::now();
    failed = failed.or(cycles(server, &proc.url, warm_up, warm_up + n).await?);
    let seconds = began.elapsed().as_secs_f64();
    let cycles = n;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = proc.rss_kib();
    Ok(Record {
        scenario: "churn",
        server: server.name(),
        params: json!({ "cycles": cycles, "lanes": LANES, "warm_up": warm_up }),
        metrics: json!({
            "cycles_per_s": (cycles as f64 / seconds).round(),
            "seconds": round3(seconds),
            "rss_before_kib": before,
            "rss_after_kib": after,
        }),
        ok: failed.is_none(),
        error: failed,
    })
}
