//! TLS (`wss://`, `https://`) without a proxy in front: the certificate and
//! key from PEM files, and a listener that hands axum streams already past
//! their TLS handshake.
//!
//! Why a [`Listener`] rather than a server of its own (axum-server): the
//! server keeps `axum::serve` and its graceful shutdown, so TLS connections
//! are closed with 1001 and counted in the connection slots exactly like
//! plain ones; only the byte stream under HTTP changes.
//!
//! Handshakes run on their own tasks, each bounded in time: a client that
//! opens a TCP connection and never finishes its handshake (or a plain
//! `ws://` client on this port) holds up nobody else's accept.

use crate::config::TlsFiles;
use anyhow::Context;
use axum::serve::Listener;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// A connection that has not completed its TLS handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Finished handshakes waiting for axum to take them; a small buffer is
/// enough because axum takes each at once (it only spawns a task).
const ACCEPTED_BACKLOG: usize = 64;

/// Reads and checks `files`: every failure names the file at fault, so a
/// misconfigured server stops at startup with a message saying which.
pub fn load(files: &TlsFiles) -> anyhow::Result<Arc<ServerConfig>> {
    let (cert_path, key_path) = (files.cert.display(), files.key.display());
    let cert_pem = read(&files.cert, "certificate")?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("TLS certificate {cert_path}: not valid PEM"))?;
    anyhow::ensure!(!chain.is_empty(), "TLS certificate {cert_path}: no CERTIFICATE block in it");
    let key_pem = read(&files.key, "key")?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .with_context(|| format!("TLS key {key_path}: no private key (PKCS#8, PKCS#1 or SEC1 PEM) in it"))?;
    // ring rather than aws-lc-rs: it builds without cmake or nasm.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    // Checked on its own first, so that a corrupt key is not reported as a
    // key of another certificate.
    provider
        .key_provider
        .load_private_key(key.clone_key())
        .with_context(|| format!("TLS key {key_path}: not a usable RSA, ECDSA or Ed25519 private key"))?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS: the crypto provider supports no protocol version")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .with_context(|| format!("TLS key {key_path} does not fit certificate {cert_path}"))?;
    // HTTP/1.1 only: a WebSocket upgrade is an HTTP/1.1 request, and offering
    // h2 would make browsers try WebSocket over HTTP/2, which this server
    // (axum without its http2 feature) does not speak.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn read(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading TLS {what} {}", path.display()))
}

/// A TCP listener whose connections come out TLS-terminated.
pub struct TlsListener {
    accepted: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    /// Starts accepting on `tcp` (in a task of its own, which ends and frees
    /// the port when this listener is dropped).
    pub fn new(tcp: TcpListener, config: Arc<ServerConfig>) -> io::Result<TlsListener> {
        let local = tcp.local_addr()?;
        let (tx, accepted) = mpsc::channel(ACCEPTED_BACKLOG);
        tokio::spawn(accept_loop(tcp, TlsAcceptor::from(config), tx));
        Ok(TlsListener { accepted, local })
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.accepted.recv().await {
            Some(conn) => conn,
            // The accept loop ends only once this receiver is gone, so this
            // never happens; waiting forever is what an idle listener does.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local)
    }
}

async fn accept_loop(
    mut tcp: TcpListener,
    acceptor: TlsAcceptor,
    tx: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    loop {
        // axum's own TCP accept: it already retries (and backs off on)
        // errors such as running out of file descriptors.
        let (stream, peer) = tokio::select! {
            conn = Listener::accept(&mut tcp) => conn,
            () = tx.closed() => return,
        };
        // Pushes are small and latency matters: no Nagle delay.
        let _ = stream.set_nodelay(true);
        let (acceptor, tx) = (acceptor.clone(), tx.clone());
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    let _ = tx.send((tls, peer)).await;
                }
                // Scanners, plain-HTTP clients and untrusting browsers end
                // here all day: worth a debug line, not a warning.
                Ok(Err(e)) => tracing::debug!(%peer, "TLS handshake failed: {e}"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }
}
