// Calls panel: call invitations, outgoing and incoming, each on its own card.
//
// Outgoing: "Call" creates client.createLocalInvitation(callee), sets its optional content and
// channel id and send()s it; the card shows inv.state and the LocalInvitation events as they come
// (LocalInvitationReceivedByPeer, Accepted(response), Refused(response), Canceled, Failure(reason)),
// and "Cancel" calls inv.cancel() while it is ringing.
// Incoming: RemoteInvitationReceived puts a ringing card up with the caller, content, channel id and
// a response field; "Accept" / "Decline" set inv.response and call inv.accept() / inv.refuse(). The
// card follows RemoteInvitationAccepted / Refused / Canceled(content) / Failure(reason).
// The invitation methods and setters throw at once when misused (an Error with the
// InvitationApiCallError code, e.g. content over 8 KB); the panel shows that in the error banner.
// Any number of calls can be in flight; each card keeps its own invitation. Cards belong to a
// session: they are cleared when a new client is created, and frozen (marked "session ended") when
// the client logs out or is aborted, as the SDK then drops its invitations without an event.
//
// Test hooks: #call-callee, #call-content, #call-channel, #call, #calls-ringing[data-count];
// #calls > li[data-testid="call"][data-call=<n>][data-direction="outgoing|incoming"][data-peer=<uid>]
//   [data-state=<inv.state>][data-reason=<failure reason>][data-ended="true|false"][data-response=<response>]
//   [data-session="live|ended"]
// holding [data-testid="call-state"], [data-testid="call-content-text"],
// [data-testid="call-channel-text"], [data-testid="call-response"] (outgoing: the callee's answer),
// [data-testid="call-response-input"], [data-testid="call-accept"], [data-testid="call-decline"]
// (incoming), [data-testid="call-cancel"] (outgoing), [data-testid="call-dismiss"] (ended cards),
// and [data-testid="call-events"] > li[data-event=<event name>] (each event as it came, with its argument).

import { clearError, clock, h, showError } from '../lib/ui.js';

const LOCAL_ENDED = new Set(['ACCEPTED_BY_REMOTE', 'REFUSED_BY_REMOTE', 'CANCELED', 'FAILURE']);
const REMOTE_ENDED = new Set(['ACCEPTED', 'REFUSED', 'CANCELED', 'FAILURE']);
const LOCAL_EVENTS = [
  'LocalInvitationReceivedByPeer', 'LocalInvitationAccepted', 'LocalInvitationRefused',
  'LocalInvitationCanceled', 'LocalInvitationFailure',
];
const REMOTE_EVENTS = ['RemoteInvitationAccepted', 'RemoteInvitationRefused', 'RemoteInvitationCanceled', 'RemoteInvitationFailure'];

// What each state means, for the card's title line.
const STATE_LABEL = {
  IDLE: 'not sent',
  SENT_TO_REMOTE: 'calling…',
  RECEIVED_BY_REMOTE: 'ringing at the callee',
  ACCEPTED_BY_REMOTE: 'accepted',
  REFUSED_BY_REMOTE: 'declined',
  CANCELED: 'canceled',
  FAILURE: 'failed',
  INVITATION_RECEIVED: 'ringing',
  ACCEPT_SENT_TO_LOCAL: 'accepting…',
  ACCEPTED: 'accepted',
  REFUSED: 'declined',
};

