// Helpers shared by the demo-page tests (not a test file: run.mjs loads only *.test.mjs).

export const STEP_MS = 10_000;

export const randomUid = (prefix) => `${prefix}-${Math.random().toString(36).slice(2, 10)}`;

/** Opens the demo in a fresh browser context and waits until it has loaded the SDK. */
export async function openDemo(browser, baseUrl) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${baseUrl}/`);
  await page.waitForSelector('body[data-sdk="ready"], body[data-sdk="missing"]', { timeout: STEP_MS });
  if ((await page.getAttribute('body', 'data-sdk')) !== 'ready') {
    throw new Error(`demo could not load the SDK: ${await errorText(page)}`);
  }
  return page;
}

/** The error banner's text, or "(no error shown)". */
export async function errorText(page) {
  return (await page.isVisible('[data-testid="error"]'))
    ? (await page.textContent('[data-testid="error-text"]')).trim()
    : '(no error shown)';
}

/** Waits for the connection badge to show `state`; on timeout says what it shows instead. Returns the reason. */
export async function waitForState(page, state, who, timeout = STEP_MS) {
  try {
    await page.waitForSelector(`[data-testid="connection"][data-state="${state}"]`, { timeout });
  } catch {
    const shown = await page.textContent('[data-testid="connection"]');
    throw new Error(`${who}: expected state ${state}, the page shows "${shown.trim().replace(/\s+/g, ' ')}"; error banner: ${await errorText(page)}`);
  }
  return (await page.textContent('[data-testid="conn-reason"]')).trim();
}

/** Logs in as `uid` and checks it reached CONNECTED/LOGIN_SUCCESS without an error. */
export async function login(page, uid, who) {
  await page.fill('[data-testid="uid"]', uid);
  await page.click('[data-testid="login"]');
  const reason = await waitForState(page, 'CONNECTED', who);
  if (reason !== 'LOGIN_SUCCESS') throw new Error(`${who}: CONNECTED with reason "${reason}", expected LOGIN_SUCCESS`);
  if (await page.isVisible('[data-testid="error"]')) throw new Error(`${who}: error shown after login: ${await errorText(page)}`);
}

/** Logs out and checks it reached DISCONNECTED/LOGOUT without an error. */
export async function logout(page, who) {
  await page.click('[data-testid="logout"]');
  const reason = await waitForState(page, 'DISCONNECTED', `${who} after logout`);
  if (reason !== 'LOGOUT') throw new Error(`${who}: DISCONNECTED with reason "${reason}", expected LOGOUT`);
  if (await page.isVisible('[data-testid="error"]')) throw new Error(`${who}: error shown after logout: ${await errorText(page)}`);
}

/** The harness's control API URL; throws a clear error when the runner has none. */
export function requireControl(control, what = 'this test') {
  if (!control) {
    throw new Error(`${what} needs the test harness's control API (tests/harness/control.mjs): ` +
      'set RTM_TEST_CONTROL=http://IP:PORT (scripts/test.sh does), or unset RTM_SERVER_URL so that run.mjs starts the harness itself');
  }
  return control;
}

/** POST {control}/restart?down_ms=N: resolves with the harness's JSON once the server listens again. */
export async function restartServer(control, { downMs = 0, signal = 'TERM' } = {}) {
  let res;
  try {
    res = await fetch(`${requireControl(control)}/restart?signal=${signal}&down_ms=${downMs}`, { method: 'POST' });
  } catch (err) {
    throw new Error(`POST ${control}/restart failed: ${err.cause?.message || err.message}`);
  }
  const body = await res.text();
  if (!res.ok) throw new Error(`POST ${control}/restart: HTTP ${res.status}: ${body.trim()}`);
  return JSON.parse(body);
}

/**
 * Records every state the connection badge shows from now on (the SDK's ConnectionStateChanged as
 * the demo renders it), so a short-lived state cannot be missed; read with shownStates().
 */
export async function recordStates(page) {
  await page.evaluate(() => {
    const badge = document.querySelector('[data-testid="connection"]');
    const seen = [`${badge.dataset.state}/${badge.dataset.reason || ''}`];
    window.__shownStates = seen;
    new MutationObserver(() => {
      const now = `${badge.dataset.state}/${badge.dataset.reason || ''}`;
      if (seen[seen.length - 1] !== now) seen.push(now);
    }).observe(badge, { attributes: true, attributeFilter: ['data-state', 'data-reason'] });
  });
}

/** The states recorded since recordStates(page), as "STATE/REASON" strings. */
export async function shownStates(page) {
  return page.evaluate(() => window.__shownStates || []);
}

// --- the channel panel ------------------------------------------------------------------------

export const CHANNEL_LOG = '[data-testid="channel-log"] [data-testid="log-entry"]';
const LOG = CHANNEL_LOG;

