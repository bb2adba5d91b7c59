// The demo survives a server restart: the SDK reconnects by itself (RECONNECTING/INTERRUPTED,
// then CONNECTED/LOGIN_SUCCESS with its channel re-joined and its online-status subscriptions
// restored) and the page follows without a reload.
// Needs the test harness's control API (RTM_TEST_CONTROL) to restart rtm-server.

import {
  STEP_MS, addContact, errorText, expectContactState, expectMembers, expectReceived, join, login, openDemo, panel,
  randomUid, recordStates, requireControl, restartServer, send, shownStates, waitForState,
} from './helpers.mjs';

// Down time of the server: long enough for RECONNECTING to be seen.
const DOWN_MS = 2_000;
// After the server is back: the SDK's next retry comes within its backoff window (full jitter,
// doubling from 0.5 s up to 10 s), i.e. within ~8 s after a 2-3 s outage; then log in + re-join.
const BACK_MS = 20_000;

async function expectNotice(page, state, who) {
  try {
    await page.waitForSelector(`[data-testid="link-notice"][data-state="${state}"]:not([hidden])`, { timeout: STEP_MS });
  } catch {
    const shown = await page.evaluate(() => {
      const el = document.querySelector('[data-testid="link-notice"]');
      return { hidden: el.hidden, state: el.dataset.state, text: el.textContent.trim().replace(/\s+/g, ' ') };
    });
    throw new Error(`${who}: no "${state}" link notice; it shows ${JSON.stringify(shown)}`);
  }
}

/** The channel panel shows `channelId` joined right now. */
async function expectJoined(page, channelId, who) {
  const shown = await panel(page);
  const text = await page.textContent('[data-testid="channel-status"]');
  if (shown.status !== 'joined' || !text.includes(channelId)) {
    throw new Error(`${who}: the channel panel is not joined to ${channelId}; it shows ${JSON.stringify(shown)}; error banner: ${await errorText(page)}`);
  }
}

/** The recorded badge states went ... → RECONNECTING/INTERRUPTED → CONNECTED/LOGIN_SUCCESS, never DISCONNECTED/ABORTED. */
async function expectReconnectedStates(page, who) {
  const states = await shownStates(page);
  const lost = states.indexOf('RECONNECTING/INTERRUPTED');
  const back = states.lastIndexOf('CONNECTED/LOGIN_SUCCESS');
  const bad = states.filter((s) => /^(DISCONNECTED|ABORTED|CONNECTING)\//.test(s));
  if (lost < 0 || back < lost || states[states.length - 1] !== 'CONNECTED/LOGIN_SUCCESS' || bad.length) {
    throw new Error(`${who}: the badge went through ${states.join(' → ')}; expected CONNECTED → RECONNECTING/INTERRUPTED → CONNECTED/LOGIN_SUCCESS`);
  }
}

export async function serverRestartDemoRecovers({ browser, baseUrl, control }) {
  requireControl(control, 'reconnect.serverRestartDemoRecovers (it restarts rtm-server)');
  const [a, b, c] = await Promise.all([0, 1, 2].map(() => openDemo(browser, baseUrl)));
  const uidA = randomUid('alice');
  const uidB = randomUid('bob');
  const uidC = randomUid('carol');
  const channelId = randomUid('room');

  await login(a, uidA, 'A');
  await login(b, uidB, 'B');
  await join(a, channelId, 'A');
  await join(b, channelId, 'B');
  await expectMembers(a, [uidA, uidB], 'A');
  await addContact(a, uidB, 'A');
  await addContact(a, uidC, 'A');
  await expectContactState(a, uidB, 'ONLINE', 'A');
  await expectContactState(a, uidC, 'OFFLINE', 'A');
  await recordStates(a); // also a marker: still there at the end = the page was not reloaded
  await recordStates(b);

  // Restart the server, down for DOWN_MS. Both tabs show RECONNECTING while it is down.
  const began = Date.now();
  const restart = restartServer(control, { downMs: DOWN_MS });
  restart.catch(() => {}); // awaited below
  await Promise.all([[a, 'A'], [b, 'B']].map(async ([page, who]) => {
    const reason = await waitForState(page, 'RECONNECTING', `${who} while the server is down`);
    if (reason !== 'INTERRUPTED') throw new Error(`${who}: RECONNECTING with reason "${reason}", expected INTERRUPTED`);
    await expectNotice(page, 'reconnecting', `${who} while the server is down`);
    await expectJoined(page, channelId, `${who} while RECONNECTING`); // the panel keeps its channel
    if ((await page.getAttribute('[data-testid="contacts"]', 'data-stale')) !== 'true') {
      throw new Error(`${who}: contact list not marked stale while RECONNECTING`);
    }
  }));
  const restarted = await restart;

  // Back: CONNECTED/LOGIN_SUCCESS again, without a reload, the channel still joined.
  // (Both tabs at once: the "reconnected" notice shows for a few seconds only.)
  await Promise.all([[a, 'A'], [b, 'B']].map(async ([page, who]) => {
    const reason = await waitForState(page, 'CONNECTED', `${who} after the restart`, BACK_MS);
    if (reason !== 'LOGIN_SUCCESS') throw new Error(`${who}: CONNECTED with reason "${reason}" after the restart, expected LOGIN_SUCCESS`);
    await expectNotice(page, 'reconnected', `${who} after the restart`);
    await expectReconnectedStates(page, who);
    await expectJoined(page, channelId, `${who} after the restart`);
  }));
  const backAfter = Date.now() - began;

  // The channel works again both ways between the reconnected tabs, and the member lists agree.
  await expectMembers(a, [uidA, uidB], 'A after the restart');
  await expectMembers(b, [uidA, uidB], 'B after the restart');
  const fromB = `from ${uidB} after the restart ${Date.now()}`;
  await send(b, fromB, channelId, 'B');
  await expectReceived(a, uidB, fromB, 'A');
  const fromA = `from ${uidA} after the restart ${Date.now()}`;
  await send(a, fromA, channelId, 'A');
  await expectReceived(b, uidA, fromA, 'B');

  // A's subscriptions were restored on the new server: B is ONLINE, and C logging in shows up.
  if ((await a.getAttribute('[data-testid="contacts"]', 'data-stale')) !== 'false') throw new Error('A: contact list still marked stale after reconnecting');
  await expectContactState(a, uidB, 'ONLINE', 'A after the restart');
  await expectContactState(a, uidC, 'OFFLINE', 'A after the restart');

  // A tab logged in after the restart joins and talks to the reconnected ones.
  await login(c, uidC, 'C');
  await expectContactState(a, uidC, 'ONLINE', 'A after C logged in');
  await join(c, channelId, 'C');
  await expectMembers(a, [uidA, uidB, uidC], 'A after C joined');
  const fromC = `from ${uidC}, logged in after the restart ${Date.now()}`;
  await send(c, fromC, channelId, 'C');
  await expectReceived(a, uidC, fromC, 'A');
  await expectReceived(b, uidC, fromC, 'B');

  for (const [page, who] of [[a, 'A'], [b, 'B'], [c, 'C']]) {
    if (await page.isVisible('[data-testid="error"]')) throw new Error(`${who}: error shown at the end: ${await errorText(page)}`);
  }
  // Not reloaded: the recorder installed before the restart is still there.
  for (const [page, who] of [[a, 'A'], [b, 'B']]) {
    if (!(await shownStates(page)).length) throw new Error(`${who}: the page was reloaded during the test`);
  }
  return `server down ${restarted.ms} ms, tabs back ${backAfter} ms after the restart began`;
}
serverRestartDemoRecovers.timeoutMs = 60_000;
