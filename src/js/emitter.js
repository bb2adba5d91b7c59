// The EventEmitter of every SDK object (RtmClient, RtmChannel, LocalInvitation, RemoteInvitation):
// Node's surface, as agora-rtm-sdk's objects have it, with listeners called with `this` set to
// the object. It lives in JS because it is pure bookkeeping of JS functions: in Rust each of its
// 14 methods cost an export and glue per class.
//
// The SDK emits through a WeakRef to the object (see adopt), so an object the app dropped can
// be collected once nothing can happen to it; while something can (a session, a joined channel,
// a ringing invitation) the SDK holds the object itself instead (Emitter::pin in emitter.rs):
// apps register listeners on objects they do not keep, `client.createChannel(id).on(...)`.

const LISTENERS = new WeakMap(); // object -> Map(event -> [listener | once-wrapper])
const MAX = new WeakMap(); // object -> setMaxListeners(n)

function table(o) {
  let m = LISTENERS.get(o);
  if (!m) LISTENERS.set(o, (m = new Map()));
  return m;
}

function checked(f) {
  if (typeof f !== 'function') {
    const got = f === null ? 'null' : typeof f;
    throw new TypeError(`The "listener" argument must be of type function. Received type ${got}`);
  }
  return f;
}

function add(o, event, f, prepend, once) {
  let l = checked(f);
  if (once) {
    // As in Node: rawListeners() shows the wrapper, listeners() and off() see `.listener`.
    l = function (...args) {
      remove(o, event, l);
      return f.apply(this, args);
    };
    l.listener = f;
  }
  const m = table(o);
  const list = m.get(event);
  if (!list) m.set(event, [l]);
  else if (prepend) list.unshift(l);
  else list.push(l);
  return o;
}

// Removes the most recently added registration of f, as Node does.
function remove(o, event, f) {
  checked(f);
  const m = table(o);
  const list = m.get(event) || [];
  for (let i = list.length - 1; i >= 0; i--) {
    if (list[i] === f || list[i].listener === f) {
      list.splice(i, 1);
      if (!list.length) m.delete(event);
      break;
    }
  }
  return o;
}

const current = (o, event) => table(o).get(event) || [];

const METHODS = {
  on(event, f) { return add(this, event, f, false, false); },
  addListener(event, f) { return add(this, event, f, false, false); },
  prependListener(event, f) { return add(this, event, f, true, false); },
  once(event, f) { return add(this, event, f, false, true); },
  prependOnceListener(event, f) { return add(this, event, f, true, true); },
  off(event, f) { return remove(this, event, f); },
  removeListener(event, f) { return remove(this, event, f); },
  removeAllListeners(event) {
    if (event === undefined) LISTENERS.delete(this);
    else table(this).delete(event);
    return this;
  },
  listeners(event) { return current(this, event).map((l) => l.listener || l); },
  rawListeners(event) { return current(this, event).slice(); },
  listenerCount(event) { return current(this, event).length; },
  eventNames() { return [...table(this).keys()]; },
  // The app's own emit, as Node's: a throwing listener throws out of emit().
  emit(event, ...args) {
    const list = current(this, event).slice();
    for (const l of list) l.apply(this, args);
    return list.length > 0;
  },
  setMaxListeners(n) { MAX.set(this, n); return this; },
  getMaxListeners() { return MAX.has(this) ? MAX.get(this) : 10; },
};

// Received messages, built and delivered in one call from the SDK: on the receive path every
// crossing between wasm and JS costs (docs/benchmarks.md, "SDK in the browser").
const MESSAGE_EVENTS = ['MessageFromPeer', 'ChannelMessage'];

export function emitText(target, which, text, from, ts, offline) {
  const props = { serverReceivedTs: ts, isOfflineMessage: offline };
  emitFromSdk(target, MESSAGE_EVENTS[which], [{ text, messageType: 'TEXT' }, from, props]);
}

// `bytes` is a view into the wasm memory, valid only during this call: the message gets a copy.
export function emitRaw(target, which, bytes, description, from, ts, offline) {
  const props = { serverReceivedTs: ts, isOfflineMessage: offline };
  const message = { rawMessage: bytes.slice(), description, messageType: 'RAW' };
  emitFromSdk(target, MESSAGE_EVENTS[which], [message, from, props]);
}

export function deref(ref) {
  return ref.deref();
}

// Called once per object the SDK hands to the app: gives its class the methods above and hides
// wasm-bindgen's own members, which an app could break the object with (`free()` would release
// its Rust state under the SDK). Returns the WeakRef the SDK emits through.
export function adopt(o) {
  const proto = Object.getPrototypeOf(o);
  if (!Object.prototype.hasOwnProperty.call(proto, 'emit')) {
    for (const [name, value] of Object.entries(METHODS)) {
      Object.defineProperty(proto, name, { value, writable: true, configurable: true });
    }
    for (const name of ['free', '__destroy_into_raw', Symbol.dispose]) {
      if (name !== undefined) delete proto[name];
    }
  }
  Object.defineProperty(o, '__wbg_ptr', { value: o.__wbg_ptr, enumerable: false, writable: false });
  return new WeakRef(o);
}

// The SDK's emit: a listener that throws is reported on the console and the others still run,
// so an app's bug cannot stall the SDK's event handling.
export function emitFromSdk(target, event, args) {
  const o = target instanceof WeakRef ? target.deref() : target;
  if (!o) return;
  for (const l of current(o, event).slice()) {
    try {
      l.apply(o, args);
    } catch (err) {
      console.error('rtm-wasm: a listener of', event, 'threw', err);
    }
  }
}
