//! `--log-format json` (and `RTM_LOG_FORMAT=json`) with the real binary: what
//! a log shipper reads from its standard error is one JSON object per line,
//! with a timestamp, a level, a target and the message; the default stays
//! text for people.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Starts the binary on a free loopback port with `args` and `env`, waits
/// until it listens and has logged its startup, stops it with SIGTERM, and
/// returns every line it wrote to standard error.
fn run_and_stop(args: &[&str], env: &[(&str, &str)]) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("rtm-logs-{}", rand::random::<u64>()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_rtm-server"))
        .args(["--listen", "127.0.0.1:0", "--data-dir", dir.to_str().unwrap()])
        .args(args)
        .env_remove("RTM_LOG_FORMAT")
        .env_remove("RTM_LOG")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rtm-server starts");
    let mut listening = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut listening).unwrap();
    assert!(listening.starts_with("rtm-server listening on http://"), "stdout keeps its line: {listening}");
    // Lines are read on a thread, so that a server that hangs fails the test
    // instead of blocking it.
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            if tx.send(line.unwrap()).is_err() {
                return;
            }
        }
    });
    let mut lines = Vec::new();
    while !lines.iter().any(|l: &String| l.contains("serving static files")) {
        lines.push(rx.recv_timeout(Duration::from_secs(10)).expect("the startup lines within 10 s"));
    }
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(10)) {
        lines.push(line);
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "stopped cleanly by SIGTERM: {status}");
    let _ = std::fs::remove_dir_all(&dir);
    lines
}

fn assert_json_lines(lines: &[String]) {
    assert!(lines.iter().any(|l| l.contains("stopped")), "the shutdown is logged: {lines:#?}");
    for line in lines {
        let entry: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not one JSON object ({e}): {line}"));
        assert!(
            entry["timestamp"].as_str().is_some_and(|t| t.contains('T')),
            "an RFC 3339 timestamp: {line}"
        );
        assert!(["TRACE", "DEBUG", "INFO", "WARN", "ERROR"].contains(&entry["level"].as_str().unwrap_or("")));
        assert!(entry["target"].as_str().is_some_and(|t| t.starts_with("rtm_server")), "{line}");
        assert!(entry["fields"]["message"].is_string(), "the message: {line}");
    }
    let started = lines.iter().find(|l| l.contains("serving static files")).unwrap();
    let started: serde_json::Value = serde_json::from_str(started).unwrap();
    assert_eq!(started["level"], "INFO");
    assert!(started["fields"]["www"].is_string(), "structured fields stay fields: {started}");
}

#[test]
fn json_logs_are_one_object_per_line() {
    assert_json_lines(&run_and_stop(&["--log-format", "json"], &[]));
}

#[test]
fn json_logs_can_be_chosen_by_the_environment() {
    assert_json_lines(&run_and_stop(&[], &[("RTM_LOG_FORMAT", "json")]));
}

#[test]
fn text_is_the_default() {
    let lines = run_and_stop(&[], &[]);
    let started = lines.iter().find(|l| l.contains("serving static files")).unwrap();
    assert!(started.contains("INFO") && !started.starts_with('{'), "{started}");
}

#[test]
fn an_unknown_format_is_refused_with_the_choices() {
    let out = Command::new(env!("CARGO_BIN_EXE_rtm-server"))
        .args(["--listen", "127.0.0.1:0", "--log-format", "xml"])
        .output()
        .expect("rtm-server runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("text") && err.contains("json"), "{err}");
}
