//! The engine conformance suite (tests/conformance/) on the embedded engine,
//! and what only the embedded engine promises: its SQLite store survives a
//! restart (same `data_dir`).

#[macro_use]
mod conformance;

use conformance::{app, kv, node, session, Collector, Settings};
use rtm_protocol::{AttrOp, Payload};
use rtm_server::clock::now_ms;
use rtm_server::engine::embedded::{self, EmbeddedOptions};
use rtm_server::engine::{Engine, Event, NodeEvent, Topic};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn options(settings: Settings, data_dir: Option<PathBuf>) -> EmbeddedOptions {
    EmbeddedOptions {
        data_dir,
        offline_max_messages: settings.offline_max_messages,
        offline_max_age_ms: settings.offline_max_age_ms,
        offline_quotas: settings.offline_quotas,
        channel_attrs_ttl: settings.channel_attrs_ttl,
    }
}

/// The suite's factory: a fresh in-memory engine.
async fn in_memory(settings: Settings) -> anyhow::Result<Engine> {
    embedded::engine(&options(settings, None))
}

conformance_tests!(in_memory);

/// The whole suite in one go, as another engine's test would run it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_all_on_a_data_dir() {
    let dir = TempDir::new("suite");
    let path = dir.path().to_owned();
    conformance::run_all(move |s| {
        let path = path.clone();
        async move { embedded::engine(&options(s, Some(path))) }
    })
    .await;
}

/// A fresh folder under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "rtm-{name}-{}-{:x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn offline_messages_survive_a_restart() {
    let dir = TempDir::new("offline");
    let opts = options(Settings::default(), Some(dir.path().to_owned()));
    let app = app();
    {
        let e = embedded::engine(&opts).unwrap();
        e.offline.put(&app, "bob", "alice", &Payload::Text("kept".into()), now_ms()).await.unwrap().unwrap();
        e.offline
            .put(&app, "bob", "alice", &Payload::Text("removed".into()), now_ms())
            .await
            .unwrap()
            .unwrap();
        let id = e.offline.list(&app, "bob").await.unwrap()[1].id;
        e.offline.remove(&app, "bob", id).await.unwrap();
    }
    let e = embedded::engine(&opts).unwrap();
    let got = e.offline.list(&app, "bob").await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].payload, Payload::Text("kept".into()));
}

#[tokio::test(start_paused = true)]
async fn channel_attributes_survive_a_restart_and_expire_a_ttl_after_it() {
    let dir = TempDir::new("attrs");
    let ttl = Duration::from_secs(300);
    let opts =
        options(Settings { channel_attrs_ttl: ttl, ..Settings::default() }, Some(dir.path().to_owned()));
    let app = app();
    let set = AttrOp::Set(kv(&[("k", "v")]));
    {
        let e = embedded::engine(&opts).unwrap();
        for channel in ["idle", "joined"] {
            e.attributes.update_channel(&app, channel, "w", 5, &set).await.unwrap().unwrap();
        }
        e.attributes.update_user(&app, "u", &set).await.unwrap().unwrap();
        tokio::time::advance(ttl - Duration::from_secs(1)).await;
    }
    tokio::time::advance(Duration::from_secs(120)).await;
    let e = embedded::engine(&opts).unwrap();
    let idle = e.attributes.channel(&app, "idle").await.unwrap();
    assert_eq!(
        (idle[0].key.as_str(), idle[0].last_update_uid.as_str(), idle[0].last_update_ts),
        ("k", "w", 5)
    );
    assert!(
        e.attributes.user(&app, "u").await.unwrap().is_empty(),
        "user attributes do not outlive sessions"
    );
    e.membership.join(&app, "joined", "u", session(node(), 1)).await.unwrap();
    tokio::time::advance(ttl - Duration::from_secs(1)).await;
    assert_eq!(e.attributes.channel(&app, "idle").await.unwrap().len(), 1, "counted from the restart");
    tokio::time::advance(Duration::from_secs(1)).await;
    assert!(e.attributes.channel(&app, "idle").await.unwrap().is_empty(), "a TTL after the restart");
    assert_eq!(e.attributes.channel(&app, "joined").await.unwrap().len(), 1, "someone joined");
}

#[tokio::test]
async fn delivery_is_synchronous() {
    let e = in_memory(Settings::default()).await.unwrap();
    let n = node();
    let sink = Collector::node(&e, n).await;
    let ack = Event::Node(NodeEvent::Ack { ack_id: 1, ok: true });
    e.broker.publish(&Topic::Node(n), ack.clone()).await.unwrap();
    assert_eq!(sink.on(&Topic::Node(n)), [ack], "delivered before publish returned");
}

#[tokio::test]
async fn a_node_that_never_heartbeated_is_alive() {
    let e = in_memory(Settings::default()).await.unwrap();
    let (silent, dead) = (node(), node());
    e.presence.claim("app", "silent", session(silent, 1)).await.unwrap();
    e.presence.claim("app", "dead", session(dead, 1)).await.unwrap();
    e.presence.heartbeat(dead, Duration::ZERO).await.unwrap();
    let (nodes, users) = e.presence.reap().await.unwrap();
    assert_eq!(nodes, [dead]);
    assert_eq!(users.len(), 1);
    assert_eq!(e.presence.lookup("app", "silent").await.unwrap(), Some(session(silent, 1)));
}
