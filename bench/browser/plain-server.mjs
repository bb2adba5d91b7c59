// plain-server.mjs — the baseline's feed: a tiny `ws` WebSocket server (in run.mjs's process, so
// it cannot outlive it) that pushes a burst of JSON messages, { sender, seq, text }, to the one
// connected page (page-plain.html). The same senders, counts, order (sender by sender) and texts
// as the SDK case's senders.mjs; written as fast as the socket takes them, while the page is held
// (see run.mjs: both cases drain a burst that is already queued).
import { WebSocketServer } from 'ws';

/** Starts the server on a free loopback port: { url, connected(ms), burst(plan), close() }. */
export async function startPlainServer() {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  let socket = null;
  let onConnect = null;
  wss.on('connection', (ws) => {
    socket = ws;
    ws.on('error', () => {});
    onConnect?.();
  });
  const { port } = wss.address();

  return {
    url: `ws://127.0.0.1:${port}/`,

    connected(ms = 10_000) {
      if (socket) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no page connected to the plain server within ${ms} ms`)), ms);
        onConnect = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },

    /** plan: [{ id, count }], text(seq, id) -> string. Resolves once every frame is written. */
    async burst(plan, text) {
      if (!socket || socket.readyState !== socket.OPEN) throw new Error('the plain page is not connected');
      const t0 = performance.now();
      let written = null;
      for (const { id, count } of plan) {
        for (let seq = 0; seq < count; seq++) {
          written = new Promise((resolve, reject) => {
            socket.send(JSON.stringify({ sender: id, seq, text: text(seq, id) }), (err) => (err ? reject(err) : resolve()));
          });
        }
      }
      await written; // frames go out in order: the last written means all are
      return { sendMs: performance.now() - t0 };
    },

    async close() {
      for (const ws of wss.clients) ws.terminate();
      await new Promise((resolve) => wss.close(() => resolve()));
    },
  };
}
