// The demo's live attributes: a user's status (user attribute `status`, set with
// addOrUpdateLocalUserAttributes, read by contacts with getUserAttributes) and a channel's topic
// (channel attribute `topic`, read with getChannelAttributes after the join and kept live by
// AttributesUpdated).

import {
  STEP_MS, addContact, errorText, expectContactState, expectContactStatus, expectShown, expectTopic, join, login, logout,
  openDemo, randomUid, setStatus, setTopic, topicShown,
} from './helpers.mjs';

// The contacts panel re-reads statuses every 3 s: a change shows within a few seconds.
const LIVE_MS = 6_000;
// The panel's share of the SDK's user-attribute read limit (40 per 5 s per client).
const READ_LIMIT = 20;

async function expectNoError(page, who, when) {
  if (await page.isVisible('[data-testid="error"]')) throw new Error(`${who}: error shown ${when}: ${await errorText(page)}`);
}

/** Waits for an error in the banner and checks it reads "code name: message"; returns it. */
async function expectCodedError(page, who, what) {
  await expectShown(page, who, `no error shown for ${what}`, () => errorText(page), () =>
    page.waitForSelector('[data-testid="error"]:not([hidden])', { timeout: STEP_MS }));
  const text = await errorText(page);
  if (!/^\d+ \w+: \S/.test(text)) throw new Error(`${who}: error for ${what} not shown as "code name: message": ${JSON.stringify(text)}`);
  await page.click('#error-dismiss');
  return text;
}

/** Counts the page's getUserAttributes calls from now on (read back with readTimes()). */
async function countReads(page) {
  await page.evaluate(() => {
    const client = window.demo.client;
    const read = client.getUserAttributes;
    window.__reads = [];
    client.getUserAttributes = function (...args) {
      window.__reads.push(Date.now());
      return read.apply(this, args);
    };
  });
}

/** The most reads counted in any 5 s window, and how many in all. */
async function readTimes(page) {
  const times = await page.evaluate(() => window.__reads);
  let most = 0;
  for (let i = 0; i < times.length; i++) most = Math.max(most, times.filter((t) => t >= times[i] && t - times[i] < 5_000).length);
  return { most, total: times.length };
}

export async function contactStatusUpdatesLive({ browser, baseUrl }) {
  const [a, b] = await Promise.all([0, 1].map(() => openDemo(browser, baseUrl)));
  const uidA = randomUid('alice');
  const uidB = randomUid('bob');

  if (!(await a.isDisabled('[data-testid="status-set"]'))) throw new Error('A: status Set button enabled before login');
  await login(a, uidA, 'A');
  await login(b, uidB, 'B');
  await countReads(b);

  // B has A as a contact: online, no status yet (on both sides).
  await expectShown(a, 'A', 'own status not shown as none after login', () => a.textContent('[data-testid="status-current"]'), () =>
    a.waitForSelector('[data-testid="status-current"][data-known="true"][data-status=""]', { timeout: STEP_MS }));
  await addContact(b, uidA, 'B');
  await expectContactState(b, uidA, 'ONLINE', 'B');
  await expectContactStatus(b, uidA, null, 'B');

  // A sets its status: B shows it within a few seconds (the periodic re-read); twice.
  const started = Date.now();
  const first = `in a meeting ✓ ${randomUid('s')}`;
  await setStatus(a, first, 'A');
  await expectContactStatus(b, uidA, first, 'B after A set its status', LIVE_MS);
  const firstMs = Date.now() - started;
  const second = `back at ${Date.now()}`;
  const changed = Date.now();
  await setStatus(a, second, 'A again');
  await expectContactStatus(b, uidA, second, 'B after A changed its status', LIVE_MS);
  const secondMs = Date.now() - changed;

  // A clears it: "no status".
  await a.click('[data-testid="status-clear"]');
  await expectShown(a, 'A', 'own status not shown as none after Clear', () => a.textContent('[data-testid="status-current"]'), () =>
    a.waitForSelector('[data-testid="status-current"][data-known="true"][data-status=""]', { timeout: STEP_MS }));
  await expectContactStatus(b, uidA, null, 'B after A cleared its status', LIVE_MS);

  // A status over 8 KB is refused (code name: message) and changes nothing.
  await setStatus(a, 'away', 'A');
  await a.fill('[data-testid="status-input"]', 'x'.repeat(9_000));
  await a.click('[data-testid="status-set"]');
  const error = await expectCodedError(a, 'A', 'a 9000-byte status');
  if ((await a.getAttribute('[data-testid="status-current"]', 'data-status')) !== 'away') {
    throw new Error(`A: own status changed after a refused write: ${await a.textContent('[data-testid="status-current"]')}`);
  }
  await expectContactStatus(b, uidA, 'away', 'B after A\'s refused write', LIVE_MS);

  // A logs out: the server clears its attributes; B shows it offline without a status. Back in,
  // A starts without one.
  await logout(a, 'A');
  await expectContactState(b, uidA, 'OFFLINE', 'B after A logged out');
  await expectContactStatus(b, uidA, null, 'B after A logged out');
  await login(a, uidA, 'A again');
  await expectContactState(b, uidA, 'ONLINE', 'B after A logged in again');
  await expectContactStatus(b, uidA, null, 'B after A logged in again');
  await expectShown(a, 'A', 'own status not shown as none after logging in again', () => a.textContent('[data-testid="status-current"]'), () =>
    a.waitForSelector('[data-testid="status-current"][data-known="true"][data-status=""]', { timeout: STEP_MS }));

  // B stayed well inside the read limit.
  const reads = await readTimes(b);
  if (reads.most > READ_LIMIT) throw new Error(`B: ${reads.most} getUserAttributes calls within 5 s (at most ${READ_LIMIT} wanted)`);
  for (const [page, who] of [[a, 'A'], [b, 'B']]) await expectNoError(page, who, 'at the end');
  return `status shown to the contact after ${firstMs} ms and ${secondMs} ms; ${reads.total} reads, at most ${reads.most} per 5 s; size error: ${error}`;
}

