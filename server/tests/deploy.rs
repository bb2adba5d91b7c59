//! The deployment files (deploy/) as far as this machine can check them, with
//! the real binary: the example config passes `check-config` for a public
//! address, a broken one fails with a message, the systemd unit passes
//! `systemd-analyze verify`, and `rtm-server health` (the Docker image's
//! HEALTHCHECK) tells a ready server from none. The Dockerfile and the compose
//! files need a Docker engine, which CI does not have: not run here.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// Runs the binary with `args` and no RTM_* settings from the caller's environment.
fn run(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rtm-server"));
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("RTM_")) {
        cmd.env_remove(key);
    }
    cmd.env_remove("RUST_BACKTRACE").args(args).output().expect("rtm-server runs")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn the_example_config_is_valid_for_a_public_address() {
    let config = repo().join("deploy/rtm-server.toml");
    let out = run(&["--config", config.to_str().unwrap(), "--listen", "0.0.0.0:8080", "check-config"]);
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.starts_with("config ok: listen 0.0.0.0:8080"), "{said}");
    assert!(said.contains("development mode off"), "{said}");
}

#[test]
fn check_config_names_what_is_wrong() {
    let dir = std::env::temp_dir().join(format!("rtm-deploy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[limits]\nmax_conections = 5\n").unwrap();
    let out = run(&["--config", bad.to_str().unwrap(), "check-config"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("max_conections"), "{}", text(&out));
    // A public address in development mode is refused, as the server would.
    let out = run(&["--listen", "0.0.0.0:8080", "check-config"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("--insecure"), "{}", text(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_systemd_unit_verifies() {
    if Command::new("systemd-analyze").arg("--version").output().is_err() {
        panic!("systemd-analyze is missing: scripts/setup.sh --test installs it (Debian's systemd)");
    }
    // The unit names /usr/local/bin/rtm-server, where it is installed; verify
    // it against the binary just built, which systemd-analyze checks exists.
    let unit = std::fs::read_to_string(repo().join("deploy/rtm-server.service")).unwrap();
    let unit = unit.replace("/usr/local/bin/rtm-server", env!("CARGO_BIN_EXE_rtm-server"));
    let dir = std::env::temp_dir().join(format!("rtm-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("rtm-server.service");
    std::fs::write(&path, unit).unwrap();
    let out = Command::new("systemd-analyze").arg("verify").arg(&path).output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success() && out.stderr.is_empty(), "{}", text(&out));
}

#[tokio::test]
async fn health_tells_a_ready_server_from_none() {
    let url = start_server().await;
    let addr = url.trim_start_matches("ws://").trim_end_matches("/rtm").to_owned();
    let ready = format!("http://{addr}/readyz");
    let out = tokio::task::spawn_blocking(move || run(&["health", "--url", &ready])).await.unwrap();
    assert!(out.status.success(), "{}", text(&out));
    // The default URL is /readyz at --listen's port (RTM_LISTEN in the image).
    let port = addr.rsplit(':').next().unwrap().to_owned();
    let listen = format!("0.0.0.0:{port}");
    let out = tokio::task::spawn_blocking(move || run(&["--listen", &listen, "health"])).await.unwrap();
    assert!(out.status.success(), "{}", text(&out));

    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let none = format!("http://{}/readyz", free.local_addr().unwrap());
    drop(free);
    let out = run(&["health", "--url", &none]);
    assert!(!out.status.success());
    assert!(text(&out).contains("refused"), "{}", text(&out));
}
