// The demo's calls panel: call invitations between tabs (createLocalInvitation, send, cancel;
// RemoteInvitationReceived, accept, refuse) and the states and events both sides show.
//
// The test harness's server lets an invitation ring for only 3 s (invitation_timeout_secs in
// tests/harness/control.mjs), so every answer below comes right after the ring is seen; the
// checks of what was shown come afterwards (the cards keep it).

import {
  STEP_MS, callCard, callEvents, answerCall, errorText, expectCalls, expectCallState, expectRinging, expectShown, login,
  logout, openDemo, placeCall, randomUid, requireControl, callsShown,
} from './helpers.mjs';

async function expectNoError(page, who, when) {
  if (await page.isVisible('[data-testid="error"]')) throw new Error(`${who}: error shown ${when}: ${await errorText(page)}`);
}

/** Checks that card `id` lists exactly `want` as its events (in order). */
async function expectEvents(page, id, want, who) {
  await expectCalls(page, who, `call #${id}'s events are not ${JSON.stringify(want)}`, () =>
    page.waitForFunction(({ sel, want }) => JSON.stringify([...document.querySelectorAll(`${sel} [data-testid="call-events"] li`)]
      .map((li) => li.textContent.replace(/^\d\d:\d\d:\d\d /, ''))) === JSON.stringify(want), { sel: callCard(id), want }, { timeout: STEP_MS }));
}

async function cardText(page, id, testid) {
  return (await page.textContent(`${callCard(id)} [data-testid="${testid}"]`)).trim();
}

/** The card's buttons: which are enabled. */
async function enabledButtons(page, id) {
  return page.evaluate((sel) => [...document.querySelectorAll(`${sel} button`)]
    .filter((b) => !b.disabled && !b.hidden).map((b) => b.dataset.testid), callCard(id));
}

