#!/usr/bin/env node
// tests/harness/cluster.mjs — an rtm-server cluster for the browser suites: one redis-server, two
// rtm-server nodes on it (cluster mode, `--redis`), a round-robin TCP load balancer in front of
// both, and an HTTP control API to kill and restart nodes and Redis and to mint tokens.
//
// Why: the cluster suites (tests/browser_cluster*.rs, wasm-bindgen-test in headless Chromium) put
// client A on node 1 and client B on node 2 and check that every feature works across nodes, and
// that the system survives a node's kill -9 (clients behind the balancer move to the survivor) and
// a Redis restart. Browsers can only reach the outside over HTTP, hence the control API.
// scripts/test-cluster.sh starts this (scripts/test.sh's cluster stage runs that script).
//
//   node tests/harness/cluster.mjs   prints `control listening on http://127.0.0.1:CPORT` once
//                                     everything is up; runs until SIGTERM/SIGINT, until its
//                                     parent process is gone, or for RTM_HARNESS_MAX_SECS (3600)
// Files: .test-out/cluster/ (RTM_HARNESS_OUT) gets rtm-test.toml (app.mjs, as control.mjs's: both
// nodes read it), redis.log, node1.log, node2.log. Redis's dir and the nodes' --data-dir are a fresh
// temporary directory, removed at exit (kept with RTM_HARNESS_KEEP=1). Started as
//   redis-server --port P --bind 127.0.0.1 --dir TMP/redis --appendonly yes --appendfsync always
//                --save ''                                                         (see redis.mjs)
//   target/debug/rtm-server --listen 127.0.0.1:0 --www www --config .test-out/cluster/rtm-test.toml
//       --data-dir TMP/nodeN --grace-secs 5 --redis redis://127.0.0.1:P         (see server.mjs)
// Restarts reuse the ports the first starts got. If the binary's --help lists no `--redis`, the
// harness exits 1 at once saying so.
//
// API (served by api.mjs: CORS on every response, OPTIONS preflights answered; the POSTs that stop
// or start processes run one at a time, in order):
//   GET  /config   JSON {appId, certificate, customerKey, customerSecret, graceSecs, node1Url, node2Url, balancerUrl (ws URLs
//        ending in /rtm), redisPort, redisUrl, redisClients (connections Redis saw from the nodes
//        after they started: 0 means the nodes ignore --redis), nodes: [{n, url, pid, running}],
//        balancer: {live: {1: n, 2: n}, accepted, failovers, refused, turnedAway, next,
//        connections: [{id, tag, backend, openedAt, closedAt}]} (balancer.mjs), controlUrl, configLoaded}
//   POST /kill-node?n=1            SIGKILL node n, wait until it is gone; the balancer stops
//        sending clients to it (and a connection that still reaches its dead port fails over)
//   POST /stop-node?n=1            the same with SIGTERM (a graceful stop: clients get close 1001)
//   POST /restart-node?n=1[&signal=TERM|KILL][&down_ms=N]  stop node n (if running), keep it down
//        N ms, start it again on its port; 200 once it listens
//   POST /restart-redis[?signal=TERM|KILL][&down_ms=N]  stop Redis (SIGTERM: it fsyncs its AOF),
//        keep it down N ms, start it on the same port and dir; 200 once it accepts connections
//   POST /heal     start whatever is down (Redis first, then nodes); JSON {started: [...]}
//   POST /balancer?next=N          the balancer's next connection goes to node N first
//   POST /sever-balancer[?tag=T][&down_ms=N]  destroy the balancer's live connections tagged T
//        (every one without a tag) and turn the same away for N ms; JSON {severed, tag, downMs}
//   GET  /token?kind=007|006&uid=U[&expire=SECS][&app=ID&cert=CERT]   as control.mjs's (app.mjs)
// Environment: RTM_SERVER_BIN (target/debug/rtm-server), RTM_REDIS_SERVER (redis-server on PATH),
// RTM_HARNESS_OUT, RTM_HARNESS_GRACE_SECS (5), RTM_HARNESS_SERVER_FLAGS (see server.mjs; --redis
// is always added), RTM_HARNESS_KEEP, RTM_HARNESS_MAX_SECS.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { endWithParent, HttpError, intParam, json, serializer, serveApi, signalParam } from './api.mjs';
import { testApp, tokenRoute, writeConfig } from './app.mjs';
import { startBalancer } from './balancer.mjs';
import { Redis } from './redis.mjs';
import { RtmServer, serverFlags } from './server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = path.resolve(root, process.env.RTM_HARNESS_OUT || '.test-out/cluster');
const bin = path.resolve(root, process.env.RTM_SERVER_BIN || 'target/debug/rtm-server');
const redisBin = process.env.RTM_REDIS_SERVER || 'redis-server';
const graceSecs = Number(process.env.RTM_HARNESS_GRACE_SECS || 5);
const maxSecs = Number(process.env.RTM_HARNESS_MAX_SECS || 3600);
const app = testApp();
const log = (line) => console.log(`cluster ${new Date().toISOString()}: ${line}`);

