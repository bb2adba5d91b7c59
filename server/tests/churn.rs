//! Churn: connect, log in, join a channel, log out — over and over. Nothing
//! may stay behind: the server's memory (RSS of the real binary) ends within
//! 10% of where it started after a warm-up, and an in-process server's task
//! count comes back to where it was.
//!
//! The suite runs a bounded number of cycles (`RTM_CHURN_CYCLES`, default
//! 500). The full-size run (docs/security.md):
//! `RTM_CHURN_CYCLES=10000 cargo test --release -p rtm-server --test churn -- --nocapture`

mod common;
use common::*;
use rtm_protocol::{Reply, Request};
use std::time::{Duration, Instant};

fn cycles() -> usize {
    std::env::var("RTM_CHURN_CYCLES").ok().and_then(|v| v.parse().ok()).unwrap_or(500)
}

/// `n` cycles of connect, login, join, logout, 8 at a time.
async fn churn(url: &str, n: usize, tag: &str) {
    let lanes: Vec<_> = (0..8)
        .map(|lane| {
            let (url, tag) = (url.to_owned(), tag.to_owned());
            tokio::spawn(async move {
                for i in (lane..n).step_by(8) {
                    let mut c = TestClient::login(&url, "app", &format!("{tag}-{i}")).await;
                    let room = format!("room-{}", i % 50);
                    assert_eq!(c.request(Request::Join { channel: room }).await, Ok(Reply::Done));
                    assert_eq!(c.request(Request::Logout).await, Ok(Reply::Done));
                    c.expect_close().await;
                }
            })
        })
        .collect();
    for lane in lanes {
        lane.await.unwrap();
    }
}

/// Resident memory of process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn churn_leaves_the_servers_memory_where_it_was() {
    let dir = std::env::temp_dir().join(format!("rtm-churn-{}", rand::random::<u64>()));
    let (mut server, url) =
        spawn_binary(&["--listen", "127.0.0.1:0", "--log", "warn", "--data-dir", dir.to_str().unwrap()]);
    let n = cycles();
    churn(&url, n / 4, "warm").await; // allocator pools and tables reach their working size
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kib(server.id());
    churn(&url, n, "churn").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib(server.id());
    println!(
        "churn: {n} cycles, RSS {before} KiB -> {after} KiB ({:+.1}%)",
        (after as f64 / before as f64 - 1.0) * 100.0
    );
    server.kill().unwrap();
    server.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        after <= before + before / 10,
        "RSS grew by more than 10%: {before} KiB -> {after} KiB after {n} cycles"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn churn_leaves_no_task_behind() {
    let url = start_server().await;
    churn(&url, 50, "warm").await;
    // Closing connections linger up to 2 s for the client's close frame.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let baseline = tokio::runtime::Handle::current().metrics().num_alive_tasks();
    let settled = |baseline: usize| async move {
        let start = Instant::now();
        loop {
            let alive = tokio::runtime::Handle::current().metrics().num_alive_tasks();
            if alive <= baseline || start.elapsed() > Duration::from_secs(10) {
                return alive;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    churn(&url, cycles() / 2, "churn").await;
    let alive = settled(baseline).await;
    assert!(alive <= baseline, "{alive} tasks alive after the churn, {baseline} before");
}