/** What the channel panel shows, for error messages. */
export async function panel(page) {
  return page.evaluate(() => {
    const q = (sel) => document.querySelector(sel);
    return {
      status: q('[data-testid="channel-status"]').dataset.state,
      count: q('[data-testid="member-count"]').textContent,
      members: [...document.querySelectorAll('[data-testid="members"] [data-member]')].map((li) => li.dataset.member),
      log: [...document.querySelectorAll('[data-testid="channel-log"] li')].map((li) => li.textContent.replace(/\s+/g, ' ').trim()),
    };
  });
}

/** Runs `wait`; on failure throws `${who}: ${what}` with the panel's contents and the error banner. */
export async function expectPanel(page, who, what, wait) {
  try {
    await wait();
  } catch {
    throw new Error(`${who}: ${what}; the panel shows ${JSON.stringify(await panel(page))}; error banner: ${await errorText(page)}`);
  }
}

export async function join(page, channelId, who) {
  await page.fill('[data-testid="channel-id"]', channelId);
  await page.click('[data-testid="join"]');
  await expectPanel(page, who, `not joined to ${channelId}`, () =>
    page.waitForSelector('[data-testid="channel-status"][data-state="joined"]', { timeout: STEP_MS }));
}

/** Waits until the member list holds exactly `uids` (any order). */
export async function expectMembers(page, uids, who, timeout = STEP_MS) {
  const want = [...uids].sort();
  await expectPanel(page, who, `member list is not ${JSON.stringify(want)}`, () =>
    page.waitForFunction((want) => {
      const got = [...document.querySelectorAll('[data-testid="members"] [data-member]')].map((li) => li.dataset.member).sort();
      return JSON.stringify(got) === JSON.stringify(want);
    }, want, { timeout }));
}

export async function expectCount(page, count, who, timeout = STEP_MS) {
  await expectPanel(page, who, `member count is not ${count}`, () =>
    page.waitForSelector(`[data-testid="member-count"][data-count="${count}"]`, { timeout }));
}

/** Sends `text` to the channel and waits until the sender's log shows it as sent. */
export async function send(page, text, channelId, who) {
  await page.fill('[data-testid="channel-message"]', text);
  await page.click('[data-testid="channel-send"]');
  const entry = `${LOG}[data-direction="sent"][data-peer="${channelId}"]`;
  await expectPanel(page, who, `own message not shown as sent (${JSON.stringify(text)})`, () =>
    page.waitForFunction(({ entry, text }) => [...document.querySelectorAll(entry)].some((li) =>
      li.dataset.status === 'sent' && li.querySelector('[data-testid="entry-text"]').textContent === text), { entry, text }, { timeout: STEP_MS }));
}

/** Waits until `page`'s channel log shows `text` received from `from`. */
export async function expectReceived(page, from, text, who) {
  const entry = `${LOG}[data-direction="received"][data-peer="${from}"]`;
  await expectPanel(page, who, `no message ${JSON.stringify(text)} from ${from}`, () =>
    page.waitForFunction(({ entry, text }) => [...document.querySelectorAll(entry)].some((li) =>
      li.querySelector('[data-testid="entry-text"]').textContent === text), { entry, text }, { timeout: STEP_MS }));
}

// --- the contacts panel -----------------------------------------------------------------------

export const CONTACTS = '[data-testid="contacts"] li[data-contact]';

/** What the contacts panel shows, for error messages. */
export async function contactsShown(page) {
  return page.evaluate(() => [...document.querySelectorAll('[data-testid="contacts"] li[data-contact]')]
    .map((li) => `${li.dataset.contact}=${li.dataset.state}${li.dataset.busy ? `(${li.dataset.busy})` : ''}` +
      ` "${li.querySelector('[data-testid="contact-state"]').textContent}" ${getComputedStyle(li.querySelector('.dot')).backgroundColor}`));
}

export async function expectContacts(page, who, what, wait) {
  try {
    await wait();
  } catch {
    throw new Error(`${who}: ${what}; the contact list shows ${JSON.stringify(await contactsShown(page))}; error banner: ${await errorText(page)}`);
  }
}

/** The dot colours of the contacts panel (www/style.css). */
const DOT = { ONLINE: 'rgb(34, 197, 94)', UNREACHABLE: 'rgb(245, 158, 11)', OFFLINE: 'rgb(156, 163, 175)' };

/**
 * Waits until `uid`'s row in the contact list shows `state`: data-state, the state as text and
 * the dot's colour (checked together in the page: the list is re-rendered on every change).
 */
