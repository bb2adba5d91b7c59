// The state the panels share: the SDK module, the current RtmClient and its
// connection state. Panels subscribe with ctx.on('client' | 'state', fn).
//
//   'client' (client, uid, appId)  a new RtmClient was created (before login): attach SDK listeners here
//   'state'  (state, reason) the current client's ConnectionStateChanged

export function createContext(AgoraRTM) {
  const handlers = { client: [], state: [] };
  const emit = (type, ...args) => {
    for (const fn of handlers[type]) {
      try {
        fn(...args);
      } catch (err) {
        console.error(`[demo] ${type} handler failed`, err);
      }
    }
  };

  const ctx = {
    AgoraRTM,
    client: null,
    uid: '',
    state: 'DISCONNECTED',
    reason: '',

    on(type, fn) {
      handlers[type].push(fn);
    },

    /** Logged in or getting back there: calls that need a session make sense. */
    get online() {
      return ctx.state === 'CONNECTED' || ctx.state === 'RECONNECTING';
    },

    /** Creates the client for a new login, dropping the previous one. */
    newClient(appId, uid) {
      const client = AgoraRTM.createInstance(appId);
      if (ctx.client) ctx.client.removeAllListeners();
      ctx.client = client;
      ctx.uid = uid;
      ctx.state = 'DISCONNECTED';
      ctx.reason = '';
      client.on('ConnectionStateChanged', (state, reason) => {
        if (ctx.client !== client) return;
        ctx.state = state;
        ctx.reason = reason;
        emit('state', state, reason);
      });
      emit('client', client, uid, appId);
      return client;
    },
  };
  return ctx;
}
