// Contacts panel: a contact list with a live online dot per contact (peer online-status
// subscriptions).
//
// Adding a contact subscribes to its online status (subscribePeersOnlineStatus); the SDK then
// fires PeersOnlineStatusChanged with the contact's current state, and again on every change
// (changes missed while RECONNECTING are reported once back, and the SDK restores the
// subscriptions by itself). Removing a contact unsubscribes. Clicking a contact makes it the peer
// of the peer-message panel. "Check" asks the server once (queryPeersOnlineStatus and
// queryPeersBySubscriptionOption) and shows the answer under the list.
// Subscriptions belong to the session: the list is emptied on logout, on ABORTED and when a new
// client is created.
//
// Each contact also shows its status (the `status` user attribute, set in panels/status.js), read
// with getUserAttributes(uid): at once when the contact is added or its online state changes, and
// every few seconds for contacts that are not OFFLINE (a logged-out user has no attributes), so it
// follows changes live. getUserAttributes is limited to 40 calls per 5 s per client; the panel
// spends at most READ_LIMIT of them, the longest-unread contacts first.
//
// Test hooks: #contact-uid, #contact-add, #contacts[data-stale="true|false"] >
// li[data-contact=<uid>][data-state="ONLINE|UNREACHABLE|OFFLINE|PENDING"][data-busy="adding|removing|"]
// holding [data-testid="contact-pick"], [data-testid="contact-state"],
// [data-testid="contact-status"][data-status-state="unknown|none|set|error"][data-status=<value>]
// and [data-testid="contact-remove"]; #contacts-summary[data-online][data-total], #contacts-check,
// #contacts-check-result. PENDING: subscribed (or subscribing) but no state reported yet.

import { clearError, clock, formatError, h, showError } from '../lib/ui.js';
import { STATUS_KEY } from './status.js';

// Contacts' statuses: how often they are re-read, and the share of the SDK's user-attribute read
// limit (40 per 5 s per client) this panel may use.
const STATUS_POLL_MS = 3_000;
const READ_LIMIT = 20;
const READ_WINDOW_MS = 5_000;

const has = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);

/**
 * Reads contacts' statuses for one client within the read budget. want(uid, urgent) asks for a
 * read (urgent ones go first; one read per contact at a time, a request made during a read gets
 * a fresh read after it); onResult(uid, result, err) gets each answer, except failures while not
 * ready() (the link dropped): those are read again once ready (pump() is called on CONNECTED).
 */
function createStatusReader(client, { ready, onResult, lastRead }) {
  const wanted = new Map(); // uid -> urgent
  const inFlight = new Set();
  let reads = []; // start times of the reads in the current window
  let timer = 0;
  let stopped = false;

  function pump() {
    clearTimeout(timer);
    timer = 0;
    if (stopped || !ready()) return; // pumped again once CONNECTED
    const now = Date.now();
    reads = reads.filter((t) => now - t < READ_WINDOW_MS);
    const queue = [...wanted.entries()]
      .filter(([uid]) => !inFlight.has(uid))
      .sort(([a, ua], [b, ub]) => Number(ub) - Number(ua) || lastRead(a) - lastRead(b));
    for (const [uid] of queue) {
      if (reads.length >= READ_LIMIT) break;
      wanted.delete(uid);
      reads.push(now);
      read(uid);
    }
    if (wanted.size && reads.length >= READ_LIMIT) timer = setTimeout(pump, reads[0] + READ_WINDOW_MS - now + 20);
  }

  async function read(uid) {
    inFlight.add(uid);
    let attrs = null;
    let error = null;
    try {
      attrs = await client.getUserAttributes(uid);
    } catch (err) {
      error = err;
    }
    inFlight.delete(uid);
    if (stopped) return;
    if (error && error.code === 6) {
      // USER_NOT_FOUND: the contact is not logged in, and has no status while away.
      attrs = {};
      error = null;
    }
    if (error && !ready()) {
      // The link dropped under the read (the SDK is reconnecting): read again once CONNECTED,
      // rather than show an error the user can do nothing about.
      wanted.set(uid, true);
      return;
    }
    onResult(uid, attrs, error);
    pump();
  }

  return {
    want(uid, urgent = false) {
      if (stopped) return;
      wanted.set(uid, wanted.get(uid) || urgent);
      pump();
    },
    forget(uid) {
      wanted.delete(uid);
    },
    pump,
    stop() {
      stopped = true;
      clearTimeout(timer);
      wanted.clear();
    },
  };
}