export async function callAcceptedDeclinedCanceled({ browser, baseUrl }) {
  const [a, b] = await Promise.all([0, 1].map(() => openDemo(browser, baseUrl)));
  const uidA = randomUid('alice');
  const uidB = randomUid('bob');
  if (!(await a.isDisabled('[data-testid="call"]'))) throw new Error('A: Call button enabled before login');
  await login(a, uidA, 'A');
  await login(b, uidB, 'B');

  // 1. A calls B (content + channel id); B's tab rings; B accepts with a response.
  const content = `join me ✓ ${randomUid('c')}`;
  const channelId = randomUid('room');
  const out1 = await placeCall(a, uidB, { content, channelId }, 'A');
  const in1 = await expectRinging(b, uidA, content, 'B');
  const response = `on my way ${Date.now()}`;
  await answerCall(b, in1, true, response);
  await expectCallState(a, out1, 'ACCEPTED_BY_REMOTE', 'A');
  await expectCallState(b, in1, 'ACCEPTED', 'B');
  if ((await cardText(a, out1, 'call-response')) !== response) {
    throw new Error(`A: the accepted call shows response ${JSON.stringify(await cardText(a, out1, 'call-response'))}, expected ${JSON.stringify(response)}`);
  }
  await expectEvents(a, out1, ['send()', 'LocalInvitationReceivedByPeer', `LocalInvitationAccepted(${JSON.stringify(response)})`], 'A');
  await expectEvents(b, in1, ['RemoteInvitationReceived', 'RemoteInvitationAccepted'], 'B');
  for (const [page, who, id, want] of [[b, 'B', in1, content], [a, 'A', out1, content]]) {
    if ((await cardText(page, id, 'call-content-text')) !== want) throw new Error(`${who}: call #${id} shows content ${JSON.stringify(await cardText(page, id, 'call-content-text'))}`);
    if ((await cardText(page, id, 'call-channel-text')) !== channelId) throw new Error(`${who}: call #${id} shows channel ${JSON.stringify(await cardText(page, id, 'call-channel-text'))}`);
  }
  for (const [page, who, id] of [[a, 'A', out1], [b, 'B', in1]]) {
    const buttons = await enabledButtons(page, id);
    if (JSON.stringify(buttons) !== '["call-dismiss"]') throw new Error(`${who}: the ended call #${id} has these buttons usable: ${JSON.stringify(buttons)}`);
  }

  // 2. A calls again; B declines (with a response): A shows REFUSED_BY_REMOTE and the response.
  const content2 = `second ${randomUid('c')}`;
  const out2 = await placeCall(a, uidB, { content: content2 }, 'A');
  const in2 = await expectRinging(b, uidA, content2, 'B');
  if ((await b.getAttribute('[data-testid="calls-ringing"]', 'data-count')) !== '1') throw new Error('B: the ringing count is not 1 while a call rings');
  await answerCall(b, in2, false, 'busy, later');
  await expectCallState(a, out2, 'REFUSED_BY_REMOTE', 'A');
  await expectCallState(b, in2, 'REFUSED', 'B');
  if ((await cardText(a, out2, 'call-response')) !== 'busy, later') throw new Error(`A: the declined call shows response ${JSON.stringify(await cardText(a, out2, 'call-response'))}`);
  if ((await cardText(b, in2, 'call-channel-text')) !== '–') throw new Error('B: a call without a channel id shows one');
  await expectEvents(a, out2, ['send()', 'LocalInvitationReceivedByPeer', 'LocalInvitationRefused("busy, later")'], 'A');
  await expectEvents(b, in2, ['RemoteInvitationReceived', 'RemoteInvitationRefused'], 'B');
  if ((await b.getAttribute('[data-testid="calls-ringing"]', 'data-count')) !== '0') throw new Error('B: the ringing count is not 0 after declining');

  // 3. A calls and cancels while it rings: B shows CANCELED.
  const content3 = `third ${randomUid('c')}`;
  const out3 = await placeCall(a, uidB, { content: content3 }, 'A');
  const in3 = await expectRinging(b, uidA, content3, 'B');
  await expectCallState(a, out3, 'RECEIVED_BY_REMOTE', 'A');
  await a.click(`${callCard(out3)} [data-testid="call-cancel"]`);
  await expectCallState(b, in3, 'CANCELED', 'B');
  await expectCallState(a, out3, 'CANCELED', 'A');
  await expectEvents(a, out3, ['send()', 'LocalInvitationReceivedByPeer', 'LocalInvitationCanceled'], 'A');
  await expectEvents(b, in3, ['RemoteInvitationReceived', `RemoteInvitationCanceled(${JSON.stringify(content3)})`], 'B');
  if (!(await b.isDisabled(`${callCard(in3)} [data-testid="call-accept"]`))) throw new Error('B: Accept still usable on a canceled call');

  // Dismissing a card removes it and nothing else.
  await b.click(`${callCard(in3)} [data-testid="call-dismiss"]`);
  await expectCalls(b, 'B', `call #${in3} still shown after dismissing it`, () =>
    b.waitForFunction((sel) => !document.querySelector(sel), callCard(in3), { timeout: STEP_MS }));
  if ((await b.locator('[data-testid="calls"] li[data-testid="call"]').count()) !== 2) throw new Error(`B: ${JSON.stringify(await callsShown(b))}`);

  for (const [page, who] of [[a, 'A'], [b, 'B']]) await expectNoError(page, who, 'at the end');
}

