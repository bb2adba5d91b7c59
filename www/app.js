// rtm-wasm demo: loads the SDK from ./pkg and mounts the panels.
// Each panel is a module under panels/ that takes the shared context (lib/context.js).

import { createContext } from './lib/context.js';
import { showError, wireErrorBanner } from './lib/ui.js';
import { mountSession } from './panels/session.js';
import { mountPeerChat } from './panels/peer-chat.js';
import { mountChannel } from './panels/channel.js';
import { mountContacts } from './panels/contacts.js';
import { mountStatus } from './panels/status.js';
import { mountCalls } from './panels/calls.js';

async function main() {
  wireErrorBanner();
  let AgoraRTM;
  try {
    ({ default: AgoraRTM } = await import('./pkg/index.js'));
  } catch (err) {
    document.body.dataset.sdk = 'missing';
    document.getElementById('sdk-version').textContent = 'SDK not loaded';
    showError(`The SDK could not be loaded from ./pkg/index.js (is it built?): ${err.message}`);
    return;
  }
  const ctx = createContext(AgoraRTM);
  mountSession(ctx);
  mountPeerChat(ctx);
  mountChannel(ctx);
  mountContacts(ctx);
  mountStatus(ctx);
  mountCalls(ctx);
  window.demo = ctx; // handy in the devtools console
  document.body.dataset.sdk = 'ready';
}

main();
