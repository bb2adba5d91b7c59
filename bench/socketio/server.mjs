// server.mjs — the Socket.IO 4.8 baseline server of the benchmark suite: the same message shapes as
// rtm-server (login, channel join and channel messages, peer messages with a receipt), written the
// way a web developer would with Socket.IO rooms, so the benchmark compares rtm-server against the
// usual Node alternative rather than against a strawman.
//
// Usage: node bench/socketio/server.mjs [--port 0] [--host 127.0.0.1] [--max-secs 600]
// Prints exactly one line `socketio listening on PORT` when ready (port 0 = a free port).
// It stops by itself: when its parent process is gone (its parent pid changes, or its stdin, when a
// pipe, is closed) and after --max-secs seconds, so a crashed load generator leaves nothing behind.
//
// Events (client -> server; every one but logout takes an ack callback as its last argument):
//   login(uid, ack)                   remember the socket of `uid`; ack(true)
//   join(room, ack)                   socket.join(room); ack(true)
//   channel_message(room, text, ack)  to every other socket in the room: channel_message(uid, text)
//   peer_message(to, id, text, ack)   to the socket of `to`: peer_message(fromUid, id, text, cb);
//                                     ack(true) once the receiver called cb (RTM's hasPeerReceived
//                                     round trip), ack(false) at once if `to` is not online or
//                                     later if it does not answer within PEER_ACK_TIMEOUT_MS
//   logout()                          the server disconnects the socket
//   stats(ack)                        bench-only: ack({ sockets, uids, rooms }) to check clean-up
import { createServer } from 'node:http';
import { fstatSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Server } from 'socket.io';

// Receiver's receipt deadline. Generous on purpose: under saturation a queue of receipts may take
// seconds, and a timeout there would read as a lost message rather than as latency.
const PEER_ACK_TIMEOUT_MS = 30_000;

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'max-secs': { type: 'string', default: '600' },
  },
});

const httpServer = createServer((req, res) => {
  res.writeHead(404).end();
});
const io = new Server(httpServer, {
  transports: ['websocket'],
  serveClient: false,
  cors: { origin: '*' },
});

/** uid -> socket of the logged-in users. */
const users = new Map();
const reply = (ack, value) => {
  if (typeof ack === 'function') ack(value);
};

io.on('connection', (socket) => {
  socket.on('login', (uid, ack) => {
    uid = String(uid);
    socket.data.uid = uid;
    users.set(uid, socket);
    reply(ack, true);
  });

  socket.on('join', (room, ack) => {
    socket.join(String(room));
    reply(ack, true);
  });

  socket.on('channel_message', (room, text, ack) => {
    const uid = socket.data.uid;
    if (uid === undefined || !socket.rooms.has(room)) return reply(ack, false);
    socket.to(room).emit('channel_message', uid, text);
    reply(ack, true);
  });

  socket.on('peer_message', (to, id, text, ack) => {
    const from = socket.data.uid;
    const target = users.get(String(to));
    if (from === undefined || target === undefined || !target.connected) return reply(ack, false);
    target.timeout(PEER_ACK_TIMEOUT_MS).emit('peer_message', from, id, text, (err) => {
      reply(ack, !err);
    });
  });

  socket.on('logout', () => {
    socket.disconnect(true);
  });

  socket.on('stats', (ack) => {
    reply(ack, { sockets: io.of('/').sockets.size, uids: users.size, rooms: io.of('/').adapter.rooms.size });
  });

  socket.on('disconnect', () => {
    const uid = socket.data.uid;
    if (uid !== undefined && users.get(uid) === socket) users.delete(uid);
  });
});

function stop() {
  io.close();
  process.exit(0);
}

// Stop with the parent: its pid changes when it dies (we are re-parented), and a piped stdin ends.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) stop();
}, 500).unref();
try {
  if (fstatSync(0).isFIFO()) {
    process.stdin.on('end', stop);
    process.stdin.on('close', stop);
    process.stdin.resume();
  }
} catch {
  // no stdin: the parent-pid poll is enough
}
setTimeout(stop, Number(args['max-secs']) * 1000).unref();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

httpServer.listen(Number(args.port), args.host, () => {
  process.stdout.write(`socketio listening on ${httpServer.address().port}\n`);
});
