// Your status: a user attribute (`status`) the logged-in user sets for others to see.
//
// Set → client.addOrUpdateLocalUserAttributes({status}); Clear → deleteLocalUserAttributesByKeys(['status']).
// The line under the form shows the status as the server has it: read once with
// getUserAttributes(own uid) after login and after a reconnect, then updated by our own writes.
// The server clears a user's attributes when it logs out, so a new login starts without a status.
// Contacts see it in the contacts panel (panels/contacts.js reads it).
//
// Test hooks: #status-text (status-input), #status-set, #status-clear,
// #status-current[data-status=<value>][data-known="true|false"].

import { clearError, clock, showError } from '../lib/ui.js';

export const STATUS_KEY = 'status';

export function mountStatus(ctx) {
  const $ = (id) => document.getElementById(id);
  const form = $('status-form');
  const input = $('status-text');
  const setButton = $('status-set');
  const clearButton = $('status-clear');
  const current = $('status-current');

  // What the server has for us: { value: string|null (null: no status), at: ms } or null (unknown).
  let known = null;
  let busy = false;
  // Bumped whenever `known` is replaced, so an older read cannot overwrite a newer write.
  let version = 0;

  function render() {
    const online = ctx.state === 'CONNECTED';
    setButton.disabled = !online || busy;
    clearButton.disabled = !online || busy || !known || known.value === null;
    input.disabled = !ctx.online;
    current.dataset.known = String(known !== null);
    current.dataset.status = known && known.value !== null ? known.value : '';
    if (!ctx.online) current.textContent = 'Not logged in';
    else if (!known) current.textContent = busy ? 'Reading your status…' : 'Your status: unknown';
    else if (known.value === null) current.textContent = 'Your status: none (contacts see no status)';
    else current.textContent = `Your status: “${known.value}” (since ${clock(known.at)})`;
  }

  function forget() {
    known = null;
    version++;
    render();
  }

  /** Reads our own status from the server (1 user-attribute read). */
  async function readOwn(client) {
    const mine = ++version;
    try {
      const attrs = await client.getUserAttributes(ctx.uid);
      if (ctx.client !== client || version !== mine) return;
      known = { value: Object.prototype.hasOwnProperty.call(attrs, STATUS_KEY) ? attrs[STATUS_KEY] : null, at: Date.now() };
    } catch (err) {
      // A link that dropped under the read is no news: it is read again once CONNECTED.
      if (ctx.client === client && version === mine && ctx.state === 'CONNECTED') showError(err);
    }
    render();
  }

  async function write(op, value) {
    const client = ctx.client;
    if (!client || busy) return;
    clearError();
    busy = true;
    render();
    try {
      if (op === 'set') await client.addOrUpdateLocalUserAttributes({ [STATUS_KEY]: value });
      else await client.deleteLocalUserAttributesByKeys([STATUS_KEY]);
      if (ctx.client === client) {
        version++;
        known = { value: op === 'set' ? value : null, at: Date.now() };
        if (op === 'set' && input.value === value) input.value = '';
      }
    } catch (err) {
      if (ctx.client === client) showError(err);
    } finally {
      if (ctx.client === client) busy = false;
      render();
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (input.value) write('set', input.value);
  });
  clearButton.addEventListener('click', () => write('clear'));

  let lastState = ctx.state;
  ctx.on('client', () => {
    busy = false;
    lastState = ctx.state;
    forget();
  });
  ctx.on('state', (state) => {
    const was = lastState;
    lastState = state;
    if (state === 'DISCONNECTED' || state === 'ABORTED') forget();
    else if (state === 'CONNECTED' && (was !== 'CONNECTED' || !known)) readOwn(ctx.client);
    render();
  });
  render();
}
