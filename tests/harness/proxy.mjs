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
import { Transform } from 'node:stream';

/**
 * Pipes `client` and `upstream` into each other and adds the pair (with `extra`'s fields) to
 * `pairs` until both sides have closed. Returns the pair.
 */
export function pipePair(pairs, client, upstream, extra = {}, downstream = null) {
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
  if (downstream) upstream.pipe(downstream).pipe(client);
  else upstream.pipe(client);
  return pair;
}

/**
 * A filter for the server-to-client bytes of one WebSocket connection: passes the HTTP upgrade
 * response, then whole frames, except those `drop(opcode, firstPayloadByte)` says to drop. Why:
 * a test of what a client does when one frame goes missing (a hole in the push numbering) needs
 * exactly one frame gone from an otherwise healthy link. Server frames are never masked.
 */
export function frameFilter(drop) {
  let buf = Buffer.alloc(0);
  let upgraded = false;
  return new Transform({
    transform(chunk, _enc, done) {
      buf = Buffer.concat([buf, chunk]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return done();
        this.push(buf.subarray(0, end + 4));
        buf = buf.subarray(end + 4);
        upgraded = true;
      }
      for (;;) {
        if (buf.length < 2) break;
        let header = 2;
        let len = buf[1] & 0x7f;
        if (len === 126) {
          if (buf.length < 4) break;
          len = buf.readUInt16BE(2);
          header = 4;
        } else if (len === 127) {
          if (buf.length < 10) break;
          len = Number(buf.readBigUInt64BE(2));
          header = 10;
        }
        if (buf.length < header + len) break;
        const frame = buf.subarray(0, header + len);
        if (!(len > 0 && drop(buf[0] & 0x0f, buf[header]))) this.push(frame);
        buf = buf.subarray(header + len);
      }
      done();
    },
  });
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
  let pushesToDrop = 0;

  const server = net.createServer((client) => {
    client.on('error', () => {}); // reported through 'close' (hadError)
    if (Date.now() < refuseUntil) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    upstream.on('error', () => {});
    // A binary frame whose payload starts with 1 is a ServerFrame::Push (postcard variant 1).
    const lose = (opcode, first) => {
      if (opcode !== 2 || first !== 1 || pushesToDrop === 0) return false;
      pushesToDrop -= 1;
      return true;
    };
    pipePair(pairs, client, upstream, {}, frameFilter(lose));
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
    /** Drops the next `n` pushes the server sends on any proxied connection (the link stays up). */
    dropPushes(n) {
      pushesToDrop = n;
      return n;
    },
    live: () => pairs.size,
    close() {
      cut(pairs);
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
