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
// Test hooks: #contact-uid, #contact-add, #contacts[data-stale="true|false"] >
// li[data-contact=<uid>][data-state="ONLINE|UNREACHABLE|OFFLINE|PENDING"][data-busy="adding|removing|"]
// holding [data-testid="contact-pick"], [data-testid="contact-state"] and
// [data-testid="contact-remove"]; #contacts-summary[data-online][data-total], #contacts-check,
// #contacts-check-result. PENDING: subscribed (or subscribing) but no state reported yet.

import { clearError, clock, h, showError } from '../lib/ui.js';

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

  // uid -> { uid, state, since, busy: 'adding'|'removing'|'' }, in the order added.
  let contacts = new Map();

  function render() {
    addButton.disabled = !ctx.online;
    uidInput.disabled = !ctx.online;
    checkButton.disabled = !ctx.online || contacts.size === 0;
    // While reconnecting the dots show the last known states, which may be out of date.
    list.dataset.stale = String(ctx.state === 'RECONNECTING');
    list.title = ctx.state === 'RECONNECTING' ? 'Reconnecting: states may be out of date until the SDK is back' : '';
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
      h('span', { class: 'contact-uid' }, uid),
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
    const contact = { uid, state: 'PENDING', since: Date.now(), busy: 'adding' };
    contacts.set(uid, contact);
    uidInput.value = '';
    renderList();
    try {
      await client.subscribePeersOnlineStatus([uid]);
      if (contacts.get(uid) !== contact) return; // reset meanwhile
      contact.busy = '';
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
      if (contacts.get(uid) === contact) contacts.delete(uid);
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
    client.on('PeersOnlineStatusChanged', (status) => {
      if (ctx.client !== client || !status || typeof status !== 'object') return;
      let changed = false;
      for (const [uid, state] of Object.entries(status)) {
        const contact = contacts.get(uid);
        if (!contact || contact.state === state) continue;
        contact.state = String(state);
        contact.since = Date.now();
        changed = true;
      }
      if (changed) renderList();
    });
  });

  ctx.on('state', (state) => {
    // Logged out or ended by the server: the session's subscriptions are gone.
    if (state === 'DISCONNECTED' || state === 'ABORTED') reset();
    else renderList(); // remove buttons follow ctx.online
  });

  reset();
}