export async function channelTopicShowsSetter({ browser, baseUrl }) {
  const [a, b, c] = await Promise.all([0, 1, 2].map(() => openDemo(browser, baseUrl)));
  const uidA = randomUid('alice');
  const uidB = randomUid('bob');
  const uidC = randomUid('carol');
  const channelId = randomUid('room');

  const idle = await topicShown(a);
  if (idle.state !== 'idle') throw new Error(`A: topic line not idle before joining: ${JSON.stringify(idle)}`);
  if (!(await a.isDisabled('[data-testid="topic-set"]'))) throw new Error('A: Set topic button enabled outside a channel');

  await login(a, uidA, 'A');
  await login(b, uidB, 'B');
  await login(c, uidC, 'C');
  await join(a, channelId, 'A');
  await join(b, channelId, 'B');
  for (const [page, who] of [[a, 'A'], [b, 'B']]) await expectTopic(page, null, '', who);

  // A sets the topic: both tabs show it, set by A, at about now; B's log says so.
  const topic = `Planning ✓ ${randomUid('t')}`;
  const before = Date.now();
  await setTopic(a, topic, 'A');
  for (const [page, who] of [[b, 'B'], [a, 'A']]) await expectTopic(page, topic, uidA, `${who} after A set the topic`);
  const ts = Number((await topicShown(b)).ts);
  if (!(ts > before - 60_000 && ts < Date.now() + 60_000)) throw new Error(`B: the topic's lastUpdateTs ${ts} is not about now (${before})`);
  const line = `${uidA} set the topic: ${topic}`;
  await expectShown(b, 'B', `no "${line}" line in the channel log`, () => b.textContent('[data-testid="channel-log"]'), () =>
    b.waitForFunction((line) => [...document.querySelectorAll('[data-testid="channel-log"] [data-testid="log-system"]')]
      .some((li) => li.textContent.endsWith(line)), line, { timeout: STEP_MS }));

  // B changes it: A shows B as the setter.
  const next = `Retro ${Date.now()}`;
  await setTopic(b, next, 'B');
  for (const [page, who] of [[a, 'A'], [b, 'B']]) await expectTopic(page, next, uidB, `${who} after B changed the topic`);

  // C joins later: the topic is read on join (getChannelAttributes).
  await join(c, channelId, 'C');
  await expectTopic(c, next, uidB, 'C after joining');

  // A topic over 8 KB is refused (code name: message) and changes nothing.
  await c.fill('[data-testid="topic-input"]', 'y'.repeat(9_000));
  await c.click('[data-testid="topic-set"]');
  const error = await expectCodedError(c, 'C', 'a 9000-byte topic');
  await expectTopic(c, next, uidB, 'C after a refused topic');

  // An empty topic clears it, for everyone.
  await setTopic(a, '', 'A');
  for (const [page, who] of [[a, 'A'], [b, 'B'], [c, 'C']]) await expectTopic(page, null, '', `${who} after A cleared the topic`);

  // Leaving empties the topic line.
  await c.click('[data-testid="leave"]');
  await expectShown(c, 'C', 'topic line not idle after leaving', () => topicShown(c), () =>
    c.waitForSelector('[data-testid="topic"][data-state="idle"]', { timeout: STEP_MS }));
  for (const [page, who] of [[a, 'A'], [b, 'B'], [c, 'C']]) await expectNoError(page, who, 'at the end');
  return `size error: ${error}`;
}
