// Peer-to-peer messages: peer id + message box, and the conversation log.

import { createLog } from '../lib/log.js';
import { formatError, showError } from '../lib/ui.js';

export function mountPeerChat(ctx) {
  const $ = (id) => document.getElementById(id);
  const form = $('peer-form');
  const peerInput = $('peer-id');
  const messageInput = $('message');
  const sendButton = $('send');
  const log = createLog($('peer-log'));

  const params = new URLSearchParams(location.search);
  if (params.has('peer')) peerInput.value = params.get('peer');

  const render = () => {
    sendButton.disabled = !ctx.online;
  };

  ctx.on('client', (client, uid, appId) => {
    log.system(`logging in as ${uid} (app ${appId})`);
    client.on('MessageFromPeer', (message, peerId, props) => {
      if (ctx.client !== client) return;
      log.received(peerId, message, props);
      if (!peerInput.value) peerInput.value = peerId;
    });
    render();
  });

  ctx.on('peer', (uid) => {
    peerInput.value = uid;
    messageInput.focus();
  });

  ctx.on('state', (state, reason) => {
    log.system(`${state} (${reason})`);
    render();
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const client = ctx.client;
    const peerId = peerInput.value;
    const text = messageInput.value;
    if (!client || !text) return;
    const entry = log.sent(peerId, { text });
    messageInput.value = '';
    messageInput.focus();
    try {
      const { hasPeerReceived } = await client.sendMessageToPeer({ text }, peerId);
      entry.setStatus(hasPeerReceived ? 'received' : 'offline');
    } catch (err) {
      entry.setStatus('failed', formatError(err));
      showError(err);
    }
  });

  render();
}