export async function expectContactState(page, uid, state, who, timeout = STEP_MS) {
  await expectContacts(page, who, `${uid} is not shown ${state} (data-state, text "${state.toLowerCase()}", dot ${DOT[state]})`, () =>
    page.waitForFunction(({ uid, state, color }) => [...document.querySelectorAll('[data-testid="contacts"] li[data-contact]')]
      .some((li) => li.dataset.contact === uid && li.dataset.state === state
        && li.querySelector('[data-testid="contact-state"]').textContent.trim().toUpperCase() === state
        && getComputedStyle(li.querySelector('.dot')).backgroundColor === color),
    { uid, state, color: DOT[state] }, { timeout }));
}

export async function addContact(page, uid, who) {
  await page.fill('[data-testid="contact-uid"]', uid);
  await page.click('[data-testid="contact-add"]');
  await expectContacts(page, who, `${uid} not listed after adding it`, () =>
    page.waitForSelector(`${CONTACTS}[data-contact="${uid}"]`, { timeout: STEP_MS }));
}

/** Waits until the contact list holds exactly `uids`, in this order. */
export async function expectListed(page, uids, who) {
  await expectContacts(page, who, `the contact list is not ${JSON.stringify(uids)}`, () =>
    page.waitForFunction((uids) => JSON.stringify([...document.querySelectorAll('[data-testid="contacts"] li[data-contact]')]
      .map((li) => li.dataset.contact)) === JSON.stringify(uids), uids, { timeout: STEP_MS }));
}

// --- statuses (user attributes) and the channel topic (channel attributes) ---------------------

/** Runs `wait`; on failure throws `${who}: ${what}` with `shown()`'s answer and the error banner. */
export async function expectShown(page, who, what, shown, wait) {
  try {
    await wait();
  } catch {
    throw new Error(`${who}: ${what}; the page shows ${JSON.stringify(await shown())}; error banner: ${await errorText(page)}`);
  }
}

/** Sets the user's own status and waits until the page shows it set. */
export async function setStatus(page, text, who) {
  await page.fill('[data-testid="status-input"]', text);
  await page.click('[data-testid="status-set"]');
  await expectShown(page, who, `own status not shown as ${JSON.stringify(text)}`,
    () => page.textContent('[data-testid="status-current"]'),
    () => page.waitForFunction((text) => {
      const el = document.querySelector('[data-testid="status-current"]');
      return el.dataset.known === 'true' && el.dataset.status === text;
    }, text, { timeout: STEP_MS }));
}

/** Waits until `uid`'s contact row shows status `status` (null: "no status"). */
export async function expectContactStatus(page, uid, status, who, timeout = STEP_MS) {
  const what = status === null ? `${uid}'s status is not shown as "no status"` : `${uid}'s status is not shown as ${JSON.stringify(status)}`;
  await expectContacts(page, who, what, () => page.waitForFunction(({ uid, status }) => {
    const li = [...document.querySelectorAll('[data-testid="contacts"] li[data-contact]')].find((el) => el.dataset.contact === uid);
    const el = li && li.querySelector('[data-testid="contact-status"]');
    if (!el) return false;
    return status === null
      ? el.dataset.statusState === 'none' && el.textContent === 'no status'
      : el.dataset.statusState === 'set' && el.dataset.status === status && el.textContent === status;
  }, { uid, status }, { timeout }));
}

/** What the topic line shows, for error messages. */
export async function topicShown(page) {
  return page.evaluate(() => {
    const el = document.querySelector('[data-testid="topic"]');
    return { state: el.dataset.state, setter: el.dataset.setter, ts: el.dataset.ts, text: el.textContent.replace(/\s+/g, ' ').trim() };
  });
}

/**
 * Waits until the channel panel's topic line shows `topic` set by `setter` (topic null: "no
 * topic"): data-state, the text, data-setter and "set by <setter> at HH:MM:SS".
 */
export async function expectTopic(page, topic, setter, who, timeout = STEP_MS) {
  const what = topic === null ? 'the topic line does not say "no topic"' : `the topic line does not show ${JSON.stringify(topic)} set by ${setter}`;
  await expectShown(page, who, what, () => topicShown(page), () => page.waitForFunction(({ topic, setter }) => {
    const el = document.querySelector('[data-testid="topic"]');
    const text = document.querySelector('[data-testid="topic-text"]').textContent;
    const meta = document.querySelector('[data-testid="topic-meta"]').textContent;
    if (topic === null) return el.dataset.state === 'none' && text === 'no topic' && meta === '';
    const prefix = `set by ${setter} at `;
    return el.dataset.state === 'set' && text === topic && el.dataset.setter === setter
      && meta.startsWith(prefix) && /^\d\d:\d\d:\d\d$/.test(meta.slice(prefix.length));
  }, { topic, setter }, { timeout }));
}

/** Sets the joined channel's topic ("" clears it); waits until the button is usable again. */
export async function setTopic(page, topic, who) {
  await page.fill('[data-testid="topic-input"]', topic);
  await page.click('[data-testid="topic-set"]');
  await expectShown(page, who, 'the Set topic button stays disabled', () => topicShown(page), () =>
    page.waitForSelector('[data-testid="topic-set"]:not([disabled])', { timeout: STEP_MS }));
}

