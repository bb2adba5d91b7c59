//! TLS on the server's own port (`--tls-cert`, `--tls-key`): clients that
//! trust the certificate log in and message each other over wss://, plain
//! ws:// gets nowhere, graceful shutdown still says 1001, and every bad file
//! stops the server at startup with a message naming it.
//!
//! Each test makes its own self-signed certificate (rcgen) for 127.0.0.1 and
//! localhost, and its clients trust exactly that certificate.

mod common;
use common::*;
use rtm_protocol::{Payload, Push, Reply, Request};
use rtm_server::config::{Config, TlsFiles};
use rtm_server::Server;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

/// A fresh self-signed certificate and key, written as PEM files.
struct TestCert {
    dir: PathBuf,
    files: TlsFiles,
    der: rustls::pki_types::CertificateDer<'static>,
}

impl TestCert {
    fn new(name: &str) -> TestCert {
        let names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
        let made = rcgen::generate_simple_self_signed(names).expect("rcgen makes a certificate");
        let dir = std::env::temp_dir().join(format!("rtm-tls-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let files = TlsFiles { cert: dir.join("cert.pem"), key: dir.join("key.pem") };
        std::fs::write(&files.cert, made.cert.pem()).unwrap();
        std::fs::write(&files.key, made.signing_key.serialize_pem()).unwrap();
        TestCert { dir, files, der: made.cert.der().clone() }
    }

    /// A client config that trusts this certificate and nothing else.
    fn client(&self) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        roots.add(self.der.clone()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Arc::new(config)
    }

    fn config(&self) -> Config {
        Config { tls: Some(self.files.clone()), ..Config::for_tests() }
    }
}

impl Drop for TestCert {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The error `Server::bind` gives for `files`, as the log would show it.
async fn bind_error(files: TlsFiles) -> String {
    let config = Config { tls: Some(files), ..Config::for_tests() };
    match Server::bind(config).await {
        Ok(_) => panic!("the server started with bad TLS files"),
        Err(e) => format!("{e:#}"),
    }
}

#[tokio::test]
async fn peer_message_over_wss() {
    let cert = TestCert::new("peer");
    let server = Server::bind(cert.config()).await.unwrap();
    assert!(server.is_tls());
    let port = server.local_addr().port();
    tokio::spawn(server.run(std::future::pending()));

    // One client by IP, one by name: the certificate covers both.
    let a = TestClient::connect_tls(&format!("wss://127.0.0.1:{port}/rtm"), cert.client()).await.unwrap();
    let b = TestClient::connect_tls(&format!("wss://localhost:{port}/rtm"), cert.client()).await.unwrap();
    let (mut a, _) = a.log_in("app", "alice", None).await;
    let (mut b, _) = b.log_in("app", "bob", None).await;
    let payload = Payload::Text("over TLS".into());
    let id = a
        .send_frame(Request::SendPeer { peer: "bob".into(), payload: payload.clone(), offline: false })
        .await;
    match b.next_push().await {
        Push::PeerMessage { delivery, from, payload: got, .. } => {
            assert_eq!((from.as_str(), got), ("alice", payload));
            b.send_frame(Request::PeerAck { delivery }).await;
        }
        other => panic!("expected a peer message, got {other:?}"),
    }
    assert_eq!(a.reply_to(id).await, Ok(Reply::PeerSent { has_peer_received: true }));
}

#[tokio::test]
async fn plain_ws_and_untrusting_clients_are_refused_and_the_port_keeps_serving() {
    let cert = TestCert::new("refused");
    let server = Server::bind(cert.config()).await.unwrap();
    let port = server.local_addr().port();
    tokio::spawn(server.run(std::future::pending()));

    let plain = within(15, "a plain ws:// attempt to fail", async {
        let req = format!("ws://127.0.0.1:{port}/rtm");
        tokio_tungstenite::connect_async(req).await
    });
    assert!(plain.await.is_err(), "ws:// to a TLS port must not connect");
    let stranger = TestCert::new("stranger");
    let url = format!("wss://127.0.0.1:{port}/rtm");
    let untrusted = TestClient::connect_tls(&url, stranger.client()).await;
    assert!(untrusted.is_err(), "a client that does not trust the certificate must not connect");

    // Failed handshakes cost nothing else: the next client gets in.
    let c = TestClient::connect_tls(&url, cert.client()).await.expect("a trusting client connects");
    c.log_in("app", "carol", None).await;
}

#[tokio::test]
async fn shutdown_closes_wss_connections_with_1001() {
    let cert = TestCert::new("shutdown");
    let server = Server::bind(cert.config()).await.unwrap();
    let port = server.local_addr().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    let c = TestClient::connect_tls(&format!("wss://127.0.0.1:{port}/rtm"), cert.client()).await.unwrap();
    let (mut c, _) = c.log_in("app", "dave", None).await;
    stop.send(()).unwrap();
    assert_eq!(u16::from(c.expect_close().await.code), 1001);
    within(10, "the server to stop", running).await.unwrap().unwrap();
    let port_free = std::net::TcpListener::bind(("127.0.0.1", port));
    assert!(port_free.is_ok(), "the TLS listener released its port");
}

#[tokio::test]
async fn bad_files_stop_the_server_naming_the_file() {
    let cert = TestCert::new("bad");
    let junk = cert.dir.join("junk.pem");
    std::fs::write(&junk, "not a key\n").unwrap();
    let missing = cert.dir.join("missing.pem");
    let other = TestCert::new("other");

    let err = bind_error(TlsFiles { key: junk.clone(), ..cert.files.clone() }).await;
    assert!(err.contains(&junk.display().to_string()) && err.contains("no private key"), "{err}");
    let err = bind_error(TlsFiles { key: missing.clone(), ..cert.files.clone() }).await;
    assert!(err.contains(&missing.display().to_string()) && err.contains("reading TLS key"), "{err}");
    let err = bind_error(TlsFiles { cert: junk.clone(), ..cert.files.clone() }).await;
    assert!(err.contains(&junk.display().to_string()) && err.contains("no CERTIFICATE"), "{err}");
    let err = bind_error(TlsFiles { cert: missing.clone(), ..cert.files.clone() }).await;
    assert!(err.contains(&missing.display().to_string()) && err.contains("reading TLS certificate"), "{err}");
    // A valid key, but of another certificate.
    let err = bind_error(TlsFiles { key: other.files.key.clone(), ..cert.files.clone() }).await;
    assert!(err.contains("does not fit") && err.contains(&other.files.key.display().to_string()), "{err}");
}

#[test]
fn the_binary_says_https_and_rejects_a_bad_key_by_name() {
    let cert = TestCert::new("binary");
    let bin = env!("CARGO_BIN_EXE_rtm-server");
    let base = ["--listen", "127.0.0.1:0", "--log", "warn", "--data-dir"];
    let mut good = Command::new(bin)
        .args(base)
        .arg(cert.dir.join("data"))
        .env("RTM_TLS_CERT", &cert.files.cert)
        .env("RTM_TLS_KEY", &cert.files.key)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(good.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let _ = good.kill();
    let _ = good.wait();
    assert!(line.starts_with("rtm-server listening on https://127.0.0.1:"), "{line}");

    let junk = cert.dir.join("junk.pem");
    std::fs::write(&junk, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").unwrap();
    let bad = Command::new(bin)
        .args(base)
        .arg(cert.dir.join("data"))
        .arg("--tls-cert")
        .arg(&cert.files.cert)
        .arg("--tls-key")
        .arg(&junk)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success(), "a bad key must stop the server");
    assert!(stderr.contains(&junk.display().to_string()), "the error names the key file: {stderr}");
    assert!(bad.stdout.is_empty(), "no listening line before the failure");
}
