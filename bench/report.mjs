#!/usr/bin/env node
// report.mjs — merges the runners' JSON (rust.json: rtm-server and the raw floor; socketio.json;
// browser.json) in DIR into DIR/results.json, writes DIR/table.md (every figure, each goal of
// docs/benchmarks.md with its ratio, met or not) and one SVG chart per scenario (charts.mjs).
//
//   node bench/report.mjs DIR      last line: `bench: N passed, M failed` (a record whose check
//                                  failed, or a runner whose file is missing, counts as failed)
//
// Why ratios: this machine is shared and noisy, so a figure means something only against a
// baseline measured in the same run, on the same cores, with the same shapes.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { barChart } from './charts.mjs';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node bench/report.mjs DIR');
  process.exit(2);
}

const RUNNERS = ['rust', 'socketio', 'browser'];
const files = {};
let failed = 0;
for (const name of RUNNERS) {
  const path = join(dir, `${name}.json`);
  if (!existsSync(path)) {
    console.error(`bench: ${path} is missing (its runner failed to start)`);
    failed += 1;
    continue;
  }
  files[name] = JSON.parse(readFileSync(path, 'utf8'));
}
const records = Object.values(files).flatMap((f) => f.results);
const passed = records.filter((r) => r.ok).length;
failed += records.length - passed;
const smoke = Object.values(files).some((f) => f.smoke);

/** The record of `scenario` on `server` whose params match `where`. */
function find(scenario, server, where = {}) {
  return records.find((r) => r.scenario === scenario && r.server === server &&
    Object.entries(where).every(([k, v]) => r.params[k] === v));
}
const metric = (scenario, server, where, name) => find(scenario, server, where)?.metrics?.[name];
const ratio = (a, b) => (a !== undefined && b ? a / b : undefined);
const fmt = (v, digits = 2) => (v === undefined ? 'n/a' : Number(v).toLocaleString('en-US', { maximumFractionDigits: digits }));

// --- the goals (issue: benchmarks and server performance) -------------------------------------
const goals = [];
function goal(what, value, pass, figure) {
  goals.push({ what, value, met: value === undefined ? null : pass(value), figure });
}
const N = smoke ? undefined : 1000;
const fanAt = (server) => metric('fanout', server, N ? { members: N } : {}, 'deliveries_per_s');
goal('fan-out at N = 1,000: rtm ≥ 0.9 × raw', ratio(fanAt('rtm'), fanAt('raw')), (v) => v >= 0.9,
  `${fmt(fanAt('rtm'), 0)} vs ${fmt(fanAt('raw'), 0)} deliveries/s`);
goal('fan-out at N = 1,000: rtm ≥ 5 × Socket.IO', ratio(fanAt('rtm'), fanAt('socketio')), (v) => v >= 5,
  `${fmt(fanAt('rtm'), 0)} vs ${fmt(fanAt('socketio'), 0)} deliveries/s`);
const p99At50 = (server) => metric('peer_rtt', server, { load: '50%' }, 'p99_ms');
goal('peer round trip p99 at 50% load: rtm ≤ 1.2 × raw', ratio(p99At50('rtm'), p99At50('raw')), (v) => v <= 1.2,
  `${fmt(p99At50('rtm'), 3)} vs ${fmt(p99At50('raw'), 3)} ms`);
const idleN = smoke ? undefined : 15000;
const idle = metric('idle_memory', 'rtm', idleN ? { connections: idleN } : {}, 'bytes_per_connection');
goal('idle memory: ≤ 8 KB per logged-in connection at 15k', idle, (v) => v <= 8192, `${fmt(idle, 0)} B`);
const churn = find('churn', 'rtm');
const churnFlat = churn && churn.metrics.rss_after_kib <= churn.metrics.rss_before_kib * 1.1;
goal('churn: ≥ 2,000 cycles/s with flat RSS (within 10%)', churn?.metrics.cycles_per_s,
  (v) => v >= 2000 && churnFlat,
  churn ? `RSS ${fmt(churn.metrics.rss_before_kib, 0)} → ${fmt(churn.metrics.rss_after_kib, 0)} KiB` : '');

