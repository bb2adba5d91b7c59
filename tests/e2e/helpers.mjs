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
export async function waitForState(page, state, who) {
  try {
    await page.waitForSelector(`[data-testid="connection"][data-state="${state}"]`, { timeout: STEP_MS });
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
