//! The Redis engine's push reader (src/engine/redis/link.rs), a thread of
//! its own per engine that hands pub/sub messages to the nodes' sinks, on a
//! real redis-server (tests/redis_server/). What it must keep of the broker's
//! contract while publishers on several engines race on several topics:
//! every subscribed node hears every event once; each topic in one order —
//! Redis's, the same on every node — which keeps each publisher's order; a
//! sink runs in the runtime's context (it may spawn tasks); and the thread
//! ends when its engine is dropped.
//!
//! One test in this binary: it counts the reader threads of the process.

mod redis_server;

use rtm_protocol::Payload;
use rtm_server::engine::redis::link::PUSH_THREAD;
use rtm_server::engine::redis::{self, RedisOptions};
use rtm_server::engine::{ChannelEvent, Engine, Event, SessionRef, Sink, Topic};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::task::block_in_place;
use tokio::time::Instant;

const TOPICS: usize = 4;
const PUBLISHERS: u64 = 2;
/// Events per publisher and topic.
const EACH: u64 = 150;
const WAIT: Duration = Duration::from_secs(20);

/// Records what it hears, in order, and spawns a task per event (which
/// panics outside a runtime context).
#[derive(Default)]
struct Recorder {
    got: Mutex<Vec<(Topic, Event)>>,
    spawned: Arc<AtomicUsize>,
}

impl Sink for Recorder {
    fn deliver(&self, topic: &Topic, event: Event) {
        self.got.lock().unwrap().push((topic.clone(), event));
        let spawned = self.spawned.clone();
        tokio::spawn(async move { spawned.fetch_add(1, Ordering::Relaxed) });
    }
}

impl Recorder {
    fn on(&self, topic: &Topic) -> Vec<Event> {
        self.got.lock().unwrap().iter().filter(|(t, _)| t == topic).map(|(_, e)| e.clone()).collect()
    }
}

fn event(publisher: u64, seq: u64) -> Event {
    Event::Channel(ChannelEvent::Message {
        from: format!("p{publisher}"),
        sender: SessionRef { node: publisher, session: 0 },
        payload: Payload::Text(format!("{publisher}:{seq}")),
        ts: seq,
    })
}

/// (publisher, seq) of one of [`event`]'s events.
fn origin(e: &Event) -> (u64, u64) {
    match e {
        Event::Channel(ChannelEvent::Message { sender, ts, .. }) => (sender.node, *ts),
        other => panic!("an event nobody published: {other:?}"),
    }
}

/// Ids of this process's threads named [`PUSH_THREAD`].
fn reader_threads() -> BTreeSet<u64> {
    let mut ids = BTreeSet::new();
    for entry in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
        if comm.trim_end() == PUSH_THREAD {
            ids.insert(entry.file_name().to_string_lossy().parse().unwrap());
        }
    }
    ids
}

async fn engine(url: &str, prefix: &str) -> Engine {
    let opts = RedisOptions { url: url.to_owned(), prefix: prefix.to_owned(), ..RedisOptions::default() };
    let e = redis::engine(&opts).await.unwrap();
    assert!(e.health.ready());
    e
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_publishers_keep_one_order_per_topic_on_every_node() {
    let url = block_in_place(|| redis_server::shared().url());
    let prefix = format!("pushes{:016x}", rand::random::<u64>());
    let before = reader_threads();
    // Receivers: two nodes sharing one engine (one process), a third on its own.
    let (shared, alone) = (engine(&url, &prefix).await, engine(&url, &prefix).await);
    let publishers = [engine(&url, &prefix).await, engine(&url, &prefix).await];
    // A thread names itself once it runs: wait for all four to have.
    let deadline = Instant::now() + WAIT;
    let ours = loop {
        let ours: BTreeSet<u64> = reader_threads().difference(&before).copied().collect();
        if ours.len() >= 4 || Instant::now() > deadline {
            break ours;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(ours.len(), 4, "one reader thread per engine");

    let topics: Vec<Topic> = (0..TOPICS).map(|i| Topic::channel("app", &format!("t{i}"))).collect();
    let spawned = Arc::new(AtomicUsize::new(0));
    let mut nodes = Vec::new();
    for (n, e) in [(1, &shared), (2, &shared), (3, &alone)] {
        let sink = Arc::new(Recorder { spawned: spawned.clone(), ..Recorder::default() });
        let weak: Weak<Recorder> = Arc::downgrade(&sink);
        e.broker.register(n, weak);
        for t in &topics {
            e.broker.subscribe(n, t).await.unwrap();
        }
        nodes.push(sink);
    }

    // Every publisher on every topic at once, each in its own order.
    let mut tasks = Vec::new();
    for (p, e) in publishers.iter().enumerate() {
        for t in &topics {
            let (broker, t, p) = (e.broker.clone(), t.clone(), p as u64 + 1);
            tasks.push(tokio::spawn(async move {
                for seq in 0..EACH {
                    broker.publish(&t, event(p, seq)).await.unwrap();
                }
            }));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }

    let per_topic = (PUBLISHERS * EACH) as usize;
    let deadline = Instant::now() + WAIT;
    while nodes.iter().any(|s| topics.iter().any(|t| s.on(t).len() < per_topic)) {
        assert!(Instant::now() < deadline, "not every event arrived within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await; // duplicates would show up by now
    for t in &topics {
        let first = nodes[0].on(t);
        for (i, sink) in nodes.iter().enumerate() {
            let got = sink.on(t);
            assert_eq!(got.len(), per_topic, "node {}: each event once on {t:?}", i + 1);
            assert!(got == first, "node {}: another order on {t:?} than node 1", i + 1);
        }
        let mut next: BTreeMap<u64, u64> = BTreeMap::new();
        for e in &first {
            let (p, seq) = origin(e);
            let expected = next.entry(p).or_default();
            assert_eq!(seq, *expected, "publisher {p} on {t:?}: out of its order");
            *expected += 1;
        }
    }
    let total = nodes.len() * TOPICS * per_topic;
    let deadline = Instant::now() + WAIT;
    while spawned.load(Ordering::Relaxed) < total {
        assert!(Instant::now() < deadline, "the tasks the sinks spawned did not all run");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    drop((shared, alone, publishers));
    let deadline = Instant::now() + WAIT;
    while !reader_threads().is_disjoint(&ours) {
        assert!(Instant::now() < deadline, "the reader threads outlived their engines");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
