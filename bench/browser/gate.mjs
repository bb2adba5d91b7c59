// gate.mjs — holds a page's main thread while run.mjs queues a burst for it. The page sends a
// synchronous XHR to GET /hold (counter.js's bench.hold), which blocks its main thread, so no
// message event runs; this server answers only on release(). The burst then waits in the
// browser's network stack and socket buffers, and the page drains it at its own pace: the rate
// measured is the page's dispatch capacity, not the senders' speed. In run.mjs's process.
import { createServer } from 'node:http';

/** Starts the gate on a free loopback port: { url, held(ms), release(), close() }. */
export async function startGate() {
  let pending = null; // the held response
  let onHold = null;
  const server = createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*'); // the pages come from another origin
    res.setHeader('Cache-Control', 'no-store');
    if (!req.url.startsWith('/hold')) {
      res.writeHead(404).end();
      return;
    }
    pending?.end('late'); // a stale hold: never leave a page blocked
    pending = res;
    onHold?.();
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  let n = 0;

  return {
    /** A fresh URL per hold (no cache can answer it). */
    url: () => `http://127.0.0.1:${port}/hold?n=${++n}`,

    /** Resolves once a page is blocked on the gate. */
    held(ms = 10_000) {
      if (pending) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          onHold = null;
          reject(new Error(`the page did not reach the gate within ${ms} ms`));
        }, ms);
        onHold = () => {
          clearTimeout(timer);
          onHold = null;
          resolve();
        };
      });
    },

    release() {
      pending?.end('ok');
      pending = null;
    },

    async close() {
      this.release();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
