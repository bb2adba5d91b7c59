// tests/harness/redis.mjs — one redis-server child process for the cluster harness (cluster.mjs):
// start on a free 127.0.0.1 port with its own data dir, stop, start again on the same port and dir.
//
// Why: rtm-server's cluster mode keeps what nodes share in Redis; the cluster suite restarts Redis
// mid-session and expects acknowledged data (offline messages, attributes) back. So Redis runs with
// `--appendonly yes --save ''` (AOF only, no RDB snapshots): a graceful stop (SIGTERM) fsyncs the
// AOF, and the next start loads it. `--appendfsync always` makes even a SIGKILL lose nothing that
// Redis acknowledged. Logging, stopping and the watchdog are supervised.mjs's.

import { execFile } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Supervised } from './supervised.mjs';

const READY = /Ready to accept connections/;
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000; // graceful stop, then SIGKILL

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export class Redis extends Supervised {
  /** @param {{bin: string, dir: string, log: string}} opts */
  constructor({ bin, dir, log }) {
    super({ name: 'redis-server', log, stopTimeoutMs: STOP_TIMEOUT_MS });
    Object.assign(this, { bin, dir });
    this.port = 0; // chosen at the first start, then fixed
  }

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts Redis (on a free port the first time, on the same port after); resolves with the port. */
  async start() {
    if (this.running()) throw new Error(`redis-server is already running (pid ${this.child.pid})`);
    const first = this.port === 0;
    for (let attempt = 1; ; attempt++) {
      if (first) this.port = await freePort();
      try {
        await this.spawnUntilReady(this.bin, this.args(), { ready: READY, timeoutMs: START_TIMEOUT_MS });
        return this.port;
      } catch (err) {
        if (attempt < 40 && /Address already in use/i.test(err.output || '')) {
          await sleep(first ? 0 : 250); // someone took the free port / the old socket lingers
        } else {
          if (first) this.port = 0;
          throw err;
        }
      }
    }
  }

  args() {
    return ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir,
      '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no',
      '--protected-mode', 'yes', '--logfile', ''];
  }

  /** `redis-cli -p PORT args...` (3 s at most); resolves with its output, null if it failed. */
  cli(...args) {
    return new Promise((resolve) => {
      execFile('redis-cli', ['-h', '127.0.0.1', '-p', String(this.port), ...args], { timeout: 3_000 },
        (err, stdout) => resolve(err ? null : stdout));
    });
  }

  /** How many clients other than the asking redis-cli are connected (null if Redis did not answer). */
  async clients() {
    const info = await this.cli('INFO', 'clients');
    const m = info && /connected_clients:(\d+)/.exec(info);
    return m ? Number(m[1]) - 1 : null;
  }
}
