// docs/compatibility.md against the real objects: Agora's agora-rtm-sdk 1.5.1 and ours, both
// loaded in one Chromium page, walked at runtime and compared with the doc's tables.
//
// What counts as a member:
// - AgoraRTM: the module object's own keys.
// - RtmClient, RtmChannel, LocalInvitation, RemoteInvitation: every property name on the instance
//   and its prototype chain up to (not including) Object.prototype, except `constructor` (every
//   prototype has one). Symbols are written `[Symbol.dispose]`.
// - Agora's side also gets what its index.d.ts declares (AgoraRTM namespace, the classes and their
//   EventEmitter base), because the two differ: e.g. AgoraRTM.AreaCode is declared but absent at
//   runtime, and the runtime has many members the typings never mention.
// - Agora's names starting with `_` are left out: they are the private state of its Node-style
//   EventEmitter (`_events`, `_eventsCount`, `_maxListeners`) and the backing fields of its
//   accessors (`_content`, `_channelId`, `_response`, `_getSession`). Ours are all kept.
//
// Agora needs no network for any of this; it is never logged in. Its RemoteInvitation cannot be
// made offline through the public API, so we feed a fake incoming call to its client's internal
// invitation dispatcher (the same path a real one takes); should a future bundle lack that hook,
// its members come from index.d.ts only and the summary says so. Ours is a real invitation
// between two of our clients logged in to the test server.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DOC = 'docs/compatibility.md';
const AGORA_DIR = path.join(root, 'node_modules', 'agora-rtm-sdk');
const OBJECTS = ['AgoraRTM', 'RtmClient', 'RtmChannel', 'LocalInvitation', 'RemoteInvitation'];
const CLASSES = OBJECTS.slice(1);
// Agora rejects any appId that is not 32 characters; ours takes it too.
const APP_ID = '0123456789abcdef0123456789abcdef';
const randomUid = (prefix) => `${prefix}-${Math.random().toString(36).slice(2, 10)}`;

// --- the doc ----------------------------------------------------------------------------------

/** Cells of a markdown table row (`\|` inside a cell is not a separator). */
function cells(line) {
  return line.trim().replace(/^\||\|$/g, '').split(/(?<!\\)\|/).map((c) => c.trim());
}

