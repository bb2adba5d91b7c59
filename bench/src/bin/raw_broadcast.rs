//! The floor: a plain tokio-tungstenite server doing what rtm-server does on
//! the benchmarks' paths, with nothing else (no sessions, replay, limits,
//! acknowledgement bookkeeping or binary codec). Text frames:
//!
//! ```text
//! client → server                      server → client
//! L uid            log in              K                 done (login, join)
//! J room           join                C from text       a channel message
//! C room text      to the room         P from id text    a peer message
//! P to id text     to one user         A id ok           the peer's ack (ok: 1/0)
//! A from id        ack a peer message
//! ```
//!
//! Prints `raw-broadcast listening on 127.0.0.1:PORT`; exits when stdin
//! closes (its parent is gone) or after `--max-secs`.

use futures_util::{SinkExt, StreamExt};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

type Tx = mpsc::UnboundedSender<Message>;

#[derive(Default)]
struct State {
    users: HashMap<String, Tx>,
    rooms: HashMap<String, Vec<(String, Tx)>>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let max_secs: u64 = args
        .iter()
        .position(|a| a == "--max-secs")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(600);
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    println!("raw-broadcast listening on {}", listener.local_addr()?);
    let state = Arc::new(Mutex::new(State::default()));
    let accept = async {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, state.clone()));
        }
    };
    let stdin_closed = tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
    });
    tokio::select! {
        () = accept => {}
        _ = stdin_closed => {}
        () = tokio::time::sleep(Duration::from_secs(max_secs)) => {}
    }
    Ok(())
}

async fn serve(stream: TcpStream, state: Arc<Mutex<State>>) {
    let _ = stream.set_nodelay(true);
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else { return };
    let (mut sink, mut stream) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    // Writes what is queued, flushing once per batch.
    let writer = tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            if sink.feed(first).await.is_err() {
                return;
            }
            while let Ok(more) = rx.try_recv() {
                if sink.feed(more).await.is_err() {
                    return;
                }
            }
            if sink.flush().await.is_err() {
                return;
            }
        }
    });
    let mut uid = String::new();
    while let Some(Ok(msg)) = stream.next().await {
        let Message::Text(text) = msg else { continue };
        let mut parts = text.splitn(3, ' ');
        let (verb, a, b) =
            (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let reply = |m: String| {
            let _ = tx.send(Message::Text(m.into()));
        };
        match verb {
            "L" => {
                uid = a.to_owned();
                state.lock().unwrap().users.insert(uid.clone(), tx.clone());
                reply("K".into());
            }
            "J" => {
                state.lock().unwrap().rooms.entry(a.to_owned()).or_default().push((uid.clone(), tx.clone()));
                reply("K".into());
            }
            "C" => {
                // One frame for every member: the bytes are shared, not copied.
                let frame = Message::Text(Utf8Bytes::from(format!("C {uid} {b}")));
                let s = state.lock().unwrap();
                for (member, member_tx) in s.rooms.get(a).into_iter().flatten() {
                    if *member != uid {
                        let _ = member_tx.send(frame.clone());
                    }
                }
            }
            "P" => {
                let (id, body) = b.split_once(' ').unwrap_or((b, ""));
                let to = state.lock().unwrap().users.get(a).cloned();
                match to {
                    Some(to) => {
                        let _ = to.send(Message::Text(format!("P {uid} {id} {body}").into()));
                    }
                    None => reply(format!("A {id} 0")),
                }
            }
            "A" => {
                let from = state.lock().unwrap().users.get(a).cloned();
                if let Some(from) = from {
                    let _ = from.send(Message::Text(format!("A {b} 1").into()));
                }
            }
            _ => {}
        }
    }
    let mut s = state.lock().unwrap();
    if s.users.get(&uid).is_some_and(|t| t.same_channel(&tx)) {
        s.users.remove(&uid);
    }
    for members in s.rooms.values_mut() {
        members.retain(|(_, t)| !t.same_channel(&tx));
    }
    drop(s);
    writer.abort();
}
