//! A server-side broadcaster: logs in as a service user, joins a channel and
//! sends to it on a schedule, as an app server posting announcements would
//! (a cron-like loop: every `--every` seconds, `--count` times or forever).
//!
//! ```sh
//! npm start          # in another terminal: the demo server on 127.0.0.1:8080
//! cargo run -p rtm-client --example broadcaster -- --channel lobby --every 5
//! ```
//!
//! Flags (each also an environment variable):
//!   --url URL        RTM_URL        default ws://127.0.0.1:8080/rtm
//!   --app APP_ID     RTM_APP_ID     default demo-app (the demo page's)
//!   --uid UID        RTM_UID        default broadcaster
//!   --token TOKEN    RTM_TOKEN      for apps with a certificate
//!   --channel ID     RTM_CHANNEL    default lobby
//!   --every SECS                    default 10
//!   --count N                       stop after N messages (default: never)

use rtm_client::{Client, ConnectionState, Event};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn flag(args: &[String], name: &str, env: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .or_else(|| std::env::var(env).ok())
        .unwrap_or_else(|| default.to_owned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let url = flag(&args, "--url", "RTM_URL", "ws://127.0.0.1:8080/rtm");
    let app = flag(&args, "--app", "RTM_APP_ID", "demo-app");
    let uid = flag(&args, "--uid", "RTM_UID", "broadcaster");
    let token = flag(&args, "--token", "RTM_TOKEN", "");
    let channel_id = flag(&args, "--channel", "RTM_CHANNEL", "lobby");
    let every = Duration::from_secs(flag(&args, "--every", "RTM_EVERY", "10").parse()?);
    let count: u64 = flag(&args, "--count", "RTM_COUNT", "0").parse()?;

    let client = Client::connect(&url, &app)?;
    let mut events = client.events();
    client.login(&uid, Some(token.as_str()).filter(|t| !t.is_empty())).await?;
    let channel = client.channel(&channel_id)?;
    channel.join().await?;
    println!("broadcaster: {uid} in {channel_id}, every {every:?}");

    // `interval` keeps the schedule however long a send takes; a missed tick
    // (the connection was being restored) is skipped, not sent late in a burst.
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut sent = 0;
    while count == 0 || sent < count {
        tokio::select! {
            _ = ticks.tick() => {}
            Some(Event::ConnectionStateChanged { state: ConnectionState::ABORTED, reason }) = events.recv() => {
                eprintln!("broadcaster: the server ended the session ({reason:?})");
                return Ok(());
            }
            _ = tokio::signal::ctrl_c() => break,
        }
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        match channel.send_message(format!("announcement {} (unix time {now})", sent + 1)).await {
            Ok(()) => sent += 1,
            // RECONNECTING, or over the rate budget: the next tick tries again.
            Err(e) => eprintln!("broadcaster: {e}"),
        }
    }
    client.logout().await?;
    Ok(())
}
