// The demo's channel panel: three tabs in one channel (members, count, messages,
// leave), and the panel being reset by logout and a new login.

import {
  CHANNEL_LOG as LOG, STEP_MS, errorText, expectCount, expectMembers, expectPanel, expectReceived, join, login, logout,
  openDemo, panel, randomUid, send,
} from './helpers.mjs';

// MemberLeft and MemberCountUpdated (≤ 1/s) after a leave: "within a few seconds".
const LEAVE_MS = 5_000;

const MEMBERS = '[data-testid="members"] [data-member]';

async function receivedFrom(page, uid) {
  return page.locator(`${LOG}[data-direction="received"][data-peer="${uid}"]`).count();
}

async function expectNoError(page, who, when) {
  if (await page.isVisible('[data-testid="error"]')) throw new Error(`${who}: error shown ${when}: ${await errorText(page)}`);
}

/** The panel after its channel is gone: idle, no members, no count, join usable iff logged in. */
async function expectIdle(page, who, { online }) {
  await expectPanel(page, who, 'panel not reset to idle', () =>
    page.waitForSelector('[data-testid="channel-status"][data-state="idle"]', { timeout: STEP_MS }));
  const shown = await panel(page);
  if (shown.members.length) throw new Error(`${who}: members still listed after leaving: ${JSON.stringify(shown.members)}`);
  if ((await page.getAttribute('[data-testid="member-count"]', 'data-count')) !== '') {
    throw new Error(`${who}: member count still shown after leaving: ${shown.count}`);
  }
  if (await page.isDisabled('[data-testid="join"]') === online) {
    throw new Error(`${who}: join button ${online ? 'disabled' : 'enabled'} (${online ? '' : 'not '}logged in)`);
  }
  if (!(await page.isDisabled('[data-testid="leave"]'))) throw new Error(`${who}: leave button enabled without a channel`);
  if (!(await page.isDisabled('[data-testid="channel-send"]'))) throw new Error(`${who}: send button enabled without a channel`);
  if (await page.isDisabled('[data-testid="channel-id"]')) throw new Error(`${who}: channel id field disabled without a channel`);
}

export async function threeTabsInOneChannel({ browser, baseUrl }) {
  const [a, b, c] = await Promise.all([0, 1, 2].map(() => openDemo(browser, baseUrl)));
  const uidA = randomUid('alice');
  const uidB = randomUid('bob');
  const uidC = randomUid('carol');
  const channelId = randomUid('room');

  if ((await a.inputValue('[data-testid="channel-id"]')) !== 'lobby') throw new Error('channel id field does not default to lobby');
  if (!(await a.isDisabled('[data-testid="join"]'))) throw new Error('join button enabled before login');

  await login(a, uidA, 'A');
  await login(b, uidB, 'B');
  await login(c, uidC, 'C');
  await join(a, channelId, 'A');
  await join(b, channelId, 'B');
  await join(c, channelId, 'C');

  // Every tab lists all three (A and B from MemberJoined, C from getMembers), and the count is 3.
  const all = [uidA, uidB, uidC];
  for (const [page, who] of [[a, 'A'], [b, 'B'], [c, 'C']]) await expectMembers(page, all, who);
  for (const [page, who] of [[a, 'A'], [b, 'B'], [c, 'C']]) await expectCount(page, 3, who);
  for (const [page, who, uid] of [[a, 'A', uidA], [b, 'B', uidB], [c, 'C', uidC]]) {
    const self = await page.getAttribute(`${MEMBERS}[data-self="true"]`, 'data-member');
    if (self !== uid) throw new Error(`${who}: the member list marks ${JSON.stringify(self)} as self, expected ${uid}`);
  }

  // A talks: B and C get it from A; A sees it as sent, not as received.
  const text = `hello ${channelId} from ${uidA} ✓ ${Date.now()}`;
  await send(a, text, channelId, 'A');
  await expectReceived(b, uidA, text, 'B');
  await expectReceived(c, uidA, text, 'C');
  // B answers; once A has B's answer, A would have had its own message echoed by now.
  const reply = `reply from ${uidB}`;
  await send(b, reply, channelId, 'B');
  await expectReceived(a, uidB, reply, 'A');
  await expectReceived(c, uidB, reply, 'C');
  if (await receivedFrom(a, uidA)) throw new Error("A's channel log shows A's own message as received");
  if (await receivedFrom(b, uidB)) throw new Error("B's channel log shows B's own message as received");
  for (const [page, who] of [[a, 'A'], [b, 'B'], [c, 'C']]) {
    const n = await page.locator(`${LOG}[data-direction="received"]`).count();
    if (n !== (who === 'C' ? 2 : 1)) throw new Error(`${who}: ${n} received channel messages, expected ${who === 'C' ? 2 : 1}; ${JSON.stringify(await panel(page))}`);
    await expectNoError(page, who, 'after the messages');
  }

  // C leaves: A and B drop C and count 2 within a few seconds; C's panel is idle again.
  await c.click('[data-testid="leave"]');
  await expectIdle(c, 'C after leave', { online: true });
  for (const [page, who] of [[a, 'A'], [b, 'B']]) await expectMembers(page, [uidA, uidB], `${who} after C left`, LEAVE_MS);
  for (const [page, who] of [[a, 'A'], [b, 'B']]) await expectCount(page, 2, `${who} after C left`, LEAVE_MS);

  // C logs out; A and B stay in the channel.
  await logout(c, 'C');
  await expectIdle(c, 'C after logout', { online: false });
  for (const [page, who] of [[a, 'A'], [b, 'B']]) {
    await expectMembers(page, [uidA, uidB], `${who} after C logged out`);
    await expectNoError(page, who, 'at the end');
  }
}

