//! [`Directory`](rtm_server::engine::Directory): the admin API's bans (held
//! for every node, ended on time, lifted on demand) and its cluster-wide
//! listings of users and channel sizes.

use super::{app, engine, node, session, Factory, Settings};
use rtm_server::clock::now_ms;
use rtm_server::engine::ChannelSize;
use std::time::Duration;

/// A ban holds until its end, for the user of that app only, and can be lifted.
pub async fn bans_end_and_lift(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let d = &e.directory;
    let (app, other) = (app(), app());
    let now = now_ms();
    d.ban(&app, "u", now + 60_000).await.unwrap();
    assert_eq!(d.banned_until(&app, "u", now).await.unwrap(), Some(now + 60_000));
    assert_eq!(d.banned_until(&app, "u", now + 60_000).await.unwrap(), None, "over at its end");
    assert_eq!(d.banned_until(&other, "u", now).await.unwrap(), None, "apps are namespaces");
    assert_eq!(d.banned_until(&app, "v", now).await.unwrap(), None);
    assert!(d.unban(&app, "u").await.unwrap());
    assert!(!d.unban(&app, "u").await.unwrap(), "nothing left to lift");
    assert_eq!(d.banned_until(&app, "u", now).await.unwrap(), None);
    // A short ban ends by itself (Redis forgets the key).
    d.ban(&app, "short", now_ms() + 200).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(d.banned_until(&app, "short", now_ms()).await.unwrap(), None);
}

/// Users and channel sizes of every node are listed; what leaves is gone.
pub async fn listings_cover_every_node(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let app = app();
    let (n1, n2) = (node(), node());
    for n in [n1, n2] {
        // A node is listed once it has a lease (as a running node does).
        e.presence.heartbeat(n, Duration::from_secs(30)).await.unwrap();
    }
    let (a, b, c) = (session(n1, 1), session(n2, 1), session(n2, 2));
    for (uid, s) in [("a", a), ("b", b), ("c", c)] {
        e.presence.claim(&app, uid, s).await.unwrap();
    }
    e.membership.join(&app, "big", "a", a).await.unwrap();
    e.membership.join(&app, "big", "b", b).await.unwrap();
    e.membership.join(&app, "small", "c", c).await.unwrap();
    let mut users: Vec<_> =
        e.directory.users().await.unwrap().into_iter().filter(|(ap, _)| *ap == app).collect();
    users.sort();
    let uids: Vec<&str> = users.iter().map(|(_, u)| u.as_str()).collect();
    assert_eq!(uids, ["a", "b", "c"]);
    let sizes = |all: Vec<ChannelSize>| {
        let mut mine: Vec<(String, u32)> =
            all.into_iter().filter(|c| c.app == app).map(|c| (c.channel, c.members)).collect();
        mine.sort();
        mine
    };
    assert_eq!(
        sizes(e.directory.channels().await.unwrap()),
        [("big".to_owned(), 2), ("small".to_owned(), 1)]
    );
    e.membership.leave(&app, "small", "c", c).await.unwrap();
    e.presence.release(&app, "c", c).await.unwrap();
    assert_eq!(sizes(e.directory.channels().await.unwrap()), [("big".to_owned(), 2)]);
    let users = e.directory.users().await.unwrap();
    assert!(!users.iter().any(|(ap, u)| *ap == app && u == "c"), "{users:?}");
}
