//! Channel fan-out load test: how fast one channel's messages reach every member.
//!
//! Fan-out (one `SendChannel`, a push to every other member) is the server's hottest path, so
//! changes to it need a before/after figure that anyone can reproduce from the repository alone.
//! Clients and server share this process (and its CPUs): the figure compares builds on one
//! machine, it does not size a deployment.
//!
//! Usage (`bench/fanout.sh` builds in release and passes these through):
//!   fanout [members=200] [senders=20] [count=50] [repeat=1] [timeout=30] [nodes=1] [redis=URL]
//! also as `--members 200` / `--members=200`, or in the environment as `FANOUT_MEMBERS=200`.
//! `nodes=N` runs N servers as one cluster — on the embedded engine shared in this process, or
//! on the Redis at `redis=URL` (cluster mode, as separate processes would): the senders are on
//! node 1, the other members spread round-robin over all nodes.
//!
//! Each round: fresh servers; `members` users (a fresh app id, uids m0..) log in and join "room";
//! m0..m(senders-1) each send `count` messages, pipelined. Timed from the first send until every
//! member holds every message it should (senders*count, less its own: a sender never gets them).
//! Exits non-zero when a round misses a delivery, so a script cannot mistake a failure for a figure.

use futures_util::stream::SplitStream;
use futures_util::{SinkExt, StreamExt};
use rtm_protocol::limits::SEND_RATE_MAX;
use rtm_protocol::{decode, encode, ClientFrame, Payload, Push, Request, ServerFrame};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::time::timeout_at;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The whole run stays under two minutes whatever the flags, so a wedged server cannot hang CI.
const RUN_BUDGET: Duration = Duration::from_secs(110);
/// Silence this long while messages are owed means they were lost (a sender was closed before
/// the server read its sends): waiting out the deadline would only stretch the run.
const STALL: Duration = Duration::from_secs(5);
/// Two sockets per member live in this process; this keeps it far below a 20,000-file limit.
const MAX_MEMBERS: usize = 4_000;
/// Each client's read buffer (see `member`).
const CLIENT_READ_BUFFER: usize = 8 * 1024;
const KEYS: [(&str, usize); 6] =
    [("members", 200), ("senders", 20), ("count", 50), ("repeat", 1), ("timeout", 30), ("nodes", 1)];

struct Opts {
    members: usize,
    senders: usize,
    count: usize,
    repeat: usize,
    timeout: Duration,
    nodes: usize,
    /// Cluster mode on this Redis; `None`: the embedded engine.
    redis: Option<String>,
}

fn opts() -> Result<Opts, String> {
    let mut given = HashMap::new();
    let mut redis = std::env::var("FANOUT_REDIS").ok();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let arg = arg.trim_start_matches('-').to_owned();
        let (key, value) = match arg.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (arg.clone(), args.next().ok_or(format!("{arg} needs a value"))?),
        };
        if key == "redis" {
            redis = Some(value);
            continue;
        }
        if !KEYS.iter().any(|(k, _)| *k == key) {
            return Err(format!("unknown flag {key:?}"));
        }
        given.insert(key, value);
    }
    let mut v = KEYS;
    for (key, value) in v.iter_mut() {
        let env = std::env::var(format!("FANOUT_{}", key.to_uppercase())).ok();
        if let Some(text) = given.remove(*key).or(env) {
            *value = text.parse().map_err(|_| format!("{key}={text:?} is not a whole number"))?;
        }
    }
    let [members, senders, count, repeat, timeout, nodes] = v.map(|(_, value)| value);
    if nodes == 0 {
        return Err("need nodes >= 1".into());
    }
    if !(2..=MAX_MEMBERS).contains(&members) || !(1..=members).contains(&senders) {
        return Err(format!("need 2 <= members <= {MAX_MEMBERS} and 1 <= senders <= members"));
    }
    // The server refuses a user's 181st send within 3 s; the test measures delivery, not refusals.
    if !(1..SEND_RATE_MAX as usize).contains(&count) || repeat == 0 || timeout == 0 {
        return Err(format!("need 1 <= count < {SEND_RATE_MAX}, repeat >= 1, timeout >= 1"));
    }
    let timeout = Duration::from_secs(timeout as u64);
    Ok(Opts { members, senders, count, repeat, timeout, nodes, redis })
}

