#!/usr/bin/env node
// End-to-end tests in headless Chromium (playwright-core, no test framework).
//
//   node tests/e2e/run.mjs [filter...]
//
// Tests are the exported async functions of tests/e2e/*.test.mjs; each gets
// { browser, baseUrl, control } and may return a string, printed after the ok line.
// `control` is the test harness's control API (tests/harness/control.mjs: restart the
// server, sever links, mint tokens) or null; tests that need it call requireControl()
// (helpers.mjs) and fail with a clear message without it. A test function may carry a
// `timeoutMs` property to get more than the default time.
// A filter runs only tests whose "file.function" name contains it.
//
// Environment:
//   RTM_SERVER_URL   a running rtm-server (serving www/ with the SDK in www/pkg),
//                    e.g. http://127.0.0.1:8080
//   RTM_TEST_CONTROL the control API of the harness running that server, e.g.
//                    http://127.0.0.1:9000 (scripts/test.sh passes both). Given alone, the
//                    server is the one its GET /config names.
//                    With neither set, the runner starts the harness itself (node
//                    tests/harness/control.mjs, which runs target/debug/rtm-server or
//                    RTM_SERVER_BIN; harness files in RTM_HARNESS_OUT, default .test-out/e2e)
//                    and stops it at the end.
//   CHROMIUM         browser binary (default /usr/bin/chromium)
//   E2E_TIMEOUT_MS   per-test timeout (default 30000)
//
// Output: "ok - name" / "FAIL - name: error" per test, then "e2e: N passed, M failed".
// Page console errors/warnings and uncaught page errors are printed as "# ..." lines.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const TIMEOUT_MS = Number(process.env.E2E_TIMEOUT_MS || 30_000);
const filters = process.argv.slice(2);

const note = (line) => console.log(`# ${line}`);

/** The http base URL (http://IP:PORT) of the server a harness /config names (ws://IP:PORT/rtm). */
function httpBase(serverUrl) {
  const url = new URL(serverUrl);
  return `${url.protocol === 'wss:' ? 'https' : 'http'}://${url.host}`;
}

async function harnessConfig(control) {
  let res;
  try {
    res = await fetch(`${control}/config`);
  } catch (err) {
    throw new Error(`the test harness at ${control} is unreachable (GET /config: ${err.cause?.message || err.message})`);
  }
  if (!res.ok) throw new Error(`the test harness at ${control}: GET /config answered HTTP ${res.status}`);
  return res.json();
}

/** Starts tests/harness/control.mjs; resolves with { control, output, stop() } once it listens. */
async function startHarness() {
  const bin = process.env.RTM_SERVER_BIN || path.join(root, 'target', 'debug', 'rtm-server');
  if (!existsSync(bin)) throw new Error(`RTM_SERVER_URL is not set and ${bin} does not exist (cargo build -p rtm-server)`);
  const out = process.env.RTM_HARNESS_OUT || path.join('.test-out', 'e2e');
  const child = spawn(process.execPath, [path.join(root, 'tests', 'harness', 'control.mjs')], {
    cwd: root,
    env: { ...process.env, RTM_HARNESS_OUT: out },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = []; // kept for printing when something fails
  let buffered = '';
  const keep = (chunk) => {
    // eslint-disable-next-line no-control-regex
    const text = chunk.toString().replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
    buffered = (buffered + text).slice(-4000);
    for (const line of text.split('\n')) if (line) output.push(line);
    if (output.length > 200) output.splice(0, output.length - 200);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const control = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the test harness printed no "control listening on" line within 30 s:\n${output.join('\n')}`)), 30_000);
    const onExit = (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the test harness exited early (${signal || code}):\n${output.join('\n')}`));
    };
    child.once('exit', onExit);
    child.stdout.on('data', () => {
      const match = /control listening on (http:\/\/\S+)/.exec(buffered);
      if (match) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(match[1].replace(/\/+$/, ''));
      }
    });
  });
  return {
    control,
    out,
    output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM'); // the harness stops its rtm-server
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function loadTests() {
  const files = (await readdir(here)).filter((f) => f.endsWith('.test.mjs')).sort();
  const tests = [];
  for (const file of files) {
    const mod = await import(pathToFileURL(path.join(here, file)).href);
    for (const [name, fn] of Object.entries(mod)) {
      if (typeof fn !== 'function') continue;
      const full = `${file.replace(/\.test\.mjs$/, '')}.${name}`;
      if (filters.length && !filters.some((f) => full.includes(f))) continue;
      tests.push({ name: full, fn, timeoutMs: Math.max(TIMEOUT_MS, Number(fn.timeoutMs) || 0) });
    }
  }
  return tests;
}

// Every page of every context gets its console errors and crashes printed.
function instrument(browser) {
  let pageNo = 0;
  const watch = (context) => {
    context.on('page', (page) => {
      const label = `page${++pageNo}`;
      page.on('console', (msg) => {
        if (msg.type() === 'error' || msg.type() === 'warning') note(`${label} console.${msg.type()}: ${msg.text()}`);
      });
      page.on('pageerror', (err) => note(`${label} uncaught: ${err.stack || err.message}`));
      page.on('crash', () => note(`${label} crashed`));
    });
    return context;
  };
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...args) => watch(await newContext(...args));
  browser.newPage = async (...args) => {
    const context = await browser.newContext(...args);
    const page = await context.newPage();
    page.once('close', () => context.close().catch(() => {}));
    return page;
  };
}

