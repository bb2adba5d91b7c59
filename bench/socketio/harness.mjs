// harness.mjs — what every Socket.IO scenario needs: start server.mjs as a child process (so its
// RSS and CPU can be read from /proc) and stop it, and open logged-in socket.io-client connections
// (websocket transport only, one connection each: no multiplexing, no reconnection), in batches.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';
import { readCpuUs, readRssKib, sleep } from './proc.mjs';

const SERVER = fileURLToPath(new URL('./server.mjs', import.meta.url));
const running = new Set();

// A load generator that dies kills its servers (the servers also watch their parent).
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A started server.mjs: `url`, `pid`, rssKib(), cpuUs(), stop(). */
export async function startServer({ maxSecs = 600 } = {}) {
  const child = spawn(process.execPath, [SERVER, '--port', '0', '--max-secs', String(maxSecs)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  running.add(child);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  exited.then(() => running.delete(child));
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not report its port within 10 s')), 10_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      const m = /^socketio listening on (\d+)$/.exec(line);
      m ? resolve(Number(m[1])) : reject(new Error(`unexpected server output: ${line}`));
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening`)));
  });
  lines.on('line', (line) => process.stderr.write(`server: ${line}\n`));
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    rssKib: () => readRssKib(child.pid),
    cpuUs: () => readCpuUs(child.pid),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Runs `fn(server)` on a fresh server and stops the server afterwards, whatever happens. */
export async function withServer(fn) {
  const server = await startServer();
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

/** Rejects after `ms` with `what` in the message, unless `promise` settles first. */
export function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One new connection (never shared with another), resolved once connected. */
export function connect(url) {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: 20_000 });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.off('connect_error');
      resolve(socket);
    });
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** Connects and logs in as `uid`; `setup(socket)` runs before login (to add listeners early). */
export async function connectAs(url, uid, setup) {
  const socket = await connect(url);
  if (setup) setup(socket);
  const ok = await within(20_000, `login ${uid}`, socket.emitWithAck('login', uid));
  if (ok !== true) throw new Error(`login ${uid} refused`);
  return socket;
}

/**
 * `count` logged-in connections with uids `uidOf(i)`, opened `batch` at a time so the server is not
 * overwhelmed; each joins `room` when given. `setup(socket, i)` adds listeners before login.
 */
export async function connectMany(url, count, { uidOf, room, setup, batch = 200 } = {}) {
  const sockets = new Array(count);
  try {
    for (let start = 0; start < count; start += batch) {
      const end = Math.min(count, start + batch);
      const opened = [];
      for (let i = start; i < end; i++) {
        opened.push(
          connectAs(url, uidOf(i), setup && ((s) => setup(s, i))).then(async (socket) => {
            sockets[i] = socket;
            if (room !== undefined) {
              const ok = await within(20_000, `join ${room}`, socket.emitWithAck('join', room));
              if (ok !== true) throw new Error(`join ${room} refused`);
            }
          }),
        );
      }
      const results = await Promise.allSettled(opened);
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
    return sockets;
  } catch (err) {
    closeAll(sockets);
    throw err;
  }
}

/** Closes every open socket of `sockets` (holes allowed). */
export function closeAll(sockets) {
  for (const socket of sockets) if (socket) socket.close();
}

/** The server's bench-only counters: { sockets, uids, rooms }. */
export async function serverStats(url) {
  const socket = await connect(url);
  try {
    return await within(10_000, 'stats', socket.emitWithAck('stats'));
  } finally {
    socket.close();
  }
}

/** Waits until the server's stats satisfy `pred` (polling), up to `ms`; returns the last stats. */
export async function waitStats(url, pred, ms = 5000) {
  const deadline = Date.now() + ms;
  let stats = await serverStats(url);
  while (!pred(stats) && Date.now() < deadline) {
    await sleep(100);
    stats = await serverStats(url);
  }
  return stats;
}
