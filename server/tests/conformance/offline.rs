//! [`OfflineStore`](rtm_server::engine::OfflineStore): per-user queues in
//! arrival order, capped, aged, and scoped to their user and app.

use super::{app, engine, Factory, Settings};
use rtm_protocol::Payload;
use rtm_server::clock::now_ms;
use rtm_server::engine::StoredMessage;

fn text(s: &str) -> Payload {
    Payload::Text(s.into())
}

fn payloads(messages: &[StoredMessage]) -> Vec<Payload> {
    messages.iter().map(|m| m.payload.clone()).collect()
}

/// Messages come back oldest first, with sender, payload and time intact.
pub async fn order_and_fields(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let o = &e.offline;
    let app = app();
    let now = now_ms();
    assert!(o.list(&app, "bob").await.unwrap().is_empty());
    let raw = Payload::Raw { data: vec![0, 1, 255].into(), description: "bytes".into() };
    o.put(&app, "bob", "alice", &text("1"), now).await.unwrap().unwrap();
    o.put(&app, "bob", "carol", &raw, now + 1).await.unwrap().unwrap();
    o.put(&app, "bob", "alice", &text(""), now + 2).await.unwrap().unwrap();
    o.put(&app, "bob", "alice", &Payload::Raw { data: vec![].into(), description: String::new() }, now + 3)
        .await
        .unwrap()
        .unwrap();
    let got = o.list(&app, "bob").await.unwrap();
    assert_eq!(
        payloads(&got),
        [text("1"), raw, text(""), Payload::Raw { data: vec![].into(), description: String::new() }]
    );
    let from: Vec<&str> = got.iter().map(|m| m.from.as_str()).collect();
    assert_eq!(from, ["alice", "carol", "alice", "alice"]);
    let ts: Vec<u64> = got.iter().map(|m| m.ts).collect();
    assert_eq!(ts, [now, now + 1, now + 2, now + 3]);
    let ids: Vec<i64> = got.iter().map(|m| m.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids grow in arrival order: {ids:?}");
    assert_eq!(o.list(&app, "bob").await.unwrap(), got, "listing does not consume");
}

/// Beyond the per-user cap, the oldest go.
pub async fn cap_per_user(factory: &impl Factory) {
    let e = engine(factory, Settings { offline_max_messages: 3, ..Settings::default() }).await;
    let o = &e.offline;
    let app = app();
    for i in 0..5 {
        o.put(&app, "bob", "alice", &text(&i.to_string()), now_ms()).await.unwrap().unwrap();
    }
    o.put(&app, "carol", "alice", &text("c"), now_ms()).await.unwrap().unwrap();
    assert_eq!(payloads(&o.list(&app, "bob").await.unwrap()), [text("2"), text("3"), text("4")]);
    assert_eq!(payloads(&o.list(&app, "carol").await.unwrap()), [text("c")], "the cap is per user");
}

/// `remove` deletes a message of its user only; removing twice is fine.
pub async fn remove_is_scoped(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let o = &e.offline;
    let app = app();
    for t in ["a", "b", "c"] {
        o.put(&app, "bob", "alice", &text(t), now_ms()).await.unwrap().unwrap();
    }
    o.put(&app, "carol", "alice", &text("x"), now_ms()).await.unwrap().unwrap();
    let bob = o.list(&app, "bob").await.unwrap();
    o.remove(&app, "carol", bob[1].id).await.unwrap();
    o.remove(&super::app(), "bob", bob[1].id).await.unwrap();
    assert_eq!(o.list(&app, "bob").await.unwrap().len(), 3, "another user's or app's remove");
    o.remove(&app, "bob", bob[1].id).await.unwrap();
    assert_eq!(payloads(&o.list(&app, "bob").await.unwrap()), [text("a"), text("c")]);
    o.remove(&app, "bob", bob[1].id).await.unwrap();
    o.remove(&app, "bob", i64::MAX).await.unwrap();
    assert_eq!(o.list(&app, "bob").await.unwrap().len(), 2);
    assert_eq!(payloads(&o.list(&app, "carol").await.unwrap()), [text("x")]);
}

/// The same uid in two apps has two queues.
pub async fn apps_are_namespaces(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let o = &e.offline;
    let (app1, app2) = (app(), app());
    o.put(&app1, "bob", "alice", &text("one"), now_ms()).await.unwrap().unwrap();
    o.put(&app2, "bob", "alice", &text("two"), now_ms()).await.unwrap().unwrap();
    assert_eq!(payloads(&o.list(&app1, "bob").await.unwrap()), [text("one")]);
    assert_eq!(payloads(&o.list(&app2, "bob").await.unwrap()), [text("two")]);
}

/// Messages older than the maximum age are not listed.
pub async fn old_messages_expire(factory: &impl Factory) {
    let e = engine(factory, Settings { offline_max_age_ms: 60_000, ..Settings::default() }).await;
    let o = &e.offline;
    let app = app();
    o.put(&app, "bob", "alice", &text("old"), now_ms() - 120_000).await.unwrap().unwrap();
    o.put(&app, "bob", "alice", &text("new"), now_ms()).await.unwrap().unwrap();
    assert_eq!(payloads(&o.list(&app, "bob").await.unwrap()), [text("new")]);
}
