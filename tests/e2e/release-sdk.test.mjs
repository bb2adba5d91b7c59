// The release SDK package (www/pkg: index.js with the wasm-opt'd wasm inside) in a real browser,
// without the demo UI.

import { gzipSync } from 'node:zlib';

const randomUid = (prefix) => `${prefix}-${Math.random().toString(36).slice(2, 10)}`;

// Every enum of agora-rtm-sdk 1.5.1 (index.d.ts, namespace RtmStatusCode), key === value.
const ENUMS = {
  ConnectionState: ['DISCONNECTED', 'CONNECTING', 'CONNECTED', 'RECONNECTING', 'ABORTED'],
  ConnectionChangeReason: ['LOGIN', 'LOGIN_SUCCESS', 'LOGIN_FAILURE', 'LOGIN_TIMEOUT', 'INTERRUPTED', 'LOGOUT',
    'BANNED_BY_SERVER', 'REMOTE_LOGIN', 'TOKEN_EXPIRED'],
  LocalInvitationState: ['IDLE', 'SENT_TO_REMOTE', 'RECEIVED_BY_REMOTE', 'ACCEPTED_BY_REMOTE', 'REFUSED_BY_REMOTE',
    'CANCELED', 'FAILURE'],
  RemoteInvitationState: ['INVITATION_RECEIVED', 'ACCEPT_SENT_TO_LOCAL', 'REFUSED', 'ACCEPTED', 'CANCELED', 'FAILURE'],
  LocalInvitationFailureReason: ['UNKNOWN', 'PEER_NO_RESPONSE', 'INVITATION_EXPIRE', 'PEER_OFFLINE', 'NOT_LOGGEDIN'],
  RemoteInvitationFailureReason: ['UNKNOWN', 'PEER_OFFLINE', 'ACCEPT_FAILURE', 'INVITATION_EXPIRE'],
  PeerOnlineState: ['ONLINE', 'UNREACHABLE', 'OFFLINE'],
  PeerSubscriptionOption: ['ONLINE_STATUS'],
  MessageType: ['TEXT', 'RAW'],
  AreaCode: ['GLOBAL', 'INDIA', 'JAPAN', 'ASIA', 'EUROPE', 'CHINA', 'NORTH_AMERICA'],
};

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const gz = (buf) => gzipSync(buf, { level: 9 }).length;

