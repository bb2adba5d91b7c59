//! rtm-bench: rtm-server against the floor of its own stack (raw-broadcast, a
//! plain tokio-tungstenite server), side by side in one run, driven by
//! rtm-client. Every scenario starts its own fresh server process on
//! 127.0.0.1 and writes its figures as JSON (`--out`); `bench/run.sh` adds
//! the Socket.IO and browser runners and draws the charts.
//!
//! ```text
//! rtm-bench --out FILE [--smoke] [--servers rtm,raw] [--scenarios fanout,peer_rtt,idle_memory,churn]
//!           [--bin-dir target/release]
//! ```
//!
//! `--smoke` runs every scenario at a tiny size (seconds): `npm test` runs it
//! so that the benchmark cannot rot. Exits non-zero when a scenario's check
//! fails (a message missing or doubled, an acknowledgement lost).

mod conn;
mod fanout;
mod peer_rtt;
mod procs;
mod sessions;
mod stats;

use anyhow::Result;
use clap::Parser;
use conn::Server;
use serde_json::json;
use stats::Record;
use std::path::PathBuf;

#[derive(Parser)]
#[command(about = "rtm-server benchmarks, with a raw tokio-tungstenite baseline")]
struct Args {
    /// Where to write the JSON results.
    #[arg(long)]
    out: PathBuf,
    /// Tiny sizes: a check that every scenario still runs.
    #[arg(long)]
    smoke: bool,
    /// Servers to measure.
    #[arg(long, value_delimiter = ',', default_value = "rtm,raw")]
    servers: Vec<String>,
    /// Scenarios to run.
    #[arg(long, value_delimiter = ',', default_value = "fanout,peer_rtt,idle_memory,churn")]
    scenarios: Vec<String>,
    /// Where rtm-server and raw-broadcast are.
    #[arg(long, default_value = "target/release")]
    bin_dir: PathBuf,
}

/// The sizes of a full run, and of a smoke run.
struct Sizes {
    fanout: Vec<fanout::Shape>,
    rtt: peer_rtt::Shape,
    idle: Vec<usize>,
    churn: usize,
}

impl Sizes {
    fn new(smoke: bool) -> Sizes {
        let fan = |members, per_sender| fanout::Shape { members, senders: 5, per_sender };
        if smoke {
            Sizes {
                fanout: vec![fan(20, 10)],
                rtt: peer_rtt::Shape { idle_messages: 20, pairs: 10, seconds: 1.0 },
                idle: vec![50],
                churn: 50,
            }
        } else {
            Sizes {
                fanout: vec![fan(100, 100), fan(1_000, 100), fan(5_000, 100)],
                rtt: peer_rtt::Shape { idle_messages: 300, pairs: 1_000, seconds: 5.0 },
                idle: vec![1_000, 5_000, 15_000],
                churn: 2_000,
            }
        }
    }
}

fn machine() -> serde_json::Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1));
    json!({
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "cpu_model": model.map(str::trim),
    })
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let sizes = Sizes::new(args.smoke);
    let started = std::time::SystemTime::now();
    let mut results: Vec<Record> = Vec::new();
    let servers: Vec<Server> = args
        .servers
        .iter()
        .map(|s| match s.as_str() {
            "rtm" => Ok(Server::Rtm),
            "raw" => Ok(Server::Raw),
            other => anyhow::bail!("unknown server {other:?} (rtm, raw)"),
        })
        .collect::<Result<_>>()?;
    let wants = |name: &str| args.scenarios.iter().any(|s| s == name);
    // Servers alternate within each size, so that drift on a shared machine
    // touches both sides of a ratio alike.
    if wants("fanout") {
        for shape in &sizes.fanout {
            for &server in &servers {
                let record = fanout::run(server, &args.bin_dir, *shape).await?;
                eprintln!("fanout {} members={}: {}", server.name(), shape.members, record.metrics);
                results.push(record);
            }
        }
    }
    if wants("peer_rtt") {
        for &server in &servers {
            for record in peer_rtt::run(server, &args.bin_dir, sizes.rtt).await? {
                eprintln!("peer_rtt {} {}: {}", server.name(), record.params["load"], record.metrics);
                results.push(record);
            }
        }
    }
    if wants("idle_memory") {
        for &n in &sizes.idle {
            for &server in &servers {
                let record = sessions::idle_memory(server, &args.bin_dir, n).await?;
                eprintln!("idle_memory {} n={n}: {}", server.name(), record.metrics);
                results.push(record);
            }
        }
    }
    if wants("churn") {
        for &server in &servers {
            let record = sessions::churn(server, &args.bin_dir, sizes.churn).await?;
            eprintln!("churn {}: {}", server.name(), record.metrics);
            results.push(record);
        }
    }
    let started = started.duration_since(std::time::UNIX_EPOCH)?.as_secs();
    let failed: Vec<String> = results
        .iter()
        .filter(|r| !r.ok)
        .map(|r| format!("{} on {}: {}", r.scenario, r.server, r.error.as_deref().unwrap_or("failed")))
        .collect();
    let doc = json!({
        "runner": "rust",
        "started_unix": started,
        "smoke": args.smoke,
        "machine": machine(),
        "results": results,
    });
    std::fs::write(&args.out, serde_json::to_string_pretty(&doc)? + "\n")?;
    if !failed.is_empty() {
        anyhow::bail!("checks failed: {failed:#?}");
    }
    Ok(())
}
