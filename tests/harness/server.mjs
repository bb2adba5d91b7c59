// tests/harness/server.mjs — one rtm-server child process for the test harness (control.mjs):
// start, stop (SIGTERM or SIGKILL) and start again on the same port.
//
// Why: browser tests restart the server mid-session and expect it back where their clients were
// connected, so the first start listens on port 0 and every later start reuses the port it got
// (retrying while the old socket still holds it). Output is appended to one log file with a
// `== harness:` line per start and exit. Each child has a tiny `sh` watchdog that TERMs it if this
// Node process disappears without cleaning up (SIGKILL), so a server never outlives the harness.
//
// Flags the server may not have yet (--data-dir, --grace-secs) are passed only when
// `rtm-server --help` lists them, or exactly as given in RTM_HARNESS_SERVER_FLAGS (split on
// whitespace; empty = none). If the first start rejects the config file (a server that does not
// know `development` / `certificate` yet), the harness runs it without --config and says so.

import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const LISTENING = /rtm-server listening on http:\/\/([0-9.]+):([0-9]+)/;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000; // graceful stop, then SIGKILL

/** The optional flags to pass: ['--data-dir', dir, '--grace-secs', n] as far as supported. */
export function serverFlags(bin, { dataDir, graceSecs }) {
  const given = process.env.RTM_HARNESS_SERVER_FLAGS;
  if (given !== undefined) return given.split(/\s+/).filter(Boolean);
  const help = spawnSync(bin, ['--help'], { encoding: 'utf8' });
  if (help.error) throw new Error(`cannot run ${bin} --help: ${help.error.message}`);
  const text = `${help.stdout}${help.stderr}`;
  const flags = [];
  if (text.includes('--data-dir')) flags.push('--data-dir', dataDir);
  if (text.includes('--grace-secs')) flags.push('--grace-secs', String(graceSecs));
  return flags;
}

export class RtmServer {
  /** @param {{bin: string, www: string, config: string|null, flags: string[], log: string}} opts */
  constructor({ bin, www, config, flags, log }) {
    Object.assign(this, { bin, www, config, flags });
    this.port = 0; // 0 until the first start; then fixed
    this.child = null;
    this.exited = Promise.resolve();
    this.started = false; // a start has succeeded once
    this.stopping = false;
    this.log = createWriteStream(log, { flags: 'a' });
  }

  args() {
    return ['--listen', `127.0.0.1:${this.port}`, '--www', this.www,
      ...(this.config ? ['--config', this.config] : []), ...this.flags];
  }

  running() {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  note(line) {
    this.log.write(`== harness ${new Date().toISOString()}: ${line}\n`);
  }

  /** Starts the server; resolves with its port once it prints its listening line. */
  async start() {
    if (this.running()) throw new Error(`rtm-server is already running (pid ${this.child.pid})`);
    for (let attempt = 1; ; attempt++) {
      try {
        const port = await this.#spawnOnce();
        this.port = port;
        this.started = true;
        return port;
      } catch (err) {
        const out = err.output || '';
        if (this.port && attempt < 60 && /address already in use|os error 98/i.test(out)) {
          await sleep(250); // the old listener's port is not free yet
        } else if (!this.started && this.config && /parsing config file[\s\S]*unknown field/.test(out)) {
          const why = 'this rtm-server rejects the harness config (no `development`/`certificate` keys yet): running it without --config';
          console.error(`control: ${why}`);
          this.note(why);
          this.config = null;
        } else {
          throw err;
        }
      }
    }
  }

  #spawnOnce() {
    return new Promise((resolve, reject) => {
      const args = this.args();
      const child = spawn(this.bin, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NO_COLOR: '1' },
      });
      this.child = child;
      this.exited = new Promise((done) => child.once('close', done));
      let recent = '';
      let settled = false;
      const settle = (err, port) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          err.output = recent;
          reject(err);
        } else resolve(port);
      };
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        settle(new Error(`rtm-server printed no listening line in ${START_TIMEOUT_MS / 1000} s`));
      }, START_TIMEOUT_MS);
      const onData = (chunk) => {
        this.log.write(chunk);
        recent = (recent + chunk.toString().replace(ANSI, '')).slice(-8000);
        const m = !settled && LISTENING.exec(recent);
        if (m) settle(null, Number(m[2]));
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('error', (err) => settle(err));
      child.once('spawn', () => {
        this.note(`started pid ${child.pid}: ${this.bin} ${args.join(' ')}`);
        watchdog(child.pid);
      });
      child.once('exit', (code, signal) => {
        this.note(`pid ${child.pid} exited (${signal || `code ${code}`})`);
        if (settled && !this.stopping) console.error(`control: rtm-server pid ${child.pid} exited on its own (${signal || `code ${code}`})`);
        settle(new Error(`rtm-server exited before listening (${signal || `code ${code}`}):\n${recent}`));
      });
    });
  }

  /** Stops the server with `signal` (SIGKILL after 15 s of SIGTERM); resolves once it is gone. */
  async stop(signal = 'SIGTERM') {
    if (!this.running()) return;
    const child = this.child;
    this.stopping = true;
    try {
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
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

// A background `sh` loop (same process group): TERM the server once this Node process is gone; exit
// quietly once the server is gone (a restart started another watchdog for the new pid).
function watchdog(serverPid) {
  const script = 'while kill -0 "$1" 2>/dev/null; do kill -0 "$2" 2>/dev/null || exit 0; sleep 1; done; kill -TERM "$2" 2>/dev/null';
  spawn('sh', ['-c', script, 'sh', String(process.pid), String(serverPid)], { stdio: 'ignore' }).unref();
}
