// The WebSocket's handlers (link.rs). Each event reaches the SDK in a microtask of its own, so the
// SDK state it touches, and any app listener it ends up calling, never run inside the socket's own
// callback; a frame crosses into wasm once, as its bytes (the receive path, docs/benchmarks.md).
// `onEvent(what, bytes, reason)`: what = 0 open, 1 a frame (bytes), else the close code (reason).
// After the returned stop(), events still queued are dropped (the SDK ignores a replaced link's
// events anyway) and onEvent is never called again, so the SDK may free it.
export function listen(ws, onEvent) {
  let live = true;
  const later = (what, bytes, reason) => queueMicrotask(() => live && onEvent(what, bytes, reason));
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => later(0);
  ws.onmessage = (e) => e.data instanceof ArrayBuffer && later(1, new Uint8Array(e.data));
  ws.onclose = (e) => later(e.code, undefined, e.reason);
  return () => {
    live = false;
    ws.onopen = ws.onmessage = ws.onclose = null;
  };
}
