// An app written for agora-rtm-sdk 1.x, built with webpack 4, unchanged: package.json maps
// "agora-rtm-sdk" to rtm-wasm ("file:../../pkg" here; "npm:rtm-wasm@^0.1.0" from the registry).
import AgoraRTM from 'agora-rtm-sdk';

const result = document.getElementById('result');
function report(status, text) {
  result.dataset.status = status;
  result.textContent = text;
}

// The server: this page's origin (/rtm) unless ?server=ws://host:port/rtm says otherwise.
const serverUrl = new URLSearchParams(location.search).get('server');
const config = serverUrl ? { serverUrl } : undefined;

// Synchronous, right after the import, as with agora-rtm-sdk.
const alice = AgoraRTM.createInstance('examples', config);
const bob = AgoraRTM.createInstance('examples', config);

async function run() {
  const id = Math.random().toString(36).slice(2, 8);
  const aliceId = `alice-${id}`;
  const bobId = `bob-${id}`;
  const text = 'hello from webpack 4';
  const received = new Promise((resolve) => {
    bob.on('MessageFromPeer', (message, peerId) => resolve({ message, peerId }));
  });
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('no message within 5 s')), 5000));

  await Promise.all([alice.login({ uid: aliceId }), bob.login({ uid: bobId })]);
  const { hasPeerReceived } = await alice.sendMessageToPeer({ text }, bobId);
  const { message, peerId } = await Promise.race([received, timeout]);
  if (message.text !== text || peerId !== aliceId || !hasPeerReceived) {
    throw new Error(`got ${JSON.stringify(message.text)} from ${peerId}, hasPeerReceived ${hasPeerReceived}`);
  }
  await Promise.all([alice.logout(), bob.logout()]);
  return `PASS: ${bobId} got "${message.text}" from ${peerId} (SDK ${AgoraRTM.VERSION})`;
}

run().then(
  (text) => report('pass', text),
  (err) => report('fail', `FAIL: ${err.code !== undefined ? `${err.code} ` : ''}${err.name}: ${err.message}`),
);
