// cdp-page.mjs — a benchmark page that playwright does not instrument, driven over raw CDP.
// Why: a playwright Page enables CDP's Network domain, which copies every WebSocket frame into a
// Network.webSocketFrameReceived event (renderer → browser → this process). With thousands of
// small frames that copying dominated: the plain page drained ~4,000 msg/s under playwright and
// ~10,000 msg/s without, with the browser process busy as long as the renderer. So the page is
// opened in a browser context that playwright does not know (Target.createBrowserContext through
// playwright's browser CDP session: playwright's auto-attach sees an unknown context and
// detaches), and driven through that same session with Target.sendMessageToTarget: Runtime (to
// evaluate and to hear page errors) and Performance (the TaskDuration metric) only.
// Playwright still launches, owns and closes the browser.

/** Opens `url` in a fresh, uninstrumented context: { evaluate(fn, arg), taskMs(), errors, close() }. */
export async function openBarePage(browser, url, { timeoutMs = 15_000 } = {}) {
  const cdp = await browser.newBrowserCDPSession();
  const { browserContextId } = await cdp.send('Target.createBrowserContext', { disposeOnDetach: true });
  const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank', browserContextId });
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: false });

  let lastId = 0;
  const pending = new Map();
  const errors = [];
  cdp.on('Target.receivedMessageFromTarget', (event) => {
    if (event.sessionId !== sessionId) return;
    const msg = JSON.parse(event.message);
    if (msg.id !== undefined) {
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
      else p.resolve(msg.result);
    } else if (msg.method === 'Runtime.exceptionThrown') {
      const d = msg.params.exceptionDetails;
      errors.push(`exception: ${d.exception?.description ?? d.text}`);
    } else if (msg.method === 'Runtime.consoleAPICalled' && ['error', 'warning'].includes(msg.params.type)) {
      errors.push(`console.${msg.params.type}: ${msg.params.args.map((a) => a.value ?? a.description).join(' ')}`);
    }
  });
  const send = (method, params = {}) => new Promise((resolve, reject) => {
    const id = ++lastId;
    pending.set(id, { resolve, reject, method });
    cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) })
      .catch((err) => {
        pending.delete(id);
        reject(err);
      });
  });

  /** Runs fn(arg) in the page (awaiting a returned promise); resolves with its JSON value. */
  async function evaluate(fn, arg) {
    const r = await send('Runtime.evaluate', {
      expression: `(${fn})(${JSON.stringify(arg ?? null)})`, awaitPromise: true, returnByValue: true,
    });
    if (r.exceptionDetails) {
      const d = r.exceptionDetails;
      throw new Error(`in the page: ${d.exception?.description?.split('\n')[0] ?? d.text}`);
    }
    return r.result.value;
  }

  await send('Runtime.enable');
  await send('Performance.enable');
  await send('Page.navigate', { url });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = await evaluate(() => document.body?.dataset.ready === 'yes' && typeof window.bench?.setup === 'function')
      .catch(() => false); // the context may be replaced while navigating
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`${url} did not load within ${timeoutMs} ms; ${errors.join(' | ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    evaluate,
    errors,
    /** The renderer main thread's busy time so far (CDP Performance TaskDuration), in ms. */
    async taskMs() {
      const { metrics } = await send('Performance.getMetrics');
      return metrics.find((m) => m.name === 'TaskDuration').value * 1000;
    },
    async close() {
      await cdp.send('Target.closeTarget', { targetId }).catch(() => {});
      await cdp.send('Target.disposeBrowserContext', { browserContextId }).catch(() => {});
      await cdp.detach().catch(() => {});
    },
  };
}