// --- preflight: a binary with cluster mode ---------------------------------------------------
const help = spawnSync(bin, ['--help'], { encoding: 'utf8' });
if (help.error || !`${help.stdout}${help.stderr}`.includes('--redis')) {
  console.error(help.error
    ? `cluster: cannot run ${bin} --help: ${help.error.message}`
    : `cluster: ${bin} --help lists no --redis flag: this rtm-server has no cluster mode yet`);
  process.exit(1);
}

// --- files -----------------------------------------------------------------------------------
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const tmp = mkdtempSync(path.join(os.tmpdir(), 'rtm-cluster-'));
for (const d of ['redis', 'node1', 'node2']) mkdirSync(path.join(tmp, d));
const configFile = path.join(out, 'rtm-test.toml');
writeConfig(configFile, app, 'tests/harness/cluster.mjs (both nodes read it)');

const redis = new Redis({ bin: redisBin, dir: path.join(tmp, 'redis'), log: path.join(out, 'redis.log') });
/** @type {RtmServer[]} index n-1 is node n */
let nodes = [];
let balancer = null;
let httpServer = null;
let redisClients = null;

const shutdown = endWithParent(async () => {
  httpServer?.close();
  await balancer?.close().catch(() => {});
  await Promise.all(nodes.map((n) => n.stop('SIGTERM').catch(() => n.killNow())));
  await redis.stop('SIGTERM').catch(() => redis.killNow());
  if (!process.env.RTM_HARNESS_KEEP) rmSync(tmp, { recursive: true, force: true });
  else log(`kept ${tmp}`);
}, { maxSecs, name: 'cluster' });
process.on('exit', () => {
  for (const n of nodes) n.killNow();
  redis.killNow();
});

// Process changes run one at a time, in order.
const serialized = serializer();

function nodeParam(q) {
  const n = intParam(q, 'n', null);
  if (n === null || !nodes[n - 1]) throw new HttpError(400, `n must be 1..${nodes.length}`);
  return n;
}

const wsUrl = (port) => `ws://127.0.0.1:${port}/rtm`;

/** Waits up to 5 s for Redis to see connections from the nodes; records how many. */
async function countRedisClients() {
  for (let i = 0; i < 25; i++) {
    redisClients = await redis.clients();
    if (redisClients >= nodes.length) break;
    await sleep(200);
  }
  if (!redisClients) {
    console.error('cluster: WARNING: Redis sees no connection from the nodes: they accept --redis but do not use it (still on the embedded engine?)');
  }
  return redisClients;
}

// --- endpoints -------------------------------------------------------------------------------
function stopNode(signal) {
  return (q) => serialized(async () => {
    const n = nodeParam(q);
    const began = Date.now();
    const node = nodes[n - 1];
    node.note(`cluster: stop node ${n} with ${signal}`);
    log(`stop node ${n} with ${signal}`);
    await node.stop(signal);
    return json({ stopped: n, signal, ms: Date.now() - began });
  });
}

