// memory.mjs — the `idle_memory` and `churn` scenarios against the Socket.IO baseline: what an idle
// logged-in connection costs the server in resident memory, and how fast the server takes users
// who connect, log in, join a room and leave — and whether it gives their memory back.
import { closeAll, connectAs, connectMany, waitStats, within, withServer } from './harness.mjs';
import { nowMs, round, sleep } from './proc.mjs';

/** `connections` idle logged-in connections on a fresh server; RSS before and after 2 s of quiet. */
export async function idleMemory({ connections, quietMs = 2000 }) {
  const params = { connections };
  return withServer(async (server) => {
    await sleep(500); // the server's start-up allocations settle
    const base = server.rssKib();
    const sockets = await connectMany(server.url, connections, { uidOf: (i) => `idle${i}` });
    try {
      await sleep(quietMs);
      const rss = server.rssKib();
      const stats = await waitStats(server.url, (s) => s.uids === connections);
      const metrics = {
        rss_base_kib: base,
        rss_kib: rss,
        bytes_per_connection: Math.round(((rss - base) * 1024) / connections),
      };
      const result = { scenario: 'idle_memory', server: 'socketio', params, metrics, ok: stats.uids === connections };
      if (!result.ok) result.error = `server has ${stats.uids} users logged in, expected ${connections}`;
      return result;
    } finally {
      closeAll(sockets);
    }
  });
}

/** One cycle: connect, log in, join `room`, log out and wait for the server to close the socket. */
async function cycle(url, uid, room) {
  const socket = await connectAs(url, uid);
  try {
    const joined = await within(10_000, `join ${room}`, socket.emitWithAck('join', room));
    if (joined !== true) throw new Error(`join ${room} refused`);
    const closed = new Promise((resolve) => socket.once('disconnect', resolve));
    socket.emit('logout');
    const reason = await within(10_000, 'logout', closed);
    if (reason !== 'io server disconnect') throw new Error(`${uid} disconnected for "${reason}"`);
  } finally {
    socket.close();
  }
}

/** `cycles` connect/login/join/logout cycles over `lanes` concurrent lanes, on a fresh server. */
export async function churn({ cycles, lanes = 8, quietMs = 1000 }) {
  const params = { cycles, lanes };
  return withServer(async (server) => {
    await sleep(quietMs);
    const rssBefore = server.rssKib();
    let next = 0;
    let done = 0;
    const start = nowMs();
    let error = null;
    const lane = async () => {
      try {
        while (next < cycles && error === null) {
          const k = next++;
          await cycle(server.url, `churn${k}`, `room${k % 10}`);
          done++;
        }
      } catch (err) {
        error ??= String(err?.message ?? err);
      }
    };
    await Promise.all(Array.from({ length: lanes }, lane));
    const seconds = (nowMs() - start) / 1000;
    await sleep(quietMs);
    const rssAfter = server.rssKib();
    // Left behind: no user, and no socket or room but the stats query's own.
    const clean = (s) => s.uids === 0 && s.sockets === 1 && s.rooms === 1;
    const stats = await waitStats(server.url, clean);
    if (!error && done !== cycles) error = `${done} of ${cycles} cycles completed`;
    if (!error && !clean(stats)) error = `server kept state after churn: ${JSON.stringify(stats)}`;
    const metrics = {
      cycles_per_s: round(done / seconds, 1),
      rss_before_kib: rssBefore,
      rss_after_kib: rssAfter,
    };
    const result = { scenario: 'churn', server: 'socketio', params, metrics, ok: error === null };
    if (error) result.error = error;
    return result;
  });
}
