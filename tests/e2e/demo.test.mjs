// The demo app (www/) in two browser contexts: log in, chat peer to peer, log out.

const STEP_MS = 10_000;

const randomUid = (prefix) => `${prefix}-${Math.random().toString(36).slice(2, 10)}`;

/** Opens the demo in a fresh browser context and waits until it has loaded the SDK. */
async function openDemo(browser, baseUrl) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${baseUrl}/`);
  await page.waitForSelector('body[data-sdk="ready"], body[data-sdk="missing"]', { timeout: STEP_MS });
  if ((await page.getAttribute('body', 'data-sdk')) !== 'ready') {
    throw new Error(`demo could not load the SDK: ${await errorText(page)}`);
  }
  return page;
}

async function errorText(page) {
  return (await page.isVisible('[data-testid="error"]'))
    ? (await page.textContent('[data-testid="error-text"]')).trim()
    : '(no error shown)';
}

/** Waits for the connection badge to show `state`; on timeout says what it shows instead. */
async function waitForState(page, state, who) {
  try {
    await page.waitForSelector(`[data-testid="connection"][data-state="${state}"]`, { timeout: STEP_MS });
  } catch {
    const shown = await page.textContent('[data-testid="connection"]');
    throw new Error(`${who}: expected state ${state}, the page shows "${shown.trim().replace(/\s+/g, ' ')}"; error banner: ${await errorText(page)}`);
  }
  return (await page.textContent('[data-testid="conn-reason"]')).trim();
}

async function login(page, uid, who) {
  await page.fill('[data-testid="uid"]', uid);
  await page.click('[data-testid="login"]');
  const reason = await waitForState(page, 'CONNECTED', who);
  if (reason !== 'LOGIN_SUCCESS') throw new Error(`${who}: CONNECTED with reason "${reason}", expected LOGIN_SUCCESS`);
  if (await page.isVisible('[data-testid="error"]')) throw new Error(`${who}: error shown after login: ${await errorText(page)}`);
}

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
  const received = `[data-testid="log-entry"][data-direction="received"][data-peer="${uidA}"]`;
  try {
    await b.waitForSelector(received, { timeout: STEP_MS });
  } catch {
    throw new Error(`B's log has no message from ${uidA}; B's log: ${JSON.stringify(await b.textContent('[data-testid="peer-log"]'))}; error banner: ${await errorText(b)}`);
  }
  const got = await b.textContent(`${received} [data-testid="entry-text"]`);
  if (got !== text) throw new Error(`B got ${JSON.stringify(got)}, A sent ${JSON.stringify(text)}`);

  // A sees that the peer received it.
  const sent = `[data-testid="log-entry"][data-direction="sent"][data-peer="${uidB}"]`;
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
  await a.click('[data-testid="logout"]');
  const reason = await waitForState(a, 'DISCONNECTED', 'A after logout');
  if (reason !== 'LOGOUT') throw new Error(`A: DISCONNECTED with reason "${reason}", expected LOGOUT`);
  if (await a.isVisible('[data-testid="error"]')) throw new Error(`A: error shown after logout: ${await errorText(a)}`);
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
