// Session panel: app id + uid, log in / log out, the connection badge in the header, and the
// link notice under it: while RECONNECTING (the SDK lost the server and retries by itself) a
// banner says so and for how long; once CONNECTED again it says "reconnected" for a few seconds.
//
// Test hooks: #connection[data-state][data-reason] (the badge), #link-notice[data-state=
// "reconnecting|reconnected"] (hidden otherwise).

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

  // The link notice.
  const notice = $('link-notice');
  const noticeText = $('link-notice-text');
  const RECONNECTED_SHOWN_MS = 5_000;
  let lostAt = 0; // when the current RECONNECTING began, or 0
  let ticker = 0;
  let hideTimer = 0;
  const seconds = (ms) => `${Math.max(0, Math.round(ms / 1000))} s`;

  function showNotice(state, text) {
    clearTimeout(hideTimer);
    notice.dataset.state = state;
    noticeText.textContent = text;
    notice.hidden = false;
  }

  function hideNotice() {
    clearTimeout(hideTimer);
    clearInterval(ticker);
    ticker = 0;
    lostAt = 0;
    notice.hidden = true;
    notice.dataset.state = '';
    noticeText.textContent = '';
  }

  function renderReconnecting() {
    showNotice('reconnecting', `Connection to the server lost (${ctx.reason}): reconnecting… ${seconds(Date.now() - lostAt)}. ` +
      'Your channel and contacts are kept; the SDK re-joins and re-subscribes once it is back.');
  }

  function linkChanged(state) {
    if (state === 'RECONNECTING') {
      if (!lostAt) {
        lostAt = Date.now();
        ticker = setInterval(renderReconnecting, 1000);
      }
      renderReconnecting();
    } else if (state === 'CONNECTED' && lostAt) {
      const away = Date.now() - lostAt;
      hideNotice();
      showNotice('reconnected', `Reconnected after ${seconds(away)}.`);
      hideTimer = setTimeout(hideNotice, RECONNECTED_SHOWN_MS);
    } else if (state !== 'CONNECTED') {
      hideNotice();
    }
  }

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

  ctx.on('client', () => {
    hideNotice();
    render();
  });
  ctx.on('state', (state) => {
    linkChanged(state);
    render();
  });
  render();
}
