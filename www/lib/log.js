// A conversation log: one <li> per message, plus short system lines.
//
// Message entries: data-testid="log-entry", data-direction="sent|received",
// data-peer=<peer uid> (the sender, or for sent entries the addressee: a peer uid
// or a channel id), data-status (sent only) "sending|received|offline|sent|failed"
// ("sent": a channel message the server has).
// The message text is in [data-testid="entry-text"], the status in [data-testid="entry-status"].

import { clock, h } from './ui.js';

const STATUS_LABEL = {
  sending: 'sending…',
  received: '✓ received by peer',
  offline: 'peer offline, not received',
  sent: '✓ sent',
  failed: 'failed',
};

function describe(message) {
  if (message && message.rawMessage instanceof Uint8Array) {
    const desc = message.description ? ` ${message.description}` : '';
    return { kind: 'RAW', text: `[RAW ${message.rawMessage.length} bytes]${desc}` };
  }
  return { kind: 'TEXT', text: message && message.text !== undefined ? String(message.text) : '' };
}

export function createLog(list) {
  const add = (li) => {
    const stick = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.append(li);
    if (stick) list.scrollTop = list.scrollHeight;
    return li;
  };

  return {
    sent(peerId, message) {
      const { kind, text } = describe(message);
      const status = h('span', { class: 'status', dataset: { testid: 'entry-status' } });
      const li = add(
        h('li', { class: 'entry sent', dataset: { testid: 'log-entry', direction: 'sent', peer: peerId, kind } },
          h('div', { class: 'meta' }, `${clock()} to `, h('b', {}, peerId), ' · ', status),
          h('div', { class: 'text', dataset: { testid: 'entry-text' } }, text)),
      );
      const entry = {
        setStatus(value, detail) {
          li.dataset.status = value;
          status.textContent = detail ? `${STATUS_LABEL[value]}: ${detail}` : STATUS_LABEL[value];
        },
      };
      entry.setStatus('sending');
      return entry;
    },

    received(peerId, message, props = {}) {
      const { kind, text } = describe(message);
      const ts = typeof props.serverReceivedTs === 'number' ? props.serverReceivedTs : Date.now();
      add(
        h('li', { class: 'entry received', dataset: { testid: 'log-entry', direction: 'received', peer: peerId, kind } },
          h('div', { class: 'meta' }, `${clock(ts)} from `, h('b', {}, peerId),
            props.isOfflineMessage ? ' · offline message' : null),
          h('div', { class: 'text', dataset: { testid: 'entry-text' } }, text)),
      );
    },

    system(text) {
      add(h('li', { class: 'system', dataset: { testid: 'log-system' } }, `${clock()} ${text}`));
    },
  };
}
