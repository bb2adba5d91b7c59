// The demo's contacts panel: online-status subscriptions shown as live dots
// (subscribePeersOnlineStatus, PeersOnlineStatusChanged, unsubscribePeersOnlineStatus).

import {
  CONTACTS, STEP_MS, addContact, errorText, expectContacts, expectContactState as expectState, expectListed, login, logout, openDemo,
  randomUid, requireControl,
} from './helpers.mjs';

async function expectNoError(page, who, when) {
  if (await page.isVisible('[data-testid="error"]')) throw new Error(`${who}: error shown ${when}: ${await errorText(page)}`);
}

export async function contactDotsFollowPeers({ browser, baseUrl }) {
  const [a, b, c] = await Promise.all([0, 1, 2].map(() => openDemo(browser, baseUrl)));
  const uidA = randomUid('alice');
  const uidB = randomUid('bob');
  const uidC = randomUid('carol');

  if (!(await a.isDisabled('[data-testid="contact-add"]'))) throw new Error('A: add-contact button enabled before login');
  await login(a, uidA, 'A');
  await login(b, uidB, 'B');

  // A adds B (online) and C (not logged in): B's dot ONLINE, C's OFFLINE, in the order added.
  await addContact(a, uidB, 'A');
  await addContact(a, uidC, 'A');
  await expectState(a, uidB, 'ONLINE', 'A');
  await expectState(a, uidC, 'OFFLINE', 'A');
  await expectListed(a, [uidB, uidC], 'A');
  await expectNoError(a, 'A', 'after adding contacts');

  // Clicking a contact makes it the peer of the peer-message panel.
  await a.click(`${CONTACTS}[data-contact="${uidB}"] [data-testid="contact-pick"]`);
  if ((await a.inputValue('[data-testid="peer-id"]')) !== uidB) throw new Error(`A: clicking ${uidB} did not fill the peer field`);

  // C logs in: ONLINE. B logs out: OFFLINE.
  await login(c, uidC, 'C');
  await expectState(a, uidC, 'ONLINE', 'A after C logged in');
  await logout(b, 'B');
  await expectState(a, uidB, 'OFFLINE', 'A after B logged out');
  await expectState(a, uidC, 'ONLINE', 'A after B logged out');

  // The one-off query agrees (queryPeersOnlineStatus, queryPeersBySubscriptionOption).
  await a.click('[data-testid="contacts-check"]');
  const check = `${uidB} offline, ${uidC} online · subscribed: `;
  await expectContacts(a, 'A', `the check result does not say "${check}…"`, () =>
    a.waitForFunction((check) => document.querySelector('[data-testid="contacts-check-result"]').textContent.includes(check), check, { timeout: STEP_MS }));
  const subscribed = (await a.textContent('[data-testid="contacts-check-result"]')).split('subscribed: ')[1].split(', ').sort();
  if (JSON.stringify(subscribed) !== JSON.stringify([uidB, uidC].sort())) {
    throw new Error(`A: queryPeersBySubscriptionOption says ${JSON.stringify(subscribed)}, expected ${uidB} and ${uidC}`);
  }

  // A removes C: gone from the list; B stays.
  await a.click(`${CONTACTS}[data-contact="${uidC}"] [data-testid="contact-remove"]`);
  await expectListed(a, [uidB], 'A after removing C');
  // Unsubscribed: C's changes no longer reach A's client (C logs out; then B, still subscribed,
  // logs in again: once A has B's change, it would have had C's).
  await a.evaluate(() => {
    window.__presence = [];
    window.demo.client.on('PeersOnlineStatusChanged', (status) => window.__presence.push(status));
  });
  await logout(c, 'C');
  await login(b, uidB, 'B again');
  await expectState(a, uidB, 'ONLINE', 'A after B logged in again');
  await expectListed(a, [uidB], 'A after C logged out');
  const events = await a.evaluate(() => window.__presence);
  if (events.some((status) => uidC in status)) {
    throw new Error(`A's client still got PeersOnlineStatusChanged for ${uidC} after unsubscribing: ${JSON.stringify(events)}`);
  }

  // A logs out: the list is emptied (subscriptions end with the session).
  await logout(a, 'A');
  await expectListed(a, [], 'A after logout');
  if (!(await a.isDisabled('[data-testid="contact-add"]'))) throw new Error('A: add-contact button enabled after logout');
  for (const [page, who] of [[a, 'A'], [b, 'B'], [c, 'C']]) await expectNoError(page, who, 'at the end');
}

// A tab that goes away without logging out: its peer's dot turns UNREACHABLE (amber) while the
// server keeps the session for its grace period, then OFFLINE. Needs the harness for the grace.
export async function closedTabIsUnreachableThenOffline({ browser, baseUrl, control }) {
  requireControl(control, 'presence.closedTabIsUnreachableThenOffline (it reads the server\'s grace period)');
  const { graceSecs } = await (await fetch(`${control}/config`)).json();
  if (typeof graceSecs !== 'number') throw new Error(`the harness's server has no grace period (graceSecs ${graceSecs})`);
  const [a, b] = await Promise.all([0, 1].map(() => openDemo(browser, baseUrl)));
  const uidA = randomUid('alice');
  const uidB = randomUid('bob');
  await login(a, uidA, 'A');
  await login(b, uidB, 'B');
  await addContact(a, uidB, 'A');
  await expectState(a, uidB, 'ONLINE', 'A');

  await b.context().close(); // B's link drops without a logout
  await expectState(a, uidB, 'UNREACHABLE', 'A after B\'s tab closed');
  await expectState(a, uidB, 'OFFLINE', `A ${graceSecs} s after B's tab closed`, graceSecs * 1000 + STEP_MS);
  await expectNoError(a, 'A', 'at the end');
}
closedTabIsUnreachableThenOffline.timeoutMs = 60_000;
