// senders.mjs — the rtm-sdk case's feed: channel messages from outside the page, sent by the
// SDK itself running in Node (pkg/index.cjs, with the `ws` package as the global WebSocket),
// through rtm-server. The server allows one sender 180 messages (peer and channel) per 3 s, so a
// burst of N messages needs N/150 senders, each a fresh client (a fresh budget) per burst.
// Senders join, send and leave one after the other: were they all in the channel together, each
// would also receive the others' messages (19 × 3,000 deliveries decoded in this process while
// the page drains). The page sees them join and leave (two member events per sender) besides the
// messages. In run.mjs's process: nothing to outlive it.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
if (typeof globalThis.WebSocket !== 'function') globalThis.WebSocket = WebSocket; // Node 20 has none
const AgoraRTM = createRequire(import.meta.url)(join(root, 'pkg', 'index.cjs'));

export const MAX_PER_SENDER = 150; // under the server's 180 per 3 s, with room

/** Splits `messages` over `senders` ids: [{ id, count }]. */
export function plan(messages, senders, prefix) {
  const base = Math.floor(messages / senders);
  return Array.from({ length: senders }, (_, i) => ({
    id: `${prefix}-s${String(i).padStart(2, '0')}`,
    count: base + (i < messages % senders ? 1 : 0),
  }));
}

/** Logs every sender of `plan` in (before the measured window): an array of clients. */
export async function loginSenders({ serverUrl, appId, plan: senders }) {
  return Promise.all(senders.map(async ({ id, count }) => {
    const client = AgoraRTM.createInstance(appId, { serverUrl });
    await client.login({ uid: id });
    return { id, count, client };
  }));
}

/**
 * Each sender in turn joins `channelId`, sends its messages (all in flight at once, each resolved
 * when the server has taken it) and leaves. Resolves with the time it took.
 */
export async function sendBurst(senders, channelId, text) {
  const t0 = performance.now();
  for (const { id, count, client } of senders) {
    const channel = client.createChannel(channelId);
    await channel.join();
    const sends = [];
    for (let seq = 0; seq < count; seq++) sends.push(channel.sendMessage({ text: text(seq, id) }));
    const failed = (await Promise.allSettled(sends)).filter((r) => r.status === 'rejected');
    if (failed.length) {
      const err = failed[0].reason;
      throw new Error(`${id}: ${failed.length} of ${count} channel messages refused (${err?.code ?? ''} ${err?.message ?? err})`);
    }
    await channel.leave();
  }
  return { sendMs: performance.now() - t0 };
}

export async function logoutSenders(senders) {
  await Promise.allSettled(senders.map(({ client }) => client.logout()));
}

export const sdkVersion = AgoraRTM.VERSION;
