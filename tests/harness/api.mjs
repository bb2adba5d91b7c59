// tests/harness/api.mjs — what every harness's HTTP control API has in common: serving a table of
// routes to the browser suites, reading query parameters, running process changes one at a time,
// and ending the harness together with whoever started it.
//
// Why shared: the browser suites (wasm-bindgen-test in headless Chromium) reach the outside only
// through fetch(), so each harness (control.mjs: one rtm-server behind a proxy; cluster.mjs: two
// nodes on Redis behind a balancer) serves an HTTP API. The suites' fetch helpers expect every
// harness to answer the same way — CORS on every response (the page's origin is the test runner's),
// preflights answered, failures as a status with the reason in plain text — so one implementation
// serves both, and a harness only lists its routes.
//
// A route is `'METHOD /path': (searchParams) => reply | Promise<reply>` with reply
// `{status, type, body}` (json() and text() build the common ones). Throwing an HttpError answers
// with its status; any other error answers 500 and is logged.

import http from 'node:http';

export class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** `q[name]` as an integer; `fallback` when absent or empty; 400 when not an integer. */
export function intParam(q, name, fallback) {
  const raw = q.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new HttpError(400, `${name} must be an integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** `q.signal` (TERM or KILL, with or without SIG) as 'SIGTERM' / 'SIGKILL'. */
export function signalParam(q, fallback = 'TERM') {
  const signal = (q.get('signal') || fallback).toUpperCase().replace(/^SIG/, '');
  if (signal !== 'TERM' && signal !== 'KILL') throw new HttpError(400, 'signal must be TERM or KILL');
  return `SIG${signal}`;
}

export function json(value) {
  return { status: 200, type: 'application/json', body: `${JSON.stringify(value)}\n` };
}

export function text(body) {
  return { status: 200, type: 'text/plain; charset=utf-8', body };
}

/**
 * A queue for changes to processes (stop, restart): `run(fn)` starts fn once every earlier fn has
 * settled, so two requests never stop and start the same process at once.
 */
export function serializer() {
  let queue = Promise.resolve();
  return (fn) => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => {});
    return run;
  };
}

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Allow-Private-Network': 'true',
  'Access-Control-Max-Age': '600',
  'Cache-Control': 'no-store',
};

async function answer(routes, req) {
  const url = new URL(req.url, 'http://control');
  req.resume(); // bodies are ignored
  if (req.method === 'OPTIONS') return { status: 204, type: 'text/plain', body: '' };
  const route = routes[`${req.method} ${url.pathname}`];
  if (!route) {
    const known = Object.keys(routes).some((k) => k.endsWith(` ${url.pathname}`));
    throw new HttpError(known ? 405 : 404, `${known ? 'method not allowed' : 'not found'}: ${req.method} ${url.pathname}`);
  }
  return route(url.searchParams);
}

/**
 * Serves `routes` on 127.0.0.1 (a free port); resolves with the listening http.Server.
 * `name` prefixes the log line of a failed (500) request.
 */
export async function serveApi(routes, name) {
  const server = http.createServer((req, res) => {
    answer(routes, req)
      .catch((err) => {
        const status = err instanceof HttpError ? err.status : 500;
        if (status === 500) console.error(`${name}: ${req.method} ${req.url} failed: ${err.message}`);
        return { status, type: 'text/plain; charset=utf-8', body: `${err.message}\n` };
      })
      .then((reply) => {
        const allowHeaders = req.headers['access-control-request-headers'] || '*';
        res.writeHead(reply.status, { ...CORS, 'Access-Control-Allow-Headers': allowHeaders, 'Content-Type': reply.type });
        res.end(reply.body);
      })
      .catch((err) => res.destroy(err));
  });
  server.keepAliveTimeout = 1000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return server;
}

/**
 * Ties the harness's life to its starter's. Returns `shutdown(code)`: runs `stop()` (once, however
 * often it is called), then exits with `code`. It runs on SIGTERM/SIGINT/SIGHUP, once the parent
 * process is gone (this process was re-parented: the test script or its `timeout` was killed
 * without cleaning up), and after `maxSecs` if given — a harness must never outlive a run.
 */
export function endWithParent(stop, { maxSecs = 0, name = 'harness' } = {}) {
  let ending = false;
  const shutdown = async (code) => {
    if (ending) return;
    ending = true;
    try {
      await stop();
    } finally {
      process.exit(code);
    }
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => shutdown(0));
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && shutdown(0), 500).unref();
  if (maxSecs > 0) {
    setTimeout(() => {
      console.error(`${name}: still running after ${maxSecs} s: stopping`);
      shutdown(1);
    }, maxSecs * 1000).unref();
  }
  return shutdown;
}
