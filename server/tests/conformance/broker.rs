//! [`Broker`](rtm_server::engine::Broker): only subscribed nodes hear a topic,
//! at most once each, in publish order per topic.

use super::{app, engine, node, session, settle, Collector, Factory, Settings};
use rtm_protocol::{ConnectionChangeReason, Payload, PeerState};
use rtm_server::engine::{ChannelEvent, Event, NodeEvent, Topic, UserEvent};

fn message(i: u64) -> Event {
    Event::Channel(ChannelEvent::Message {
        from: "alice".into(),
        sender: session(1, 1),
        payload: Payload::Text(format!("m{i}")),
        ts: i,
    })
}

fn invite(i: u64) -> Event {
    Event::User(UserEvent::InviteReceived { invitation: i })
}

/// Two subscribed nodes each get an event once; a node subscribed elsewhere
/// gets nothing, and the delivered event is the published one.
pub async fn only_subscribed_nodes_hear(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let (a, b, c) = (node(), node(), node());
    let (sa, sb, sc) =
        (Collector::node(&e, a).await, Collector::node(&e, b).await, Collector::node(&e, c).await);
    let app = app();
    let (heard, other) = (Topic::channel(&app, "heard"), Topic::channel(&app, "other"));
    e.broker.subscribe(a, &heard).await.unwrap();
    e.broker.subscribe(b, &heard).await.unwrap();
    e.broker.subscribe(c, &other).await.unwrap();
    e.broker.publish(&heard, message(7)).await.unwrap();
    assert_eq!(sa.wait_on(&heard, 1).await, [message(7)]);
    assert_eq!(sb.wait_on(&heard, 1).await, [message(7)]);
    for (n, s) in [(a, &sa), (b, &sb), (c, &sc)] {
        settle(&e, n, s).await;
    }
    assert_eq!(sa.on(&heard).len(), 1, "at most once per node");
    assert_eq!(sb.on(&heard).len(), 1, "at most once per node");
    assert!(sc.all().iter().all(|(t, _)| *t == Topic::Node(c)), "c heard only its own topic: {:?}", sc.all());
}

/// Subscribing twice delivers once; unsubscribing (once) stops delivery;
/// unsubscribing again, or from a topic never subscribed, is fine.
pub async fn subscribe_is_idempotent_and_unsubscribe_stops(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let n = node();
    let sink = Collector::node(&e, n).await;
    let t = Topic::user(&app(), "u");
    e.broker.subscribe(n, &t).await.unwrap();
    e.broker.subscribe(n, &t).await.unwrap();
    e.broker.publish(&t, invite(1)).await.unwrap();
    assert_eq!(sink.wait_on(&t, 1).await, [invite(1)]);
    e.broker.unsubscribe(n, &t).await.unwrap();
    e.broker.publish(&t, invite(2)).await.unwrap();
    settle(&e, n, &sink).await;
    assert_eq!(sink.on(&t), [invite(1)], "twice subscribed, once delivered; none after unsubscribe");
    e.broker.unsubscribe(n, &t).await.unwrap();
    e.broker.unsubscribe(n, &Topic::user(&app(), "never")).await.unwrap();
    e.broker.subscribe(n, &t).await.unwrap();
    e.broker.publish(&t, invite(3)).await.unwrap();
    assert_eq!(sink.wait_on(&t, 2).await, [invite(1), invite(3)], "subscribed again");
}

/// A publish nobody hears succeeds, on every kind of topic.
pub async fn publish_without_subscribers_is_ok(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let app = app();
    e.broker.publish(&Topic::user(&app, "nobody"), invite(1)).await.unwrap();
    e.broker.publish(&Topic::channel(&app, "nobody"), message(1)).await.unwrap();
    e.broker.publish(&Topic::presence(&app, "nobody"), Event::Presence(PeerState::ONLINE)).await.unwrap();
    let ack = Event::Node(NodeEvent::Ack { ack_id: 1, ok: false });
    e.broker.publish(&Topic::Node(node()), ack).await.unwrap();
    // A registered node that subscribes to nothing else.
    let n = node();
    let sink = Collector::node(&e, n).await;
    e.broker.publish(&Topic::channel(&app, "nobody"), message(2)).await.unwrap();
    settle(&e, n, &sink).await;
    assert_eq!(sink.all().len(), 1, "only the settle marker: {:?}", sink.all());
}

/// 1000 sequential publishes on a topic reach each of two nodes in order.
pub async fn order_per_topic(factory: &impl Factory) {
    const N: u64 = 1000;
    let e = engine(factory, Settings::default()).await;
    let (a, b) = (node(), node());
    let (sa, sb) = (Collector::node(&e, a).await, Collector::node(&e, b).await);
    let t = Topic::channel(&app(), "ordered");
    e.broker.subscribe(a, &t).await.unwrap();
    e.broker.subscribe(b, &t).await.unwrap();
    for i in 0..N {
        e.broker.publish(&t, message(i)).await.unwrap();
    }
    let expected: Vec<Event> = (0..N).map(message).collect();
    assert!(sa.wait_on(&t, N as usize).await == expected, "node a: not all, or out of order");
    assert!(sb.wait_on(&t, N as usize).await == expected, "node b: not all, or out of order");
    settle(&e, a, &sa).await;
    assert_eq!(sa.on(&t).len(), N as usize, "no duplicates");
}

/// A node topic reaches that node only.
pub async fn node_topics(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let (a, b) = (node(), node());
    let (sa, sb) = (Collector::node(&e, a).await, Collector::node(&e, b).await);
    let kick = Event::Node(NodeEvent::Kick { session: 5, reason: ConnectionChangeReason::REMOTE_LOGIN });
    let ack = Event::Node(NodeEvent::Ack { ack_id: 9, ok: true });
    e.broker.publish(&Topic::Node(b), kick.clone()).await.unwrap();
    e.broker.publish(&Topic::Node(a), ack.clone()).await.unwrap();
    assert_eq!(sb.wait_on(&Topic::Node(b), 1).await, [kick]);
    assert_eq!(sa.wait_on(&Topic::Node(a), 1).await, std::slice::from_ref(&ack));
    settle(&e, a, &sa).await;
    assert!(sa.all().iter().all(|(t, _)| *t == Topic::Node(a)), "a heard b's topic: {:?}", sa.all());
    assert_eq!(sa.on(&Topic::Node(a))[0], ack);
}

/// User, channel and presence topics with the same id are distinct, and so
/// are the same topics of two apps.
pub async fn topics_and_apps_are_distinct(factory: &impl Factory) {
    let e = engine(factory, Settings::default()).await;
    let n = node();
    let sink = Collector::node(&e, n).await;
    let (app1, app2) = (app(), app());
    let heard = Topic::user(&app1, "x");
    e.broker.subscribe(n, &heard).await.unwrap();
    e.broker.publish(&Topic::user(&app2, "x"), invite(1)).await.unwrap();
    e.broker.publish(&Topic::channel(&app1, "x"), message(1)).await.unwrap();
    e.broker.publish(&Topic::presence(&app1, "x"), Event::Presence(PeerState::OFFLINE)).await.unwrap();
    e.broker.publish(&heard, invite(2)).await.unwrap();
    assert_eq!(sink.wait_on(&heard, 1).await, [invite(2)]);
    settle(&e, n, &sink).await;
    let others: Vec<_> =
        sink.all().into_iter().filter(|(t, _)| *t != heard && *t != Topic::Node(n)).collect();
    assert!(others.is_empty(), "heard topics it does not subscribe to: {others:?}");
    assert_eq!(sink.on(&heard), [invite(2)]);
}