export async function callsKeptApartAndMisuseShown({ browser, baseUrl }) {
  const [a, b] = await Promise.all([0, 1].map(() => openDemo(browser, baseUrl)));
  const uidA = randomUid('alice');
  const uidB = randomUid('bob');
  const uidC = randomUid('carol'); // never logs in
  await login(a, uidA, 'A');
  await login(b, uidB, 'B');

  // Two calls ring at once: B accepts the second and declines the first; each answer reaches its call.
  const first = `first ${randomUid('c')}`;
  const second = `second ${randomUid('c')}`;
  const out1 = await placeCall(a, uidB, { content: first }, 'A');
  const out2 = await placeCall(a, uidB, { content: second }, 'A');
  const [in1, in2] = await Promise.all([expectRinging(b, uidA, first, 'B'), expectRinging(b, uidA, second, 'B')]);
  await answerCall(b, in2, true, 'yes to the second');
  await answerCall(b, in1, false, 'no to the first');
  await expectCallState(a, out2, 'ACCEPTED_BY_REMOTE', 'A');
  await expectCallState(a, out1, 'REFUSED_BY_REMOTE', 'A');
  await expectCallState(b, in2, 'ACCEPTED', 'B');
  await expectCallState(b, in1, 'REFUSED', 'B');
  for (const [id, want] of [[out2, 'yes to the second'], [out1, 'no to the first']]) {
    const shown = await a.getAttribute(callCard(id), 'data-response');
    if (shown !== want) throw new Error(`A: call #${id} shows response ${JSON.stringify(shown)}, expected ${JSON.stringify(want)}`);
  }

  // A button that is stale (as when the click races the call's end) makes the SDK throw at once:
  // the banner shows its InvitationApiCallError code (3: already ended) and the state stays.
  await b.evaluate((sel) => { document.querySelector(`${sel} [data-testid="call-accept"]`).disabled = false; }, callCard(in1));
  await b.click(`${callCard(in1)} [data-testid="call-accept"]`);
  await expectShown(b, 'B', 'no error shown for accepting a declined call', () => errorText(b), () =>
    b.waitForSelector('[data-testid="error"]:not([hidden])', { timeout: STEP_MS }));
  const staleError = await errorText(b);
  if (!/^3 \w+: \S/.test(staleError)) throw new Error(`B: accepting a declined call is not shown as "3 name: message" (ALREADY_END): ${JSON.stringify(staleError)}`);
  await expectCallState(b, in1, 'REFUSED', 'B after accepting a declined call');
  await b.click('#error-dismiss');

  // Calling a user who is not logged in fails with PEER_OFFLINE.
  const out3 = await placeCall(a, uidC, { content: 'anyone?' }, 'A');
  await expectCallState(a, out3, 'FAILURE', 'A', { reason: 'PEER_OFFLINE' });
  await expectEvents(a, out3, ['send()', 'LocalInvitationFailure("PEER_OFFLINE")'], 'A');

  // Misuse throws at once (content over 8 KB; an invalid callee id): "code name: message" in the
  // error banner, and no call is placed.
  const cards = await a.locator('[data-testid="calls"] li[data-testid="call"]').count();
  const errors = [];
  for (const [callee, content, what] of [[uidB, 'z'.repeat(9_000), 'content over 8 KB'], ['bad/uid', '', 'callee "bad/uid"']]) {
    await a.fill('[data-testid="call-callee"]', callee);
    await a.fill('[data-testid="call-content"]', content);
    await a.click('[data-testid="call"]');
    await expectShown(a, 'A', `no error shown for ${what}`, () => errorText(a), () =>
      a.waitForSelector('[data-testid="error"]:not([hidden])', { timeout: STEP_MS }));
    const text = await errorText(a);
    if (!/^1 \w+: \S/.test(text)) throw new Error(`A: the error for ${what} is not "1 name: message" (INVALID_ARGUMENT): ${JSON.stringify(text)}`);
    errors.push(text);
    await a.click('#error-dismiss');
  }
  if ((await a.locator('[data-testid="calls"] li[data-testid="call"]').count()) !== cards) {
    throw new Error(`A: a misused call left a card: ${JSON.stringify(await callsShown(a))}`);
  }
  if (await b.locator(`[data-testid="calls"] li[data-direction="incoming"][data-state="INVITATION_RECEIVED"]`).count()) {
    throw new Error(`B: something rings after A's misuse: ${JSON.stringify(await callsShown(b))}`);
  }

  // A response over 8 KB is refused the same way; the call still rings and can be answered.
  const fourth = `fourth ${randomUid('c')}`;
  const out4 = await placeCall(a, uidB, { content: fourth }, 'A');
  const in4 = await expectRinging(b, uidA, fourth, 'B');
  await answerCall(b, in4, true, 'r'.repeat(9_000));
  await expectShown(b, 'B', 'no error shown for a 9000-byte response', () => errorText(b), () =>
    b.waitForSelector('[data-testid="error"]:not([hidden])', { timeout: STEP_MS }));
  const responseError = await errorText(b);
  if (!/^1 \w+: \S/.test(responseError)) throw new Error(`B: the error for a 9000-byte response is not "1 name: message": ${JSON.stringify(responseError)}`);
  await answerCall(b, in4, true, 'ok');
  await expectCallState(a, out4, 'ACCEPTED_BY_REMOTE', 'A');
  if (await b.isVisible('[data-testid="error"]')) throw new Error(`B: the error banner was not cleared by the next action: ${await errorText(b)}`);

  // The caller logs out while a call rings: the callee's call fails (PEER_OFFLINE), the caller's
  // card is kept, marked "session ended".
  const fifth = `fifth ${randomUid('c')}`;
  const out5 = await placeCall(a, uidB, { content: fifth }, 'A');
  const in5 = await expectRinging(b, uidA, fifth, 'B');
  await logout(a, 'A');
  await expectCallState(b, in5, 'FAILURE', 'B', { reason: 'PEER_OFFLINE' });
  await expectCalls(a, 'A', `call #${out5} not marked "session ended" after logout`, () =>
    a.waitForSelector(`${callCard(out5)}[data-session="ended"]`, { timeout: STEP_MS }));
  if (!(await a.isDisabled(`${callCard(out5)} [data-testid="call-cancel"]`))) throw new Error('A: Cancel usable after logout');
  await expectNoError(b, 'B', 'at the end');
  return `misuse shown as: ${[...errors, responseError, staleError].join(' | ')}`;
}

