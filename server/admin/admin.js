// The admin page: charts from /metrics (Prometheus text) and /admin/api/channels, refreshed
// every few seconds, and a users and channels browser with kick, ban and attribute editing.
// No framework and no CDN: it is served from the binary. The browser's own HTTP Basic prompt
// signs the page in; its fetches to /admin/api carry the same credentials, so the page never
// holds the secret.
'use strict';

const REFRESH_MS = 3000;
const KEEP = 60; // samples per chart (3 minutes)
const $ = (id) => document.getElementById(id);
const series = { connections: [], logins: [], messages: [] };
let previous = null; // the last scrape's counters, for rates
let editing = null; // { kind: 'user'|'channel', app, id }

function showError(text) {
  $('error').hidden = !text;
  $('error').textContent = text || '';
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => ({ error: 'bad_answer', message: `HTTP ${res.status}` }));
  if (!res.ok) throw new Error(`${data.error}: ${data.message}`);
  return data;
}

// --- metrics ---------------------------------------------------------------------------------

/** Sums every series of each metric name in a Prometheus text exposition. */
function parseMetrics(text) {
  const sums = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)/);
    if (!m) continue;
    const value = Number(m[3]);
    if (!Number.isFinite(value)) continue;
    sums.set(m[1], (sums.get(m[1]) || 0) + value);
  }
  return sums;
}

async function scrapeMetrics() {
  let sums = null;
  try {
    const res = await fetch('/metrics');
    if (res.ok) sums = parseMetrics(await res.text());
  } catch { /* no metrics: the charts say "no data" */ }
  const now = Date.now();
  const push = (name, v) => {
    series[name].push(v);
    if (series[name].length > KEEP) series[name].shift();
  };
  const gauge = (metric) => (sums && sums.has(metric) ? sums.get(metric) : null);
  const rate = (metric, per) => {
    if (!sums || !sums.has(metric) || !previous || !previous.sums.has(metric)) return null;
    const d = sums.get(metric) - previous.sums.get(metric);
    const dt = (now - previous.at) / 1000;
    return d >= 0 && dt > 0 ? (d / dt) * per : null; // a restart resets counters: skip
  };
  push('connections', gauge('rtm_connections'));
  push('logins', rate('rtm_logins_total', 60));
  push('messages', rate('rtm_messages_in_total', 1));
  if (sums) previous = { sums, at: now };
  drawLine('chart-connections', series.connections, 'now-connections');
  drawLine('chart-logins', series.logins, 'now-logins');
  drawLine('chart-messages', series.messages, 'now-messages');
}

// --- charts ----------------------------------------------------------------------------------

function canvasOf(id) {
  const canvas = $(id);
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const style = getComputedStyle(document.body);
  return { canvas, ctx, fg: style.color, accent: style.getPropertyValue('--accent').trim() || '#2563eb' };
}

function noData(id, text = 'no data') {
  const { canvas, ctx, fg } = canvasOf(id);
  ctx.fillStyle = fg;
  ctx.globalAlpha = 0.5;
  ctx.font = '14px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.fillText(text, canvas.width / 2, canvas.height / 2);
  ctx.globalAlpha = 1;
  $(id).dataset.drawn = 'no-data';
}

const fmt = (v) => (v >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(1));

function drawLine(id, values, labelId) {
  const points = values.map((v, i) => [i, v]).filter(([, v]) => v !== null);
  $(labelId).textContent = points.length ? fmt(points[points.length - 1][1]) : '';
  if (!points.length) return noData(id);
  const { canvas, ctx, fg, accent } = canvasOf(id);
  const w = canvas.width, h = canvas.height, pad = 18;
  const max = Math.max(1, ...points.map(([, v]) => v));
  // The newest sample at the right edge: the chart fills from the right as it runs.
  const shift = KEEP - values.length;
  const x = (i) => pad + ((w - 2 * pad) * (i + shift)) / Math.max(1, KEEP - 1);
  const y = (v) => h - pad - ((h - 2 * pad) * v) / max;
  ctx.strokeStyle = fg;
  ctx.globalAlpha = 0.25;
  ctx.beginPath();
  ctx.moveTo(pad, h - pad);
  ctx.lineTo(w - pad, h - pad);
  ctx.stroke();
  ctx.globalAlpha = 1;
  ctx.fillStyle = fg;
  ctx.font = '10px system-ui, sans-serif';
  ctx.textAlign = 'left'; // a "no data" drawn before left it centred
  ctx.fillText(fmt(max), 2, pad - 4);
  ctx.beginPath();
  points.forEach(([i, v], n) => (n ? ctx.lineTo(x(i), y(v)) : ctx.moveTo(x(i), y(v))));
  ctx.strokeStyle = accent;
  ctx.lineWidth = 2;
  ctx.stroke();
  ctx.lineTo(x(points[points.length - 1][0]), h - pad);
  ctx.lineTo(x(points[0][0]), h - pad);
  ctx.closePath();
  ctx.globalAlpha = 0.15;
  ctx.fillStyle = accent;
  ctx.fill();
  ctx.globalAlpha = 1;
  $(id).dataset.drawn = 'data';
}

