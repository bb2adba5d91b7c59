// Session panel: app id + uid, log in / log out, and the connection badge in the header.

import { clearError, showError } from '../lib/ui.js';

const IDLE = new Set(['DISCONNECTED', 'ABORTED']);

export function mountSession(ctx) {
  const $ = (id) => document.getElementById(id);
  const form = $('login-form');
  const appIdInput = $('app-id');
  const uidInput = $('uid');
  const loginButton = $('login');
  const logoutButton = $('logout');
  const badge = $('connection');

  const params = new URLSearchParams(location.search);
  if (params.has('appId')) appIdInput.value = params.get('appId');
  uidInput.value = params.get('uid') || `user-${Math.random().toString(36).slice(2, 7)}`;
  $('sdk-version').textContent = `SDK ${ctx.AgoraRTM.VERSION}${ctx.AgoraRTM.BUILD ? ` (${ctx.AgoraRTM.BUILD})` : ''}`;

  let loggingIn = false;
  let loggingOut = false;

  function render() {
    const idle = IDLE.has(ctx.state);
    badge.dataset.state = ctx.state;
    badge.dataset.reason = ctx.reason;
    $('conn-state').textContent = ctx.state;
    $('conn-reason').textContent = ctx.reason;
    loginButton.disabled = loggingIn || !idle;
    logoutButton.disabled = loggingOut || idle;
    appIdInput.disabled = uidInput.disabled = loggingIn || !idle;
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearError();
    let client;
    try {
      client = ctx.newClient(appIdInput.value.trim(), uidInput.value);
    } catch (err) {
      showError(err);
      return;
    }
    loggingIn = true;
    render();
    try {
      await client.login({ uid: uidInput.value });
    } catch (err) {
      if (ctx.client === client) showError(err);
    } finally {
      loggingIn = false;
      render();
    }
  });

  logoutButton.addEventListener('click', async () => {
    const client = ctx.client;
    if (!client) return;
    clearError();
    loggingOut = true;
    render();
    try {
      await client.logout();
    } catch (err) {
      showError(err);
    } finally {
      loggingOut = false;
      render();
    }
  });

  ctx.on('client', render);
  ctx.on('state', render);
  render();
}
