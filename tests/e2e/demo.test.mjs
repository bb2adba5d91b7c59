// The demo app (www/) in two browser contexts: log in, chat peer to peer, log out.

import { STEP_MS, errorText, login, logout, openDemo, randomUid, waitForState } from './helpers.mjs';

export async function twoTabsChatPeerToPeer({ browser, baseUrl }) {
  const a = await openDemo(browser, baseUrl);
  const b = await openDemo(browser, baseUrl);
  const uidA = randomUid('alice');
  const uidB = randomUid('bob');

  if ((await a.inputValue('[data-testid="app-id"]')) !== 'demo-app') throw new Error('app id field does not default to demo-app');
  await login(a, uidA, 'A');
  await login(b, uidB, 'B');

  const text = `hello from ${uidA} ✓ ${Date.now()}`;
  await a.fill('[data-testid="peer-id"]', uidB);
  await a.fill('[data-testid="message"]', text);
  await a.click('[data-testid="send"]');

  // B sees it, attributed to A.
  const received = `[data-testid="peer-log"] [data-testid="log-entry"][data-direction="received"][data-peer="${uidA}"]`;
  try {
    await b.waitForSelector(received, { timeout: STEP_MS });
  } catch {
    throw new Error(`B's log has no message from ${uidA}; B's log: ${JSON.stringify(await b.textContent('[data-testid="peer-log"]'))}; error banner: ${await errorText(b)}`);
  }
  const got = await b.textContent(`${received} [data-testid="entry-text"]`);
  if (got !== text) throw new Error(`B got ${JSON.stringify(got)}, A sent ${JSON.stringify(text)}`);

  // A sees that the peer received it.
  const sent = `[data-testid="peer-log"] [data-testid="log-entry"][data-direction="sent"][data-peer="${uidB}"]`;
  try {
    await a.waitForSelector(`${sent}:not([data-status="sending"])`, { timeout: STEP_MS });
  } catch {
    throw new Error(`A's message is still "sending"; error banner: ${await errorText(a)}`);
  }
  const status = await a.getAttribute(sent, 'data-status');
  if (status !== 'received') {
    throw new Error(`A's message status is "${status}" (${await a.textContent(`${sent} [data-testid="entry-status"]`)}), expected received`);
  }
  if ((await a.textContent(`${sent} [data-testid="entry-text"]`)) !== text) throw new Error("A's log shows a different text");

  // A logs out.
  await logout(a, 'A');
  if (await a.isDisabled('[data-testid="login"]')) throw new Error('A: login button still disabled after logout');
  if (!(await a.isDisabled('[data-testid="send"]'))) throw new Error('A: send button enabled while logged out');

  // B is unaffected.
  await waitForState(b, 'CONNECTED', 'B after A logged out');
}

export async function loginErrorShownAsCodeNameMessage({ browser, baseUrl }) {
  const page = await openDemo(browser, baseUrl);
  await page.fill('[data-testid="uid"]', 'bad/uid'); // "/" is not in the uid charset
  await page.click('[data-testid="login"]');
  try {
    await page.waitForSelector('[data-testid="error"]:not([hidden])', { timeout: STEP_MS });
  } catch {
    const shown = (await page.textContent('[data-testid="connection"]')).trim().replace(/\s+/g, ' ');
    throw new Error(`login with uid "bad/uid" showed no error (state: ${shown})`);
  }
  const text = await errorText(page);
  if (!/^\d+ \w+: \S/.test(text)) throw new Error(`error not shown as "code name: message": ${JSON.stringify(text)}`);
  const state = await page.getAttribute('[data-testid="connection"]', 'data-state');
  if (state !== 'DISCONNECTED') throw new Error(`state after a rejected login is ${state}, expected DISCONNECTED`);
  if (await page.isDisabled('[data-testid="login"]')) throw new Error('login button disabled after a rejected login');
}
