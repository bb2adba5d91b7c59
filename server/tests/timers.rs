//! Grace-period and token-expiry timers, on tokio's paused clock: no sleeping,
//! exact boundaries.

use rtm_protocol::{decode, Push, ServerFrame};
use rtm_server::config::Config;
use rtm_server::engine::embedded;
use rtm_server::services::Services;
use rtm_server::sessions::{Outbound, Outbox, Queued};
use rtm_server::Server;
use std::sync::Arc;
use std::time::Duration;

const APP: &str = "970CA35de60c44645bbae8a215061b33";
const CERT: &str = "5CFd2fd1755d40ecb72977518be15d3b";

async fn hub(grace: Duration) -> Arc<Services> {
    let mut config = Config::for_tests();
    config.grace = grace;
    config.apps.insert(APP.into(), Some(CERT.into()));
    let engine = embedded::engine(&Server::embedded_options(&config)).unwrap();
    Services::start(config, engine).await.unwrap()
}

fn pushes(rx: &mut Queued) -> Vec<Push> {
    let mut v = Vec::new();
    while let Ok(item) = rx.try_recv() {
        if let Outbound::Push { seq, body } = item {
            let frame = rtm_protocol::push_frame(seq, &body);
            if let Ok(ServerFrame::Push { push, .. }) = decode::<ServerFrame>(&frame) {
                v.push(push);
            }
        }
    }
    v
}

#[tokio::test(start_paused = true)]
async fn a_detached_session_ends_when_the_grace_period_does() {
    let hub = hub(Duration::from_secs(30)).await;
    let (outbox, _rx, _kill) = Outbox::new(&Default::default());
    let (session, _) = hub.lifecycle.login(&outbox, "dev-app".into(), "alice".into(), None).await.unwrap();
    let online = || async { hub.node.engine.presence.lookup("dev-app", "alice").await.unwrap().is_some() };
    hub.lifecycle.suspend(&session, session.generation());
    tokio::time::sleep(Duration::from_millis(29_900)).await;
    assert!(online().await && !session.has_ended(), "still inside the grace period");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(session.has_ended(), "ended when the grace period is over");
    assert!(!online().await, "and no longer the user");
}

#[tokio::test(start_paused = true)]
async fn a_resumed_session_outlives_its_old_grace_timer() {
    let hub = hub(Duration::from_secs(30)).await;
    let (outbox, _rx, _kill) = Outbox::new(&Default::default());
    let (session, _) = hub.lifecycle.login(&outbox, "dev-app".into(), "alice".into(), None).await.unwrap();
    hub.lifecycle.suspend(&session, session.generation());
    tokio::time::sleep(Duration::from_secs(10)).await;
    let (outbox2, _rx2, _kill2) = Outbox::new(&Default::default());
    let resume = session.resume_token.clone();
    hub.lifecycle.resume(&outbox2, 1, "dev-app".into(), "alice".into(), None, resume, 0).await.unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(!session.has_ended(), "the old timer does not end a resumed session");
}

#[tokio::test(start_paused = true)]
async fn the_token_warning_comes_30_s_before_expiry() {
    let hub = hub(Duration::from_secs(30)).await;
    let (outbox, mut rx, _kill) = Outbox::new(&Default::default());
    let now = (rtm_server::clock::now_ms() / 1000) as u32;
    let token = rtm_server::token::build_007(APP, CERT, "alice", 100, now, 7);
    let (session, _) = hub.lifecycle.login(&outbox, APP.into(), "alice".into(), Some(token)).await.unwrap();
    tokio::time::sleep(Duration::from_secs(65)).await;
    assert_eq!(pushes(&mut rx), [], "nothing 35 s before expiry");
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(pushes(&mut rx), [Push::TokenWillExpire], "warned 30 s before");
    // A renewed token moves the warning.
    let renewed = rtm_server::token::build_007(APP, CERT, "alice", 1_000, now, 8);
    hub.lifecycle.renew(&session, renewed).unwrap();
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert_eq!(pushes(&mut rx), [], "no warning for the renewed token yet");
}
