//! Cheap enough for load generation: a thousand clients in one process, each
//! costing a fixed number of tasks however many messages it gets (no task
//! per message), all of them receiving a burst in a channel.

mod common;
use common::*;
use rtm_client::{ChannelEvent, Client};
use std::time::Duration;

const CLIENTS: usize = 1_000;
const MESSAGES: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_clients_in_one_process() {
    let url = server().await;
    let room = unique("room");
    let mut clients = Vec::with_capacity(CLIENTS);
    let mut streams = Vec::with_capacity(CLIENTS);
    // Log in 50 at a time, as a load generator ramps up.
    for batch in 0..CLIENTS / 50 {
        let logins = (0..50).map(|i| {
            let (url, room) = (url.clone(), room.clone());
            tokio::spawn(async move {
                let client = Client::connect(&url, "app").unwrap();
                client.login(&format!("load-{}", batch * 50 + i), None).await.unwrap();
                let channel = client.channel(&room).unwrap();
                let events = channel.events();
                channel.join().await.unwrap();
                (client, events)
            })
        });
        for login in futures_util::future::join_all(logins).await {
            let (client, events) = login.unwrap();
            clients.push(client);
            streams.push(events);
        }
    }
    let metrics = tokio::runtime::Handle::current().metrics();
    let tasks_before = metrics.num_alive_tasks();

    let sender = clients[0].channel(&room).unwrap();
    for n in 0..MESSAGES {
        sender.send_message(format!("burst {n}")).await.unwrap();
    }
    // Every other client gets every message, in order.
    for (i, events) in streams.iter_mut().enumerate().skip(1) {
        let mut got = 0;
        while got < MESSAGES {
            let event = tokio::time::timeout(Duration::from_secs(30), events.recv()).await;
            match event.unwrap_or_else(|_| panic!("client {i} got {got} of {MESSAGES} messages")) {
                Some(ChannelEvent::Message { message, .. }) => {
                    assert_eq!(message, format!("burst {got}").into(), "client {i}, in order");
                    got += 1;
                }
                Some(_) => {}
                None => panic!("client {i}'s stream ended"),
            }
        }
    }
    let tasks_after = metrics.num_alive_tasks();
    assert!(
        tasks_after <= tasks_before + 10,
        "{MESSAGES} messages × {CLIENTS} clients added tasks: {tasks_before} -> {tasks_after}"
    );
    eprintln!("{CLIENTS} clients: {tasks_before} tasks in this process (clients and server) before the burst, {tasks_after} after");
}