const routes = {
  'POST /kill-node': stopNode('SIGKILL'),
  'POST /stop-node': stopNode('SIGTERM'),

  'POST /restart-node': (q) => serialized(async () => {
    const n = nodeParam(q);
    const signal = signalParam(q, 'TERM');
    const downMs = Math.max(0, intParam(q, 'down_ms', 0));
    const began = Date.now();
    const node = nodes[n - 1];
    node.note(`cluster: restart node ${n} with ${signal}, down ${downMs} ms`);
    log(`restart node ${n} with ${signal}, down ${downMs} ms`);
    await node.stop(signal);
    if (downMs) await sleep(downMs);
    const port = await node.start();
    return json({ restarted: n, signal, downMs, port, pid: node.child.pid, ms: Date.now() - began });
  }),

  'POST /restart-redis': (q) => serialized(async () => {
    const signal = signalParam(q, 'TERM');
    const downMs = Math.max(0, intParam(q, 'down_ms', 0));
    const began = Date.now();
    redis.note(`cluster: restart Redis with ${signal}, down ${downMs} ms`);
    log(`restart Redis with ${signal}, down ${downMs} ms`);
    await redis.stop(signal);
    if (downMs) await sleep(downMs);
    const port = await redis.start();
    log(`Redis back on ${port} after ${Date.now() - began} ms`);
    return json({ restarted: 'redis', signal, downMs, port, pid: redis.child.pid, ms: Date.now() - began });
  }),

  'POST /heal': () => serialized(async () => {
    const started = [];
    if (!redis.running()) {
      await redis.start();
      started.push('redis');
    }
    for (const [i, node] of nodes.entries()) {
      if (!node.running()) {
        await node.start();
        started.push(`node${i + 1}`);
      }
    }
    if (started.length) log(`heal: started ${started.join(', ')}`);
    return json({ started });
  }),

  'POST /balancer': (q) => {
    const next = intParam(q, 'next', null);
    if (next !== null) {
      try {
        balancer.setNext(next);
      } catch (err) {
        throw new HttpError(400, err.message);
      }
    }
    return json(balancer.stats());
  },

  'POST /sever-balancer': (q) => {
    const tag = q.get('tag') || null;
    const downMs = Math.max(0, intParam(q, 'down_ms', 0));
    log(`sever the balancer's connections${tag ? ` tagged ${tag}` : ''}, down ${downMs} ms`);
    return json({ severed: balancer.cut({ tag, downMs }), tag, downMs });
  },

  'GET /token': tokenRoute(app),

  'GET /config': () => json({
    ...app,
    graceSecs,
    node1Url: wsUrl(nodes[0].port),
    node2Url: wsUrl(nodes[1].port),
    balancerUrl: wsUrl(balancer.port),
    redisPort: redis.port,
    redisUrl: redis.url,
    redisClients,
    nodes: nodes.map((node, i) => ({ n: i + 1, url: wsUrl(node.port), pid: node.child?.pid ?? null, running: node.running() })),
    redisRunning: redis.running(),
    balancer: balancer.stats(),
    controlUrl: `http://127.0.0.1:${httpServer.address().port}`,
    configLoaded: nodes.every((n) => n.config !== null),
  }),
};

// --- start -----------------------------------------------------------------------------------
try {
  const redisPort = await redis.start();
  log(`redis-server on ${redisPort} (log: ${path.relative(root, path.join(out, 'redis.log'))})`);
  nodes = [1, 2].map((n) => {
    const flags = [...serverFlags(bin, { dataDir: path.join(tmp, `node${n}`), graceSecs }), '--redis', redis.url];
    return new RtmServer({ bin, www: path.join(root, 'www'), config: configFile, flags, log: path.join(out, `node${n}.log`) });
  });
  await Promise.all(nodes.map((n) => n.start()));
  balancer = await startBalancer(() => nodes.map((node, i) => ({ n: i + 1, port: node.port, up: node.running() })));
  await countRedisClients();
  httpServer = await serveApi(routes, 'cluster');
  console.log(`control listening on http://127.0.0.1:${httpServer.address().port}`);
  log(`node1 ${wsUrl(nodes[0].port)}, node2 ${wsUrl(nodes[1].port)}, balancer ${wsUrl(balancer.port)}, ` +
    `redis ${redis.url} (${redisClients ?? '?'} connections from the nodes), app ${app.appId}, ` +
    `flags [${nodes[0].flags.join(' ')}], config ${nodes.every((n) => n.config) ? 'loaded' : 'NOT loaded'}, ` +
    `data in ${tmp} (logs: ${path.relative(root, out)}/)`);
} catch (err) {
  console.error(`cluster: could not start: ${err.message}`);
  await shutdown(1);
}
