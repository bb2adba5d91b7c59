// counter.js — the in-page half of the browser benchmark, shared by page-sdk.html and
// page-plain.html so that both cases run the very same listener and measurement code: only what
// feeds the listener differs (the wasm SDK's ChannelMessage event, or JSON.parse of a plain
// WebSocket message). Exposes `window.bench`, driven by run.mjs through page.evaluate():
//   expect({ senders: {id: count} })  reset the counters for one burst
//   hold(url)                          block the main thread (a synchronous XHR to the runner's
//                                      gate) until the runner has pushed the whole burst
//   waitDone(ms)                       resolves once every expected message arrived (or after ms)
//   result()                           counts, duplicates, strays, first→last window, hold time
// The listener has the SDK's signature, (message, senderId), with message.text starting with the
// message's sequence number: it counts, timestamps and checks each message exactly once.

let marks = new Map(); // sender id -> Uint8Array, one slot per expected sequence number
let expected = 0;
let count = 0;
let dups = 0;
let strays = 0;
let first = 0;
let last = 0;
let hold = null; // { ms, countAtRelease, error }
let onDone = null;

function listener(message, senderId) {
  const now = performance.now();
  if (count === 0) first = now;
  last = now;
  count++;
  const slots = marks.get(senderId);
  const seq = parseInt(message.text, 10);
  if (slots === undefined || !(seq >= 0 && seq < slots.length)) strays++;
  else if (slots[seq] === 1) dups++;
  else slots[seq] = 1;
  if (count === expected && onDone !== null) onDone();
}

export const bench = {
  listener,

  expect({ senders }) {
    marks = new Map(Object.entries(senders).map(([id, n]) => [id, new Uint8Array(n)]));
    expected = Object.values(senders).reduce((a, b) => a + b, 0);
    count = dups = strays = 0;
    first = last = 0;
    hold = null;
    onDone = null;
    return expected;
  },

  // Returns at once; the blocking XHR runs in its own task right after, so that run.mjs can take
  // the CDP baseline before it and subtract the blocked time (`hold.ms`) from TaskDuration.
  hold(url) {
    setTimeout(() => {
      const t0 = performance.now();
      let error = null;
      try {
        const xhr = new XMLHttpRequest();
        xhr.open('GET', url, false);
        xhr.send();
        if (xhr.status !== 200) error = `gate answered HTTP ${xhr.status}`;
      } catch (err) {
        error = String(err);
      }
      hold = { ms: performance.now() - t0, countAtRelease: count, error };
    }, 0);
  },

  waitDone(ms) {
    return new Promise((resolve) => {
      if (count >= expected) return resolve(bench.result());
      const timer = setTimeout(() => {
        onDone = null;
        resolve(bench.result());
      }, ms);
      onDone = () => {
        clearTimeout(timer);
        onDone = null;
        resolve(bench.result());
      };
    });
  },

  result() {
    return { expected, received: count, dups, strays, windowMs: last - first, hold };
  },
};

window.bench = bench;
