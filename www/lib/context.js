// The state the panels share: the SDK module, the current RtmClient and its
// connection state. Panels subscribe with ctx.on('client' | 'state', fn).
//
//   'client' (client, uid, appId)  a new RtmClient was created (before login): attach SDK listeners here
//   'state'  (state, reason) the current client's ConnectionStateChanged
//   'peer'   (uid)           a panel picked a peer to talk to (ctx.selectPeer): the peer chat takes it

export function createContext(AgoraRTM) {
  const handlers = { client: [], state: [], peer: [] };
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

    /** Makes `uid` the peer of the peer-message panel. */
    selectPeer(uid) {
      emit('peer', uid);
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