// The message, then (as "#" lines) the stack frames that are in the test files.
function describeError(err) {
  if (!(err instanceof Error)) return String(err);
  const [first, ...rest] = String(err.message).split('\n');
  const frames = String(err.stack || '').split('\n').filter((l) => /^\s+at .*\.test\.mjs/.test(l));
  return [first, ...rest.map((l) => `#   ${l}`), ...frames.map((l) => `#   ${l.trim()}`)].join('\n');
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function main() {
  const tests = await loadTests();
  if (!tests.length) throw new Error(`no tests match ${filters.join(' ')}`);

  let harness = null;
  let baseUrl = process.env.RTM_SERVER_URL ? process.env.RTM_SERVER_URL.replace(/\/+$/, '') : '';
  let control = process.env.RTM_TEST_CONTROL ? process.env.RTM_TEST_CONTROL.replace(/\/+$/, '') : null;
  if (!baseUrl && !control) {
    harness = await startHarness();
    control = harness.control;
  }
  if (control) {
    const served = httpBase((await harnessConfig(control)).serverUrl);
    if (!baseUrl) baseUrl = served;
    else if (new URL(baseUrl).host !== new URL(served).host) {
      throw new Error(`RTM_SERVER_URL is ${baseUrl} but the harness at RTM_TEST_CONTROL=${control} runs ${served}`);
    }
  }
  if (harness) note(`started the test harness: control ${control}, rtm-server ${baseUrl} (logs in ${harness.out})`);
  else if (!control) note('no RTM_TEST_CONTROL: tests that need the test harness (server restarts, its grace period) will fail');

  let browser;
  let passed = 0;
  let failed = 0;
  try {
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run'],
    });
    instrument(browser);

    for (const test of tests) {
      const started = Date.now();
      try {
        const result = await withTimeout(Promise.resolve().then(() => test.fn({ browser, baseUrl, control })), test.timeoutMs, test.name);
        const extra = typeof result === 'string' && result ? ` # ${result}` : '';
        console.log(`ok - ${test.name} (${Date.now() - started} ms)${extra}`);
        passed++;
      } catch (err) {
        console.log(`FAIL - ${test.name}: ${describeError(err)}`);
        failed++;
      } finally {
        // Whatever the test left open (also after a timeout) goes away before the next one.
        await Promise.all(browser.contexts().map((c) => c.close().catch(() => {})));
      }
    }
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (harness) {
      await harness.stop();
      if (failed && harness.output.length) {
        note('test harness output (last lines):');
        for (const line of harness.output.slice(-60)) note(`  ${line}`);
      }
    }
  }
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.log(`FAIL - e2e setup: ${describeError(err)}`);
    console.log('e2e: 0 passed, 1 failed');
    process.exit(1);
  },
);