export async function releaseSdkInBrowser({ browser, baseUrl }) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${baseUrl}/`);

  const uidA = randomUid('rel-a');
  const uidB = randomUid('rel-b');
  const result = await page.evaluate(async ({ ENUMS, uidA, uidB, offlineUid }) => {
    let step = 'import /pkg/index.js';
    const fail = (msg) => { throw new Error(msg); };
    const eq = (a, b, what) => { if (a !== b) fail(`${what}: got ${JSON.stringify(a)}, expected ${JSON.stringify(b)}`); };
    const withTimeout = (promise, ms, what) => Promise.race([
      promise,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms)),
    ]);
    const clients = [];
    try {
      const mod = await import('/pkg/index.js');
      const AgoraRTM = mod.default;

      step = 'module shape';
      if (!AgoraRTM || typeof AgoraRTM !== 'object') fail(`default export is ${typeof AgoraRTM}, expected an object`);
      if (typeof AgoraRTM.VERSION !== 'string' || !AgoraRTM.VERSION) fail(`VERSION is ${JSON.stringify(AgoraRTM.VERSION)}`);
      if (typeof AgoraRTM.BUILD !== 'string') fail(`BUILD is ${typeof AgoraRTM.BUILD}`);
      if (typeof AgoraRTM.createInstance !== 'function') fail('createInstance is not a function');
      if (mod.AgoraRTM !== AgoraRTM) fail('AgoraRTM is not also a named export (import { AgoraRTM })');
      if (typeof AgoraRTM.setArea !== 'function') fail('setArea is not a function');
      for (const name of ['LOG_FILTER_OFF', 'LOG_FILTER_ERROR', 'LOG_FILTER_WARNING', 'LOG_FILTER_INFO']) {
        if (AgoraRTM[name] === undefined) fail(`${name} is missing`);
      }

      step = 'enums';
      for (const [name, values] of Object.entries(ENUMS)) {
        const e = AgoraRTM[name];
        if (!e || typeof e !== 'object') fail(`AgoraRTM.${name} is ${typeof e}`);
        for (const v of values) eq(e[v], v, `AgoraRTM.${name}.${v}`);
        eq(Object.keys(e).sort().join(','), [...values].sort().join(','), `keys of AgoraRTM.${name}`);
      }
      eq(AgoraRTM.ConnectionState.CONNECTED, 'CONNECTED', 'ConnectionState.CONNECTED');

      step = 'createInstance';
      const a = AgoraRTM.createInstance('e2e-app');
      const b = AgoraRTM.createInstance('e2e-app');
      clients.push(a, b);
      if (a === b) fail('createInstance returned the same object twice');

      step = 'EventEmitter';
      const noop = () => {};
      if (a.on('X', noop) !== a) fail("client.on('X', f) did not return the client");
      eq(a.listenerCount('X'), 1, "listenerCount('X') after on");
      if (a.off('X', noop) !== a) fail("client.off('X', f) did not return the client");
      eq(a.listenerCount('X'), 0, "listenerCount('X') after off");

      const statesA = [];
      a.on('ConnectionStateChanged', (state, reason) => statesA.push(`${state}/${reason}`));
      const inbox = [];
      let wake = null;
      b.on('MessageFromPeer', (message, peerId, props) => {
        inbox.push({ message, peerId, props });
        if (wake) wake();
      });
      const nextMessage = (what) => withTimeout(new Promise((resolve) => {
        const take = () => { wake = null; resolve(inbox.shift()); };
        if (inbox.length) take(); else wake = take;
      }), 5000, what);

      step = 'login';
      await Promise.all([a.login({ uid: uidA }), b.login({ uid: uidB })]);
      if (!statesA.includes('CONNECTED/LOGIN_SUCCESS')) fail(`A's states after login: ${statesA.join(' ')}`);

      step = 'send TEXT';
      const text = 'héllo wörld ✓ 🌍 end';
      const sentText = await a.sendMessageToPeer({ text }, uidB);
      eq(JSON.stringify(sentText), JSON.stringify({ hasPeerReceived: true }), 'result of sending TEXT');
      step = 'receive TEXT';
      const t = await nextMessage('B waiting for the TEXT message');
      eq(t.peerId, uidA, 'TEXT peerId');
      eq(t.message.text, text, 'TEXT message.text');
      if (t.message.messageType !== undefined) eq(t.message.messageType, 'TEXT', 'TEXT messageType');
      if (typeof t.props?.serverReceivedTs !== 'number' || !(t.props.serverReceivedTs > 1.5e12)) {
        fail(`TEXT serverReceivedTs is ${JSON.stringify(t.props?.serverReceivedTs)}`);
      }
      eq(t.props.isOfflineMessage, false, 'TEXT isOfflineMessage');

      step = 'send RAW';
      const bytes = new Uint8Array(256).map((_, i) => i);
      const description = 'all 256 byte values';
      const sentRaw = await a.sendMessageToPeer({ rawMessage: bytes, description }, uidB);
      eq(JSON.stringify(sentRaw), JSON.stringify({ hasPeerReceived: true }), 'result of sending RAW');
      step = 'receive RAW';
      const r = await nextMessage('B waiting for the RAW message');
      eq(r.peerId, uidA, 'RAW peerId');
      if (!(r.message.rawMessage instanceof Uint8Array)) fail(`rawMessage is ${Object.prototype.toString.call(r.message.rawMessage)}`);
      eq(r.message.rawMessage.length, 256, 'rawMessage.length');
      const wrong = r.message.rawMessage.findIndex((v, i) => v !== i);
      if (wrong !== -1) fail(`rawMessage[${wrong}] is ${r.message.rawMessage[wrong]}`);
      eq(r.message.description, description, 'RAW description');
      if (r.message.messageType !== undefined) eq(r.message.messageType, 'RAW', 'RAW messageType');

      step = 'send to an offline peer';
      const offline = await a.sendMessageToPeer({ text: 'anyone?' }, offlineUid);
      eq(offline.hasPeerReceived, false, 'hasPeerReceived for a peer that is not logged in');

      step = 'logout';
      await Promise.all([a.logout(), b.logout()]);
      eq(statesA[statesA.length - 1], 'DISCONNECTED/LOGOUT', "A's last state");
      if (inbox.length) fail(`B got ${inbox.length} unexpected extra message(s)`);

      const pkgFiles = performance.getEntriesByType('resource')
        .map((e) => new URL(e.name).pathname)
        .filter((p) => p.startsWith('/pkg/') && p.endsWith('.js'));
      return { version: AgoraRTM.VERSION, statesA, pkgFiles: [...new Set(pkgFiles)] };
    } catch (err) {
      for (const c of clients) c.logout().catch(() => {});
      const code = err && err.code !== undefined ? `${err.code} ` : '';
      throw new Error(`${step}: ${code}${(err && err.name) || 'Error'}: ${(err && err.message) || err}`);
    }
  }, { ENUMS, uidA, uidB, offlineUid: randomUid('nobody') });

  // Size: the SDK's files the browser fetched (under /pkg/: index.js carries the wasm inside).
  // gzip -9 per file, as bench/sdk-size.sh measures.
  let jsRaw = 0;
  let jsGz = 0;
  for (const file of result.pkgFiles) {
    const r = await fetch(`${baseUrl}${file}`);
    if (!r.ok) throw new Error(`GET ${file}: HTTP ${r.status}`);
    const body = Buffer.from(await r.arrayBuffer());
    jsRaw += body.length;
    jsGz += gz(body);
  }
  return `SDK ${result.version}: ${result.pkgFiles.map((f) => f.slice(5)).join(', ')} ` +
    `${kb(jsRaw)} raw, ${kb(jsGz)} gzip (JS and wasm together)`;
}
