// tests/harness/server.mjs — one rtm-server child process for the harnesses (control.mjs, and
// each node of cluster.mjs): start, stop (SIGTERM or SIGKILL) and start again on the same port.
//
// Why: browser tests restart the server mid-session and expect it back where their clients were
// connected, so the first start listens on port 0 and every later start reuses the port it got
// (retrying while the old socket still holds it). Logging, stopping and the watchdog that keeps a
// server from outliving the harness are supervised.mjs's.
//
// Flags the server may not have yet (--data-dir, --grace-secs) are passed only when
// `rtm-server --help` lists them, or exactly as given in RTM_HARNESS_SERVER_FLAGS (split on
// whitespace; empty = none). If the first start rejects the config file (a server that does not
// know `development` / `certificate` yet), the harness runs it without --config and says so.

import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Supervised } from './supervised.mjs';

const LISTENING = /rtm-server listening on https?:\/\/([0-9.]+):([0-9]+)/; // https: --tls-cert
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

export class RtmServer extends Supervised {
  /** @param {{bin: string, www: string, config: string|null, flags: string[], log: string}} opts */
  constructor({ bin, www, config, flags, log }) {
    super({ name: 'rtm-server', log, stopTimeoutMs: STOP_TIMEOUT_MS });
    Object.assign(this, { bin, www, config, flags });
    this.port = 0; // 0 until the first start; then fixed
    this.started = false; // a start has succeeded once
  }

  args() {
    return ['--listen', `127.0.0.1:${this.port}`, '--www', this.www,
      ...(this.config ? ['--config', this.config] : []), ...this.flags];
  }

  /** Starts the server; resolves with its port once it prints its listening line. */
  async start() {
    if (this.running()) throw new Error(`rtm-server is already running (pid ${this.child.pid})`);
    for (let attempt = 1; ; attempt++) {
      try {
        const m = await this.spawnUntilReady(this.bin, this.args(), {
          ready: LISTENING, timeoutMs: START_TIMEOUT_MS, env: { ...process.env, NO_COLOR: '1' },
        });
        this.port = Number(m[2]);
        this.started = true;
        return this.port;
      } catch (err) {
        const out = err.output || '';
        if (this.port && attempt < 60 && /address already in use|os error 98/i.test(out)) {
          await sleep(250); // the old listener's port is not free yet
        } else if (!this.started && this.config && /parsing config file[\s\S]*unknown field/.test(out)) {
          const why = 'this rtm-server rejects the harness config (no `development`/`certificate` keys yet): running it without --config';
          console.error(`harness: ${why}`);
          this.note(why);
          this.config = null;
        } else {
          throw err;
        }
      }
    }
  }
}
