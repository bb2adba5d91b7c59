// Agora's RTM REST API (docs/rest-api.md) against the harness's server, over real HTTP from node,
// received by the SDK (www/pkg) in Chromium exactly as a message from that user: MessageFromPeer
// with hasPeerReceived semantics (wait_for_ack: delivered when the SDK has it, offline when no
// one is logged in), offline storage, ChannelMessage; bad credentials get 401 and a bad body
// Agora's failure JSON, and neither sends anything.

import { randomUid, requireControl } from './helpers.mjs';

const STEP_MS = 10_000;

/** The harness's app: id, certificate, REST key and secret; a REST-enabled config is required. */
async function restApp(control) {
  const config = await (await fetch(`${requireControl(control, 'rest.*')}/config`)).json();
  if (!config.configLoaded || !config.customerKey) {
    throw new Error('the harness server runs without its config file (no customer_key/customer_secret): see tests/harness/app.mjs');
  }
  return config;
}

/** A login token for `uid` of the harness's app, minted by Agora's agora-token library. */
async function token(control, uid) {
  const res = await fetch(`${control}/token?uid=${encodeURIComponent(uid)}`);
  if (!res.ok) throw new Error(`GET /token: HTTP ${res.status}: ${await res.text()}`);
  return res.text();
}

/** POSTs `body` to the REST API at `path`; resolves with { status, json }. */
async function rest(baseUrl, app, path, body, { auth, contentType = 'application/json' } = {}) {
  const basic = Buffer.from(auth ?? `${app.customerKey}:${app.customerSecret}`).toString('base64');
  const res = await fetch(`${baseUrl}/dev/v2/project/${app.appId}/rtm/${path}`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(STEP_MS),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* reported below */ }
  return { status: res.status, json, text };
}

function expectAnswer(answer, status, result, code, what) {
  const { json } = answer;
  if (answer.status !== status || json?.result !== result || json?.code !== code || !json?.request_id) {
    throw new Error(`${what}: expected HTTP ${status} {result: ${result}, code: ${code}, request_id}, got HTTP ${answer.status} ${answer.text}`);
  }
}

/**
 * A page with an SDK client of the harness's app logged in as `uid` (token from Agora's library);
 * every MessageFromPeer and ChannelMessage (after joining `channel`, if given) lands in
 * window.__got as {kind, text, from, offline}.
 */
async function loggedIn(browser, baseUrl, app, uid, tokenText, channel) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${baseUrl}/`);
  await page.evaluate(async ({ appId, uid, tokenText, channel }) => {
    const AgoraRTM = (await import('/pkg/index.js')).default;
    window.__got = [];
    const client = AgoraRTM.createInstance(appId, { logFilter: AgoraRTM.LOG_FILTER_OFF });
    client.on('MessageFromPeer', (message, peerId, props) => {
      window.__got.push({ kind: 'peer', text: message.text, from: peerId, offline: props.isOfflineMessage });
    });
    await client.login({ uid, token: tokenText });
    if (channel) {
      const ch = client.createChannel(channel);
      ch.on('ChannelMessage', (message, memberId) => window.__got.push({ kind: 'channel', text: message.text, from: memberId }));
      await ch.join();
    }
    window.__client = client;
  }, { appId: app.appId, uid, tokenText, channel });
  return { page, context };
}

/** Waits until the page got `n` messages; returns them. */
async function received(page, n, what) {
  try {
    await page.waitForFunction((n) => window.__got.length >= n, n, { timeout: STEP_MS });
  } catch {
    throw new Error(`${what}: the SDK received ${JSON.stringify(await page.evaluate(() => window.__got))}, expected ${n} message(s)`);
  }
  return page.evaluate(() => window.__got);
}

function expectMessage(got, expected, what) {
  for (const [key, value] of Object.entries(expected)) {
    if (got?.[key] !== value) throw new Error(`${what}: got ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
  }
}

