// The admin page (/admin) in Chromium against the harness's server, which runs with an admin
// secret (tests/harness/app.mjs writes admin_secret; GET /config tells it): an operator signs in
// with the secret through the browser's own HTTP Basic prompt, sees a real SDK user (a second page
// logged in through the demo) and its channel, edits the channel's topic attribute and the SDK
// page shows it, kicks the user and the SDK page sees ABORTED / BANNED_BY_SERVER, bans a user
// from the page and the SDK's login is refused until the ban ends; the charts draw pixels.
// A wrong or missing secret gets 401.

import { STEP_MS, errorText, join, login, openDemo, randomUid, requireControl, expectTopic, waitForState } from './helpers.mjs';

async function adminSecret(control) {
  const config = await (await fetch(`${requireControl(control, 'the admin page tests')}/config`)).json();
  if (!config.adminSecret || !config.configLoaded) {
    throw new Error('the harness runs its server without an admin secret (tests/harness/app.mjs writes admin_secret)');
  }
  return config.adminSecret;
}

/** The admin page in a context that answers the Basic prompt with `secret`. */
async function openAdmin(browser, baseUrl, secret) {
  const context = await browser.newContext({ httpCredentials: { username: 'admin', password: secret } });
  const page = await context.newPage();
  const res = await page.goto(`${baseUrl}/admin`);
  if (res.status() !== 200) throw new Error(`GET /admin with the secret answered ${res.status()}`);
  await page.waitForSelector('body[data-loaded="true"]', { timeout: STEP_MS });
  return page;
}

const userRow = (uid) => `[data-testid="users"] tr[data-uid="${uid}"]`;
const channelRow = (ch) => `[data-testid="channels"] tr[data-channel="${ch}"]`;

/** Pixels of canvas `testid` that are not transparent (what was drawn). */
async function drawnPixels(page, testid) {
  return page.evaluate((testid) => {
    const canvas = document.querySelector(`[data-testid="${testid}"]`);
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
    return n;
  }, testid);
}

export async function wrongOrMissingSecretIs401({ browser, baseUrl, control }) {
  const secret = await adminSecret(control);
  const bare = await fetch(`${baseUrl}/admin`);
  if (bare.status !== 401) throw new Error(`GET /admin without a secret answered ${bare.status}`);
  const challenge = bare.headers.get('www-authenticate') || '';
  if (!challenge.startsWith('Basic realm="rtm-server admin"')) throw new Error(`WWW-Authenticate: ${challenge}`);
  const api = await fetch(`${baseUrl}/admin/api/users`, { headers: { Authorization: 'Bearer wrong' } });
  const body = await api.json();
  if (api.status !== 401 || body.error !== 'unauthorized') throw new Error(`wrong Bearer: ${api.status} ${JSON.stringify(body)}`);
  const context = await browser.newContext({ httpCredentials: { username: 'admin', password: `${secret}x` } });
  try {
    const res = await (await context.newPage()).goto(`${baseUrl}/admin`);
    if (res.status() !== 401) throw new Error(`the page with a wrong secret answered ${res.status()}`);
  } finally {
    await context.close();
  }
}

export async function seesKicksAndEditsARealSdkUser({ browser, baseUrl, control }) {
  const secret = await adminSecret(control);
  const sdk = await openDemo(browser, baseUrl);
  const uid = randomUid('admin-seen');
  const channel = randomUid('admin-room');
  await login(sdk, uid, 'sdk');
  await join(sdk, channel, 'sdk');
  const admin = await openAdmin(browser, baseUrl, secret);

  // The user and its channel are listed (the page refreshes every few seconds).
  await admin.waitForSelector(userRow(uid), { timeout: STEP_MS });
  await admin.waitForSelector(`${channelRow(channel)}[data-members="1"]`, { timeout: STEP_MS });

  // The charts draw: the channel bars from /admin/api/channels, the others from /metrics or
  // "no data" when the server has no such metric — never an error, never a blank canvas.
  await admin.waitForSelector('[data-testid="chart-channels"][data-drawn="data"]', { timeout: STEP_MS });
  const bars = await drawnPixels(admin, 'chart-channels');
  if (bars < 200) throw new Error(`the channels chart drew only ${bars} pixels`);
  for (const chart of ['chart-connections', 'chart-logins', 'chart-messages']) {
    await admin.waitForSelector(`[data-testid="${chart}"][data-drawn]`, { timeout: STEP_MS });
    const n = await drawnPixels(admin, chart);
    if (n < 20) throw new Error(`${chart} is blank (${n} pixels drawn)`);
  }

  // An attribute written on the page reaches the SDK: the channel's topic.
  await admin.click(`${channelRow(channel)} [data-testid="channel-attrs"]`);
  await admin.fill('[data-testid="attr-key"]', 'topic');
  await admin.fill('[data-testid="attr-value"]', 'set on the admin page');
  await admin.click('[data-testid="attr-save"]');
  await admin.waitForSelector('[data-testid="attrs"] tr[data-key="topic"]', { timeout: STEP_MS });
  await expectTopic(sdk, 'set on the admin page', 'admin', 'sdk');

  // Kick: the SDK page stops in ABORTED / BANNED_BY_SERVER.
  await admin.click(`${userRow(uid)} [data-testid="kick"]`);
  const reason = await waitForState(sdk, 'ABORTED', 'sdk after the kick');
  if (reason !== 'BANNED_BY_SERVER') throw new Error(`sdk: ABORTED with reason ${reason}, expected BANNED_BY_SERVER`);
  await admin.waitForSelector(userRow(uid), { state: 'detached', timeout: STEP_MS });
  await admin.context().close();
  await sdk.context().close();
}