/// What one member saw after the first send.
#[derive(Default)]
struct Tally {
    got: usize,
    /// When the last channel message came: with everything delivered, the moment it was complete.
    last: Option<Instant>,
    replies_ok: usize,
    replies_err: usize,
    first_error: Option<String>,
    /// Why it stopped reading before it had everything (close code, error, deadline).
    ended: Option<String>,
}

/// Sends one request and waits for its reply: setup only, before any load.
async fn call(ws: &mut Ws, id: u32, req: Request) -> Result<(), String> {
    let frame = encode(&ClientFrame { id, req });
    ws.send(Message::Binary(frame.into())).await.map_err(|e| e.to_string())?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Binary(b))) => match decode::<ServerFrame>(&b) {
                Ok(ServerFrame::Reply { id: rid, result }) if rid == id => {
                    return result.map(drop).map_err(|e| format!("error {}: {}", e.code, e.message));
                }
                Ok(_) => {} // member events of earlier joiners
                Err(e) => return Err(format!("undecodable frame: {e}")),
            },
            Some(Ok(Message::Close(f))) => return Err(format!("closed: {f:?}")),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.to_string()),
            None => return Err("socket ended".into()),
        }
    }
}

async fn member(url: String, app: String, uid: String) -> Result<Ws, String> {
    let mut req = url.into_client_request().map_err(|e| e.to_string())?;
    req.headers_mut().insert("Sec-WebSocket-Protocol", rtm_protocol::SUBPROTOCOL.parse().unwrap());
    // tungstenite zeroes its whole read buffer (128 KiB by default) before every read: with 200
    // clients in this process that memset was a fifth of the CPU, and more of it the fewer frames
    // each read finds (a cost of this client, not of the server). 8 KiB still takes ~100 frames a read.
    let config = WebSocketConfig::default().read_buffer_size(CLIENT_READ_BUFFER);
    let connect = tokio_tungstenite::connect_async_with_config(req, Some(config), false);
    let (mut ws, _) = connect.await.map_err(|e| format!("{uid}: {e}"))?;
    let login = Request::Login { app_id: app, uid: uid.clone(), token: None };
    call(&mut ws, 1, login).await.map_err(|e| format!("{uid} login: {e}"))?;
    let join = Request::Join { channel: "room".into() };
    call(&mut ws, 2, join).await.map_err(|e| format!("{uid} join: {e}"))?;
    Ok(ws)
}

/// Reads until this member has `expect` channel messages and `replies` send replies. Reading runs
/// from before the first send, so a slow reader here shows up as the server's slow consumer.
async fn read_all(mut rx: SplitStream<Ws>, expect: usize, replies: usize, deadline: Instant) -> Tally {
    let mut t = Tally::default();
    while t.got < expect || t.replies_ok + t.replies_err < replies {
        let wait = deadline.min(Instant::now() + STALL);
        let ended = match timeout_at(wait.into(), rx.next()).await {
            Err(_) if wait == deadline => "deadline".to_owned(),
            Err(_) => format!("stalled {} s", STALL.as_secs()),
            Ok(Some(Ok(Message::Binary(b)))) => match decode::<ServerFrame>(&b) {
                Ok(ServerFrame::Push { push: Push::ChannelMessage { .. }, .. }) => {
                    t.got += 1;
                    t.last = Some(Instant::now());
                    continue;
                }
                Ok(ServerFrame::Push { .. }) => continue, // member events and counts
                Ok(ServerFrame::Reply { result: Ok(_), .. }) => {
                    t.replies_ok += 1;
                    continue;
                }
                Ok(ServerFrame::Reply { result: Err(e), .. }) => {
                    t.replies_err += 1;
                    t.first_error.get_or_insert(format!("error {}: {}", e.code, e.message));
                    continue;
                }
                Err(e) => format!("undecodable frame: {e}"),
            },
            Ok(Some(Ok(Message::Close(Some(f))))) => format!("closed {} {}", u16::from(f.code), f.reason),
            Ok(Some(Ok(Message::Close(None)))) => "closed".to_owned(),
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(e))) => format!("socket error: {e}"),
            Ok(None) => "socket ended".to_owned(),
        };
        t.ended = Some(ended);
        break;
    }
    t
}

