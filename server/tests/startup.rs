//! Safe defaults at startup, with the real binary: on an address other than
//! loopback, a server that would let anyone log in as anyone (development
//! mode, or an app without a certificate) refuses to start unless told
//! `--insecure`, and says why.

mod common;
use common::*;
use std::process::{Command, Stdio};

fn refused(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_rtm-server"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("rtm-server runs");
    assert!(!out.status.success(), "it must not start with {args:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_public_address_without_tokens_needs_insecure() {
    let dir = std::env::temp_dir().join(format!("rtm-startup-{}", rand::random::<u64>()));
    let data = dir.to_str().unwrap();
    let why = refused(&["--listen", "0.0.0.0:0", "--data-dir", data]);
    assert!(why.contains("development mode") && why.contains("--insecure"), "{why}");

    let config = dir.join("open-app.toml");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(&config, "[[apps]]\nid = \"open\"\n").unwrap();
    let why = refused(&["--listen", "0.0.0.0:0", "--data-dir", data, "--config", config.to_str().unwrap()]);
    assert!(why.contains("without a certificate") && why.contains("\"open\""), "{why}");

    // Told so, it starts (and warns); on loopback it needs no flag.
    for args in [vec!["--listen", "0.0.0.0:0", "--insecure"], vec!["--listen", "127.0.0.1:0"]] {
        let (mut server, url) = spawn_binary(&[args, vec!["--data-dir", data, "--log", "warn"]].concat());
        assert!(url.starts_with("ws://"), "{url}");
        server.kill().unwrap();
        server.wait().unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}
