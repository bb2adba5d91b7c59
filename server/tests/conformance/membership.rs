//! [`Membership`](rtm_server::engine::Membership): counts, one session per
//! member, sampling, and reaping a dead node's members.

use super::{app, engine, node, session, Factory, Settings};
use rtm_server::engine::{Departed, SessionRef};
use std::collections::{BTreeMap, HashSet};

/// Joins and leaves report the count after; only members leave.
pub async fn join_count_leave(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let m = &e.membership;
    let app = app();
    let n = node();
    assert_eq!(m.count(&app, "c").await.unwrap(), 0, "unknown channel");
    assert!(m.members(&app, "c", 10).await.unwrap().is_empty());
    assert_eq!(m.join(&app, "c", "u1", session(n, 1)).await.unwrap(), 1);
    assert_eq!(m.join(&app, "c", "u2", session(n, 2)).await.unwrap(), 2);
    assert_eq!(m.join(&app, "d", "u1", session(n, 1)).await.unwrap(), 1, "channels are independent");
    assert_eq!(m.count(&app, "c").await.unwrap(), 2);
    let mut members = m.members(&app, "c", 10).await.unwrap();
    members.sort();
    assert_eq!(members, ["u1", "u2"]);
    assert_eq!(m.leave(&app, "c", "u1", session(n, 1)).await.unwrap(), Some(1));
    assert_eq!(m.leave(&app, "c", "u1", session(n, 1)).await.unwrap(), None, "not a member any more");
    assert_eq!(m.leave(&app, "c", "nobody", session(n, 9)).await.unwrap(), None);
    assert_eq!(m.leave(&app, "nowhere", "u1", session(n, 1)).await.unwrap(), None);
    assert_eq!(m.leave(&app, "c", "u2", session(n, 2)).await.unwrap(), Some(0));
    assert_eq!(m.count(&app, "c").await.unwrap(), 0);
    assert!(m.members(&app, "c", 10).await.unwrap().is_empty());
    assert_eq!(m.count(&app, "d").await.unwrap(), 1);
    assert_eq!(m.count(&super::app(), "d").await.unwrap(), 0, "apps are namespaces");
}

/// Joining again through the same session changes nothing.
pub async fn joining_twice_counts_once(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let m = &e.membership;
    let (app, s) = (app(), session(node(), 1));
    assert_eq!(m.join(&app, "c", "u", s).await.unwrap(), 1);
    assert_eq!(m.join(&app, "c", "u", s).await.unwrap(), 1);
    assert_eq!(m.members(&app, "c", 10).await.unwrap(), ["u"]);
    assert_eq!(m.leave(&app, "c", "u", s).await.unwrap(), Some(0));
    assert_eq!(m.count(&app, "c").await.unwrap(), 0);
}

/// A join from another session of the member (a remote login) replaces the
/// old one; the old session's late leave is ignored.
pub async fn remote_login_replaces_and_stale_leave_is_ignored(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let m = &e.membership;
    let app = app();
    let (old, new) = (session(node(), 1), session(node(), 2));
    assert_eq!(m.join(&app, "c", "u", old).await.unwrap(), 1);
    assert_eq!(m.join(&app, "c", "other", old).await.unwrap(), 2);
    assert_eq!(m.join(&app, "c", "u", new).await.unwrap(), 2, "replaced, not added");
    assert_eq!(m.leave(&app, "c", "u", old).await.unwrap(), None, "a stale session's leave");
    assert_eq!(m.count(&app, "c").await.unwrap(), 2);
    assert!(m.members(&app, "c", 10).await.unwrap().contains(&"u".to_owned()));
    assert_eq!(m.leave(&app, "c", "u", new).await.unwrap(), Some(1));
    assert_eq!(m.members(&app, "c", 10).await.unwrap(), ["other"]);
}