struct Round {
    /// First send to last delivery; when deliveries were lost, the rate over this is only a hint.
    time: Duration,
    deliveries: usize,
    expected: usize,
    send_errors: usize,
    /// Problems, counted by kind: close codes, refusals, deadline.
    problems: BTreeMap<String, usize>,
}

async fn run_round(o: &Opts, deadline: Instant) -> Result<Round, String> {
    let urls = start_nodes(o).await?;
    // A fresh app per round: on Redis, what earlier rounds left (members of "room") stays apart.
    let app = format!("bench-{:x}", rand::random::<u64>());
    // Senders on node 1; the others spread round-robin over every node.
    let node_of = |i: usize| if i < o.senders { 0 } else { i % urls.len() };
    let joining = futures_util::stream::iter(0..o.members)
        .map(|i| member(urls[node_of(i)].clone(), app.clone(), format!("m{i}")));
    // A few dozen handshakes at a time: hundreds at once would measure the accept queue, not fan-out.
    let clients = timeout_at(deadline.into(), joining.buffered(32).collect::<Vec<_>>()).await;
    let clients = clients.map_err(|_| "timed out logging members in".to_owned())?;

    let total = o.senders * o.count;
    let (mut readers, mut sinks) = (Vec::new(), Vec::new());
    for (i, ws) in clients.into_iter().enumerate() {
        let (sink, rx) = ws?.split();
        let own = if i < o.senders { o.count } else { 0 };
        readers.push(tokio::spawn(read_all(rx, total - own, own, deadline)));
        sinks.push(sink); // kept open, even for members that never send
    }

    let start = Instant::now();
    let mut senders = Vec::new();
    for mut sink in sinks.drain(..o.senders) {
        let count = o.count as u32;
        senders.push(tokio::spawn(async move {
            for n in 0..count {
                let req = Request::SendChannel {
                    channel: "room".into(),
                    payload: Payload::Text(format!("fan-out load test message {n:05}")),
                };
                let frame = encode(&ClientFrame { id: 3 + n, req });
                // Fed, not sent: a pipelining client does not flush (and wait) per message.
                timeout_at(deadline.into(), sink.feed(Message::Binary(frame.into()))).await.ok()?.ok()?;
            }
            timeout_at(deadline.into(), sink.flush()).await.ok()?.ok()?;
            Some(sink)
        }));
    }
    let mut problems = BTreeMap::new();
    for s in senders {
        if s.await.ok().flatten().is_none() {
            *problems.entry("sender could not write".to_owned()).or_default() += 1;
        }
    }

    let (mut time, mut deliveries, mut send_errors) = (Duration::ZERO, 0, 0);
    for r in readers {
        let t = r.await.map_err(|e| format!("reader: {e}"))?;
        deliveries += t.got;
        send_errors += t.replies_err;
        if let Some(last) = t.last {
            time = time.max(last - start);
        }
        for p in [t.ended, t.first_error].into_iter().flatten() {
            *problems.entry(p).or_default() += 1;
        }
    }
    let expected = (o.members - 1) * total;
    Ok(Round { time, deliveries, expected, send_errors, problems })
}