// --- the calls panel --------------------------------------------------------------------------

export const CALLS = '[data-testid="calls"] li[data-testid="call"]';

/** What the calls panel shows (one line per card), for error messages. */
export async function callsShown(page) {
  return page.evaluate(() => [...document.querySelectorAll('[data-testid="calls"] li[data-testid="call"]')].map((li) => {
    const text = (id) => li.querySelector(`[data-testid="${id}"]`)?.textContent;
    const events = [...li.querySelectorAll('[data-testid="call-events"] li')].map((e) => e.textContent.replace(/^\S+ /, ''));
    return `#${li.dataset.call} ${li.dataset.direction} ${li.dataset.peer} ${li.dataset.state}${li.dataset.reason ? `(${li.dataset.reason})` : ''}`
      + ` content=${JSON.stringify(text('call-content-text'))} response=${JSON.stringify(li.dataset.response)}`
      + `${li.dataset.session === 'ended' ? ' session-ended' : ''} events=[${events.join(', ')}]`;
  }));
}

export async function expectCalls(page, who, what, wait) {
  return expectShown(page, who, what, () => callsShown(page), wait);
}

/**
 * Calls `callee` from the calls panel; resolves with the new outgoing card's id (data-call) once
 * it is on show. `content` and `channelId` are optional.
 */
export async function placeCall(page, callee, { content = '', channelId = '' } = {}, who = 'caller') {
  const before = await page.evaluate(() => Math.max(0, ...[...document.querySelectorAll('[data-testid="calls"] li[data-testid="call"]')].map((li) => Number(li.dataset.call))));
  await page.fill('[data-testid="call-callee"]', callee);
  await page.fill('[data-testid="call-content"]', content);
  await page.fill('[data-testid="call-channel"]', channelId);
  await page.click('[data-testid="call"]');
  let id = null;
  await expectCalls(page, who, `no outgoing call card for ${callee} after clicking Call`, async () => {
    const handle = await page.waitForFunction(({ before, callee }) => {
      const li = [...document.querySelectorAll('[data-testid="calls"] li[data-testid="call"]')]
        .find((el) => Number(el.dataset.call) > before && el.dataset.direction === 'outgoing' && el.dataset.peer === callee);
      return li ? li.dataset.call : null;
    }, { before, callee }, { timeout: STEP_MS });
    id = await handle.jsonValue();
  });
  return id;
}

/** Waits for a ringing incoming card from `caller` with `content`; resolves with its id. */
export async function expectRinging(page, caller, content, who, timeout = STEP_MS) {
  let id = null;
  await expectCalls(page, who, `no ringing call from ${caller} with content ${JSON.stringify(content)}`, async () => {
    const handle = await page.waitForFunction(({ caller, content }) => {
      const li = [...document.querySelectorAll('[data-testid="calls"] li[data-testid="call"]')].find((el) =>
        el.dataset.direction === 'incoming' && el.dataset.peer === caller && el.dataset.state === 'INVITATION_RECEIVED'
        && el.querySelector('[data-testid="call-content-text"]').textContent === content);
      return li ? li.dataset.call : null;
    }, { caller, content }, { timeout });
    id = await handle.jsonValue();
  });
  return id;
}

export const callCard = (id) => `${CALLS}[data-call="${id}"]`;

/** Waits until card `id` shows state `state` (and, for FAILURE, `reason`). */
export async function expectCallState(page, id, state, who, { reason, timeout = STEP_MS } = {}) {
  await expectCalls(page, who, `call #${id} is not shown ${state}${reason ? `(${reason})` : ''}`, () =>
    page.waitForFunction(({ sel, state, reason }) => {
      const li = document.querySelector(sel);
      return li && li.dataset.state === state && li.querySelector('[data-testid="call-state"]').textContent.startsWith(state)
        && (!reason || li.dataset.reason === reason);
    }, { sel: callCard(id), state, reason }, { timeout }));
}

/** Answers ringing card `id`: types `response`, then clicks Accept (accept true) or Decline. */
export async function answerCall(page, id, accept, response = '') {
  await page.fill(`${callCard(id)} [data-testid="call-response-input"]`, response);
  await page.click(`${callCard(id)} [data-testid="call-${accept ? 'accept' : 'decline'}"]`);
}

/** The events card `id` lists, without their times: e.g. ['send()', 'LocalInvitationAccepted("ok")']. */
export async function callEvents(page, id) {
  return page.evaluate((sel) => [...document.querySelectorAll(`${sel} [data-testid="call-events"] li`)]
    .map((li) => li.textContent.replace(/^\d\d:\d\d:\d\d /, '')), callCard(id));
}