/** Every table row with a backticked first cell: { h2, h3, name, status, kind, cells, line }. */
function parseDoc(text) {
  const rows = [];
  const problems = [];
  let h2 = '';
  let h3 = '';
  text.split('\n').forEach((line, i) => {
    if (line.startsWith('## ')) [h2, h3] = [line.slice(3).trim(), ''];
    else if (line.startsWith('### ')) h3 = line.slice(4).trim();
    if (!line.startsWith('|')) return;
    const row = cells(line);
    const name = /^`([^`]+)`/.exec(row[0])?.[1];
    if (!name) return; // header or separator
    const where = `${DOC}:${i + 1}`;
    if (h2 === 'Extensions') {
      rows.push({ h2, h3, name, cells: row, line: where });
      return;
    }
    const kind = /^(same|differs|missing)(:\s*\S.*)?$/.exec(row[1] || '');
    if (!kind || (kind[1] !== 'same' && !kind[2])) {
      problems.push(`${where}: ${name}: status ${JSON.stringify(row[1])} is not "same", "differs: <how>" or "missing: <why>"`);
      return;
    }
    rows.push({ h2, h3, name, status: row[1], kind: kind[1], cells: row, line: where });
  });
  return { rows, problems };
}

// --- Agora's declarations ---------------------------------------------------------------------

const stripComments = (s) => s.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

/** The text between `opening` and the next line that is just `}` at the opening's indentation. */
function block(source, opening) {
  const start = source.indexOf(opening);
  if (start < 0) throw new Error(`agora-rtm-sdk/index.d.ts has no "${opening}" (another version?)`);
  const indent = /^\s*/.exec(source.slice(source.lastIndexOf('\n', start) + 1, start))[0];
  const end = source.indexOf(`\n${indent}}`, start);
  return source.slice(source.indexOf('{', start) + 1, end);
}

/** Member names declared at 2-space indentation of a class block (statics excluded). */
function classMembers(body) {
  const names = new Set();
  for (const m of body.matchAll(/^ {2}(?:readonly\s+)?([A-Za-z_$][\w$]*)\s*[?]?\s*[:(<]/gm)) names.add(m[1]);
  return names;
}

function agoraDeclarations() {
  const dts = stripComments(readFileSync(path.join(AGORA_DIR, 'index.d.ts'), 'utf8'));
  const emitter = classMembers(block(dts, 'declare class EventEmitter'));
  const declared = { AgoraRTM: new Set() };
  for (const m of block(dts, 'declare namespace AgoraRTM').matchAll(/^\s*(?:const|function)\s+([A-Za-z_$][\w$]*)/gm)) {
    declared.AgoraRTM.add(m[1]);
  }
  for (const cls of CLASSES) declared[cls] = new Set([...emitter, ...classMembers(block(dts, `declare class ${cls} `))]);
  const events = {};
  for (const cls of CLASSES) {
    events[cls] = [...block(dts, `export interface ${cls}Events`).matchAll(/^ {4}([A-Za-z]\w*)\s*:/gm)].map((m) => m[1]);
    if (!events[cls].length) throw new Error(`no events parsed from ${cls}Events in agora-rtm-sdk/index.d.ts`);
  }
  return { declared, events };
}

/**
 * Agora's error codes: the TypeScript enums compiled into its bundle (`e[e.NAME=1]="NAME"`, not
 * exported; 1.5.1's index.d.ts declares none). An enum counts if any member name has `_ERR_`,
 * which also takes in JOIN_CHANNEL_TIMEOUT, the one member spelt without it.
 */
function agoraErrorCodes() {
  const js = readFileSync(path.join(AGORA_DIR, 'index.js'), 'utf8');
  const codes = new Map();
  for (const body of js.matchAll(/function\(e\)\{((?:e\[e\.[A-Z_]+=\d+\]="[A-Z_]+",?)+)\}/g)) {
    const members = [...body[1].matchAll(/e\[e\.([A-Z_]+)=(\d+)\]/g)].map((m) => [m[1], Number(m[2])]);
    if (members.some(([name]) => name.includes('_ERR_'))) for (const [name, n] of members) codes.set(name, n);
  }
  if (codes.size < 50) throw new Error(`only ${codes.size} error codes found in agora-rtm-sdk/index.js (another version?)`);
  return codes;
}

// --- the walk, in the page --------------------------------------------------------------------

/** Runs in the page: member names of both SDKs' objects, and how Agora's RemoteInvitation was got. */
async function walkBoth({ appId, serverUrl, uidA, uidB }) {
  const names = (obj, own) => {
    const seen = new Set();
    for (let o = obj; o && o !== Object.prototype; o = own ? null : Object.getPrototypeOf(o)) {
      for (const key of Reflect.ownKeys(o)) {
        const name = typeof key === 'symbol' ? `[${key.description}]` : key;
        if (name !== 'constructor') seen.add(name);
      }
    }
    return [...seen];
  };
  const walk = (M, client, remote) => ({
    AgoraRTM: names(M, true),
    RtmClient: names(client),
    RtmChannel: names(client.createChannel('compat-channel')),
    LocalInvitation: names(client.createLocalInvitation('compat-callee')),
    RemoteInvitation: remote ? names(remote) : null,
  });
  const withTimeout = (promise, ms, what) => Promise.race([promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms))]);

  // Agora: an incoming call fed to the internal dispatcher its network layer feeds.
  const A = globalThis.AgoraRTM;
  const agoraClient = A.createInstance(appId, { logFilter: A.LOG_FILTER_OFF });
  let agoraRemote = null;
  agoraClient.on('RemoteInvitationReceived', (r) => { agoraRemote = r; });
  try {
    agoraClient.invitationManager.invitationDispatcher.emit('remoteInvitationToManager',
      { callId: 'compat-call', extra: '', callerId: 'compat-caller', channelId: '' });
  } catch { /* no such hook: index.d.ts only */ }
  const agora = walk(A, agoraClient, agoraRemote);

  // Ours: a real call from A to B.
  const { default: O } = await import('/pkg/index.js');
  const config = { serverUrl };
  const [a, b] = [O.createInstance(appId, config), O.createInstance(appId, config)];
  try {
    await withTimeout(Promise.all([a.login({ uid: uidA }), b.login({ uid: uidB })]), 10_000, 'our clients logging in');
    const received = new Promise((resolve) => b.on('RemoteInvitationReceived', resolve));
    a.createLocalInvitation(uidB).send();
    const remote = await withTimeout(received, 5_000, "our callee's RemoteInvitationReceived");
    const ours = walk(O, a, remote);
    remote.refuse();
    return { agora, ours };
  } finally {
    await Promise.all([a, b].map((c) => c.logout().catch(() => {})));
  }
}

// --- the comparison ---------------------------------------------------------------------------

/** Which objects an Extensions row's "On" cell covers. */
function extensionTargets(on) {
  if (/every class/i.test(on)) return CLASSES;
  return OBJECTS.filter((o) => new RegExp(`\\b${o}\\b`).test(on));
}

export async function compatibilityTableMatchesBothSdks({ browser, baseUrl }) {
  const { rows, problems } = parseDoc(readFileSync(path.join(root, DOC), 'utf8'));
  const { declared, events } = agoraDeclarations();
  const codes = agoraErrorCodes();

  // A page the server serves (the demo: it only loads our SDK until clicked), so that
  // /pkg/index.js is ours as served. A page made up with page.route() would do for Agora, but
  // Chromium's local-network checks then block its WebSockets to the loopback server.
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${baseUrl}/`);
  // Agora's bundle is UMD: as a classic script it defines globalThis.AgoraRTM.
  await page.addScriptTag({ content: readFileSync(path.join(AGORA_DIR, 'index.js'), 'utf8') });
  const serverUrl = `${baseUrl.replace(/^http/, 'ws')}/rtm`;
  const walked = await page.evaluate(walkBoth, { appId: APP_ID, serverUrl, uidA: randomUid('compat-a'), uidB: randomUid('compat-b') });
  await context.close();

  const remoteSource = walked.agora.RemoteInvitation ? 'runtime + index.d.ts' : 'index.d.ts only';
  const agora = {};
  const ours = {};
  for (const obj of OBJECTS) {
    const runtime = (walked.agora[obj] || []).filter((n) => !n.startsWith('_'));
    agora[obj] = new Set([...runtime, ...declared[obj]]);
    ours[obj] = new Set(walked.ours[obj]);
  }

  // Table rows per walked object: its own section plus, for the classes, "All four classes".
  const tableRows = {};
  for (const obj of OBJECTS) {
    const heading = obj === 'AgoraRTM' ? 'AgoraRTM (module)' : obj;
    const mine = rows.filter((r) => r.h2 === heading || (obj !== 'AgoraRTM' && r.h2 === 'All four classes'));
    tableRows[obj] = new Map();
    for (const r of mine) {
      if (tableRows[obj].has(r.name)) problems.push(`${r.line}: ${obj}.${r.name} has a second row (first at ${tableRows[obj].get(r.name).line})`);
      else tableRows[obj].set(r.name, r);
    }
  }
  const extensions = rows.filter((r) => r.h2 === 'Extensions');

  const fail = { a: [], b: [], c: [], d: [], e: [], f: [], g: [] };
  for (const obj of OBJECTS) {
    const table = tableRows[obj];
    const covered = new Set(extensions.filter((r) => extensionTargets(r.cells[1] || '').includes(obj)).map((r) => r.name));
    for (const name of agora[obj]) {
      if (!table.has(name)) {
        const where = declared[obj].has(name) ? (walked.agora[obj]?.includes(name) ? 'index.d.ts and runtime' : 'index.d.ts only') : 'runtime only';
        fail.a.push(`${obj}.${name} (Agora: ${where})`);
      }
    }
    for (const [name, r] of table) {
      if (!agora[obj].has(name)) fail.e.push(`${r.line}: ${obj}.${name} is not a member of Agora's ${obj}`);
      else if (r.kind === 'missing' && ours[obj].has(name)) fail.c.push(`${r.line}: ${obj}.${name} is marked "${r.status}" but ours has it`);
      else if (r.kind !== 'missing' && !ours[obj].has(name)) fail.b.push(`${r.line}: ${obj}.${name} is marked "${r.status}" but ours lacks it`);
    }
    for (const name of ours[obj]) {
      if (!agora[obj].has(name) && !covered.has(name)) fail.d.push(`${obj}.${name}`);
    }
    for (const name of covered) {
      if (!ours[obj].has(name)) fail.f.push(`${obj}.${name} is listed under Extensions but ours lacks it`);
      else if (agora[obj].has(name)) fail.f.push(`${obj}.${name} is listed under Extensions but Agora has it too`);
    }
  }

  // Events: each of Agora's event maps against its "### <Class> events" table.
  const eventRows = rows.filter((r) => r.h2 === 'Events');
  for (const cls of CLASSES) {
    const listed = new Set(eventRows.filter((r) => r.h3.split(/\s/)[0] === cls).map((r) => r.name));
    for (const ev of events[cls]) if (!listed.has(ev)) fail.g.push(`event ${cls}:${ev} has no row under "### ${cls} events"`);
    for (const ev of listed) if (!events[cls].includes(ev)) fail.g.push(`"### ${cls} events" lists ${ev}, which is not in Agora's ${cls}Events`);
  }
  // Error codes: every enum member of Agora's bundle, with its number.
  const codeRows = new Map(rows.filter((r) => r.h2 === 'Error codes').map((r) => [r.name, r]));
  for (const [name, n] of codes) {
    const r = codeRows.get(name);
    const value = r && Number(/=\s*(\d+)/.exec(r.cells[0])?.[1]);
    if (!r) fail.g.push(`error code ${name} = ${n} has no row under "## Error codes"`);
    else if (value !== n) fail.g.push(`${r.line}: ${name} is ${n} in Agora's bundle, the row says ${value}`);
  }
  for (const [name, r] of codeRows) if (!codes.has(name)) fail.g.push(`${r.line}: ${name} is not one of Agora's codes (ours-only codes go under Extensions)`);

  const sections = [
    ['a', `Agora members with no row in ${DOC} (add one)`],
    ['b', 'rows marked same/differs that our object lacks'],
    ['c', 'rows marked missing that our object now has (stale: flip the row)'],
    ['d', 'our members that Agora lacks, not listed under ## Extensions'],
    ['e', 'rows that name no member of Agora\'s object'],
    ['f', 'stale Extensions rows'],
    ['g', 'events and error codes'],
  ];
  const report = [];
  if (problems.length) report.push('malformed rows:', ...problems.map((p) => `  ${p}`));
  for (const [key, title] of sections) {
    if (fail[key].length) report.push(`(${key}) ${title}:`, ...fail[key].sort().map((p) => `  ${p}`));
  }
  if (report.length) {
    const count = problems.length + Object.values(fail).reduce((n, l) => n + l.length, 0);
    throw new Error(`${DOC} does not match the SDKs (${count} problems; Agora's RemoteInvitation from ${remoteSource}):\n${report.join('\n')}`);
  }

  const memberRows = OBJECTS.flatMap((o) => [...tableRows[o].values()]);
  const unique = new Set(memberRows);
  const by = (kind) => [...unique].filter((r) => r.kind === kind).length;
  const agoraTotal = OBJECTS.reduce((n, o) => n + agora[o].size, 0);
  const oursTotal = OBJECTS.reduce((n, o) => n + ours[o].size, 0);
  return `${agoraTotal} Agora members vs ${oursTotal} ours over ${OBJECTS.length} objects; ` +
    `${unique.size} member rows (${by('same')} same, ${by('differs')} differs, ${by('missing')} missing), ` +
    `${Object.values(events).flat().length} events, ${codes.size} error codes, ${extensions.length} extensions; ` +
    `Agora RemoteInvitation from ${remoteSource}`;
}
compatibilityTableMatchesBothSdks.timeoutMs = 60_000;
