// Vite + TypeScript: `import AgoraRTM from 'rtm-wasm'` and nothing in any config.
import AgoraRTM from 'rtm-wasm';
import type { RtmClient, RtmError, RtmReceivedMessage, RtmConfig } from 'rtm-wasm';

const result = document.getElementById('result')!;
const report = (status: 'pass' | 'fail', text: string): void => {
  result.dataset.status = status;
  result.textContent = text;
};

// The server: this page's origin (/rtm) unless ?server=ws://host:port/rtm says otherwise
// (the Vite dev server serves the page, rtm-server the WebSocket).
const serverUrl = new URLSearchParams(location.search).get('server');
const config: RtmConfig | undefined = serverUrl ? { serverUrl } : undefined;

// Synchronous, right after the import, as with agora-rtm-sdk.
const alice: RtmClient = AgoraRTM.createInstance('examples', config);
const bob: RtmClient = AgoraRTM.createInstance('examples', config);

async function run(): Promise<string> {
  const id = Math.random().toString(36).slice(2, 8);
  const aliceId = `alice-${id}`;
  const bobId = `bob-${id}`;
  const text = 'hello from Vite + TypeScript';
  const received = new Promise<{ message: RtmReceivedMessage; peerId: string }>((resolve) => {
    bob.on('MessageFromPeer', (message, peerId) => resolve({ message, peerId }));
  });
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no message within 5 s')), 5000));

  await Promise.all([alice.login({ uid: aliceId }), bob.login({ uid: bobId })]);
  const { hasPeerReceived } = await alice.sendMessageToPeer({ text }, bobId);
  const { message, peerId } = await Promise.race([received, timeout]);
  const got = message.messageType === 'TEXT' ? message.text : `${message.rawMessage.length} raw bytes`;
  if (got !== text || peerId !== aliceId || !hasPeerReceived) {
    throw new Error(`got ${JSON.stringify(got)} from ${peerId}, hasPeerReceived ${hasPeerReceived}`);
  }
  await Promise.all([alice.logout(), bob.logout()]);
  return `PASS: ${bobId} got "${got}" from ${peerId} (SDK ${AgoraRTM.VERSION})`;
}

run().then(
  (text) => report('pass', text),
  (err: RtmError) => report('fail', `FAIL: ${err.code !== undefined ? `${err.code} ` : ''}${err.name}: ${err.message}`),
);
