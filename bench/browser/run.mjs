#!/usr/bin/env node
// run.mjs — the browser benchmark's CLI: how fast the wasm SDK dispatches channel messages to a
// JS listener in headless Chromium, and its main-thread CPU per 1,000 messages, beside a baseline
// page (a plain WebSocket, JSON.parse, a callback) fed the same messages by a Node `ws` server.
//
//   node bench/browser/run.mjs --out FILE [--smoke] [--messages N] [--repeat R]
//   full: 3,000 messages per case (20 senders of 150), 3 runs, medians; --smoke: 100 (2 × 50), once
//
// One run of a case: the page is set up (SDK: logged in, joined; plain: connected), the CDP
// TaskDuration read, then the page's main thread is blocked (gate.mjs) while the whole burst is
// sent from outside it (SDK: senders.mjs, SDK clients in Node through rtm-server; plain:
// plain-server.mjs), and released. Fairness: the senders differ widely in speed (the SDK's go
// through a server and a 180-per-3-s budget per sender: ~3,000 msg/s here; the ws server writes
// 3,000 in ~50 ms), so neither case is paced by its sender: both pages drain the same queued
// burst as fast as they can, and the figure is the page's, not the feed's. The pages are opened
// outside playwright's instrumentation (cdp-page.mjs: it would copy every frame into a CDP event).
// messages_per_s = received / (last − first message, performance.now() in the listener);
// main_thread_cpu_ms_per_1000 = (ΔTaskDuration − the blocked time) per 1,000 messages, up to
// the listener having seen the last one. Checks: every message exactly once, none during the hold.
// Each case starts with an unmeasured (but checked) warm-up burst.
// Writes FILE (JSON, the shape the report script merges); exits 1 if a check failed.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { openBarePage } from './cdp-page.mjs';
import { startGate } from './gate.mjs';
import { startPlainServer } from './plain-server.mjs';
import { startRtmServer } from './rtm-server.mjs';
import { loginSenders, logoutSenders, MAX_PER_SENDER, plan, sendBurst } from './senders.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

const { values: opt } = parseArgs({
  options: {
    out: { type: 'string' },
    smoke: { type: 'boolean', default: false },
    messages: { type: 'string' },
    repeat: { type: 'string' },
  },
});
if (!opt.out) {
  console.error('usage: node bench/browser/run.mjs --out FILE [--smoke] [--messages N] [--repeat R]');
  process.exit(2);
}
const MESSAGES = Number(opt.messages ?? (opt.smoke ? 100 : 3000));
const REPEAT = Number(opt.repeat ?? (opt.smoke ? 1 : 3));
if (!(Number.isInteger(MESSAGES) && MESSAGES >= 2 && Number.isInteger(REPEAT) && REPEAT >= 1)) {
  console.error('--messages must be an integer >= 2 and --repeat an integer >= 1');
  process.exit(2);
}
const SENDERS = Math.max(2, Math.ceil(MESSAGES / MAX_PER_SENDER));
const SETTLE_MS = 100; // after the burst is sent, before the release: let the last frames reach the browser
const DRAIN_MS = opt.smoke ? 5000 : 15_000; // the page must have every message this long after the release
const STEP_MS = 15_000; // any other step (login, join, page load)
const HARD_MS = (opt.smoke ? 60 : 120) * 1000 + REPEAT * 40_000; // the whole run, as a last resort
const APP_ID = 'bench-browser';

// ~100 bytes, starting with the sequence number (the listener's exactly-once check reads it).
const text = (seq, id) => `${seq} from ${id} `.padEnd(100, 'abcdefghijklmnopqrstuvwxyz');

const started = new Date().toISOString();
const machine = { cpus: cpus().length, cpu_model: cpus()[0]?.model ?? 'unknown', node: process.version, chromium: null };
const results = [];
const out = resolve(opt.out);

