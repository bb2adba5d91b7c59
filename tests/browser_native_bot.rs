//! A browser user and a native bot (rtm-client's echo_bot example, started by
//! the harness) on one rtm-server: peer messages arrive both ways, and the bot
//! sees the browser user join and leave its channel.
#![cfg(target_arch = "wasm32")]

mod support;
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_browser_user_and_a_native_bot_understand_each_other() {
    let (app, bot, room, me) = (unique("app"), unique("bot"), unique("room"), unique("user"));
    control("POST", &format!("/bot?app={app}&uid={bot}&channel={room}")).await;
    let user = client(&app);
    let inbox = Recorder::on(&user, "MessageFromPeer");
    login(&user, &me).await;

    // Browser → bot → browser.
    let sent =
        settle(user.send_message_to_peer(&text("ping"), &bot.clone().into(), &JsValue::UNDEFINED)).await;
    assert!(has_peer_received(&sent.unwrap()), "the bot's client acknowledged the message");
    let calls = inbox.wait_for(1).await;
    assert_eq!(texts(&calls), ["echo: ping"]);
    assert_eq!(calls[0].get(1).as_string(), Some(bot.clone()), "from the bot");

    // The bot sees the user join (it welcomes them in the channel) and leave
    // (it says goodbye by peer message).
    let channel = user.create_channel(&room.clone().into()).unwrap();
    let said = Recorder::on_channel(&channel, "ChannelMessage");
    settle(channel.join()).await.unwrap();
    assert_eq!(texts(&said.wait_for(1).await), [format!("welcome {me}")]);
    settle(channel.leave()).await.unwrap();
    let calls = inbox.wait_for(2).await;
    assert_eq!(texts(&calls)[1], format!("goodbye {me}, you left {room}"));
    settle(user.logout()).await.unwrap();
}