function drawBars(id, channels) {
  if (!channels.length) return noData(id, 'no channels');
  const { canvas, ctx, fg, accent } = canvasOf(id);
  const w = canvas.width, rowH = Math.min(20, canvas.height / channels.length);
  const max = Math.max(...channels.map((c) => c.members));
  ctx.font = '11px system-ui, sans-serif';
  channels.forEach((c, n) => {
    const top = n * rowH;
    ctx.fillStyle = accent;
    ctx.globalAlpha = 0.6;
    ctx.fillRect(0, top + 2, ((w - 40) * c.members) / max, rowH - 4);
    ctx.globalAlpha = 1;
    ctx.fillStyle = fg;
    ctx.fillText(`${c.channel} (${c.app})`, 4, top + rowH - 6);
    ctx.textAlign = 'right';
    ctx.fillText(String(c.members), w - 2, top + rowH - 6);
    ctx.textAlign = 'left';
  });
  $(id).dataset.drawn = 'data';
}

// --- users and channels ----------------------------------------------------------------------

function button(text, onClick, testId, danger) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  b.dataset.testid = testId;
  if (danger) b.className = 'danger';
  b.addEventListener('click', () => onClick().catch((e) => showError(e.message)));
  return b;
}

function row(cells, buttons, attrs) {
  const tr = document.createElement('tr');
  Object.assign(tr.dataset, attrs);
  for (const c of cells) tr.insertCell().textContent = c;
  tr.insertCell().append(...buttons);
  return tr;
}

const userPath = (app, uid) => `/admin/api/apps/${encodeURIComponent(app)}/users/${encodeURIComponent(uid)}`;
const channelPath = (app, ch) => `/admin/api/apps/${encodeURIComponent(app)}/channels/${encodeURIComponent(ch)}`;

async function refreshLists() {
  const [users, channels] = await Promise.all([
    api('GET', '/admin/api/users?limit=500'),
    api('GET', '/admin/api/channels?limit=200'),
  ]);
  const filter = $('user-filter').value.trim().toLowerCase();
  const shown = users.users.filter((u) => !filter || `${u.app} ${u.uid}`.toLowerCase().includes(filter));
  $('users-total').textContent = `(${users.total})`;
  $('users').replaceChildren(...shown.map((u) => row([u.app, u.uid], [
    button('attributes', () => openEditor('user', u.app, u.uid), 'user-attrs'),
    button('kick', async () => { await api('POST', `${userPath(u.app, u.uid)}/kick`); await refreshLists(); }, 'kick', true),
    button('ban…', async () => {
      const secs = Number(prompt(`Ban ${u.uid} for how many seconds?`, '600'));
      if (!secs) return;
      await api('PUT', `${userPath(u.app, u.uid)}/ban`, { seconds: secs });
      await refreshLists();
    }, 'ban', true),
  ], { app: u.app, uid: u.uid, testid: 'user-row' })));
  $('channels-total').textContent = `(${channels.total})`;
  $('channels').replaceChildren(...channels.channels.map((c) => row([c.app, c.channel, String(c.members)], [
    button('attributes', () => openEditor('channel', c.app, c.channel), 'channel-attrs'),
  ], { app: c.app, channel: c.channel, members: String(c.members), testid: 'channel-row' })));
  drawBars('chart-channels', channels.channels.slice(0, 6));
}

// --- attribute editor ------------------------------------------------------------------------

const editorPath = () => `${editing.kind === 'user' ? userPath(editing.app, editing.id) : channelPath(editing.app, editing.id)}/attributes`;

function showAttrs(data) {
  const entries = Object.entries(data.attributes).map(([k, v]) => [k, typeof v === 'string' ? v : v.value]);
  $('attrs').replaceChildren(...entries.map(([k, v]) => row([k, v], [
    button('edit', async () => { $('attr-key').value = k; $('attr-value').value = v; }, 'attr-edit'),
    button('delete', async () => showAttrs(await api('DELETE', `${editorPath()}/${encodeURIComponent(k)}`)), 'attr-delete', true),
  ], { key: k, testid: 'attr-row' })));
}

async function openEditor(kind, app, id) {
  editing = { kind, app, id };
  $('editor').hidden = false;
  document.querySelector('[data-testid="editor-title"]').textContent = `${kind} ${id} (${app})`;
  showAttrs(await api('GET', editorPath()));
}

$('attr-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const body = { attributes: { [$('attr-key').value]: $('attr-value').value } };
  api('PATCH', editorPath(), body).then((data) => {
    showAttrs(data);
    $('attr-key').value = '';
    $('attr-value').value = '';
    showError('');
  }).catch((err) => showError(err.message));
});
$('editor-close').addEventListener('click', () => { $('editor').hidden = true; editing = null; });
$('user-filter').addEventListener('input', () => refreshLists().catch((e) => showError(e.message)));

// --- the loop --------------------------------------------------------------------------------

async function tick() {
  try {
    await Promise.all([scrapeMetrics(), refreshLists()]);
    $('status').textContent = `updated ${new Date().toLocaleTimeString()}`;
    document.body.dataset.loaded = 'true';
  } catch (e) {
    $('status').textContent = `update failed: ${e.message}`;
  }
  setTimeout(tick, REFRESH_MS);
}
tick();
