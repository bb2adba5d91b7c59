// fanout.mjs — the `fanout` scenario against the Socket.IO baseline: one room of N members, a few
// of which send a burst of channel messages at once; every other member must get every message
// exactly once. Measures delivery throughput, the time for one message to reach all members, and
// the server's CPU per delivery and memory — the figures rtm-server's channel fan-out is judged by.
import { closeAll, connectMany, within, withServer } from './harness.mjs';
import { nowMs, p50p99, round, sleep } from './proc.mjs';

const ROOM = 'fanout';
const TEXT_BYTES = 100;

/** Message text of ~100 bytes: `sender|seq|sendMs|xxx…` (sendMs from process.hrtime). */
function messageText(sender, seq) {
  const head = `${sender}|${seq}|${nowMs().toFixed(4)}|`;
  return head.padEnd(TEXT_BYTES, 'x');
}

/**
 * One fan-out run on a fresh server. `members` includes the `senders` (members 0..senders-1);
 * each sender sends `perSender` messages at once. Fails when a delivery is missing after
 * `timeoutMs` from the first send, doubled, or echoed to its sender.
 */
export async function fanout({ members, senders = 5, perSender = 100, timeoutMs = 60_000 }) {
  const params = { members, senders, messages_per_sender: perSender };
  return withServer(async (server) => {
    const total = senders * perSender;
    const expected = total * (members - 1);
    const counts = new Uint8Array(members * total); // per member per message
    const sendMs = new Float64Array(total);
    const lastMs = new Float64Array(total); // per message: latest receive time over members
    let deliveries = 0; // every channel_message event, doubles included
    let unique = 0;
    let errors = 0;
    let firstError = null;
    let lastDelivery = 0;
    let allDelivered;
    const delivered = new Promise((resolve) => (allDelivered = resolve));
    const fail = (msg) => {
      errors++;
      firstError ??= msg;
    };

    const onMessage = (member) => (from, text) => {
      const t = nowMs();
      deliveries++;
      const a = text.indexOf('|');
      const b = text.indexOf('|', a + 1);
      const c = text.indexOf('|', b + 1);
      const sender = Number(text.slice(0, a));
      const seq = Number(text.slice(a + 1, b));
      if (!(sender >= 0 && sender < senders && seq >= 0 && seq < perSender) || from !== `m${sender}`) {
        return fail(`member ${member} got a malformed message from ${from}: ${text.slice(0, 40)}`);
      }
      if (sender === member) return fail(`sender ${member} got its own message ${seq} back`);
      const k = sender * perSender + seq;
      const idx = member * total + k;
      if (counts[idx] !== 0) {
        if (counts[idx] < 255) counts[idx]++;
        return fail(`member ${member} got message ${sender}/${seq} twice`);
      }
      counts[idx] = 1;
      if (sendMs[k] === 0) sendMs[k] = Number(text.slice(b + 1, c));
      if (t > lastMs[k]) lastMs[k] = t;
      lastDelivery = t;
      if (++unique === expected) allDelivered();
    };

    const sockets = await connectMany(server.url, members, {
      uidOf: (i) => `m${i}`,
      room: ROOM,
      setup: (socket, i) => socket.on('channel_message', onMessage(i)),
    });
    try {
      await sleep(500); // let the joins settle before the clock starts
      const cpu0 = server.cpuUs();
      let acked = 0;
      let refused = 0;
      let allSent;
      const allAcked = new Promise((resolve) => (allSent = resolve));
      const onAck = (ok) => {
        if (ok !== true) refused++;
        if (++acked === total) allSent();
      };
      const start = nowMs();
      // The burst: every message of every sender emitted in one go, the senders interleaved.
      for (let seq = 0; seq < perSender; seq++) {
        for (let s = 0; s < senders; s++) {
          sockets[s].emit('channel_message', ROOM, messageText(s, seq), onAck);
        }
      }
      let missing = 0; // at the deadline
      await within(timeoutMs, 'fanout deliveries', delivered).catch(() => (missing = expected - unique));
      const cpu1 = server.cpuUs();
      await within(10_000, 'sender acks', allAcked).catch(() => fail(`only ${acked} of ${total} sends acked`));
      await sleep(250); // late doubles would show here
      if (refused) fail(`${refused} sends refused by the server`);
      if (missing) fail(`missing ${missing} of ${expected} deliveries after ${timeoutMs / 1000} s`);

      const seconds = (lastDelivery - start) / 1000;
      const latencies = [];
      for (let k = 0; k < total; k++) if (sendMs[k] > 0 && lastMs[k] > 0) latencies.push(lastMs[k] - sendMs[k]);
      const metrics = {
        deliveries,
        expected,
        seconds: round(seconds, 3),
        deliveries_per_s: seconds > 0 ? Math.round(unique / seconds) : null,
        ...p50p99(latencies),
        server_cpu_us_per_delivery: deliveries > 0 ? round((cpu1 - cpu0) / deliveries, 3) : null,
        server_rss_kib: server.rssKib(),
      };
      const result = { scenario: 'fanout', server: 'socketio', params, metrics, ok: errors === 0 };
      if (errors) result.error = errors > 1 ? `${firstError} (and ${errors - 1} more errors)` : firstError;
      return result;
    } finally {
      closeAll(sockets);
    }
  });
}
