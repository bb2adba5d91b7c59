#!/usr/bin/env node
// tests/harness/control.mjs — rtm-server under test, a TCP proxy in front of it, and an HTTP
// control API the browser tests call to restart the server, cut network links and mint tokens.
//
// Why: the browser suites (tests/*.rs, wasm-bindgen-test in headless Chromium) can only reach
// the outside world over HTTP, yet they must restart the server mid-session (gracefully and with
// kill -9), sever a client's link while the server stays up, and log in with tokens minted live
// by Agora's own libraries (agora-token "007", agora-access-token "006"). scripts/test.sh starts
// this for the browser stage and exports the URLs (RTM_TEST_URL, RTM_TEST_PROXY_URL,
// RTM_TEST_CONTROL); scripts/test-browser.sh starts it itself when run alone.
//
//   node tests/harness/control.mjs        prints `control listening on http://127.0.0.1:CPORT`
//                                          once everything is up; runs until SIGTERM/SIGINT
//                                          or until its parent process is gone
// It writes .test-out/rtm-test.toml (`development = true` and one [[apps]] with a random id and
// certificate per run), wipes .test-out/data, and starts
//   target/debug/rtm-server --listen 127.0.0.1:0 --www www --config .test-out/rtm-test.toml
//                           --data-dir .test-out/data --grace-secs 5    (see server.mjs)
// logging to .test-out/server.log. Restarts reuse the port the first start got.
//
// API (every response has Access-Control-Allow-Origin: *, OPTIONS preflights are answered):
//   POST /restart[?signal=KILL][&down_ms=N]  SIGTERM (or SIGKILL) the server, wait for it to exit,
//        keep it down N ms, start it on the same port; 200 once it listens again (JSON)
//   POST /sever[?down_ms=N]   destroy every proxied connection (both sides); refuse (accept and
//        close) new proxy connections for N ms; 200 JSON {severed, downMs}
//   POST /freeze              stop forwarding on every proxied connection but keep it open (a
//        silently dead network); 200 JSON {frozen}
//   GET  /token?kind=007|006&uid=U[&expire=SECS][&app=ID&cert=CERT]   text/plain token for the
//        configured app (or app/cert given); expire is relative seconds (default 3600); for 006 it
//        becomes the absolute privilegeExpiredTs now+expire
//   GET  /config   JSON {appId, certificate, graceSecs, serverUrl, proxyUrl, controlUrl, configLoaded}
//        graceSecs is null if the server has no --grace-secs; configLoaded is false if the server
//        rejected the config file and runs without one (development mode, no certificate)
// Environment: RTM_SERVER_BIN (default target/debug/rtm-server), RTM_HARNESS_OUT (.test-out),
// RTM_HARNESS_GRACE_SECS (5), RTM_HARNESS_SERVER_FLAGS (see server.mjs).

import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import agoraToken from 'agora-token';
import agoraAccessToken from 'agora-access-token';
import { startProxy } from './proxy.mjs';
import { RtmServer, serverFlags } from './server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = path.resolve(root, process.env.RTM_HARNESS_OUT || '.test-out');
const bin = path.resolve(root, process.env.RTM_SERVER_BIN || 'target/debug/rtm-server');
const graceSecs = Number(process.env.RTM_HARNESS_GRACE_SECS || 5);
const appId = randomBytes(16).toString('hex');
const certificate = randomBytes(16).toString('hex');

// --- server, proxy ---------------------------------------------------------------------------
mkdirSync(out, { recursive: true });
const configFile = path.join(out, 'rtm-test.toml');
const dataDir = path.join(out, 'data');
rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });
writeFileSync(configFile, [
  '# written by tests/harness/control.mjs for this test run',
  'development = true          # app ids not listed log in without a token',
  '',
  '[[apps]]',
  `id = "${appId}"`,
  `certificate = "${certificate}"`,
  '',
  '[limits]',
  'channel_attrs_ttl_secs = 3  # short, so the browser suite can see an empty channel lose its attributes',
  'invitation_timeout_secs = 3 # short, so the browser suite can see an unanswered invitation fail',
  '',
].join('\n'));

const flags = serverFlags(bin, { dataDir, graceSecs });
const graceIndex = flags.indexOf('--grace-secs');
const server = new RtmServer({ bin, www: path.join(root, 'www'), config: configFile, flags, log: path.join(out, 'server.log') });
let proxy = null;
let httpServer = null;

let shuttingDown = false;
async function shutdown(code) {
  if (shuttingDown) return;
  shuttingDown = true;
  httpServer?.close();
  proxy?.close();
  await server.stop('SIGTERM').catch(() => server.killNow());
  process.exit(code);
}
process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
process.on('SIGHUP', () => shutdown(0));
process.on('exit', () => server.killNow());
// Never outlive whoever started us (test.sh's `timeout`, test-browser.sh): once the parent is gone
// (this process was re-parented), stop.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && shutdown(0), 500).unref();