/// `members` returns at most `max` distinct members, all when fewer.
pub async fn members_sample_without_duplicates(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let m = &e.membership;
    let (app, n) = (app(), node());
    let all: HashSet<String> = (0..300).map(|i| format!("u{i}")).collect();
    for (i, uid) in all.iter().enumerate() {
        m.join(&app, "big", uid, session(n, i as u64)).await.unwrap();
    }
    assert_eq!(m.count(&app, "big").await.unwrap(), 300);
    let mut seen = HashSet::new();
    for _ in 0..3 {
        let sample = m.members(&app, "big", 100).await.unwrap();
        assert_eq!(sample.len(), 100);
        let distinct: HashSet<String> = sample.into_iter().collect();
        assert_eq!(distinct.len(), 100, "no duplicates");
        assert!(distinct.is_subset(&all), "only members");
        seen.extend(distinct);
    }
    assert!(seen.len() > 100, "a sample, not always the same first 100");
    let every: HashSet<String> = m.members(&app, "big", 300).await.unwrap().into_iter().collect();
    assert_eq!(every, all, "max = count: all of them");
    assert_eq!(m.members(&app, "big", 1000).await.unwrap().len(), 300);
    assert!(m.members(&app, "big", 0).await.unwrap().is_empty());
}

/// `reap` removes every member held by a dead node's sessions, with the
/// count after each removal, once; the others stay.
pub async fn reap_removes_the_dead_nodes_members(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let m = &e.membership;
    let (app, app2) = (app(), app());
    let (dead, other_dead, alive) = (node(), node(), node());
    for i in 0..3 {
        m.join(&app, "c", &format!("d{i}"), session(dead, i)).await.unwrap();
    }
    m.join(&app, "c", "a", session(alive, 1)).await.unwrap();
    m.join(&app, "d", "d0", session(dead, 0)).await.unwrap();
    m.join(&app2, "c", "x", session(other_dead, 1)).await.unwrap();
    m.join(&app2, "e", "a", session(alive, 1)).await.unwrap();
    assert!(m.reap(&[]).await.unwrap().is_empty());

    let ours = |d: &Departed| d.app == app || d.app == app2;
    let departed: Vec<Departed> =
        m.reap(&[dead, other_dead]).await.unwrap().into_iter().filter(ours).collect();
    let mut counts: BTreeMap<(String, String), Vec<u32>> = BTreeMap::new();
    let mut who: HashSet<(String, String, String, SessionRef)> = HashSet::new();
    for d in &departed {
        counts.entry((d.app.clone(), d.channel.clone())).or_default().push(d.count);
        who.insert((d.app.clone(), d.channel.clone(), d.uid.clone(), d.session));
    }
    counts.values_mut().for_each(|c| c.sort_unstable_by(|a, b| b.cmp(a)));
    let want = BTreeMap::from([
        ((app.clone(), "c".to_owned()), vec![3, 2, 1]),
        ((app.clone(), "d".to_owned()), vec![0]),
        ((app2.clone(), "c".to_owned()), vec![0]),
    ]);
    assert_eq!(counts, want, "the count after each removal");
    assert_eq!(departed.len(), 5);
    assert_eq!(who.len(), 5, "each member once");
    assert!(who.contains(&(app.clone(), "c".to_owned(), "d2".to_owned(), session(dead, 2))));
    assert!(who.contains(&(app2.clone(), "c".to_owned(), "x".to_owned(), session(other_dead, 1))));
    assert_eq!(m.count(&app, "c").await.unwrap(), 1);
    assert_eq!(m.members(&app, "c", 10).await.unwrap(), ["a"]);
    assert_eq!(m.count(&app, "d").await.unwrap(), 0);
    assert_eq!(m.count(&app2, "e").await.unwrap(), 1);
    let again = m.reap(&[dead, other_dead]).await.unwrap();
    assert!(!again.iter().any(ours), "reaped once: {again:?}");
    assert_eq!(m.leave(&app, "c", "d0", session(dead, 0)).await.unwrap(), None, "already gone");
}