export async function restPeerMessageHasPeerReceivedSemantics({ browser, baseUrl, control }) {
  const app = await restApp(control);
  const bob = randomUid('rest-bob');
  const sender = randomUid('rest-server');
  const { page, context } = await loggedIn(browser, baseUrl, app, bob, await token(control, bob));

  // Online: wait_for_ack answers message_delivered once the SDK has it, as hasPeerReceived: true.
  const delivered = await rest(baseUrl, app, `users/${sender}/peer_messages?wait_for_ack=true`,
    { destination: bob, enable_offline_messaging: false, enable_historical_messaging: false, payload: 'hello from REST' });
  expectAnswer(delivered, 200, 'success', 'message_delivered', 'REST peer message to a logged-in SDK user');
  const [first] = await received(page, 1, 'after the delivered REST message');
  expectMessage(first, { kind: 'peer', text: 'hello from REST', from: sender, offline: false }, 'MessageFromPeer');

  // Without wait_for_ack: message_sent at once, and the SDK still gets it.
  const sent = await rest(baseUrl, app, `users/${sender}/peer_messages`, { destination: bob, payload: 'second' });
  expectAnswer(sent, 200, 'success', 'message_sent', 'REST peer message without wait_for_ack');
  expectMessage((await received(page, 2, 'after the second message'))[1], { text: 'second', from: sender }, 'second MessageFromPeer');

  // Not logged in: message_offline, as hasPeerReceived: false. Stored with
  // enable_offline_messaging, it reaches the user's next login as an offline message.
  const carol = randomUid('rest-carol');
  const offline = await rest(baseUrl, app, `users/${sender}/peer_messages?wait_for_ack=true`,
    { destination: carol, enable_offline_messaging: true, payload: 'while you were away' });
  expectAnswer(offline, 200, 'success', 'message_offline', 'REST peer message to a user who is not logged in');
  const lost = await rest(baseUrl, app, `users/${sender}/peer_messages?wait_for_ack=true`, { destination: carol, payload: 'not stored' });
  expectAnswer(lost, 200, 'success', 'message_offline', 'REST peer message without offline messaging');
  const later = await loggedIn(browser, baseUrl, app, carol, await token(control, carol));
  const [stored] = await received(later.page, 1, 'carol after logging in');
  expectMessage(stored, { kind: 'peer', text: 'while you were away', from: sender, offline: true }, 'the stored message');
  await later.page.waitForTimeout(300);
  const all = await later.page.evaluate(() => window.__got);
  if (all.length !== 1) throw new Error(`carol got ${JSON.stringify(all)}: only the message sent with enable_offline_messaging is kept`);
  await later.context.close();
  await context.close();
}

export async function restChannelMessageReachesMembers({ browser, baseUrl, control }) {
  const app = await restApp(control);
  const channel = randomUid('rest-room');
  const sender = randomUid('rest-server');
  const members = [];
  for (const who of ['m1', 'm2']) {
    const uid = randomUid(`rest-${who}`);
    members.push(await loggedIn(browser, baseUrl, app, uid, await token(control, uid), channel));
  }
  const answer = await rest(baseUrl, app, `users/${sender}/channel_messages`,
    { channel_name: channel, enable_historical_messaging: false, payload: 'to the channel' });
  expectAnswer(answer, 200, 'success', 'message_sent', 'REST channel message');
  for (const [i, m] of members.entries()) {
    const [got] = await received(m.page, 1, `member ${i + 1}`);
    expectMessage(got, { kind: 'channel', text: 'to the channel', from: sender }, `member ${i + 1}'s ChannelMessage`);
  }
  for (const m of members) await m.context.close();
}

export async function restRefusesBadAuthAndBadBodies({ browser, baseUrl, control }) {
  const app = await restApp(control);
  const bob = randomUid('rest-bob');
  const { page, context } = await loggedIn(browser, baseUrl, app, bob, await token(control, bob));
  const path = `users/${randomUid('rest-server')}/peer_messages`;
  const good = { destination: bob, payload: 'never sent' };

  expectAnswer(await rest(baseUrl, app, path, good, { auth: `${app.customerKey}:wrong` }), 401, 'failed', 'unauthorized', 'a wrong customer secret');
  expectAnswer(await rest(baseUrl, app, path, good, { auth: `wrong:${app.customerSecret}` }), 401, 'failed', 'unauthorized', 'a wrong customer key');
  expectAnswer(await rest(baseUrl, app, path, '{"destination": '), 400, 'failed', 'invalid_body', 'a body that is not JSON');
  expectAnswer(await rest(baseUrl, app, path, { payload: 'x' }), 400, 'failed', 'invalid_destination', 'a body without destination');
  expectAnswer(await rest(baseUrl, app, path, { destination: bob, payload: '' }), 400, 'failed', 'invalid_payload', 'an empty payload');
  expectAnswer(await rest(baseUrl, app, path, { destination: bob, payload: 'x'.repeat(32 * 1024 + 1) }), 400, 'failed', 'invalid_payload', 'a payload over 32 KB');
  expectAnswer(await rest(baseUrl, app, path, good, { contentType: 'text/plain' }), 415, 'failed', 'unsupported_media_type', 'a body sent as text/plain');

  // None of them reached the SDK.
  await page.waitForTimeout(500);
  const got = await page.evaluate(() => window.__got);
  if (got.length) throw new Error(`refused requests still sent messages: ${JSON.stringify(got)}`);
  await context.close();
}
