//! Fan-out: one channel of N members; S of them send K messages each at once
//! (within rtm's budget of 180 per 3 s); every other member must receive every
//! message exactly once. Figures: deliveries per second, the time for one
//! message to reach all members (p50, p99), the server's CPU per delivery.

use crate::conn::{members, Server};
use crate::procs::ServerProcess;
use crate::stats::{percentile, round3, Record};
use anyhow::Result;
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Barrier;

/// The shape of one run.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Members of the channel.
    pub members: usize,
    /// Members who send.
    pub senders: usize,
    /// Messages each sender sends.
    pub per_sender: usize,
}

/// How long every message has to arrive.
const DEADLINE: Duration = Duration::from_secs(60);

/// A ~100-byte message naming its sender, number and send time.
fn message(sender: usize, n: usize, sent_us: u64) -> String {
    let head = format!("{sender}:{n}:{sent_us}:");
    format!("{head}{}", "x".repeat(100usize.saturating_sub(head.len())))
}

fn parse(text: &str) -> Option<(usize, usize, u64)> {
    let mut parts = text.splitn(4, ':');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// One run of `shape` against a fresh `server`.
pub async fn run(server: Server, bin_dir: &Path, shape: Shape) -> Result<Record> {
    let proc = ServerProcess::start(server, bin_dir)?;
    let conns = members(server, &proc.url, "m", shape.members, Some("room")).await?;
    let total = shape.senders * shape.per_sender;
    let start = Arc::new(Barrier::new(shape.members + 1));
    let epoch = Instant::now();
    let mut tasks = Vec::with_capacity(shape.members);
    for (i, mut conn) in conns.into_iter().enumerate() {
        let start = start.clone();
        tasks.push(tokio::spawn(async move {
            let sender = i < shape.senders;
            start.wait().await;
            if sender {
                let sends = (0..shape.per_sender).map(|n| {
                    let text = message(i, n, epoch.elapsed().as_micros() as u64);
                    let conn = &conn;
                    async move { conn.send_channel("room", &text).await }
                });
                for sent in futures_util::future::join_all(sends).await {
                    sent?;
                }
            }
            // Latency (µs) of each message to this member; u64::MAX: missing.
            let mut got = vec![u64::MAX; total];
            let mut owed = total - if sender { shape.per_sender } else { 0 };
            let mut doubled = 0;
            let deadline = tokio::time::Instant::now() + DEADLINE;
            while owed > 0 {
                let Ok(Some(msg)) = tokio::time::timeout_at(deadline, conn.recv()).await else { break };
                let Some((s, n, sent_us)) = parse(&msg.text) else { continue };
                let slot = &mut got[s * shape.per_sender + n];
                if *slot != u64::MAX {
                    doubled += 1;
                    continue;
                }
                *slot = (epoch.elapsed().as_micros() as u64).saturating_sub(sent_us);
                owed -= 1;
            }
            anyhow::Ok((got, owed, doubled, epoch.elapsed(), conn))
        }));
    }
    let cpu_before = proc.cpu_us();
    start.wait().await;
    let began = epoch.elapsed();
    let mut to_all = vec![0u64; total];
    let (mut missing, mut doubled, mut last) = (0, 0, began);
    let mut conns = Vec::new();
    for task in tasks {
        let (got, owed, twice, done, conn) = task.await??;
        missing += owed;
        doubled += twice;
        last = last.max(done);
        for (slot, latency) in to_all.iter_mut().zip(got) {
            if latency != u64::MAX {
                *slot = (*slot).max(latency);
            }
        }
        conns.push(conn);
    }
    let cpu = proc.cpu_us().saturating_sub(cpu_before);
    let rss_kib = proc.rss_kib();
    drop(conns);
    let expected = shape.members * total - shape.senders * shape.per_sender;
    let deliveries = expected - missing;
    let seconds = (last - began).as_secs_f64();
    let mut ms: Vec<f64> = to_all.iter().map(|us| *us as f64 / 1000.0).collect();
    let ok = missing == 0 && doubled == 0;
    Ok(Record {
        scenario: "fanout",
        server: server.name(),
        params: json!({ "members": shape.members, "senders": shape.senders, "messages_per_sender": shape.per_sender }),
        metrics: json!({
            "deliveries": deliveries,
            "expected": expected,
            "seconds": round3(seconds),
            "deliveries_per_s": (deliveries as f64 / seconds).round(),
            "p50_ms": round3(percentile(&mut ms, 50.0)),
            "p99_ms": round3(percentile(&mut ms, 99.0)),
            "server_cpu_us_per_delivery": round3(cpu as f64 / deliveries.max(1) as f64),
            "server_rss_kib": rss_kib,
        }),
        ok,
        error: (!ok).then(|| format!("{missing} deliveries missing, {doubled} doubled")),
    })
}