const LABEL = { ONLINE: 'online', UNREACHABLE: 'unreachable', OFFLINE: 'offline', PENDING: 'subscribing…' };

export function mountContacts(ctx) {
  const $ = (id) => document.getElementById(id);
  const form = $('contact-form');
  const uidInput = $('contact-uid');
  const addButton = $('contact-add');
  const checkButton = $('contacts-check');
  const list = $('contacts');
  const summary = $('contacts-summary');
  const checkResult = $('contacts-check-result');

  // uid -> { uid, state, since, busy: 'adding'|'removing'|'', status, statusSince, statusAt, statusError },
  // in the order added. status: undefined (not read yet), null (none) or the value;
  // statusAt: when it was last read (0: never); statusError: the last read's error, or ''.
  let contacts = new Map();
  let reader = null;
  let pollTimer = 0;
  let lastReadError = ''; // shown once in the banner, until a read succeeds

  function render() {
    addButton.disabled = !ctx.online;
    uidInput.disabled = !ctx.online;
    checkButton.disabled = !ctx.online || contacts.size === 0;
    // While reconnecting the dots show the last known states, which may be out of date.
    list.dataset.stale = String(ctx.state === 'RECONNECTING');
    list.title = ctx.state === 'RECONNECTING' ? 'Reconnecting: states may be out of date until the SDK is back' : '';
  }

  function statusItem(contact) {
    const { status, statusError, statusSince } = contact;
    let kind;
    let text;
    let title;
    if (statusError) {
      [kind, text, title] = ['error', 'status unavailable', `getUserAttributes failed: ${statusError}`];
    } else if (status === undefined) {
      [kind, text, title] = ['unknown', '…', 'reading the status'];
    } else if (status === null) {
      [kind, text, title] = ['none', 'no status', 'no status set'];
    } else {
      [kind, text, title] = ['set', status, `status since ${clock(statusSince)} (getUserAttributes)`];
    }
    return h('span', { class: 'contact-status', title, dataset: { testid: 'contact-status', statusState: kind, status: status || '' } }, text);
  }

  function contactItem(contact) {
    const { uid, state, busy, since } = contact;
    const label = LABEL[state] || state.toLowerCase();
    return h('li', { class: 'contact', dataset: { testid: 'contact', contact: uid, state, busy } },
      h('button', {
        type: 'button',
        class: 'contact-pick',
        title: `Message ${uid}${state === 'PENDING' ? '' : ` (${label} since ${clock(since)})`}`,
        dataset: { testid: 'contact-pick' },
        onclick: () => ctx.selectPeer(uid),
      },
      h('span', { class: 'dot', ariaHidden: 'true' }),
      h('span', { class: 'contact-main' }, h('span', { class: 'contact-uid' }, uid), statusItem(contact)),
      h('span', { class: 'contact-state', dataset: { testid: 'contact-state' } }, busy === 'removing' ? 'removing…' : label)),
      h('button', {
        type: 'button',
        class: 'link contact-remove',
        title: `Remove ${uid} (unsubscribePeersOnlineStatus)`,
        ariaLabel: `Remove ${uid}`,
        disabled: busy !== '' || !ctx.online,
        dataset: { testid: 'contact-remove' },
        onclick: () => remove(uid),
      }, '×'));
  }

  function renderList() {
    list.replaceChildren(...[...contacts.values()].map(contactItem));
    const online = [...contacts.values()].filter((c) => c.state === 'ONLINE').length;
    summary.dataset.online = String(online);
    summary.dataset.total = String(contacts.size);
    summary.textContent = contacts.size ? `${online}/${contacts.size}` : '–';
    render();
  }

  /** A status read came back (or failed). */
  function statusResult(uid, attrs, err) {
    const contact = contacts.get(uid);
    if (!contact) return;
    if (err) {
      const text = formatError(err);
      const changed = contact.statusError !== text;
      contact.statusError = text;
      if (text !== lastReadError) {
        lastReadError = text;
        showError(err);
      }
      if (changed) renderList();
      return;
    }
    lastReadError = '';
    const status = has(attrs, STATUS_KEY) ? String(attrs[STATUS_KEY]) : null;
    const changed = contact.status !== status || contact.statusError !== '';
    if (contact.status !== status) contact.statusSince = Date.now();
    contact.status = status;
    contact.statusAt = Date.now();
    contact.statusError = '';
    if (changed) renderList();
  }

  /** Every STATUS_POLL_MS: re-read the statuses of the contacts that may have one. */
  function poll() {
    if (!reader || ctx.state !== 'CONNECTED') return;
    const now = Date.now();
    for (const contact of contacts.values()) {
      if (contact.busy === 'removing' || contact.state === 'OFFLINE') continue;
      if (now - contact.statusAt >= STATUS_POLL_MS - 500) reader.want(contact.uid);
    }
  }

  function reset() {
    contacts = new Map();
    checkResult.hidden = true;
    checkResult.textContent = '';
    renderList();
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const client = ctx.client;
    const uid = uidInput.value;
    if (!client || !ctx.online || !uid) return;
    clearError();
    if (contacts.has(uid)) {
      showError(`${uid} is already in the contact list`);
      return;
    }
    const contact = { uid, state: 'PENDING', since: Date.now(), busy: 'adding', status: undefined, statusSince: 0, statusAt: 0, statusError: '' };
    contacts.set(uid, contact);
    uidInput.value = '';
    renderList();
    try {
      await client.subscribePeersOnlineStatus([uid]);
      if (contacts.get(uid) !== contact) return; // reset meanwhile
      contact.busy = '';
      reader?.want(uid, true);
    } catch (err) {
      if (contacts.get(uid) === contact) contacts.delete(uid);
      if (ctx.client === client) showError(err);
    }
    renderList();
  });

  async function remove(uid) {
    const client = ctx.client;
    const contact = contacts.get(uid);
    if (!client || !contact || contact.busy) return;
    clearError();
    contact.busy = 'removing';
    renderList();
    try {
      await client.unsubscribePeersOnlineStatus([uid]);
      if (contacts.get(uid) === contact) {
        contacts.delete(uid);
        reader?.forget(uid);
      }
    } catch (err) {
      if (contacts.get(uid) === contact) contact.busy = '';
      if (ctx.client === client) showError(err);
    }
    renderList();
  }

  checkButton.addEventListener('click', async () => {
    const client = ctx.client;
    const uids = [...contacts.keys()];
    if (!client || !uids.length) return;
    clearError();
    checkButton.disabled = true;
    const option = ctx.AgoraRTM.PeerSubscriptionOption?.ONLINE_STATUS || 'ONLINE_STATUS';
    try {
      const [online, subscribed] = await Promise.all([
        client.queryPeersOnlineStatus(uids),
        client.queryPeersBySubscriptionOption(option),
      ]);
      if (ctx.client !== client) return;
      const states = uids.map((uid) => `${uid} ${online[uid] === true ? 'online' : online[uid] === false ? 'offline' : '?'}`);
      checkResult.textContent = `${clock()} queryPeersOnlineStatus: ${states.join(', ')} · subscribed: ${subscribed.length ? subscribed.join(', ') : 'none'}`;
      checkResult.hidden = false;
    } catch (err) {
      if (ctx.client === client) showError(err);
    } finally {
      render();
    }
  });

  ctx.on('client', (client) => {
    reset();
    reader?.stop();
    lastReadError = '';
    reader = createStatusReader(client, {
      ready: () => ctx.client === client && ctx.state === 'CONNECTED',
      onResult: statusResult,
      lastRead: (uid) => contacts.get(uid)?.statusAt || 0,
    });
    clearInterval(pollTimer);
    pollTimer = setInterval(poll, STATUS_POLL_MS);
    client.on('PeersOnlineStatusChanged', (status) => {
      if (ctx.client !== client || !status || typeof status !== 'object') return;
      let changed = false;
      for (const [uid, state] of Object.entries(status)) {
        const contact = contacts.get(uid);
        if (!contact || contact.state === state) continue;
        contact.state = String(state);
        contact.since = Date.now();
        changed = true;
        // Logged in (a new status, maybe), or out (its attributes are gone): read it now.
        reader.want(uid, true);
      }
      if (changed) renderList();
    });
  });

  let lastState = ctx.state;
  ctx.on('state', (state) => {
    const was = lastState;
    lastState = state;
    // Logged out or ended by the server: the session's subscriptions are gone.
    if (state === 'DISCONNECTED' || state === 'ABORTED') {
      reset();
      clearInterval(pollTimer);
      pollTimer = 0;
      return;
    }
    renderList(); // remove buttons follow ctx.online
    if (state === 'CONNECTED' && was === 'RECONNECTING') {
      // Statuses may have changed while away: read them all again.
      for (const uid of contacts.keys()) reader?.want(uid, true);
    }
    reader?.pump();
  });

  reset();
}