export function mountCalls(ctx) {
  const $ = (id) => document.getElementById(id);
  const form = $('call-form');
  const calleeInput = $('call-callee');
  const contentInput = $('call-content');
  const channelInput = $('call-channel');
  const callButton = $('call');
  const list = $('calls');
  const ringing = $('calls-ringing');

  const params = new URLSearchParams(location.search);
  if (params.has('peer')) calleeInput.value = params.get('peer');

  let cards = []; // every card on show, newest first
  let seq = 0;

  function render() {
    callButton.disabled = ctx.state !== 'CONNECTED';
    const n = cards.filter((card) => card.incoming && card.live() && card.inv.state === 'INVITATION_RECEIVED').length;
    ringing.dataset.count = String(n);
    ringing.textContent = String(n);
    ringing.classList.toggle('alert', n > 0);
    for (const card of cards) card.render();
  }

  /**
   * One card for one invitation. `incoming`: a RemoteInvitation, else a LocalInvitation.
   * Returns { inv, incoming, li, render(), live(), freeze(), destroy() }.
   */
  function createCard(client, inv, incoming) {
    const id = ++seq;
    const peer = incoming ? inv.callerId : inv.calleeId;
    const ended = () => (incoming ? REMOTE_ENDED : LOCAL_ENDED).has(inv.state);
    let sessionOver = false;
    let canceling = false;
    let reason = ''; // a Failure event's reason

    const stateBadge = h('span', { class: 'call-state', dataset: { testid: 'call-state' } });
    const events = h('ol', { class: 'call-events', dataset: { testid: 'call-events' } });
    const responseShown = h('span', { class: 'call-response-text', dataset: { testid: 'call-response' } });
    const responseInput = incoming
      ? h('input', { class: 'call-response-input', placeholder: 'response (optional)', dataset: { testid: 'call-response-input' } })
      : null;
    const button = (label, testid, onclick, title) => h('button', { type: 'button', title, dataset: { testid }, onclick }, label);
    const accept = incoming ? button('Accept', 'call-accept', () => answer(true), 'inv.response = …; inv.accept()') : null;
    const decline = incoming ? button('Decline', 'call-decline', () => answer(false), 'inv.response = …; inv.refuse()') : null;
    const cancel = incoming ? null : button('Cancel', 'call-cancel', cancelCall, 'inv.cancel()');
    const dismiss = h('button', {
      type: 'button', class: 'link call-dismiss', title: 'Remove this card', ariaLabel: 'Remove this card',
      dataset: { testid: 'call-dismiss' }, onclick: () => remove(card),
    }, '×');

    const detail = (label, value, testid) => h('div', { class: 'call-detail' },
      h('span', { class: 'call-detail-label' }, label),
      h('span', { class: value ? 'call-detail-value' : 'call-detail-value empty', dataset: { testid } }, value || '–'));

    const li = h('li', { class: `call ${incoming ? 'incoming' : 'outgoing'}`, dataset: { testid: 'call', call: String(id), direction: incoming ? 'incoming' : 'outgoing', peer } },
      h('div', { class: 'call-head' },
        h('span', { class: 'call-icon', ariaHidden: 'true' }, incoming ? '☎' : '↗'),
        h('span', { class: 'call-title' }, incoming ? 'Call from ' : 'Call to ', h('b', {}, peer)),
        stateBadge, dismiss),
      detail('Content', inv.content, 'call-content-text'),
      detail('Channel', inv.channelId, 'call-channel-text'),
      incoming
        ? h('div', { class: 'call-actions' }, responseInput, accept, decline)
        : h('div', { class: 'call-actions' }, h('div', { class: 'call-detail grow' },
          h('span', { class: 'call-detail-label' }, 'Response'), responseShown), cancel),
      events);

    function note(name, arg) {
      const text = arg === undefined ? name : `${name}(${JSON.stringify(arg)})`;
      events.append(h('li', { dataset: { event: name, arg: arg === undefined ? '' : String(arg) } }, `${clock()} ${text}`));
    }

    function renderCard() {
      const state = inv.state;
      const over = ended();
      li.dataset.state = state;
      li.dataset.ended = String(over);
      li.dataset.session = sessionOver ? 'ended' : 'live';
      li.dataset.response = inv.response || '';
      li.dataset.reason = state === 'FAILURE' ? reason : '';
      stateBadge.textContent = [state, state === 'FAILURE' && reason, sessionOver && !over && 'session ended'].filter(Boolean).join(' · ');
      stateBadge.title = STATE_LABEL[state] || '';
      li.classList.toggle('ringing', incoming && state === 'INVITATION_RECEIVED' && !sessionOver);
      const usable = !sessionOver && ctx.client === client && ctx.state === 'CONNECTED';
      if (incoming) {
        const open = usable && state === 'INVITATION_RECEIVED';
        accept.disabled = decline.disabled = !open;
        responseInput.disabled = !open;
        if (state !== 'INVITATION_RECEIVED' && inv.response && !responseInput.value) responseInput.value = inv.response;
      } else {
        cancel.disabled = !usable || canceling || !(state === 'SENT_TO_REMOTE' || state === 'RECEIVED_BY_REMOTE');
        cancel.textContent = canceling && !over ? 'Canceling…' : 'Cancel';
        const answered = state === 'ACCEPTED_BY_REMOTE' || state === 'REFUSED_BY_REMOTE';
        responseShown.textContent = answered ? (inv.response || '(empty)') : '–';
        responseShown.classList.toggle('empty', !answered || !inv.response);
      }
      dismiss.hidden = !(over || sessionOver);
    }

    /** Runs an invitation call that may throw at once (misuse), showing the error. */
    function attempt(fn) {
      clearError();
      try {
        fn();
        return true;
      } catch (err) {
        showError(err);
        return false;
      } finally {
        render();
      }
    }

    function answer(yes) {
      attempt(() => {
        if (inv.response !== responseInput.value) inv.response = responseInput.value;
        if (yes) inv.accept();
        else inv.refuse();
      });
    }

    function cancelCall() {
      if (attempt(() => inv.cancel())) {
        canceling = true;
        render();
      }
    }

    for (const name of incoming ? REMOTE_EVENTS : LOCAL_EVENTS) {
      inv.on(name, (arg) => {
        if (name.endsWith('Failure')) reason = String(arg);
        note(name, arg);
        render();
      });
    }

    const card = {
      inv,
      incoming,
      li,
      render: renderCard,
      note,
      live: () => !sessionOver && ctx.client === client,
      freeze() {
        sessionOver = true;
      },
      destroy() {
        inv.removeAllListeners();
      },
    };
    return card;
  }

  function add(card) {
    cards.unshift(card);
    list.prepend(card.li);
    render();
  }

  function remove(card) {
    cards = cards.filter((c) => c !== card);
    card.destroy();
    card.li.remove();
    render();
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const client = ctx.client;
    if (!client || ctx.state !== 'CONNECTED') return;
    clearError();
    const callee = calleeInput.value;
    const content = contentInput.value;
    const channelId = channelInput.value;
    let inv;
    try {
      inv = client.createLocalInvitation(callee);
      if (content) inv.content = content;
      if (channelId) inv.channelId = channelId;
    } catch (err) {
      showError(err);
      return;
    }
    const card = createCard(client, inv, false);
    card.note('send()');
    add(card);
    try {
      inv.send();
    } catch (err) {
      showError(err);
    }
    render();
  });

  ctx.on('peer', (uid) => {
    calleeInput.value = uid;
  });

  ctx.on('client', (client) => {
    for (const card of cards) card.destroy();
    cards = [];
    list.replaceChildren();
    client.on('RemoteInvitationReceived', (inv) => {
      if (ctx.client !== client) return;
      const card = createCard(client, inv, true);
      card.note('RemoteInvitationReceived');
      add(card);
    });
    render();
  });

  ctx.on('state', (state) => {
    // The SDK drops the session's invitations without an event: freeze what was still open.
    if (state === 'DISCONNECTED' || state === 'ABORTED') for (const card of cards) card.freeze();
    render();
  });

  render();
}
