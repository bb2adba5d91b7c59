//! A bot that joins a channel and answers peer messages: every message sent
//! to it comes back prefixed with "echo: ". In its channel it welcomes whoever
//! joins, and tells whoever leaves (by peer message) that it saw them go.
//!
//! ```sh
//! npm start          # in another terminal: the demo server on 127.0.0.1:8080
//! cargo run -p rtm-client --example echo_bot -- --uid echo-bot --channel lobby
//! ```
//!
//! Then, in the demo (http://127.0.0.1:8080), log in with any name, message
//! `echo-bot`, and join `lobby`.
//!
//! Flags (each also an environment variable):
//!   --url URL         RTM_URL        default ws://127.0.0.1:8080/rtm
//!   --app APP_ID      RTM_APP_ID     default the demo's app id
//!   --uid UID         RTM_UID        default echo-bot
//!   --token TOKEN     RTM_TOKEN      for apps with a certificate
//!   --channel ID      RTM_CHANNEL    default lobby
//!   --exit-after SECS                log out and exit after this long (tests)

use rtm_client::{ChannelEvent, Client, ConnectionState, Event, Message, SendMessageOptions};
use std::time::Duration;

/// The demo page's app id (www/index.html), which `npm start` serves.
const DEMO_APP_ID: &str = "demo-app";

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
    let app = flag(&args, "--app", "RTM_APP_ID", DEMO_APP_ID);
    let uid = flag(&args, "--uid", "RTM_UID", "echo-bot");
    let token = flag(&args, "--token", "RTM_TOKEN", "");
    let channel_id = flag(&args, "--channel", "RTM_CHANNEL", "lobby");
    let exit_after: u64 = flag(&args, "--exit-after", "RTM_EXIT_AFTER", "0").parse()?;

    let client = Client::connect(&url, &app)?;
    let mut events = client.events();
    client.login(&uid, Some(token.as_str()).filter(|t| !t.is_empty())).await?;
    let channel = client.channel(&channel_id)?;
    channel.join().await?;
    // Scripts wait for this line.
    println!("echo_bot ready: {uid} in {channel_id} on {url}");

    let deadline = async {
        if exit_after == 0 {
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(Duration::from_secs(exit_after)).await;
    };
    tokio::pin!(deadline);
    let peer = SendMessageOptions::default();
    loop {
        let event = tokio::select! {
            event = events.recv() => match event {
                Some(event) => event,
                None => break,
            },
            () = &mut deadline => break,
            _ = tokio::signal::ctrl_c() => break,
        };
        let outcome = match event {
            Event::MessageFromPeer { from, message, .. } => {
                let answer = match message {
                    Message::Text(text) => Message::from(format!("echo: {text}")),
                    raw => raw,
                };
                client.send_message_to_peer(&from, answer, peer).await.map(drop)
            }
            Event::Channel(ChannelEvent::MemberJoined { uid: who, .. }) => {
                channel.send_message(format!("welcome {who}")).await
            }
            Event::Channel(ChannelEvent::MemberLeft { uid: who, channel: id }) => client
                .send_message_to_peer(&who, format!("goodbye {who}, you left {id}"), peer)
                .await
                .map(drop),
            Event::ConnectionStateChanged { state, reason } => {
                eprintln!("echo_bot: {state:?} ({reason:?})");
                if state == ConnectionState::ABORTED {
                    break;
                }
                Ok(())
            }
            _ => Ok(()),
        };
        if let Err(e) = outcome {
            eprintln!("echo_bot: {e}");
        }
    }
    let _ = client.logout().await;
    Ok(())
}
