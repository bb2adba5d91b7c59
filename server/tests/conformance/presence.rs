//! [`Presence`](rtm_server::engine::Presence): one session per user, claims
//! with growing epochs, owner-only changes, and node leases that lapse.

use super::{app, engine, node, session, Factory, Settings, WAIT};
use rtm_protocol::PeerState::{OFFLINE, ONLINE, UNREACHABLE};
use rtm_server::engine::{Reaped, SessionRef};
use std::collections::HashSet;
use std::time::Duration;

/// A claim displaces the previous session and reports the state before;
/// epochs grow with every claim, a repeated one included.
pub async fn claim_displaces_and_epochs_grow(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let p = &e.presence;
    let app = app();
    let (a, b, c) = (session(node(), 1), session(node(), 2), session(node(), 3));
    let first = p.claim(&app, "u", a).await.unwrap();
    assert_eq!((first.displaced, first.was), (None, OFFLINE));
    let second = p.claim(&app, "u", b).await.unwrap();
    assert_eq!((second.displaced, second.was), (Some(a), ONLINE));
    assert!(second.epoch > first.epoch, "epochs grow: {} then {}", first.epoch, second.epoch);
    let again = p.claim(&app, "u", b).await.unwrap();
    assert_eq!((again.displaced, again.was), (None, ONLINE), "reclaiming is not displacing");
    assert!(again.epoch > second.epoch);
    assert!(p.set_reachable(&app, "u", b, false).await.unwrap());
    let third = p.claim(&app, "u", c).await.unwrap();
    assert_eq!((third.displaced, third.was), (Some(b), UNREACHABLE));
    assert!(third.epoch > again.epoch);
    assert_eq!(p.lookup(&app, "u").await.unwrap(), Some(c));
    assert_eq!(p.states(&app, &["u".into()]).await.unwrap(), [ONLINE], "a claim is reachable");
    let other = p.claim(&app, "v", a).await.unwrap();
    assert_eq!((other.displaced, other.was), (None, OFFLINE), "users are independent");
    assert!(p.release(&app, "u", c).await.unwrap());
    let after = p.claim(&app, "u", a).await.unwrap();
    assert_eq!((after.displaced, after.was), (None, OFFLINE));
    assert!(after.epoch > third.epoch, "epochs grow across a release");
}

/// Only the user's current session changes reachability or releases;
/// `release` says whether it did.
pub async fn only_the_owner_changes_or_releases(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let p = &e.presence;
    let app = app();
    let (old, new) = (session(node(), 1), session(node(), 2));
    p.claim(&app, "u", old).await.unwrap();
    p.claim(&app, "u", new).await.unwrap();
    assert!(!p.set_reachable(&app, "u", old, false).await.unwrap(), "a displaced session");
    assert_eq!(p.states(&app, &["u".into()]).await.unwrap(), [ONLINE]);
    assert!(!p.release(&app, "u", old).await.unwrap(), "a stale release");
    assert_eq!(p.lookup(&app, "u").await.unwrap(), Some(new), "keeps the new owner");
    assert!(p.set_reachable(&app, "u", new, false).await.unwrap());
    assert!(p.set_reachable(&app, "u", new, false).await.unwrap(), "idempotent");
    assert!(p.set_reachable(&app, "u", new, true).await.unwrap());
    assert_eq!(p.states(&app, &["u".into()]).await.unwrap(), [ONLINE], "reachable again");
    assert!(p.release(&app, "u", new).await.unwrap());
    assert!(!p.release(&app, "u", new).await.unwrap(), "released once");
    assert!(!p.set_reachable(&app, "u", new, true).await.unwrap(), "no longer the user's");
    assert_eq!(p.lookup(&app, "u").await.unwrap(), None);
    assert!(!p.release(&app, "nobody", new).await.unwrap());
    assert!(!p.set_reachable(&app, "nobody", new, true).await.unwrap());
}

/// `states` answers in the order asked, duplicates included; `lookup` finds
/// an unreachable user's session too.
pub async fn states_in_order(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let p = &e.presence;
    let app = app();
    let n = node();
    p.claim(&app, "on", session(n, 1)).await.unwrap();
    p.claim(&app, "away", session(n, 2)).await.unwrap();
    p.set_reachable(&app, "away", session(n, 2), false).await.unwrap();
    p.claim(&app, "gone", session(n, 3)).await.unwrap();
    p.release(&app, "gone", session(n, 3)).await.unwrap();
    let uids: Vec<String> = ["away", "never", "on", "gone", "on"].map(String::from).to_vec();
    assert_eq!(p.states(&app, &uids).await.unwrap(), [UNREACHABLE, OFFLINE, ONLINE, OFFLINE, ONLINE]);
    assert!(p.states(&app, &[]).await.unwrap().is_empty());
    assert_eq!(p.lookup(&app, "away").await.unwrap(), Some(session(n, 2)), "unreachable is still the user's");
    assert_eq!(p.lookup(&app, "gone").await.unwrap(), None);
    assert_eq!(p.lookup(&app, "never").await.unwrap(), None);
}