/// Starts `o.nodes` servers as one cluster; returns their ws:// URLs.
async fn start_nodes(o: &Opts) -> Result<Vec<String>, String> {
    let mut config = rtm_server::config::Config::for_tests();
    config.redis_url = o.redis.clone();
    // The embedded engine is shared in this process; on Redis each node gets its own
    // connections, as separate processes would.
    let shared = rtm_server::engine::embedded::engine(&rtm_server::Server::embedded_options(&config));
    let shared = shared.map_err(|e| format!("engine: {e}"))?;
    let mut urls = Vec::new();
    for _ in 0..o.nodes {
        let engine = match &o.redis {
            Some(url) => rtm_server::engine::redis::engine(&rtm_server::Server::redis_options(&config, url))
                .await
                .map_err(|e| format!("engine: {e}"))?,
            None => shared.clone(),
        };
        let server = rtm_server::Server::bind_on(config.clone(), engine).await;
        let server = server.map_err(|e| format!("bind: {e}"))?;
        urls.push(format!("ws://{}/rtm", server.local_addr()));
        tokio::spawn(server.run(std::future::pending()));
    }
    Ok(urls)
}

fn main() {
    let o = match opts() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("fanout: {e}\nusage: fanout [members=N] [senders=N] [count=N] [repeat=N] [timeout=S] [nodes=N] [redis=URL]");
            std::process::exit(2);
        }
    };
    let run_end = Instant::now() + RUN_BUDGET;
    let (mut times, mut rates, mut incomplete, mut failed) = (Vec::new(), Vec::new(), 0, false);
    for round in 1..=o.repeat {
        let deadline = run_end.min(Instant::now() + o.timeout);
        // A runtime per round: dropping it ends that round's server and sockets, so rounds stay apart.
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
        let result = rt.block_on(run_round(&o, deadline));
        rt.shutdown_timeout(Duration::from_secs(2));
        let r = match result {
            Ok(r) => r,
            Err(e) => {
                println!("fanout: round={round}/{} FAILED: {e}", o.repeat);
                failed = true;
                break;
            }
        };
        let (m, s, k, rep) = (o.members, o.senders, o.count, o.repeat);
        let rate = r.deliveries as f64 / r.time.as_secs_f64().max(1e-9);
        let ms = r.time.as_secs_f64() * 1e3;
        let engine = if o.redis.is_some() { "redis" } else { "embedded" };
        print!("fanout: nodes={} engine={engine} members={m} senders={s} msgs={}", o.nodes, s * k);
        print!(" deliveries={} time_ms={ms:.0}", r.deliveries);
        print!(" deliveries_per_s={rate:.0} round={round}/{rep}");
        times.push(ms);
        rates.push(rate);
        if r.deliveries < r.expected || r.send_errors > 0 || !r.problems.is_empty() {
            (failed, incomplete) = (true, incomplete + 1);
            print!(" INCOMPLETE missing={} send_errors={}", r.expected - r.deliveries, r.send_errors);
            for (problem, n) in &r.problems {
                print!(" [{n}x {problem}]");
            }
        }
        println!();
        if Instant::now() >= run_end {
            println!("fanout: run budget of {} s spent; stopping after round {round}", RUN_BUDGET.as_secs());
            break;
        }
    }
    if times.len() > 1 {
        // Incomplete rounds count too (flagged): with kicks in every round there would be no figure.
        let (time, rate) = (median(&mut times), median(&mut rates));
        let (n, min, max) = (times.len(), times[0], times[times.len() - 1]);
        print!("fanout: median of {n} rounds: time_ms={time:.0} deliveries_per_s={rate:.0}");
        println!(" (time_ms min={min:.0} max={max:.0}) incomplete_rounds={incomplete}");
    }
    std::process::exit(if failed { 1 } else { 0 });
}

/// Sorts `v` and returns its median (the mean of the middle two for an even count).
fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}
