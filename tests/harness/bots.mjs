// tests/harness/bots.mjs — native rtm-client bots (client/examples/echo_bot.rs) that the browser
// suites talk to: `POST /bot` on the control API starts one against the harness's server.
//
// Why: a browser user and a native bot must understand each other (the same protocol, two
// implementations). A bot is a child process like the server: started until it prints its ready
// line, logged to .test-out/bots.log, stopped with the harness, and bounded in time by itself
// (--exit-after) so that none outlives a run.

import path from 'node:path';
import { HttpError, json } from './api.mjs';
import { Supervised } from './supervised.mjs';

const READY = /echo_bot ready: /;
const START_TIMEOUT_MS = 15_000;
const LIFETIME_SECS = 180;

/**
 * The `POST /bot?app=A&uid=U&channel=C` route: starts an echo bot logged in to `serverUrl()` as
 * uid U of app A, in channel C; 200 JSON {uid, channel, pid} once it is ready. `bots` collects
 * them so that the harness stops them at its end.
 */
export function botRoute({ root, out, serverUrl, bots }) {
  const bin = path.resolve(root, process.env.RTM_ECHO_BOT_BIN || 'target/debug/examples/echo_bot');
  return async (q) => {
    const [app, uid, channel] = ['app', 'uid', 'channel'].map((k) => q.get(k));
    if (!app || !uid || !channel) throw new HttpError(400, 'app, uid and channel are required');
    const bot = new Supervised({ name: `echo_bot ${uid}`, log: path.join(out, 'bots.log'), stopTimeoutMs: 5_000 });
    bots.push(bot);
    const args = ['--url', serverUrl(), '--app', app, '--uid', uid, '--channel', channel,
      '--exit-after', String(LIFETIME_SECS)];
    try {
      await bot.spawnUntilReady(bin, args, { ready: READY, timeoutMs: START_TIMEOUT_MS });
    } catch (err) {
      throw new HttpError(500, `${bin} did not start (build it: cargo build -p rtm-client --examples): ${err.message}`);
    }
    return json({ uid, channel, pid: bot.child.pid });
  };
}
