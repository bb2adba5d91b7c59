// peer-rtt.mjs — the `peer_rtt` scenario against the Socket.IO baseline: the round trip of a peer
// message and its receipt (sender -> server -> receiver -> server -> sender, RTM's hasPeerReceived)
// over pairs of clients, idle (one pair, one message at a time), at saturation (open loop, each
// sender paced under RTM's per-user budget, at most 64 outstanding), and at 50% and 90% of the
// measured saturation rate. Latency under a known load is what a chat app's users feel.
import { closeAll, connectMany, within, withServer } from './harness.mjs';
import { nowMs, p50p99, round, sleep } from './proc.mjs';

const TEXT = 'p'.repeat(100);
const MAX_OUTSTANDING = 64;
const TICK_MS = 5;
const DRAIN_MS = 35_000; // longer than the server's receipt deadline (30 s)

/** 2 × `pairs` logged-in clients: senders s0.. and receivers r0.., which acknowledge every message. */
async function openPairs(url, pairs, onBadSender) {
  const receivers = await connectMany(url, pairs, {
    uidOf: (i) => `r${i}`,
    setup: (socket, i) =>
      socket.on('peer_message', (from, id, text, cb) => {
        if (from !== `s${i}`) onBadSender(`r${i} got a message from ${from}`);
        cb();
      }),
  });
  try {
    const senders = await connectMany(url, pairs, { uidOf: (i) => `s${i}` });
    return { senders, receivers };
  } catch (err) {
    closeAll(receivers);
    throw err;
  }
}

/** `count` sequential round trips over pair 0. */
async function idleRun(sender, count) {
  const rtts = [];
  let failed = 0;
  const start = nowMs();
  for (let id = 0; id < count; id++) {
    const t0 = nowMs();
    const ok = await within(DRAIN_MS, 'peer receipt', sender.emitWithAck('peer_message', 'r0', id, TEXT));
    if (ok === true) rtts.push(nowMs() - t0);
    else failed++;
  }
  const seconds = (nowMs() - start) / 1000;
  return { rtts, failed, achieved_per_s: round(count / seconds, 1) };
}

/**
 * Open loop: sender i sends at `ratePerSender`/s on a fixed schedule (phases spread over the
 * senders) for `seconds`; a send due while 64 of its messages are outstanding is skipped (counted,
 * not queued). Achieved rate = receipts / (last receipt - first send): under overload the queues
 * stay full until the last receipt, so this is the server's throughput (receipts inside the
 * window alone would mostly measure how long the first flood takes to queue up).
 */
function paced(senders, ratePerSender, seconds) {
  const pairs = senders.length;
  const due = new Float64Array(pairs);
  const outstanding = new Int32Array(pairs);
  const rtts = [];
  let nextId = 0;
  let sent = 0;
  let skipped = 0;
  let failed = 0;
  let completed = 0;
  let lastAck = 0;
  let pending = 0;
  let sending = true;
  const start = nowMs();
  const end = start + seconds * 1000;
  return new Promise((resolve) => {
    const finish = () =>
      resolve({ rtts, sent, skipped, failed, pending, achieved_per_s: completed ? round((completed * 1000) / (lastAck - start), 1) : 0 });
    const send = (i) => {
      const t0 = nowMs();
      outstanding[i]++;
      pending++;
      sent++;
      senders[i].emit('peer_message', `r${i}`, nextId++, TEXT, (ok) => {
        const t1 = nowMs();
        outstanding[i]--;
        pending--;
        if (ok === true) {
          rtts.push(t1 - t0);
          completed++;
          lastAck = t1;
        } else failed++;
        if (!sending && pending === 0) finish();
      });
    };
    const tick = () => {
      const t = Math.min(nowMs(), end);
      const elapsed = (t - start) / 1000;
      for (let i = 0; i < pairs; i++) {
        const target = Math.floor(ratePerSender * elapsed + i / pairs);
        while (due[i] < target) {
          due[i]++;
          if (outstanding[i] >= MAX_OUTSTANDING) skipped++;
          else send(i);
        }
      }
      if (t >= end) {
        clearInterval(timer);
        sending = false;
        if (pending === 0) finish();
        else
          setTimeout(() => {
            if (pending > 0) finish();
          }, DRAIN_MS).unref();
      }
    };
    const timer = setInterval(tick, TICK_MS);
  });
}

/** The four peer_rtt entries (idle, saturation, 50%, 90%) on one fresh server. */
export async function peerRtt({ idleMessages = 300, pairs = 1000, ratePerSender = 55, seconds = 5 }) {
  return withServer(async (server) => {
    let badSender = null;
    const { senders, receivers } = await openPairs(server.url, pairs, (msg) => (badSender ??= msg));
    const results = [];
    const entry = (load, pairCount, offered, run, extra = {}) => {
      const errors = [];
      if (run.failed) errors.push(`${run.failed} messages not received (ack false)`);
      if (run.pending) errors.push(`${run.pending} receipts missing after ${DRAIN_MS / 1000} s`);
      if (run.rtts.length === 0) errors.push('no round trip completed');
      if (badSender) errors.push(badSender);
      const result = {
        scenario: 'peer_rtt',
        server: 'socketio',
        params: { load, pairs: pairCount, offered_per_s: offered },
        metrics: { ...p50p99(run.rtts), achieved_per_s: run.achieved_per_s, ...extra },
        ok: errors.length === 0,
      };
      if (run.skipped !== undefined) result.metrics.skipped = run.skipped;
      if (errors.length) result.error = errors.join('; ');
      return result;
    };
    try {
      await sleep(500);
      results.push(entry('idle', 1, null, await idleRun(senders[0], idleMessages)));
      await sleep(500);

      const offered = ratePerSender * pairs;
      const sat = await paced(senders, ratePerSender, seconds);
      const saturated = sat.achieved_per_s < 0.99 * offered;
      results.push(
        entry('saturation', pairs, offered, sat, { saturation_per_s: sat.achieved_per_s, saturated }),
      );
      for (const fraction of [0.5, 0.9]) {
        await sleep(500);
        const total = fraction * sat.achieved_per_s;
        const run = await paced(senders, total / pairs, seconds);
        results.push(entry(`${fraction * 100}%`, pairs, round(total, 1), run));
      }
      return results;
    } finally {
      closeAll(senders);
      closeAll(receivers);
    }
  });
}
