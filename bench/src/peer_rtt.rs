//! Peer round trip: a peer message from send to the receiver's acknowledgement
//! back at the sender (rtm's `hasPeerReceived`), idle and under load. The
//! load is open: P senders each offer messages at a steady pace (at most 55/s
//! each, under rtm's budget of 180 per 3 s), with at most 64 in flight.
//! Saturation is what the server achieves with every sender at that most;
//! then the round trip at 50% and 90% of it.

use crate::conn::{members, Conn, Server};
use crate::procs::ServerProcess;
use crate::stats::{percentile, round3, Record};
use anyhow::Result;
use futures_util::stream::{FuturesUnordered, StreamExt};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The most one sender offers per second.
const MAX_PER_SENDER: f64 = 55.0;
/// Messages one sender may have in flight.
const IN_FLIGHT: usize = 64;

/// Sizes of one run.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Sequential messages of the idle figure.
    pub idle_messages: usize,
    /// Sender/receiver pairs under load.
    pub pairs: usize,
    /// How long each load level lasts.
    pub seconds: f64,
}

struct Level {
    latencies_ms: Vec<f64>,
    acked: usize,
    sent: usize,
    seconds: f64,
}

/// Every sender offers `per_sender` messages/s for `seconds`.
async fn load(senders: &Arc<Vec<Conn>>, per_sender: f64, seconds: f64) -> Result<Level> {
    let began = Instant::now();
    let tasks: Vec<_> = (0..senders.len())
        .map(|i| {
            let senders = senders.clone();
            tokio::spawn(async move {
                let conn = &senders[i];
                let to = format!("r{i}");
                let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / per_sender));
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let (mut flying, mut latencies, mut acked, mut sent) = (FuturesUnordered::new(), Vec::new(), 0, 0);
                let end = tokio::time::Instant::now() + Duration::from_secs_f64(seconds);
                loop {
                    tokio::select! {
                        _ = ticks.tick(), if flying.len() < IN_FLIGHT && tokio::time::Instant::now() < end => {
                            let to = to.as_str();
                            sent += 1;
                            flying.push(async move {
                                let t = Instant::now();
                                let ok = conn.send_peer(to, "ping").await.unwrap_or(false);
                                (ok, t.elapsed())
                            });
                        }
                        Some((ok, took)) = flying.next() => {
                            if ok {
                                acked += 1;
                                latencies.push(took.as_secs_f64() * 1000.0);
                            }
                        }
                        else => break,
                    }
                    if flying.is_empty() && tokio::time::Instant::now() >= end {
                        break;
                    }
                }
                (latencies, acked, sent)
            })
        })
        .collect();
    let mut level = Level { latencies_ms: Vec::new(), acked: 0, sent: 0, seconds: 0.0 };
    for task in tasks {
        let (latencies, acked, sent) = task.await?;
        level.latencies_ms.extend(latencies);
        level.acked += acked;
        level.sent += sent;
    }
    level.seconds = began.elapsed().as_secs_f64();
    Ok(level)
}

fn record(server: Server, load: &str, pairs: usize, offered: Option<f64>, mut level: Level) -> Record {
    let ok = level.acked == level.sent;
    Record {
        scenario: "peer_rtt",
        server: server.name(),
        params: json!({ "load": load, "pairs": pairs, "offered_per_s": offered.map(f64::round) }),
        metrics: json!({
            "p50_ms": round3(percentile(&mut level.latencies_ms, 50.0)),
            "p99_ms": round3(percentile(&mut level.latencies_ms, 99.0)),
            "achieved_per_s": (level.acked as f64 / level.seconds).round(),
            "sent": level.sent,
            "acked": level.acked,
        }),
        ok,
        error: (!ok)
            .then(|| format!("{} of {} messages not acknowledged", level.sent - level.acked, level.sent)),
    }
}

/// The idle figure, saturation, and 50% and 90% of it, on a fresh `server`.
pub async fn run(server: Server, bin_dir: &Path, shape: Shape) -> Result<Vec<Record>> {
    let proc = ServerProcess::start(server, bin_dir)?;
    let senders = members(server, &proc.url, "s", shape.pairs, None).await?;
    let mut receivers = members(server, &proc.url, "r", shape.pairs, None).await?;
    // Receivers acknowledge by themselves; their messages are drained so
    // that nothing piles up in this process.
    let drains: Vec<_> = receivers
        .drain(..)
        .map(|mut conn| tokio::spawn(async move { while conn.recv().await.is_some() {} }))
        .collect();
    let senders = Arc::new(senders);
    let mut records = Vec::new();

    let mut idle = Level { latencies_ms: Vec::new(), acked: 0, sent: 0, seconds: 0.0 };
    let began = Instant::now();
    // One message at a time, from each pair in turn (one sender alone would
    // run into its rate budget).
    for k in 0..shape.idle_messages {
        let pair = k % shape.pairs;
        let t = Instant::now();
        idle.sent += 1;
        if senders[pair].send_peer(&format!("r{pair}"), "ping").await? {
            idle.acked += 1;
            idle.latencies_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    idle.seconds = began.elapsed().as_secs_f64();
    records.push(record(server, "idle", 1, None, idle));

    let offered = MAX_PER_SENDER * shape.pairs as f64;
    let top = load(&senders, MAX_PER_SENDER, shape.seconds).await?;
    let saturation = top.acked as f64 / top.seconds;
    let mut rec = record(server, "saturation", shape.pairs, Some(offered), top);
    rec.metrics["saturated"] = json!(saturation < 0.99 * offered);
    records.push(rec);
    for share in [0.5, 0.9] {
        let per_sender = (saturation * share / shape.pairs as f64).max(0.1);
        let level = load(&senders, per_sender, shape.seconds).await?;
        let name = format!("{}%", (share * 100.0) as u32);
        records.push(record(server, &name, shape.pairs, Some(per_sender * shape.pairs as f64), level));
    }
    drop(senders);
    for drain in drains {
        drain.abort();
    }
    Ok(records)
}
