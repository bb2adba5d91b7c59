//! [`AttributeStore`](rtm_server::engine::AttributeStore): the four write
//! operations, whole-or-nothing writes, channel attributes' last writer, and
//! the expiry of an empty channel's attributes.

use super::{app, engine, kv, node, session, Factory, Settings, WAIT};
use rtm_protocol::limits::{AttrError, MAX_ATTRS};
use rtm_protocol::{AttrOp, ChannelAttr};
use rtm_server::engine::Engine;
use std::time::Duration;

fn sorted(mut pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    pairs.sort();
    pairs
}

fn by_key(mut attrs: Vec<ChannelAttr>) -> Vec<ChannelAttr> {
    attrs.sort_by(|a, b| a.key.cmp(&b.key));
    attrs
}

fn attr(key: &str, value: &str, by: &str, ts: u64) -> ChannelAttr {
    ChannelAttr { key: key.into(), value: value.into(), last_update_uid: by.into(), last_update_ts: ts }
}

async fn write(e: &Engine, app: &str, channel: &str, op: AttrOp) -> Vec<ChannelAttr> {
    by_key(e.attributes.update_channel(app, channel, "w", 1, &op).await.unwrap().expect("within limits"))
}

async fn keys(e: &Engine, app: &str, channel: &str) -> Vec<String> {
    let mut keys: Vec<String> =
        e.attributes.channel(app, channel).await.unwrap().into_iter().map(|a| a.key).collect();
    keys.sort();
    keys
}

/// Set replaces, Upsert adds or updates, Delete removes (unknown keys too),
/// Clear empties.
pub async fn user_ops(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let a = &e.attributes;
    let app = app();
    assert!(a.user(&app, "u").await.unwrap().is_empty());
    let ok = |r: Result<(), AttrError>| r.expect("within limits");
    ok(a.update_user(&app, "u", &AttrOp::Set(kv(&[("a", "1"), ("b", "2")]))).await.unwrap());
    ok(a.update_user(&app, "u", &AttrOp::Upsert(kv(&[("b", "3"), ("c", "4")]))).await.unwrap());
    assert_eq!(sorted(a.user(&app, "u").await.unwrap()), kv(&[("a", "1"), ("b", "3"), ("c", "4")]));
    ok(a.update_user(&app, "u", &AttrOp::Delete(vec!["a".into(), "nope".into()])).await.unwrap());
    assert_eq!(sorted(a.user(&app, "u").await.unwrap()), kv(&[("b", "3"), ("c", "4")]));
    ok(a.update_user(&app, "u", &AttrOp::Set(kv(&[("z", "")]))).await.unwrap());
    assert_eq!(a.user(&app, "u").await.unwrap(), kv(&[("z", "")]), "Set replaces; empty values are values");
    ok(a.update_user(&app, "u", &AttrOp::Clear).await.unwrap());
    assert!(a.user(&app, "u").await.unwrap().is_empty());
    ok(a.update_user(&app, "u", &AttrOp::Upsert(kv(&[("k", "v")]))).await.unwrap());
    assert_eq!(a.user(&app, "u").await.unwrap(), kv(&[("k", "v")]));
    assert!(a.user(&app, "other").await.unwrap().is_empty(), "users are independent");
}

/// A write that would break a limit is refused and changes nothing.
pub async fn refused_writes_change_nothing(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let a = &e.attributes;
    let app = app();
    let before = kv(&[("b", "3"), ("c", "4")]);
    a.update_user(&app, "u", &AttrOp::Set(before.clone())).await.unwrap().unwrap();
    let half = "v".repeat(8 * 1024);
    let over = AttrOp::Upsert(kv(&[("x", &half), ("y", &half)]));
    assert!(a.update_user(&app, "u", &over).await.unwrap().is_err(), "over 16 KB");
    let many: Vec<(String, String)> = (0..=MAX_ATTRS).map(|i| (format!("k{i}"), "v".into())).collect();
    assert!(a.update_user(&app, "u", &AttrOp::Upsert(many.clone())).await.unwrap().is_err(), "too many");
    assert_eq!(sorted(a.user(&app, "u").await.unwrap()), before, "unchanged");
    assert!(a.update_user(&app, "fresh", &over).await.unwrap().is_err());
    assert!(a.user(&app, "fresh").await.unwrap().is_empty());

    let attrs = write(&e, &app, "c", AttrOp::Set(kv(&[("topic", "t")]))).await;
    let quarter = "v".repeat(8 * 1024);
    let over = AttrOp::Upsert(kv(&[("1", &quarter), ("2", &quarter), ("3", &quarter), ("4", &quarter)]));
    assert!(a.update_channel(&app, "c", "w", 2, &over).await.unwrap().is_err(), "over 32 KB");
    assert!(a.update_channel(&app, "c", "w", 2, &AttrOp::Upsert(many)).await.unwrap().is_err(), "too many");
    assert_eq!(by_key(a.channel(&app, "c").await.unwrap()), attrs, "unchanged, last writer included");
    assert!(a.update_channel(&app, "empty", "w", 2, &over).await.unwrap().is_err());
    assert!(a.channel(&app, "empty").await.unwrap().is_empty());
}