// Nobody answers: both the caller's call and the callee's fail with INVITATION_EXPIRE.
// Needs the harness's server (a 3 s ring; rtm-server's default is 60 s).
export async function unansweredCallExpires({ browser, baseUrl, control }) {
  requireControl(control, 'invitations.unansweredCallExpires (the harness configures a 3 s invitation timeout)');
  const [a, b] = await Promise.all([0, 1].map(() => openDemo(browser, baseUrl)));
  const uidA = randomUid('alice');
  const uidB = randomUid('bob');
  await login(a, uidA, 'A');
  await login(b, uidB, 'B');
  const content = `hello? ${randomUid('c')}`;
  const started = Date.now();
  const out = await placeCall(a, uidB, { content }, 'A');
  const inc = await expectRinging(b, uidA, content, 'B');
  await expectCallState(a, out, 'FAILURE', 'A', { reason: 'INVITATION_EXPIRE', timeout: 3_000 + STEP_MS });
  await expectCallState(b, inc, 'FAILURE', 'B', { reason: 'INVITATION_EXPIRE' });
  const after = Date.now() - started;
  await expectEvents(a, out, ['send()', 'LocalInvitationReceivedByPeer', 'LocalInvitationFailure("INVITATION_EXPIRE")'], 'A');
  await expectEvents(b, inc, ['RemoteInvitationReceived', 'RemoteInvitationFailure("INVITATION_EXPIRE")'], 'B');
  if (!(await b.isDisabled(`${callCard(inc)} [data-testid="call-accept"]`))) throw new Error('B: Accept still usable on an expired call');
  for (const [page, who] of [[a, 'A'], [b, 'B']]) await expectNoError(page, who, 'at the end');
  return `failed after ${after} ms`;
}