function writeOut() {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ runner: 'browser', started, smoke: opt.smoke, machine, results }, null, 2)}\n`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x, digits) => Math.round(x * 10 ** digits) / 10 ** digits;
/** The median of runs' `key` (those measured), rounded; null if none was. */
function medianOf(runs, key, digits) {
  const xs = runs.map((r) => r[key]).filter((x) => Number.isFinite(x));
  return xs.length ? round(median(xs), digits) : null;
}

// ---- what must be undone, whatever happens ---------------------------------------------------
const undo = [];
const www = mkdtempSync(join(tmpdir(), 'rtm-bench-browser-'));
undo.push(() => rmSync(www, { recursive: true, force: true }));
let finished = false;
async function cleanup() {
  while (undo.length) await Promise.resolve().then(undo.pop()).catch(() => {});
}
process.on('exit', () => rmSync(www, { recursive: true, force: true }));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
const hardStop = setTimeout(async () => {
  if (finished) return;
  console.error(`!! the run took over ${HARD_MS / 1000} s: giving up`);
  for (const server of ['rtm-sdk', 'plain-websocket']) {
    if (!results.some((r) => r.server === server)) results.push(failed(server, `the run took over ${HARD_MS / 1000} s`));
  }
  writeOut();
  await withTimeout(cleanup(), 5000, 'cleanup').catch(() => {});
  process.exit(1);
}, HARD_MS);
hardStop.unref();

function failed(server, error) {
  return {
    scenario: 'browser_dispatch', server, params: params(server),
    metrics: { messages_per_s: null, main_thread_cpu_ms_per_1000: null, received: 0, expected: MESSAGES }, ok: false, error,
  };
}
function params(server) {
  return server === 'rtm-sdk' ? { messages: MESSAGES, senders: SENDERS } : { messages: MESSAGES };
}

// ---- one case: a page and how to feed it ------------------------------------------------------
async function openPage(browser, url, setupArg, name) {
  const page = await openBarePage(browser, url, { timeoutMs: STEP_MS });
  undo.push(() => page.close());
  const info = await withTimeout(page.evaluate((arg) => window.bench.setup(arg), setupArg), STEP_MS, `${name} page setup`);
  return { page, errors: page.errors, info, taskMs: page.taskMs };
}

// One burst of `messages` from `senders` senders to case c's page: { received, expected, messagesPerS, cpuPer1000, problems }.
async function runOnce(c, label, messages, senderCount, gate) {
  const senders = plan(messages, senderCount, `${c.short}${label.replace(/\W/g, '')}-${Math.random().toString(36).slice(2, 7)}`);
  const ctx = await withTimeout(c.prepare(senders), STEP_MS, `${c.server}: senders' login`);
  try {
    await c.page.evaluate((s) => window.bench.expect({ senders: s }), Object.fromEntries(senders.map((s) => [s.id, s.count])));
    const task0 = await c.taskMs();
    await c.page.evaluate((url) => window.bench.hold(url), gate.url());
    await gate.held(STEP_MS);
    let sent;
    try {
      sent = await withTimeout(c.burst(ctx, senders), DRAIN_MS, `${c.server}: sending the burst`);
      await sleep(SETTLE_MS);
    } finally {
      gate.release();
    }
    const r = await withTimeout(c.page.evaluate((ms) => window.bench.waitDone(ms), DRAIN_MS), DRAIN_MS + 5000, `${c.server}: the drain`);
    const task1 = await c.taskMs();
    await sleep(200); // late duplicates would show now
    const fin = await c.page.evaluate(() => window.bench.result());
    const problems = [];
    if (!fin.hold) problems.push('the page never reached the end of its hold');
    else if (fin.hold.error) problems.push(`the page's hold failed: ${fin.hold.error}`);
    else if (fin.hold.countAtRelease > 0) problems.push(`${fin.hold.countAtRelease} messages dispatched while the page was held`);
    if (fin.received !== fin.expected) problems.push(`received ${fin.received} of ${fin.expected} messages`);
    if (fin.dups) problems.push(`${fin.dups} duplicates`);
    if (fin.strays) problems.push(`${fin.strays} messages from unknown senders or out-of-range sequence numbers`);
    const cpuMs = task1 - task0 - (fin.hold?.ms ?? 0);
    const run = {
      received: fin.received,
      expected: fin.expected,
      messagesPerS: r.received > 1 && r.windowMs > 0 ? r.received / (r.windowMs / 1000) : null,
      cpuPer1000: r.received > 0 ? (cpuMs / r.received) * 1000 : null,
      problems,
    };
    console.log(`${c.server} ${label}: ${fin.received}/${fin.expected} in ${r.windowMs.toFixed(1)} ms ` +
      `= ${Math.round(run.messagesPerS)} msg/s, main thread ${cpuMs.toFixed(1)} ms (${run.cpuPer1000?.toFixed(2)} ms/1000), ` +
      `held ${fin.hold?.ms.toFixed(0)} ms, burst sent in ${sent.sendMs.toFixed(0)} ms` +
      (problems.length ? ` — FAILED: ${problems.join('; ')}` : ''));
    return run;
  } finally {
    await c.cleanup(ctx);
  }
}