/// Each channel attribute carries its last writer and write time; a write
/// returns the whole set after it.
pub async fn channel_last_update_fields(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let a = &e.attributes;
    let app = app();
    let up = |by: &'static str, ts: u64, pairs: &'static [(&'static str, &'static str)]| {
        let (a, app) = (a.clone(), app.clone());
        async move {
            by_key(a.update_channel(&app, "c", by, ts, &AttrOp::Upsert(kv(pairs))).await.unwrap().unwrap())
        }
    };
    assert_eq!(up("w", 7, &[("a", "1"), ("b", "2")]).await, [attr("a", "1", "w", 7), attr("b", "2", "w", 7)]);
    let after = up("v", 9, &[("b", "3"), ("c", "4")]).await;
    assert_eq!(after, [attr("a", "1", "w", 7), attr("b", "3", "v", 9), attr("c", "4", "v", 9)]);
    assert_eq!(by_key(a.channel(&app, "c").await.unwrap()), after, "a read sees what the write returned");
    let deleted = by_key(
        a.update_channel(&app, "c", "x", 10, &AttrOp::Delete(vec!["b".into(), "zz".into()]))
            .await
            .unwrap()
            .unwrap(),
    );
    assert_eq!(
        deleted,
        [attr("a", "1", "w", 7), attr("c", "4", "v", 9)],
        "a delete keeps the others' writers"
    );
    let set = a.update_channel(&app, "c", "y", 11, &AttrOp::Set(kv(&[("s", "1")]))).await.unwrap().unwrap();
    assert_eq!(set, [attr("s", "1", "y", 11)]);
    assert!(a.update_channel(&app, "c", "y", 12, &AttrOp::Clear).await.unwrap().unwrap().is_empty());
    assert!(a.channel(&app, "c").await.unwrap().is_empty());
}

/// `clear_user` deletes one user's attributes.
pub async fn clear_user(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let a = &e.attributes;
    let app = app();
    for uid in ["u", "v"] {
        a.update_user(&app, uid, &AttrOp::Set(kv(&[("k", uid)]))).await.unwrap().unwrap();
    }
    a.clear_user(&app, "u").await.unwrap();
    assert!(a.user(&app, "u").await.unwrap().is_empty());
    assert_eq!(a.user(&app, "v").await.unwrap(), kv(&[("k", "v")]));
    a.clear_user(&app, "u").await.unwrap();
    a.clear_user(&app, "never").await.unwrap();
    a.update_user(&app, "u", &AttrOp::Upsert(kv(&[("again", "1")]))).await.unwrap().unwrap();
    assert_eq!(a.user(&app, "u").await.unwrap(), kv(&[("again", "1")]), "a cleared user starts afresh");
}

/// Apps are namespaces, and a user and a channel of the same id are unrelated.
pub async fn namespaces(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let a = &e.attributes;
    let (app1, app2) = (app(), app());
    a.update_user(&app1, "x", &AttrOp::Set(kv(&[("user", "1")]))).await.unwrap().unwrap();
    write(&e, &app1, "x", AttrOp::Set(kv(&[("channel", "1")]))).await;
    assert!(a.user(&app2, "x").await.unwrap().is_empty());
    assert!(a.channel(&app2, "x").await.unwrap().is_empty());
    assert_eq!(a.user(&app1, "x").await.unwrap(), kv(&[("user", "1")]));
    assert_eq!(keys(&e, &app1, "x").await, ["channel"]);
    a.clear_user(&app1, "x").await.unwrap();
    assert_eq!(keys(&e, &app1, "x").await, ["channel"], "clearing a user leaves the channel");
}

/// A channel that has no member for the TTL loses its attributes — whether it
/// never had one or its last member left — and one with a member keeps them.
pub async fn empty_channels_expire(factory: &impl Factory) {
    let ttl = Duration::from_millis(400);
    let e = engine(factory, Settings { channel_attrs_ttl: ttl, ..Settings::default() }).await;
    let m = &e.membership;
    let app = app();
    let n = node();
    let set = |k: &str| AttrOp::Set(kv(&[(k, "v")]));
    m.join(&app, "busy", "u", session(n, 1)).await.unwrap();
    write(&e, &app, "busy", set("kept")).await;
    write(&e, &app, "joined-soon", set("kept")).await;
    m.join(&app, "joined-soon", "u", session(n, 1)).await.unwrap();
    m.join(&app, "left", "u", session(n, 1)).await.unwrap();
    write(&e, &app, "left", set("gone")).await;
    m.leave(&app, "left", "u", session(n, 1)).await.unwrap();
    write(&e, &app, "empty", set("gone")).await;
    let start = tokio::time::Instant::now();
    assert_eq!(keys(&e, &app, "empty").await, ["gone"], "not yet");

    let deadline = start + ttl + WAIT;
    for channel in ["empty", "left"] {
        while !keys(&e, &app, channel).await.is_empty() {
            assert!(tokio::time::Instant::now() < deadline, "{channel}: still there long after the TTL");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
    assert!(start.elapsed() + Duration::from_millis(50) >= ttl, "gone before the TTL: {:?}", start.elapsed());
    tokio::time::sleep(ttl).await;
    assert_eq!(keys(&e, &app, "busy").await, ["kept"], "a channel with a member keeps its attributes");
    assert_eq!(keys(&e, &app, "joined-soon").await, ["kept"], "joined before the TTL ran out");
    assert_eq!(m.count(&app, "busy").await.unwrap(), 1);

    // After expiry a write starts from nothing.
    assert_eq!(write(&e, &app, "empty", AttrOp::Upsert(kv(&[("new", "v")]))).await.len(), 1);
    assert_eq!(keys(&e, &app, "empty").await, ["new"]);
}
