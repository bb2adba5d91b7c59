// rtm-server.mjs — starts the release rtm-server (target/release/rtm-server) for the benchmark,
// in development mode (no --config: any app id logs in without a token), serving the benchmark's
// pages from a temp folder. It runs under a small sh watchdog that reads its stdin, a pipe from
// this process: when the pipe closes (stop(), or this process dying in any way, SIGKILL
// included) the watchdog kills the server, so none is left behind, then removes `removeAfter`
// (run.mjs's temp folder, holding the pages and the server's store) if given.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// RTM_SERVER_BIN: another build (the smoke run in npm test uses the debug one).
export const serverBin = process.env.RTM_SERVER_BIN || join(root, 'target', 'release', 'rtm-server');

const WATCHDOG = '"$@" </dev/null & pid=$!; cat >/dev/null; kill $pid 2>/dev/null; wait $pid; rc=$?; ' +
  '[ -z "$RTM_BENCH_REMOVE" ] || rm -rf "$RTM_BENCH_REMOVE"; exit $rc';

/** Starts rtm-server serving `www`, its store in `dataDir`: { url (http://IP:PORT), stop() }. */
export function startRtmServer({ www, dataDir, removeAfter = '', timeoutMs = 15_000 }) {
  if (!existsSync(serverBin)) throw new Error(`${serverBin} is missing: build it with cargo build --release -p rtm-server`);
  const child = spawn('sh', ['-c', WATCHDOG, 'sh', serverBin,
    '--listen', '127.0.0.1:0', '--www', www, '--data-dir', dataDir, '--log', 'warn'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, RTM_BENCH_REMOVE: removeAfter },
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`rtm-server printed no 'listening on' line within ${timeoutMs} ms: ${text.slice(-300)}`));
    }, timeoutMs);
    const onData = (chunk) => {
      text += chunk;
      const m = text.match(/listening on (http:\/\/[\d.]+:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], stop, log: () => text });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`rtm-server exited (${code}): ${text.slice(-300)}`));
    });
  });
}