export async function aBanFromThePageRefusesLoginsUntilItEnds({ browser, baseUrl, control }) {
  const secret = await adminSecret(control);
  const sdk = await openDemo(browser, baseUrl);
  const uid = randomUid('admin-banned');
  await login(sdk, uid, 'sdk');
  const admin = await openAdmin(browser, baseUrl, secret);
  await admin.waitForSelector(userRow(uid), { timeout: STEP_MS });
  admin.once('dialog', (dialog) => dialog.accept('4'));
  await admin.click(`${userRow(uid)} [data-testid="ban"]`);
  const reason = await waitForState(sdk, 'ABORTED', 'sdk after the ban');
  if (reason !== 'BANNED_BY_SERVER') throw new Error(`sdk: ABORTED with reason ${reason}, expected BANNED_BY_SERVER`);
  const bannedAt = Date.now();
  // During the ban the SDK's login is refused with the error the SDK shows for a refused login.
  await sdk.click('[data-testid="login"]');
  await sdk.waitForSelector('[data-testid="error"]', { state: 'visible', timeout: STEP_MS });
  const error = await errorText(sdk);
  if (!/banned/.test(error)) throw new Error(`sdk: the refused login shows "${error}"`);
  await waitForState(sdk, 'DISCONNECTED', 'sdk after the refused login').catch(async () => waitForState(sdk, 'ABORTED', 'sdk after the refused login'));
  // After it, the login works again.
  await sdk.waitForTimeout(Math.max(0, 4_300 - (Date.now() - bannedAt)));
  await login(sdk, uid, 'sdk after the ban');
  await admin.context().close();
  await sdk.context().close();
}
aBanFromThePageRefusesLoginsUntilItEnds.timeoutMs = 45_000;

// The line charts from Prometheus text: /metrics is answered by the test (growing counters, the
// agreed metric names, several series each) so that this holds whatever the server exports.
export async function lineChartsDrawFromPrometheusText({ browser, baseUrl, control }) {
  const secret = await adminSecret(control);
  const context = await browser.newContext({ httpCredentials: { username: 'admin', password: secret } });
  let scrape = 0;
  await context.route('**/metrics', (route) => {
    scrape += 1;
    route.fulfill({
      contentType: 'text/plain; version=0.0.4',
      body: [
        '# HELP rtm_connections Open WebSocket connections.',
        '# TYPE rtm_connections gauge',
        `rtm_connections ${40 + scrape}`,
        '# TYPE rtm_logins_total counter',
        `rtm_logins_total{result="ok"} ${10 * scrape}`,
        `rtm_logins_total{result="refused"} ${scrape}`,
        `rtm_messages_in_total{kind="peer"} ${100 * scrape}`,
        `rtm_messages_in_total{kind="channel"} ${50 * scrape}`,
        'rtm_request_duration_seconds_bucket{op="login",le="+Inf"} 3',
        '',
      ].join('\n'),
    });
  });
  const page = await context.newPage();
  await page.goto(`${baseUrl}/admin`);
  for (const chart of ['chart-connections', 'chart-logins', 'chart-messages']) {
    await page.waitForSelector(`[data-testid="${chart}"][data-drawn="data"]`, { timeout: STEP_MS });
    const n = await drawnPixels(page, chart);
    if (n < 300) throw new Error(`${chart} drew only ${n} pixels`);
  }
  const shown = Number(await page.textContent('[data-testid="now-connections"]'));
  if (!(shown > 40)) throw new Error(`live connections shows ${shown}, expected the scraped gauge (> 40)`);
  const messages = Number(await page.textContent('[data-testid="now-messages"]'));
  if (!(messages > 0)) throw new Error(`messages per second shows ${messages}`);
  await context.close();
}
