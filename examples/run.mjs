#!/usr/bin/env node
// The example apps, end to end (run by scripts/test-examples.sh, which builds rtm-server first):
//   pack      `npm pack` of pkg/: the published files, nothing else; unpacked into
//             .test-out/examples/package, the copy every example then uses (as after
//             `npm install rtm-wasm`: a real directory in node_modules, not a symlink)
//   require   node: require() of the package (CommonJS/UMD build) gives the AgoraRTM object
//   <example> for vite-ts, webpack (5), webpack4 (imports 'agora-rtm-sdk', aliased):
//             `npm install` when node_modules is missing or older than package.json /
//             package-lock.json, the packed package copied over the file: dependency,
//             `npm run build`, then the built dist/ served by an rtm-server (--www) and loaded
//             in headless Chromium: the page logs two clients in, sends a peer message, and
//             writes PASS or FAIL into #result
//   plain     examples/plain/index.html: <script type="module"> importing ./pkg/index.js
//   classic   examples/plain/classic.html: a classic <script src="pkg/index.cjs"> (global AgoraRTM)
//   vite-dev  the vite-ts app on Vite's dev server (dependency pre-bundling), against rtm-server
// Prints one line per check and last `examples: N passed, M failed`; exits 1 on any failure.
// Logs: .test-out/examples/*.log.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const out = join(root, '.test-out', 'examples');
const require = createRequire(join(root, 'package.json'));
const { chromium } = require('playwright-core');

const BUNDLED = ['vite-ts', 'webpack', 'webpack4'];
const only = process.argv.slice(2); // optional: names of checks to run (e.g. webpack4 plain)
const wanted = (name) => only.length === 0 || only.includes(name);

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

let passed = 0;
let failed = 0;
const check = (name, ok, detail) => {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
};

// run(cmd, args, {cwd, timeout, log, env}) -> {ok, detail}; output goes to .test-out/examples/<log>.log
function run(cmd, args, { cwd = root, timeout = 300, log, env } = {}) {
  const r = spawnSync(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: timeout * 1000,
    maxBuffer: 64 << 20,
  });
  const text = `$ ${cmd} ${args.join(' ')}  (in ${cwd})\n${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (log) writeFileSync(join(out, `${log}.log`), text, { flag: 'a' });
  if (r.error) return { ok: false, detail: `${cmd}: ${r.error.code === 'ETIMEDOUT' ? `timed out after ${timeout} s` : r.error.message}`, text };
  if (r.status !== 0) {
    const tail = text.trim().split('\n').slice(-4).join(' | ');
    return { ok: false, detail: `${cmd} ${args.join(' ')} exited ${r.status}: ${tail}`, text };
  }
  return { ok: true, text, stdout: r.stdout };
}

const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);

// ---- pack ---------------------------------------------------------------------------------------
const pkgDir = join(root, 'pkg');
const packed = join(out, 'package');
let packOk = false;
{
  const r = run('npm', ['pack', '--json', '--pack-destination', out], { cwd: pkgDir, log: 'pack', timeout: 120 });
  if (!r.ok) {
    check('pack', false, r.detail);
  } else {
    const info = JSON.parse(r.stdout)[0];
    const files = info.files.map((f) => f.path).sort();
    const expected = ['README.md', 'index.cjs', 'index.d.cts', 'index.d.ts', 'index.js', 'package.json', 'rtm_types.d.cts',
      'rtm_types.d.ts'];
    const t = run('tar', ['-xzf', join(out, info.filename), '-C', out], { log: 'pack' });
    packOk = t.ok && JSON.stringify(files) === JSON.stringify(expected);
    check('pack', packOk, `${info.filename}: ${files.join(' ')} (${info.size} B packed, ${info.unpackedSize} B unpacked)` +
      (packOk ? '' : `; expected ${expected.join(' ')}${t.ok ? '' : `; ${t.detail}`}`));
  }
}
if (!packOk) {
  console.log(`examples: ${passed} passed, ${failed + 1} failed`);
  process.exit(1);
}

// ---- require (CommonJS) -------------------------------------------------------------------------
if (wanted('require')) {
  const r = run(process.execPath, ['-e', `
    const AgoraRTM = require(${JSON.stringify(packed)});
    const c = AgoraRTM.createInstance('examples');
    if (typeof c.login !== 'function' || AgoraRTM.ConnectionState.CONNECTED !== 'CONNECTED') process.exit(1);
    console.log('AgoraRTM ' + AgoraRTM.VERSION + ': createInstance ok');
  `], { log: 'require', timeout: 60 });
  check('require', r.ok, r.ok ? r.text.trim().split('\n').pop() : r.detail);
}

// ---- types under Node's resolution (exports + types conditions, ESM and CommonJS) --------------
if (wanted('types-node16')) {
  const dir = join(out, 'types-node16');
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  cpSync(packed, join(dir, 'node_modules', 'rtm-wasm'), { recursive: true });
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      module: 'node16', moduleResolution: 'node16', target: 'es2022', strict: true, noEmit: true,
      skipLibCheck: false, lib: ['es2022', 'dom'], types: [],
    },
    files: ['esm.mts', 'cjs.cts'],
  }));
  writeFileSync(join(dir, 'esm.mts'), `import AgoraRTM, { createInstance, type RtmClient, type RtmStatusCode } from 'rtm-wasm';
