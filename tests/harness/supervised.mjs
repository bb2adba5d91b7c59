// tests/harness/supervised.mjs — a child process the harness starts, waits for, stops and starts
// again: the base of RtmServer (server.mjs) and Redis (redis.mjs).
//
// Why: the suites restart the server, cluster nodes and Redis mid-session and need each back
// before they go on, so a start resolves only once the process prints its "ready" line, and a
// stop only once the process is gone. What a process printed is appended to one log file, with a
// `== harness:` line per start and exit, so a failing test can be read against it. Each child
// gets a tiny `sh` watchdog that TERMs it if this Node process disappears without cleaning up
// (SIGKILL), so nothing the harness started outlives it.

import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

export class Supervised {
  /** @param {{name: string, log: string, stopTimeoutMs: number}} opts  name: as in messages */
  constructor({ name, log, stopTimeoutMs }) {
    this.name = name;
    this.stopTimeoutMs = stopTimeoutMs;
    this.child = null;
    this.exited = Promise.resolve();
    this.stopping = false;
    this.log = createWriteStream(log, { flags: 'a' });
  }

  running() {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  note(line) {
    this.log.write(`== harness ${new Date().toISOString()}: ${line}\n`);
  }

  /**
   * Spawns `bin args` and resolves with the match of `ready` in its output (stdout and stderr,
   * colour codes removed) once it appears. Rejects if the process exits first or prints no match
   * in `timeoutMs` (then it is killed); the error's `output` holds what it printed last.
   */
  spawnUntilReady(bin, args, { ready, timeoutMs, env = process.env }) {
    return new Promise((resolve, reject) => {
      const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
      this.child = child;
      this.exited = new Promise((done) => child.once('close', done));
      let recent = '';
      let settled = false;
      const settle = (err, match) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          err.output = recent;
          reject(err);
        } else resolve(match);
      };
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        settle(new Error(`${this.name} was not ready in ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const onData = (chunk) => {
        this.log.write(chunk);
        recent = (recent + chunk.toString().replace(ANSI, '')).slice(-8000);
        const m = !settled && ready.exec(recent);
        if (m) settle(null, m);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('error', (err) => settle(err));
      child.once('spawn', () => {
        this.note(`started pid ${child.pid}: ${bin} ${args.map((a) => a || "''").join(' ')}`);
        watchdog(child.pid);
      });
      child.once('exit', (code, signal) => {
        const how = signal || `code ${code}`;
        this.note(`pid ${child.pid} exited (${how})`);
        if (settled && !this.stopping) console.error(`harness: ${this.name} pid ${child.pid} exited on its own (${how})`);
        settle(new Error(`${this.name} exited before it was ready (${how}):\n${recent}`));
      });
    });
  }

  /** Stops the process with `signal` (SIGKILL if still there after stopTimeoutMs); resolves once it is gone. */
  async stop(signal = 'SIGTERM') {
    if (!this.running()) return;
    const child = this.child;
    this.stopping = true;
    try {
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), this.stopTimeoutMs);
      await this.exited;
      clearTimeout(timer);
    } finally {
      this.stopping = false;
    }
  }

  /** Last resort on process exit: synchronous SIGKILL. */
  killNow() {
    if (this.running()) this.child.kill('SIGKILL');
  }
}

// A background `sh` loop (same process group): TERM the child once this Node process is gone; exit
// quietly once the child is gone (a restart started another watchdog for the new pid).
function watchdog(childPid) {
  const script = 'while kill -0 "$1" 2>/dev/null; do kill -0 "$2" 2>/dev/null || exit 0; sleep 1; done; kill -TERM "$2" 2>/dev/null';
  spawn('sh', ['-c', script, 'sh', String(process.pid), String(childPid)], { stdio: 'ignore' }).unref();
}