// --- table.md --------------------------------------------------------------------------------
const lines = [];
const machine = files.rust?.machine ?? files.socketio?.machine ?? {};
lines.push(`Run: ${new Date().toISOString()}${smoke ? ' (smoke sizes: not figures)' : ''}; ` +
  `${machine.cpus ?? '?'} CPUs (${machine.cpu_model ?? 'unknown CPU'}); clients and servers share them.`, '');
lines.push('| goal | ratio / value | met | figures |', '|---|---|---|---|');
for (const g of goals) {
  const met = g.met === null ? 'n/a' : g.met ? 'yes' : 'no';
  lines.push(`| ${g.what} | ${fmt(g.value, g.what.startsWith('idle') || g.what.startsWith('churn') ? 0 : 2)} | ${met} | ${g.figure} |`);
}
lines.push('', '| scenario | params | server | figures | check |', '|---|---|---|---|---|');
for (const r of records) {
  const params = Object.entries(r.params).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${v}`).join(' ');
  const figures = Object.entries(r.metrics).map(([k, v]) => `${k} ${fmt(v, 3)}`).join(', ');
  lines.push(`| ${r.scenario} | ${params} | ${r.server} | ${figures} | ${r.ok ? 'ok' : `FAILED: ${r.error}`} |`);
}
writeFileSync(join(dir, 'table.md'), `${lines.join('\n')}\n`);
writeFileSync(join(dir, 'results.json'), `${JSON.stringify({ goals, runners: files }, null, 2)}\n`);

// --- charts ----------------------------------------------------------------------------------
const servers = ['rtm', 'raw', 'socketio'];
const series = (scenario, key, name, groups) => servers.map((server) => ({
  server,
  values: groups.map((g) => metric(scenario, server, { [key]: g }, name)),
}));
const sizes = (scenario, key) => [...new Set(records.filter((r) => r.scenario === scenario).map((r) => r.params[key]))];
const charts = [
  ['fanout.svg', 'Fan-out: deliveries per second (higher is better)', 'members', sizes('fanout', 'members'),
    series('fanout', 'members', 'deliveries_per_s', sizes('fanout', 'members'))],
  ['peer-rtt.svg', 'Peer round trip p99, ms (lower is better)', 'load', ['idle', '50%', '90%'],
    series('peer_rtt', 'load', 'p99_ms', ['idle', '50%', '90%'])],
  ['idle-memory.svg', 'Server memory per idle connection, bytes (lower is better)', 'connections',
    sizes('idle_memory', 'connections'), series('idle_memory', 'connections', 'bytes_per_connection', sizes('idle_memory', 'connections'))],
  ['churn.svg', 'Churn: connect-login-join-logout cycles per second (higher is better)', 'cycles',
    sizes('churn', 'cycles'), series('churn', 'cycles', 'cycles_per_s', sizes('churn', 'cycles'))],
  ['browser.svg', 'Browser: messages per second dispatched to a listener (higher is better)', 'messages',
    sizes('browser_dispatch', 'messages'), ['rtm-sdk', 'plain-websocket'].map((server) => ({
      server,
      values: sizes('browser_dispatch', 'messages').map((m) => metric('browser_dispatch', server, { messages: m }, 'messages_per_s')),
    }))],
];
for (const [file, title, axis, groups, data] of charts) {
  writeFileSync(join(dir, file), barChart({ title, axis, groups, series: data.filter((s) => s.values.some((v) => v !== undefined)) }));
}

for (const g of goals) console.log(`${g.met === null ? '  ?' : g.met ? ' ok' : ' NO'}  ${g.what}: ${fmt(g.value)} (${g.figure})`);
console.log(`wrote ${join(dir, 'results.json')}, table.md and ${charts.length} charts`);
console.log(`bench: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
