// tests/harness/balancer.mjs — a round-robin TCP load balancer in front of the cluster's nodes.
//
// Why: the cluster suite (tests/browser_cluster*.rs) needs clients that connect "to the service",
// not to one node, and that land on another node when their link or their node fails — what a
// real deployment's load balancer does. Each new client connection goes to the next backend in
// turn (among those not marked down); if that backend refuses (a killed node: ECONNREFUSED) or
// does not accept within 3 s, the connection fails over to the next one, so a client never
// notices a dead node beyond its own link dropping. Bytes are piped only once the backend
// accepted, so nothing the client sent early is lost to a failed attempt. Connections fail like
// tests/harness/proxy.mjs's (whose piping this uses): graceful closes pass through, an error on
// one side destroys the other.
//
// Tests need to tell their clients' connections apart and to know where each one went, so a
// client may tag its connections with a `tag` query parameter in its URL (`ws://…/rtm?tag=alice`:
// the balancer reads it from the WebSocket handshake's request line; rtm-server ignores it), and
// `stats().connections` lists every connection with its tag, backend and open/close times.
// `cut({tag, downMs})` destroys the live connections of one tag (or all) and turns that tag's (or
// everyone's) new connections away for `downMs` (accepted, then closed), like a network that stays
// down; `setNext(n)` makes the next connection try backend n first (tests pin a client's node).

import net from 'node:net';
import { cut, listenLocal, pipePair } from './proxy.mjs';

const CONNECT_TIMEOUT_MS = 3_000;
const HISTORY = 200; // connections remembered for stats()

/** The `tag` query parameter of the request line at the start of `first`, or null. */
function tagOf(first) {
  const m = /^[A-Z]+ (\S+) HTTP\//.exec(first.toString('latin1'));
  return m ? new URL(m[1], 'http://balancer').searchParams.get('tag') : null;
}

/**
 * @param {() => Array<{n: number, port: number, up: boolean}>} backends  read at each connection
 * @returns {Promise<{port: number, setNext: (n: number) => void, stats: () => object,
 *   cut: (opts?: {tag?: string|null, downMs?: number}) => number, close: () => Promise<void>}>}
 */
export async function startBalancer(backends) {
  const pairs = new Set();
  const history = []; // {id, tag, backend, openedAt, closedAt}, oldest first
  let cursor = 0; // index into backends() of the next first choice
  let ids = 0;
  let accepted = 0;
  let failovers = 0;
  let refused = 0; // no backend was up
  let turnedAway = 0; // during a cut's down time
  let downUntil = 0;
  const tagDownUntil = new Map();

  function order() {
    const all = backends();
    if (all.length === 0) return [];
    const start = cursor % all.length;
    cursor = (start + 1) % all.length;
    // Rotate the full list from `start`, keep the live ones: a node that is down is skipped
    // without shifting which node the rotation hands out next.
    return [...all.slice(start), ...all.slice(0, start)].filter((b) => b.up && b.port);
  }

  function remember(pair) {
    const entry = { id: pair.id, tag: pair.tag, backend: pair.backend, openedAt: Date.now(), closedAt: null };
    history.push(entry);
    if (history.length > HISTORY) history.shift();
    pair.client.once('close', () => { entry.closedAt = Date.now(); });
  }

  function connectTo(candidates, client, first, tag) {
    const backend = candidates.shift();
    if (!backend) {
      refused++;
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: '127.0.0.1', port: backend.port });
    const timer = setTimeout(() => upstream.destroy(new Error('connect timeout')), CONNECT_TIMEOUT_MS);
    const failed = () => {
      clearTimeout(timer);
      upstream.destroy();
      if (client.destroyed) return;
      failovers++;
      connectTo(candidates, client, first, tag);
    };
    upstream.once('error', failed);
    upstream.once('connect', () => {
      clearTimeout(timer);
      upstream.off('error', failed);
      upstream.on('error', () => {}); // reported through 'close' (hadError)
      if (client.destroyed) {
        upstream.destroy();
        return;
      }
      upstream.write(first);
      remember(pipePair(pairs, client, upstream, { id: ++ids, tag, backend: backend.n }));
      client.resume();
    });
  }

  // Paused until the first bytes arrive: the tag decides whether the connection is turned away.
  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    accepted++;
    client.on('error', () => {});
    client.once('data', (first) => {
      client.pause();
      const tag = tagOf(first);
      if (Date.now() < Math.max(downUntil, tagDownUntil.get(tag) ?? 0)) {
        turnedAway++;
        client.destroy();
        return;
      }
      connectTo(order(), client, first, tag);
    });
    client.resume();
  });
  await listenLocal(server);

  return {
    port: server.address().port,
    /** The next connection tries backend `n` first. */
    setNext(n) {
      const i = backends().findIndex((b) => b.n === n);
      if (i < 0) throw new Error(`no backend ${n}`);
      cursor = i;
    },
    stats() {
      const live = {};
      for (const b of backends()) live[b.n] = 0;
      for (const p of pairs) live[p.backend] = (live[p.backend] || 0) + 1;
      const next = backends()[cursor % Math.max(1, backends().length)]?.n ?? null;
      return { live, accepted, failovers, refused, turnedAway, next, connections: history };
    },
    /** Destroys the live connections tagged `tag` (every one if null); turns the same away for
     *  `downMs`. Returns how many were destroyed. */
    cut({ tag = null, downMs = 0 } = {}) {
      const until = downMs > 0 ? Date.now() + downMs : 0;
      if (tag === null) downUntil = until;
      else tagDownUntil.set(tag, until);
      return cut(pairs, (p) => tag === null || p.tag === tag);
    },
    close() {
      cut(pairs);
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
