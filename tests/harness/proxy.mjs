// tests/harness/proxy.mjs — a TCP proxy in front of rtm-server that can cut its connections.
//
// Why: reconnection and session-resumption tests need a client's network link to fail while the
// server stays up. Clients that connect through this proxy (RTM_TEST_PROXY_URL) get plain byte
// piping to the server (WebSocket needs nothing special); `sever()` destroys every live
// connection on both sides at once, like a network failure, and can refuse (accept and close at
// once) new connections for a while, like a network that stays down.
//
// Normal closes pass through gracefully (FIN after the pending bytes, so a server's close frame
// still arrives); an error on one side (reset, refused upstream) destroys the other side. The
// piping and cutting (pipePair, cut, listenLocal) are exported for the cluster's load balancer
// (balancer.mjs), whose connections must fail exactly like these.

import net from 'node:net';

/**
 * Pipes `client` and `upstream` into each other and adds the pair (with `extra`'s fields) to
 * `pairs` until both sides have closed. Returns the pair.
 */
export function pipePair(pairs, client, upstream, extra = {}) {
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  const pair = { ...extra, client, upstream, open: 2 };
  pairs.add(pair);
  const closed = (other) => (hadError) => {
    if (hadError) other.destroy();
    else other.end();
    if (--pair.open === 0) pairs.delete(pair);
  };
  client.on('close', closed(upstream));
  upstream.on('close', closed(client));
  client.pipe(upstream);
  upstream.pipe(client);
  return pair;
}

/** Destroys both sides of every pair in `pairs` that `which` selects (all by default), like a
 *  network failure; returns how many. */
export function cut(pairs, which = () => true) {
  let n = 0;
  for (const pair of [...pairs]) {
    if (!which(pair)) continue;
    pair.client.destroy();
    pair.upstream.destroy();
    pairs.delete(pair);
    n++;
  }
  return n;
}

/** Starts `server` listening on a free 127.0.0.1 port. */
export function listenLocal(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
}

/**
 * Listens on 127.0.0.1 (a free port) and forwards to 127.0.0.1:`targetPort`.
 * @returns {Promise<{port: number, sever: (downMs?: number) => number, freeze: () => number, live: () => number, close: () => Promise<void>}>}
 */
export async function startProxy(targetPort) {
  const pairs = new Set();
  let refuseUntil = 0;

  const server = net.createServer((client) => {
    client.on('error', () => {}); // reported through 'close' (hadError)
    if (Date.now() < refuseUntil) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    upstream.on('error', () => {});
    pipePair(pairs, client, upstream);
  });
  await listenLocal(server);

  return {
    port: server.address().port,
    /** Destroys every proxied connection; refuses new ones for `downMs`. Returns how many. */
    sever(downMs = 0) {
      refuseUntil = downMs > 0 ? Date.now() + downMs : 0;
      return cut(pairs);
    },
    /** Stops forwarding on every live connection without closing it: a network
     *  that silently died, which only a keepalive can notice. Returns how many. */
    freeze() {
      for (const { client, upstream } of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
      return pairs.size;
    },
    live: () => pairs.size,
    close() {
      cut(pairs);
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
