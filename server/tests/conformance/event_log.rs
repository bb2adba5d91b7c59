//! [`EventLog`](rtm_server::engine::EventLog): the per-app logs of user and
//! channel events behind the REST event queries. Each event is returned once,
//! oldest first; a log keeps the newest `EVENT_LOG_CAP`; a take returns at
//! most what it asks; events past the retention are never returned.

use super::{app, engine, Factory, Settings};
use rtm_server::clock::now_ms;
use rtm_server::engine::event_log::{EVENT_LOG_CAP, EVENT_LOG_RETENTION};
use rtm_server::engine::{EventKind, EventLog, Happening, LoggedEvent};
use std::collections::HashSet;

fn login(uid: &str) -> LoggedEvent {
    LoggedEvent::user(Happening::Login, uid, now_ms())
}

fn uids(events: &[LoggedEvent]) -> Vec<String> {
    events.iter().map(|e| e.uid.clone()).collect()
}

async fn take(log: &dyn EventLog, app: &str, kind: EventKind, max: usize) -> Vec<LoggedEvent> {
    log.take(app, kind, max).await.expect("the log answers")
}

/// Users' and channels' events go to their own logs, come back whole and in
/// order, once; apps do not see each other's.
pub async fn kinds_order_and_once(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let log = e.events.as_ref();
    let (app, other) = (app(), app());
    let events = [
        LoggedEvent::user(Happening::Login, "alice", 1_000 + now_ms()),
        LoggedEvent::channel(Happening::Join, "room:1", "alice", 1_001 + now_ms()),
        LoggedEvent::channel(Happening::Leave, "room:1", "alice", 1_002 + now_ms()),
        LoggedEvent::user(Happening::Logout, "alice", 1_003 + now_ms()),
    ];
    for event in &events {
        log.append(&app, event).await.unwrap();
    }
    log.append(&other, &login("bob")).await.unwrap();
    assert_eq!(take(log, &app, EventKind::User, 1000).await, [events[0].clone(), events[3].clone()]);
    assert_eq!(take(log, &app, EventKind::Channel, 1000).await, [events[1].clone(), events[2].clone()]);
    assert!(take(log, &app, EventKind::User, 1000).await.is_empty(), "taken events are gone");
    assert!(take(log, &app, EventKind::Channel, 1000).await.is_empty());
    assert_eq!(uids(&take(log, &other, EventKind::User, 1000).await), ["bob"], "the other app's stays");
}

/// Past the cap the oldest go; a take returns at most `max`, the oldest
/// first, and leaves the rest for the next.
pub async fn cap_and_max(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let log = e.events.as_ref();
    let app = app();
    let extra = 5;
    for i in 0..EVENT_LOG_CAP + extra {
        log.append(&app, &login(&format!("u{i}"))).await.unwrap();
    }
    let first = take(log, &app, EventKind::User, 1000).await;
    assert_eq!(first.len(), 1000);
    assert_eq!(first[0].uid, format!("u{extra}"), "the oldest beyond the cap were dropped");
    assert_eq!(first[999].uid, format!("u{}", extra + 999));
    let rest = take(log, &app, EventKind::User, 5000).await;
    assert_eq!(rest.len(), EVENT_LOG_CAP - 1000);
    assert_eq!(rest.last().unwrap().uid, format!("u{}", EVENT_LOG_CAP + extra - 1));
    assert!(take(log, &app, EventKind::User, 1000).await.is_empty());
}

/// Concurrent takes (two nodes queried at once) share the events: none is
/// returned twice, none is lost.
pub async fn concurrent_takes_return_each_event_once(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let app = app();
    for i in 0..200 {
        e.events.append(&app, &login(&format!("u{i}"))).await.unwrap();
    }
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (log, app) = (e.events.clone(), app.clone());
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let batch = log.take(&app, EventKind::User, 7).await.unwrap();
                if batch.is_empty() {
                    return got;
                }
                got.extend(uids(&batch));
            }
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    assert_eq!(all.len(), 200, "every event returned once");
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), 200, "none twice");
}

/// Events older than the retention are dropped, not returned.
pub async fn old_events_are_dropped(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let log = e.events.as_ref();
    let app = app();
    let stale = now_ms() - EVENT_LOG_RETENTION.as_millis() as u64 - 1_000;
    log.append(&app, &LoggedEvent::user(Happening::Login, "old", stale)).await.unwrap();
    log.append(&app, &login("new")).await.unwrap();
    assert_eq!(uids(&take(log, &app, EventKind::User, 1000).await), ["new"]);
    assert!(take(log, &app, EventKind::User, 1000).await.is_empty());
}