const client: RtmClient = AgoraRTM.createInstance('app');
const other: RtmClient = createInstance('app');
client.on('MessageFromPeer', (message, peerId, props) => {
  const kind: 'TEXT' | 'RAW' = message.messageType;
  const offline: boolean = props.isOfflineMessage;
  console.log(kind, peerId, offline);
});
const s: RtmStatusCode.ConnectionState = AgoraRTM.ConnectionState.CONNECTED;
// @ts-expect-error: wrong listener
client.on('ConnectionStateChanged', (state: number) => {});
export { other, s };
`);
  writeFileSync(join(dir, 'cjs.cts'), `import AgoraRTM = require('rtm-wasm');
const client: AgoraRTM.RtmClient = AgoraRTM.createInstance('app');
client.on('MemberJoined' as never, () => {});
const channel: AgoraRTM.RtmChannel = client.createChannel('lobby');
channel.on('MemberCountUpdated', (count) => console.log(count.toFixed(0)));
const state: AgoraRTM.RtmStatusCode.ConnectionState = AgoraRTM.ConnectionState.CONNECTED;
const onJoin: AgoraRTM.RtmEvents.RtmChannelEvents['MemberJoined'] = (id) => console.log(id, state);
channel.on('MemberJoined', onJoin);
// @ts-expect-error: wrong listener
channel.on('MemberCountUpdated', (count: string) => {});
export = channel;
`);
  const r = run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', dir], { log: 'types-node16', timeout: 120 });
  check('types-node16', r.ok, r.ok ? 'import (index.d.ts) and require (index.d.cts) type-check under moduleResolution node16' : r.detail);
}

// ---- install and build the bundler examples ---------------------------------------------------
const built = {};
for (const name of BUNDLED) {
  if (!wanted(name) && !(name === 'vite-ts' && wanted('vite-dev'))) continue;
  const dir = join(here, name);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const dep = Object.keys(manifest.dependencies).find((d) => manifest.dependencies[d] === 'file:../../pkg');
  const stamp = join(dir, 'node_modules', '.package-lock.json'); // written by npm at each install
  const stale = !existsSync(stamp) ||
    mtime(stamp) < Math.max(mtime(join(dir, 'package.json')), mtime(join(dir, 'package-lock.json')));
  let step = { ok: true };
  const t0 = Date.now();
  if (stale) step = run('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir, log: name, timeout: 600 });
  if (step.ok) {
    // The packed package, as a registry install would leave it.
    const target = join(dir, 'node_modules', dep);
    rmSync(target, { recursive: true, force: true });
    cpSync(packed, target, { recursive: true });
    rmSync(join(dir, 'node_modules', '.vite'), { recursive: true, force: true });
    rmSync(join(dir, 'dist'), { recursive: true, force: true });
    step = run('npm', ['run', 'build'], { cwd: dir, log: name, timeout: 300 });
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (step.ok && !existsSync(join(dir, 'dist', 'index.html'))) step = { ok: false, detail: 'no dist/index.html' };
  check(`${name} build`, step.ok, step.ok ? `${stale ? 'npm install + ' : ''}npm run build in ${secs} s` : step.detail);
  built[name] = step.ok;
  if (name === 'webpack4' && step.ok) {
    // What makes it a test of the global regeneratorRuntime: Babel compiled the app's async code
    // into calls to it, and the app imports no runtime of its own.
    const main = readFileSync(join(dir, 'dist', 'main.js'), 'utf8');
    const calls = (main.match(/regeneratorRuntime\.(mark|wrap)\(/g) || []).length;
    check('webpack4 uses the global regeneratorRuntime', calls > 0,
      calls > 0 ? `${calls} calls in dist/main.js` : 'Babel emitted no regeneratorRuntime calls: the check would prove nothing');
  }
}

// The plain pages: the packed package at examples/plain/pkg (gitignored).
rmSync(join(here, 'plain', 'pkg'), { recursive: true, force: true });
cpSync(packed, join(here, 'plain', 'pkg'), { recursive: true });

// ---- servers and the browser --------------------------------------------------------------------
const children = [];
const cleanup = () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
};
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

// startProcess(name, cmd, args, cwd, pattern) -> the first match of pattern in its output
function startProcess(name, cmd, args, { cwd = root, pattern, timeout = 30 }) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    children.push(child);
    let text = '';
    const timer = setTimeout(() => reject(new Error(`${name}: not ready within ${timeout} s: ${text.slice(-300)}`)), timeout * 1000);
    const onData = (d) => {
      text += d;
      writeFileSync(join(out, `${name}.log`), d, { flag: 'a' });
      const m = text.match(pattern);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}: ${text.slice(-300)}`));
    });
  });
}

