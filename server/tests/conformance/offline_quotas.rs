//! [`OfflineQuotas`](rtm_server::engine::OfflineQuotas): bytes of stored
//! offline messages per sender and per app. A put past a quota stores
//! nothing and says which; bytes come back when a message is removed
//! (delivered), dropped by the per-user cap, or expired.

use super::{app, engine, Factory, Settings};
use rtm_protocol::Payload;
use rtm_server::clock::now_ms;
use rtm_server::engine::{offline_charge, OfflineFull, OfflineQuotas, OfflineStore};

/// A 1,000-byte message.
fn kb() -> Payload {
    Payload::Text("x".repeat(1_000))
}

/// Room for `n` messages of [`kb`].
fn room(n: u64) -> u64 {
    n * offline_charge(&kb())
}

async fn put(o: &dyn OfflineStore, app: &str, to: &str, from: &str) -> Result<i64, OfflineFull> {
    o.put(app, to, from, &kb(), now_ms()).await.expect("the store answers")
}

/// One sender fills its quota, whoever it writes to; others and other apps
/// are not affected; a delivered message gives its bytes back.
pub async fn sender_quota(factory: &impl Factory) {
    let quotas = OfflineQuotas { per_sender: room(3), per_app: u64::MAX };
    let e = engine(factory, Settings { offline_quotas: quotas, ..Settings::default() }).await;
    let o = e.offline.as_ref();
    let (app, other_app) = (app(), app());
    for to in ["u1", "u2", "u3"] {
        put(o, &app, to, "alice").await.expect("within the quota");
    }
    assert_eq!(put(o, &app, "u4", "alice").await, Err(OfflineFull::Sender));
    assert!(o.list(&app, "u4").await.unwrap().is_empty(), "a refused put stores nothing");
    put(o, &app, "u4", "carol").await.expect("the quota is per sender");
    put(o, &other_app, "u4", "alice").await.expect("and per app");
    let id = o.list(&app, "u1").await.unwrap()[0].id;
    o.remove(&app, "u1", id).await.unwrap();
    put(o, &app, "u4", "alice").await.expect("a delivered message gave its bytes back");
    assert_eq!(put(o, &app, "u5", "alice").await, Err(OfflineFull::Sender));
}

/// Many senders together fill the app's quota; another app is not affected.
pub async fn app_quota(factory: &impl Factory) {
    let quotas = OfflineQuotas { per_sender: u64::MAX, per_app: room(3) };
    let e = engine(factory, Settings { offline_quotas: quotas, ..Settings::default() }).await;
    let o = e.offline.as_ref();
    let (app, other_app) = (app(), app());
    for from in ["s1", "s2", "s3"] {
        put(o, &app, "bob", from).await.expect("within the quota");
    }
    assert_eq!(put(o, &app, "carol", "s4").await, Err(OfflineFull::App));
    put(o, &other_app, "carol", "s4").await.expect("the quota is per app");
    assert_eq!(o.list(&app, "bob").await.unwrap().len(), 3, "what was stored stays");
}

/// A message the per-user cap drops no longer counts against its sender.
pub async fn capped_messages_give_bytes_back(factory: &impl Factory) {
    let quotas = OfflineQuotas { per_sender: room(1), per_app: room(2) };
    let settings = Settings { offline_quotas: quotas, offline_max_messages: 1, ..Settings::default() };
    let e = engine(factory, settings).await;
    let o = e.offline.as_ref();
    let app = app();
    put(o, &app, "bob", "alice").await.unwrap();
    assert_eq!(put(o, &app, "dave", "alice").await, Err(OfflineFull::Sender));
    put(o, &app, "bob", "carol").await.expect("carol's message replaces alice's");
    put(o, &app, "dave", "alice").await.expect("alice's bytes came back");
}

/// Expired messages are deleted by `expire`, which gives their bytes back.
pub async fn expired_messages_give_bytes_back(factory: &impl Factory) {
    let quotas = OfflineQuotas { per_sender: room(1), per_app: u64::MAX };
    let settings = Settings { offline_quotas: quotas, offline_max_age_ms: 60_000, ..Settings::default() };
    let e = engine(factory, settings).await;
    let o = e.offline.as_ref();
    let app = app();
    o.put(&app, "bob", "alice", &kb(), now_ms() - 120_000).await.unwrap().expect("stored");
    assert!(o.list(&app, "bob").await.unwrap().is_empty(), "expired: not listed");
    assert_eq!(put(o, &app, "bob", "alice").await, Err(OfflineFull::Sender), "but counted until deleted");
    // At least this one: engines of other cases may share the backend.
    assert!(o.expire().await.unwrap() >= 1);
    put(o, &app, "bob", "alice").await.expect("the expired message gave its bytes back");
    o.expire().await.unwrap();
    assert_eq!(o.list(&app, "bob").await.unwrap().len(), 1, "a fresh message does not expire");
}
