// load.mjs — the Socket.IO 4.8 baseline of the benchmark suite: runs the scenarios (fanout,
// peer_rtt, idle_memory, churn) with socket.io-client against server.mjs, which it spawns itself
// (a fresh server per size, so each starts clean and its RSS and CPU can be read from /proc), and
// writes one JSON result file of the shape the Rust runner writes too, for the report to merge.
//
// Usage: node bench/socketio/load.mjs --out FILE [--smoke] [--scenarios fanout,peer_rtt,idle_memory,churn]
//          [--fanout-members 100,1000,5000] [--idle-connections 1000,5000,15000]
// --smoke runs every scenario at a tiny size in a few seconds (npm test runs it, so the benchmark
// cannot rot). The file is rewritten after every scenario; the exit status is 1 when a scenario
// failed its correctness check (or could not run), 2 on a usage error.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { fanout } from './fanout.mjs';
import { churn, idleMemory } from './memory.mjs';
import { peerRtt } from './peer-rtt.mjs';

const ALL = ['fanout', 'peer_rtt', 'idle_memory', 'churn'];

const SIZES = {
  full: {
    fanout: { members: [100, 1000, 5000], senders: 5, perSender: 100 },
    peer_rtt: { idleMessages: 300, pairs: 1000, ratePerSender: 55, seconds: 5 },
    idle_memory: { connections: [1000, 5000, 15000] },
    churn: { cycles: 2000, lanes: 8 },
  },
  smoke: {
    fanout: { members: [20], senders: 5, perSender: 10 },
    peer_rtt: { idleMessages: 20, pairs: 10, ratePerSender: 55, seconds: 1 },
    idle_memory: { connections: [50] },
    churn: { cycles: 50, lanes: 8 },
  },
};

function usage(msg) {
  process.stderr.write(
    `${msg}\nusage: node bench/socketio/load.mjs --out FILE [--smoke] [--scenarios ${ALL.join(',')}]\n` +
      '         [--fanout-members N,N,...] [--idle-connections N,N,...]\n',
  );
  process.exit(2);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      out: { type: 'string' },
      smoke: { type: 'boolean', default: false },
      scenarios: { type: 'string', default: ALL.join(',') },
      'fanout-members': { type: 'string' },
      'idle-connections': { type: 'string' },
    },
  }));
} catch (err) {
  usage(err.message);
}
if (!args.out) usage('--out FILE is required');
const scenarios = args.scenarios.split(',').map((s) => s.trim()).filter(Boolean);
const unknown = scenarios.filter((s) => !ALL.includes(s));
if (unknown.length) usage(`unknown scenario(s): ${unknown.join(', ')}`);
const sizeList = (text) => {
  const list = text.split(',').map(Number);
  if (list.some((n) => !Number.isInteger(n) || n < 2)) usage(`bad size list: ${text}`);
  return list;
};
const sizes = structuredClone(SIZES[args.smoke ? 'smoke' : 'full']);
if (args['fanout-members']) sizes.fanout.members = sizeList(args['fanout-members']);
if (args['idle-connections']) sizes.idle_memory.connections = sizeList(args['idle-connections']);

const require = createRequire(import.meta.url);
const report = {
  runner: 'socketio',
  started: new Date().toISOString(),
  smoke: args.smoke,
  machine: {
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    socketio: require('socket.io/package.json').version,
  },
  results: [],
};
const save = () => writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`);

/** Every run of `name`: a list of (label, thunk) where the thunk resolves to result entries. */
function runsOf(name) {
  const s = sizes[name];
  switch (name) {
    case 'fanout':
      return s.members.map((members) => [
        { members, senders: s.senders, messages_per_sender: s.perSender },
        () => fanout({ members, senders: s.senders, perSender: s.perSender }),
      ]);
    case 'peer_rtt':
      return [[{ pairs: s.pairs }, () => peerRtt(s)]];
    case 'idle_memory':
      return s.connections.map((connections) => [{ connections }, () => idleMemory({ connections })]);
    case 'churn':
      return [[{ cycles: s.cycles, lanes: s.lanes }, () => churn(s)]];
  }
}

const t0 = Date.now();
for (const name of scenarios) {
  for (const [params, run] of runsOf(name)) {
    const started = Date.now();
    let entries;
    try {
      entries = [].concat(await run());
    } catch (err) {
      entries = [{ scenario: name, server: 'socketio', params, metrics: {}, ok: false, error: String(err?.message ?? err) }];
    }
    for (const entry of entries) {
      report.results.push(entry);
      const status = entry.ok ? 'ok' : `FAILED: ${entry.error}`;
      process.stderr.write(`${name} ${JSON.stringify(entry.params)} ${JSON.stringify(entry.metrics)} ${status}\n`);
    }
    process.stderr.write(`  (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    save();
  }
}
save();
const failed = report.results.filter((r) => !r.ok).length;
process.stderr.write(
  `socketio: ${report.results.length - failed} ok, ${failed} failed in ${((Date.now() - t0) / 1000).toFixed(1)} s -> ${args.out}\n`,
);
process.exit(failed ? 1 : 0);