const serverBin = join(root, 'target', 'debug', 'rtm-server');
async function rtmServer(name, www) {
  const m = await startProcess(`server-${name}`, serverBin, [
    '--listen', '127.0.0.1:0', '--www', www, '--data-dir', join(out, `data-${name}`), '--log', 'warn',
  ], { pattern: /listening on (http:\/\/[\d.]+:\d+)/ });
  return m[1];
}

const freePort = () => new Promise((resolve, reject) => {
  const s = createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});

let browser;
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
} catch (err) {
  check('chromium', false, err.message.split('\n')[0]);
  console.log(`examples: ${passed} passed, ${failed} failed`);
  process.exit(1);
}

// loadPage(name, url) -> check: the page's #result says PASS within 30 s.
async function loadPage(name, url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    writeFileSync(join(out, `browser-${name}.log`), `[${m.type()}] ${m.text()} ${m.location().url ?? ''}\n`, { flag: 'a' });
    if (m.type() === 'error') errors.push(m.text());
  });
  const t0 = Date.now();
  try {
    await page.goto(url, { waitUntil: 'load', timeout: 30000 });
    await page.waitForSelector('#result[data-status]', { timeout: 30000 });
    const status = await page.$eval('#result', (e) => e.dataset.status);
    const text = await page.$eval('#result', (e) => e.textContent);
    check(name, status === 'pass', `${text} [${((Date.now() - t0) / 1000).toFixed(1)} s]${status === 'pass' ? '' : ` ${errors.join(' | ')}`}`);
  } catch (err) {
    const text = await page.$eval('#result', (e) => e.textContent).catch(() => '');
    check(name, false, `${err.message.split('\n')[0]}; #result: ${JSON.stringify(text)}; ${errors.join(' | ')}`);
  } finally {
    await context.close();
  }
}

try {
  for (const name of BUNDLED) {
    if (!wanted(name)) continue;
    if (!built[name]) {
      check(`${name} browser`, false, 'not built');
      continue;
    }
    try {
      const url = await rtmServer(name, join(here, name, 'dist'));
      await loadPage(`${name} browser`, `${url}/index.html`);
    } catch (err) {
      check(`${name} browser`, false, err.message);
    }
  }
  for (const [name, file] of [['plain', 'index.html'], ['classic', 'classic.html']]) {
    if (!wanted(name)) continue;
    try {
      const url = await rtmServer(name, join(here, 'plain'));
      await loadPage(name, `${url}/${file}`);
    } catch (err) {
      check(name, false, err.message);
    }
  }
  if (wanted('vite-dev')) {
    // Vite's dev server serves the page and pre-bundles rtm-wasm (optimizeDeps); rtm-server
    // takes the WebSocket, named in the page's ?server=.
    try {
      if (!built['vite-ts']) throw new Error('vite-ts not installed/built');
      const url = await rtmServer('vite-dev', join(here, 'plain'));
      const port = await freePort();
      const dir = join(here, 'vite-ts');
      await startProcess('vite-dev', join(dir, 'node_modules', '.bin', 'vite'),
        ['--port', String(port), '--strictPort', '--host', '127.0.0.1'],
        { cwd: dir, pattern: /Local:\s+http/, timeout: 60 });
      await loadPage('vite-dev', `http://127.0.0.1:${port}/?server=${encodeURIComponent(url.replace('http', 'ws') + '/rtm')}`);
    } catch (err) {
      check('vite-dev', false, err.message);
    }
  }
} finally {
  await browser.close();
  cleanup();
}

console.log(`examples: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