function summarize(c, runs, error) {
  const problems = runs.flatMap((r) => r.problems);
  if (error) problems.push(error);
  const bad = runs.find((r) => r.problems.length) ?? runs[runs.length - 1];
  const ok = problems.length === 0 && runs.length === REPEAT;
  const result = {
    scenario: 'browser_dispatch',
    server: c.server,
    params: params(c.server),
    metrics: {
      messages_per_s: medianOf(runs, 'messagesPerS', 0),
      main_thread_cpu_ms_per_1000: medianOf(runs, 'cpuPer1000', 2),
      received: bad?.received ?? 0,
      expected: MESSAGES,
    },
    ok,
  };
  if (!ok) {
    const pageErrors = c.errors?.length ? ` (page: ${c.errors.slice(0, 3).join(' | ')})` : '';
    result.error = `${[...new Set(problems)].join('; ') || 'incomplete'}${pageErrors}`;
  }
  return result;
}

// ---- main ------------------------------------------------------------------------------------
const t0 = Date.now();
try {
  for (const f of ['page-sdk.html', 'page-plain.html', 'counter.js']) cpSync(join(here, f), join(www, 'site', f));
  cpSync(join(root, 'pkg', 'index.js'), join(www, 'site', 'pkg', 'index.js'));

  const server = await startRtmServer({ www: join(www, 'site'), dataDir: join(www, 'data'), removeAfter: www });
  undo.push(() => server.stop());
  const gate = await startGate();
  undo.push(() => gate.close());
  const plain = await startPlainServer();
  undo.push(() => plain.close());
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
  undo.push(() => browser.close());
  machine.chromium = browser.version();
  const wsUrl = `${server.url.replace(/^http/, 'ws')}/rtm`;
  const channelId = `bench-${Math.random().toString(36).slice(2, 8)}`;

  const sdk = {
    server: 'rtm-sdk',
    short: 'sdk',
    ...(await openPage(browser, `${server.url}/page-sdk.html`, { appId: APP_ID, uid: `page-${channelId}`, channelId }, 'rtm-sdk')),
    prepare: (senders) => loginSenders({ serverUrl: wsUrl, appId: APP_ID, plan: senders }),
    burst: (clients) => sendBurst(clients, channelId, text),
    cleanup: (clients) => logoutSenders(clients),
  };
  const plainCase = {
    server: 'plain-websocket',
    short: 'plain',
    ...(await openPage(browser, `${server.url}/page-plain.html`, { wsUrl: plain.url }, 'plain-websocket')),
    prepare: async () => null,
    burst: (_, senders) => plain.burst(senders, text),
    cleanup: async () => {},
  };
  await plain.connected(STEP_MS);
  console.log(`browser benchmark: ${MESSAGES} messages per run, ${REPEAT} run(s) per case, Chromium ${machine.chromium}, ` +
    `rtm-server ${server.url}, SDK ${sdk.info.sdk}`);

  // A warm-up burst per case first (not in the figures, but checked: the first burst of a page
  // runs cold code, and took twice as long; a small one in --smoke). Then the measured runs,
  // alternating between the cases, so that a noisy moment of the machine hits both alike.
  const cases = [sdk, plainCase];
  const runs = new Map(cases.map((c) => [c, []]));
  const errors = new Map();
  const warmup = opt.smoke ? 20 : Math.min(MESSAGES, 2 * MAX_PER_SENDER);
  const schedule = [
    ...(warmup ? [{ label: 'warm-up', messages: warmup, senders: 2, counted: false }] : []),
    ...Array.from({ length: REPEAT }, (_, i) => ({ label: `run ${i + 1}/${REPEAT}`, messages: MESSAGES, senders: SENDERS, counted: true })),
  ];
  for (const step of schedule) {
    for (const c of cases) {
      if (errors.has(c)) continue;
      try {
        const run = await runOnce(c, step.label, step.messages, step.senders, gate);
        if (step.counted) runs.get(c).push(run);
        else if (run.problems.length) errors.set(c, `${step.label}: ${run.problems.join('; ')}`);
      } catch (err) {
        errors.set(c, `${step.label}: ${err.message.split('\n')[0]}`);
        console.error(`!! ${c.server} ${step.label}: ${err.message.split('\n')[0]}`);
      }
    }
  }
  for (const c of cases) results.push(summarize(c, runs.get(c), errors.get(c)));
} catch (err) {
  console.error(`!! ${err.stack ?? err}`);
  for (const server of ['rtm-sdk', 'plain-websocket']) {
    if (!results.some((r) => r.server === server)) results.push(failed(server, err.message.split('\n')[0]));
  }
} finally {
  finished = true;
  writeOut();
  await withTimeout(cleanup(), 15_000, 'cleanup').catch((err) => console.error(`!! ${err.message}`));
}

for (const r of results) {
  console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.server}: ${r.metrics.messages_per_s} msg/s, ` +
    `${r.metrics.main_thread_cpu_ms_per_1000} ms main-thread CPU per 1000, ${r.metrics.received}/${r.metrics.expected}` +
    `${r.ok ? '' : ` — ${r.error}`}`);
}
console.log(`wrote ${out} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