export async function logoutResetsChannelPanel({ browser, baseUrl }) {
  const [a, b] = await Promise.all([0, 1].map(() => openDemo(browser, baseUrl)));
  const uidA = randomUid('alice');
  const uidB = randomUid('bob');
  const channelId = randomUid('room');

  await login(a, uidA, 'A');
  await login(b, uidB, 'B');

  // An invalid channel id: createChannel throws, shown as "code name: message"; nothing joined.
  await b.fill('[data-testid="channel-id"]', 'bad/channel');
  await b.click('[data-testid="join"]');
  await expectPanel(b, 'B', 'no error for channel id "bad/channel"', () =>
    b.waitForSelector('[data-testid="error"]:not([hidden])', { timeout: STEP_MS }));
  const error = await errorText(b);
  if (!/^\d+ \w+: \S/.test(error)) throw new Error(`channel error not shown as "code name: message": ${JSON.stringify(error)}`);
  await expectIdle(b, 'B after an invalid channel id', { online: true });

  await join(a, channelId, 'A');
  await join(b, channelId, 'B');
  await expectMembers(b, [uidA, uidB], 'B');
  await expectMembers(a, [uidA, uidB], 'A');
  await expectCount(a, 2, 'A');

  // B logs out while in the channel: B's panel resets, A sees B leave.
  await logout(b, 'B');
  await expectIdle(b, 'B after logout', { online: false });
  await expectMembers(a, [uidA], 'A after B logged out', LEAVE_MS);
  await expectCount(a, 1, 'A after B logged out', LEAVE_MS);

  // B logs in again (a new client) and joins again with a fresh channel object.
  await login(b, uidB, 'B again');
  await expectIdle(b, 'B after logging in again', { online: true });
  await join(b, channelId, 'B again');
  await expectMembers(b, [uidA, uidB], 'B again');
  await expectMembers(a, [uidA, uidB], 'A after B joined again');
  await expectCount(b, 2, 'B again');
  await expectCount(a, 2, 'A after B joined again');

  const text = `back again ${Date.now()}`;
  await send(b, text, channelId, 'B again');
  await expectReceived(a, uidB, text, 'A');
  for (const [page, who] of [[a, 'A'], [b, 'B']]) await expectNoError(page, who, 'at the end');
}
