//! The real binary, killed with SIGKILL: what the server acknowledged is still
//! there when it comes back. An `enableOfflineMessaging` message to a peer in
//! its grace period (link dropped, session waiting for a resume: the peer
//! counts as online, so the message is pushed into its replay, not delivered)
//! is stored before the sender is answered, and reaches the peer at its next
//! login after the crash.

mod common;
use common::*;
use rtm_protocol::{Payload, Push, Reply, Request};
use std::path::Path;
use std::process::Child;

/// The real binary on a free port with `data_dir`.
fn spawn(data_dir: &Path) -> (Child, String) {
    let dir = data_dir.to_str().unwrap();
    spawn_binary(&["--listen", "127.0.0.1:0", "--grace-secs", "60", "--log", "warn", "--data-dir", dir])
}

#[tokio::test]
async fn an_acknowledged_offline_message_to_a_peer_in_grace_survives_kill_9() {
    let dir = std::env::temp_dir().join(format!("rtm-crash-test-{}", rand::random::<u64>()));
    let (mut server, url) = spawn(&dir);
    let bob = TestClient::login(&url, "app", "bob").await;
    let mut alice = TestClient::login(&url, "app", "alice").await;
    bob.cut();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let payload = Payload::Text("kept".into());
    let r = alice
        .request(Request::SendPeer { peer: "bob".into(), payload: payload.clone(), offline: true })
        .await;
    assert!(matches!(r, Ok(Reply::PeerSent { .. })), "acknowledged to the sender: {r:?}");
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();

    let (mut server, url) = spawn(&dir);
    let mut bob = TestClient::login(&url, "app", "bob").await;
    let got = bob
        .wait_for(10, "the stored message", |p| match p {
            Push::PeerMessage { payload, from, offline, .. } => Some((payload, from, offline)),
            _ => None,
        })
        .await;
    assert_eq!(got, (payload, "alice".to_owned(), true));
    server.kill().unwrap();
    server.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
