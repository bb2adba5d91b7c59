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
// logging to .test-out/server.log. Restarts reuse the port the first start got. Beside it runs a
// second rtm-server on TLS with a certificate made for the run (tls.mjs; log .test-out/server-tls.log),
// never restarted, for the wss:// suite.
//
// API (served by api.mjs: CORS on every response, OPTIONS preflights answered):
//   POST /restart[?signal=KILL][&down_ms=N]  SIGTERM (or SIGKILL) the server, wait for it to exit,
//        keep it down N ms, start it on the same port; 200 once it listens again (JSON)
//   POST /sever[?down_ms=N]   destroy every proxied connection (both sides); refuse (accept and
//        close) new proxy connections for N ms; 200 JSON {severed, downMs}
//   POST /freeze              stop forwarding on every proxied connection but keep it open (a
//        silently dead network); 200 JSON {frozen}
//   POST /drop-push[?count=N] drop the next N pushes the server sends through the proxy while the
//        link stays up (a hole in the push numbering); 200 JSON {dropping}
//   POST /bot?app=A&uid=U&channel=C   start a native echo bot (client/examples/echo_bot.rs, built by
//        scripts/test.sh) logged in to the server as U of app A, in channel C; 200 JSON once ready
//        (see bots.mjs; log .test-out/bots.log)
//   GET  /token?kind=007|006&uid=U[&expire=SECS][&app=ID&cert=CERT]   text/plain token for the
//        configured app (or app/cert given): see app.mjs
//   GET  /config   JSON {appId, certificate, customerKey, customerSecret (REST), adminSecret, graceSecs, serverUrl, proxyUrl, controlUrl, configLoaded,
//        tlsUrl, tlsSpki}   tlsUrl: the TLS server's wss:// URL; tlsSpki: the pin Chromium needs to
//        trust its certificate (both null when no TLS server could start, see tls.mjs)
//        graceSecs is null if the server has no --grace-secs; configLoaded is false if the server
//        rejected the config file and runs without one (development mode, no certificate)
// Environment: RTM_SERVER_BIN (default target/debug/rtm-server), RTM_HARNESS_OUT (.test-out),
// RTM_HARNESS_GRACE_SECS (5), RTM_HARNESS_SERVER_FLAGS (see server.mjs).

import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { endWithParent, intParam, json, serializer, serveApi, signalParam } from './api.mjs';
import { testApp, tokenRoute, writeConfig } from './app.mjs';
import { botRoute } from './bots.mjs';
import { startProxy } from './proxy.mjs';
import { RtmServer, serverFlags } from './server.mjs';
import { startTlsServer } from './tls.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = path.resolve(root, process.env.RTM_HARNESS_OUT || '.test-out');
const bin = path.resolve(root, process.env.RTM_SERVER_BIN || 'target/debug/rtm-server');
const graceSecs = Number(process.env.RTM_HARNESS_GRACE_SECS || 5);
const app = testApp();

// --- server, proxy ---------------------------------------------------------------------------
mkdirSync(out, { recursive: true });
const configFile = path.join(out, 'rtm-test.toml');
const dataDir = path.join(out, 'data');
rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });
writeConfig(configFile, app, 'tests/harness/control.mjs');

const flags = serverFlags(bin, { dataDir, graceSecs });
const graceIndex = flags.indexOf('--grace-secs');
const server = new RtmServer({ bin, www: path.join(root, 'www'), config: configFile, flags, log: path.join(out, 'server.log') });
let proxy = null;
let httpServer = null;
let tls = null;
const bots = [];

const shutdown = endWithParent(async () => {
  httpServer?.close();
  proxy?.close();
  await Promise.all([server, tls?.server, ...bots].filter(Boolean).map((s) => s.stop('SIGTERM').catch(() => s.killNow())));
}, { name: 'control' });
process.on('exit', () => { server.killNow(); tls?.server.killNow(); bots.forEach((b) => b.killNow()); });

// Restarts run one at a time, in order.
const serialized = serializer();

// --- endpoints -------------------------------------------------------------------------------
const routes = {
  'POST /restart': (q) => serialized(async () => {
    const signal = signalParam(q);
    const downMs = Math.max(0, intParam(q, 'down_ms', 0));
    const began = Date.now();
    server.note(`control: restart with ${signal}, down ${downMs} ms`);
    await server.stop(signal);
    if (downMs) await sleep(downMs);
    const port = await server.start();
    return json({ restarted: true, signal, downMs, port, pid: server.child.pid, ms: Date.now() - began });
  }),

  'POST /sever': (q) => {
    const downMs = Math.max(0, intParam(q, 'down_ms', 0));
    return json({ severed: proxy.sever(downMs), downMs });
  },

  'POST /freeze': () => json({ frozen: proxy.freeze() }),

  'POST /drop-push': (q) => json({ dropping: proxy.dropPushes(Math.max(0, intParam(q, 'count', 1))) }),

  'GET /token': tokenRoute(app),

  'POST /bot': botRoute({ root, out, serverUrl: () => `ws://127.0.0.1:${server.port}/rtm`, bots }),

  'GET /config': () => json({
    ...app,
    graceSecs: graceIndex >= 0 ? Number(flags[graceIndex + 1]) : null,
    serverUrl: `ws://127.0.0.1:${server.port}/rtm`,
    proxyUrl: `ws://127.0.0.1:${proxy.port}/rtm`,
    controlUrl: `http://127.0.0.1:${httpServer.address().port}`,
    configLoaded: server.config !== null,
    tlsUrl: tls?.url ?? null,
    tlsSpki: tls?.spki ?? null,
  }),
};

// --- start -----------------------------------------------------------------------------------
try {
  const port = await server.start();
  proxy = await startProxy(port);
  tls = await startTlsServer({ bin, www: path.join(root, 'www'), config: server.config, flags, out });
  httpServer = await serveApi(routes, 'control');
  console.log(`control listening on http://127.0.0.1:${httpServer.address().port}`);
  console.log(`control: rtm-server ws://127.0.0.1:${port}/rtm, proxy ws://127.0.0.1:${proxy.port}/rtm, ` +
    `${tls ? `TLS ${tls.url}, ` : ''}app ${app.appId}, flags [${flags.join(' ')}], config ${server.config ? 'loaded' : 'NOT loaded'} (log: ${path.relative(root, path.join(out, 'server.log'))})`);
} catch (err) {
  console.error(`control: could not start: ${err.message}`);
  await shutdown(1);
}
