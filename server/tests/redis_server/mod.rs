//! A real `redis-server` for tests: started by the test process on a free
//! loopback port with a temp dir, AOF on (`--appendonly yes --save ''`),
//! waited for until it answers PING, killed on drop — and, for a server kept
//! in a static (statics are never dropped), killed by a watchdog shell when
//! the test process exits however it exits (the watchdog reads its stdin, a
//! pipe from this process, and at end of file kills the server and removes
//! its dir).
//!
//! No redis-server on the machine is a test failure, never a skip: the
//! message says to run `scripts/setup.sh --test`, which installs it.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long a start may take until PING answers.
const START_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a stop may take until the process is gone.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// A redis-server process (or none, between a stop and a start) on a port
/// and data dir that stay the same across restarts.
pub struct RedisServer {
    port: u16,
    dir: PathBuf,
    proc: Option<Proc>,
}

struct Proc {
    redis: Child,
    /// `sh -c 'cat >/dev/null; kill -9 PID; rm -rf DIR'`, stdin from us:
    /// runs only when this process is gone (a drop kills it first).
    watchdog: Child,
}

impl Drop for Proc {
    fn drop(&mut self) {
        // The watchdog first, so it does not outlive us trying to kill a
        // recycled pid.
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
        let _ = self.redis.kill();
        let _ = self.redis.wait();
    }
}

/// A free loopback port (free when asked; redis-server retries otherwise).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The one server of this test binary, started on first use.
pub fn shared() -> &'static RedisServer {
    static SHARED: OnceLock<RedisServer> = OnceLock::new();
    SHARED.get_or_init(RedisServer::start)
}

impl RedisServer {
    /// Starts a server on a free port with a fresh temp dir.
    pub fn start() -> RedisServer {
        let mut last = String::new();
        for _ in 0..5 {
            let mut server = RedisServer::stopped(free_port());
            match server.try_start() {
                Ok(()) => return server,
                Err(e) => last = e,
            }
        }
        panic!("redis-server did not start: {last}");
    }

    /// A server that is not running yet, on `port` (for "Redis is down at
    /// startup" tests): [`RedisServer::restart`] starts it.
    pub fn stopped(port: u16) -> RedisServer {
        let dir = std::env::temp_dir().join(format!(
            "rtm-redis-{}-{port}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        RedisServer { port, dir, proc: None }
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The data dir (the AOF is there).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stops the server the way an operator does (SIGTERM: Redis flushes the
    /// AOF and exits) and waits until it is gone.
    pub fn stop(&mut self) {
        let Some(mut proc) = self.proc.take() else { return };
        let _ = Command::new("kill").arg("-TERM").arg(proc.redis.id().to_string()).status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = proc.redis.try_wait() {
                return; // `proc` drops: the watchdog goes too.
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server on port {} did not stop within {STOP_TIMEOUT:?}", self.port);
    }

    /// Kills the server at once (SIGKILL): a crash.
    pub fn kill(&mut self) {
        self.proc.take();
    }

    /// Starts the server again on the same port and dir (it reloads its AOF).
    pub fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match self.try_start() {
                Ok(()) => return,
                // The old socket may linger for a moment.
                Err(e) if Instant::now() < deadline => {
                    eprintln!("redis-server restart: {e}; retrying");
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => panic!("redis-server did not restart on port {}: {e}", self.port),
            }
        }
    }

    fn try_start(&mut self) -> Result<(), String> {
        let spawned = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(&self.dir)
            .args(["--appendonly", "yes", "--save", ""])
            .arg("--logfile")
            .arg(self.dir.join("redis.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let mut redis = match spawned {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
                "redis-server is not installed: run scripts/setup.sh --test (it installs redis-server); \
                 the Redis engine tests cannot run without it"
            ),
            Err(e) => panic!("could not run redis-server: {e}"),
        };
        let watchdog = Command::new("sh")
            .arg("-c")
            .arg(r#"cat >/dev/null; kill -9 "$1" 2>/dev/null; rm -rf "$2""#)
            .arg("watchdog")
            .arg(redis.id().to_string())
            .arg(&self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("could not start the watchdog shell: {e}"));
        let watchdog = match watchdog {
            Ok(w) => w,
            Err(e) => {
                let _ = redis.kill();
                let _ = redis.wait();
                return Err(e);
            }
        };
        let mut proc = Proc { redis, watchdog };
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = proc.redis.try_wait() {
                let log = std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default();
                let tail: String = log.lines().rev().take(5).collect::<Vec<_>>().join(" | ");
                return Err(format!("redis-server exited ({status}): {tail}"));
            }
            if pong(self.port) {
                self.proc = Some(proc);
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!("redis-server on port {} did not answer PING within {START_TIMEOUT:?}", self.port))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.proc.take();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether a Redis on `port` answers PING with PONG (not LOADING).
pub fn pong(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    if s.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 64];
    matches!(s.read(&mut buf), Ok(n) if buf[..n].starts_with(b"+PONG"))
}

/// Starts `n` development-mode rtm-server nodes as one cluster on the shared
/// server (a fresh key prefix), each on its own Redis engine — own
/// connections, own broker, as separate processes would be. Returns their
/// ws:// URLs; they stop when the test's runtime ends.
#[allow(dead_code)] // not every test binary that starts a Redis runs nodes on it
pub async fn rtm_cluster(n: usize) -> Vec<String> {
    use rtm_server::config::Config;
    use rtm_server::engine::redis::{self, RedisOptions};
    let url = tokio::task::block_in_place(|| shared().url());
    let prefix = format!("cluster{:016x}", rand::random::<u64>());
    let mut urls = Vec::new();
    for _ in 0..n {
        let config = Config::for_tests();
        let opts = RedisOptions { prefix: prefix.clone(), ..RedisOptions::from_limits(&url, &config.limits) };
        let engine = redis::engine(&opts).await.unwrap();
        assert!(engine.health.ready());
        let server = rtm_server::Server::bind_on(config, engine).await.unwrap();
        urls.push(format!("ws://{}/rtm", server.local_addr()));
        tokio::spawn(server.run(std::future::pending()));
    }
    urls
}