/// The same uid in two apps is two users.
pub async fn apps_are_namespaces(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let p = &e.presence;
    let (app1, app2) = (app(), app());
    let (a, b) = (session(node(), 1), session(node(), 2));
    p.claim(&app1, "u", a).await.unwrap();
    let other = p.claim(&app2, "u", b).await.unwrap();
    assert_eq!((other.displaced, other.was), (None, OFFLINE));
    assert_eq!(p.lookup(&app1, "u").await.unwrap(), Some(a));
    assert!(!p.release(&app2, "u", a).await.unwrap());
    assert!(p.set_reachable(&app1, "u", a, false).await.unwrap());
    assert_eq!(p.states(&app2, &["u".into()]).await.unwrap(), [ONLINE]);
    assert!(p.release(&app2, "u", b).await.unwrap());
    assert_eq!(p.states(&app1, &["u".into()]).await.unwrap(), [UNREACHABLE]);
}

/// A node whose lease lapses is reaped with exactly the users it still held,
/// once; a node that keeps renewing, and users who left it, are not.
pub async fn lapsed_leases_are_reaped_once(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let p = &e.presence;
    let (app, app2) = (app(), app());
    let (dead, alive, renewing) = (node(), node(), node());
    let short = Duration::from_millis(300);
    p.heartbeat(dead, short).await.unwrap();
    p.heartbeat(alive, Duration::from_secs(60)).await.unwrap();
    p.heartbeat(renewing, short).await.unwrap();
    for (uid, s) in [("d1", session(dead, 1)), ("d2", session(dead, 2)), ("moved", session(dead, 3))] {
        p.claim(&app, uid, s).await.unwrap();
    }
    p.claim(&app2, "d1", session(dead, 4)).await.unwrap();
    p.claim(&app, "left", session(dead, 5)).await.unwrap();
    p.release(&app, "left", session(dead, 5)).await.unwrap();
    p.claim(&app, "moved", session(alive, 1)).await.unwrap();
    p.claim(&app, "a1", session(alive, 2)).await.unwrap();
    p.claim(&app, "r1", session(renewing, 1)).await.unwrap();

    let ours = |r: &Reaped| r.app == app || r.app == app2;
    let (nodes, users) = p.reap().await.unwrap();
    assert!(!nodes.contains(&dead) && !users.iter().any(ours), "nothing lapsed yet: {nodes:?} {users:?}");

    // Reap until the dead node shows up, renewing the other short lease meanwhile.
    let mut reaped: Vec<Reaped> = Vec::new();
    let mut dead_seen = 0;
    let deadline = tokio::time::Instant::now() + WAIT + short * 2;
    while dead_seen == 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        p.heartbeat(renewing, short).await.unwrap();
        let (nodes, users) = p.reap().await.unwrap();
        assert!(!nodes.contains(&alive) && !nodes.contains(&renewing), "a live node reaped: {nodes:?}");
        dead_seen += nodes.iter().filter(|n| **n == dead).count();
        reaped.extend(users.into_iter().filter(ours));
    }
    let lapsed = dead_seen > 0;
    assert!(lapsed, "the dead node was not reaped");
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        p.heartbeat(renewing, short).await.unwrap();
    }
    let (nodes, users) = p.reap().await.unwrap();
    assert!(!nodes.contains(&dead), "a node is reaped once");
    assert!(!users.iter().any(ours), "users are reaped once: {users:?}");
    assert_eq!(dead_seen, 1, "a node is reaped once");

    let got: HashSet<(String, String, SessionRef)> =
        reaped.into_iter().map(|r| (r.app, r.uid, r.session)).collect();
    let want = HashSet::from([
        (app.clone(), "d1".to_owned(), session(dead, 1)),
        (app.clone(), "d2".to_owned(), session(dead, 2)),
        (app2.clone(), "d1".to_owned(), session(dead, 4)),
    ]);
    assert_eq!(got, want, "exactly the users the dead node held, once each");
    let uids: Vec<String> = ["d1", "d2", "moved", "a1", "r1", "left"].map(String::from).to_vec();
    let states = p.states(&app, &uids).await.unwrap();
    assert_eq!(states, [OFFLINE, OFFLINE, ONLINE, ONLINE, ONLINE, OFFLINE]);
    assert_eq!(p.lookup(&app, "moved").await.unwrap(), Some(session(alive, 1)));
}
