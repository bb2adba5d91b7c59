//! The servers under test, each its own process (so that its memory and CPU
//! are its own, apart from the load generator's): rtm-server's release binary
//! with a config for the run, or raw-broadcast. Each is started fresh per
//! scenario and size, and killed when its handle drops.

use crate::conn::Server;
use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running server.
pub struct ServerProcess {
    child: Child,
    /// Its WebSocket URL.
    pub url: String,
    _dir: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The limits the benchmarks need that are deployment choices, not
/// protections against one client: every simulated user comes from
/// 127.0.0.1, as all users behind one reverse proxy do (the README's advice
/// there is the same), and the idle-memory scenario holds 15,000 users.
/// Every other limit (rates, queues, replay, deadlines) stays at its default.
const RTM_CONFIG: &str = "[limits]\nmax_connections = 20000\nmax_connections_per_ip = 20000\n";

impl ServerProcess {
    /// Starts `server` from the binaries in `bin_dir` (target/release).
    pub fn start(server: Server, bin_dir: &Path) -> Result<ServerProcess> {
        let dir = std::env::temp_dir().join(format!("rtm-bench-{}-{}", std::process::id(), unique()));
        std::fs::create_dir_all(&dir)?;
        let dir = TempDir(dir);
        let mut cmd = match server {
            Server::Rtm => {
                let config = dir.0.join("rtm-bench.toml");
                std::fs::write(&config, RTM_CONFIG)?;
                let mut cmd = Command::new(bin_dir.join("rtm-server"));
                cmd.args(["--listen", "127.0.0.1:0", "--config"])
                    .arg(&config)
                    .arg("--data-dir")
                    .arg(dir.0.join("data"));
                cmd.env("RUST_LOG", "warn");
                cmd
            }
            Server::Raw => Command::new(bin_dir.join("raw-broadcast")),
        };
        // stdin stays open while this process lives: the servers that watch
        // it (raw-broadcast) go when the benchmark dies.
        let mut child =
            cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().with_context(
                || {
                    format!(
                        "starting {:?} (build it: cargo build --release -p rtm-server -p rtm-bench)",
                        cmd.get_program()
                    )
                },
            )?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line)?;
        let Some(addr) = line.split_whitespace().last().map(|a| a.trim_start_matches("http://").to_owned())
        else {
            bail!("{server:?} printed no listening line");
        };
        let url = match server {
            Server::Rtm => format!("ws://{addr}/rtm"),
            Server::Raw => format!("ws://{addr}/"),
        };
        Ok(ServerProcess { child, url, _dir: dir })
    }

    /// Resident memory, KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0)
    }

    /// CPU time used so far (user + system), µs.
    pub fn cpu_us(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // Fields after the command name (which may hold spaces) in parentheses.
        let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
            + fields.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        // USER_HZ is 100 on Linux.
        ticks * 10_000
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}