// Restarts run one at a time, in order.
let queue = Promise.resolve();
const serialized = (fn) => {
  const run = queue.then(fn, fn);
  queue = run.catch(() => {});
  return run;
};

function intParam(q, name, fallback) {
  const raw = q.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new HttpError(400, `${name} must be an integer, got ${JSON.stringify(raw)}`);
  return n;
}

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// --- endpoints -------------------------------------------------------------------------------
const routes = {
  'POST /restart': (q) => serialized(async () => {
    const signal = (q.get('signal') || 'TERM').toUpperCase().replace(/^SIG/, '');
    if (signal !== 'TERM' && signal !== 'KILL') throw new HttpError(400, 'signal must be TERM or KILL');
    const downMs = Math.max(0, intParam(q, 'down_ms', 0));
    const began = Date.now();
    server.note(`control: restart with SIG${signal}, down ${downMs} ms`);
    await server.stop(`SIG${signal}`);
    if (downMs) await sleep(downMs);
    const port = await server.start();
    return json({ restarted: true, signal, downMs, port, pid: server.child.pid, ms: Date.now() - began });
  }),

  'POST /sever': (q) => {
    const downMs = Math.max(0, intParam(q, 'down_ms', 0));
    return json({ severed: proxy.sever(downMs), downMs });
  },

  'POST /freeze': () => json({ frozen: proxy.freeze() }),

  'GET /token': (q) => {
    const kind = q.get('kind') || '007';
    const uid = q.get('uid');
    if (uid === null) throw new HttpError(400, 'uid is required');
    const expire = intParam(q, 'expire', 3600);
    const app = q.get('app') ?? appId;
    const cert = q.get('cert') ?? certificate;
    let token;
    if (kind === '007') {
      token = agoraToken.RtmTokenBuilder.buildToken(app, cert, uid, expire);
    } else if (kind === '006') {
      const privilegeExpiredTs = Math.floor(Date.now() / 1000) + expire;
      token = agoraAccessToken.RtmTokenBuilder.buildToken(app, cert, uid, agoraAccessToken.RtmRole.Rtm_User, privilegeExpiredTs);
    } else {
      throw new HttpError(400, 'kind must be 007 or 006');
    }
    if (!token) throw new HttpError(400, `the ${kind} library minted no token (app id and certificate must be 32 hex characters)`);
    return { status: 200, type: 'text/plain; charset=utf-8', body: token };
  },

  'GET /config': () => json({
    appId,
    certificate,
    graceSecs: graceIndex >= 0 ? Number(flags[graceIndex + 1]) : null,
    serverUrl: `ws://127.0.0.1:${server.port}/rtm`,
    proxyUrl: `ws://127.0.0.1:${proxy.port}/rtm`,
    controlUrl: `http://127.0.0.1:${httpServer.address().port}`,
    configLoaded: server.config !== null,
  }),
};

function json(value) {
  return { status: 200, type: 'application/json', body: `${JSON.stringify(value)}\n` };
}

async function handle(req, res) {
  const cors = {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
    'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] || '*',
    'Access-Control-Allow-Private-Network': 'true',
    'Access-Control-Max-Age': '600',
    'Cache-Control': 'no-store',
  };
  const url = new URL(req.url, 'http://control');
  let reply;
  try {
    req.resume(); // bodies are ignored
    if (req.method === 'OPTIONS') {
      reply = { status: 204, type: 'text/plain', body: '' };
    } else {
      const route = routes[`${req.method} ${url.pathname}`];
      if (!route) {
        const known = Object.keys(routes).some((k) => k.endsWith(` ${url.pathname}`));
        throw new HttpError(known ? 405 : 404, `${known ? 'method not allowed' : 'not found'}: ${req.method} ${url.pathname}`);
      }
      reply = await route(url.searchParams);
    }
  } catch (err) {
    const status = err instanceof HttpError ? err.status : 500;
    if (status === 500) console.error(`control: ${req.method} ${req.url} failed: ${err.message}`);
    reply = { status, type: 'text/plain; charset=utf-8', body: `${err.message}\n` };
  }
  res.writeHead(reply.status, { ...cors, 'Content-Type': reply.type });
  res.end(reply.body);
}

// --- start -----------------------------------------------------------------------------------
try {
  const port = await server.start();
  proxy = await startProxy(port);
  httpServer = http.createServer((req, res) => {
    handle(req, res).catch((err) => res.destroy(err));
  });
  httpServer.keepAliveTimeout = 1000;
  await new Promise((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(0, '127.0.0.1', resolve);
  });
  console.log(`control listening on http://127.0.0.1:${httpServer.address().port}`);
  console.log(`control: rtm-server ws://127.0.0.1:${port}/rtm, proxy ws://127.0.0.1:${proxy.port}/rtm, ` +
    `app ${appId}, flags [${flags.join(' ')}], config ${server.config ? 'loaded' : 'NOT loaded'} (log: ${path.relative(root, path.join(out, 'server.log'))})`);
} catch (err) {
  console.error(`control: could not start: ${err.message}`);
  await shutdown(1);
}
