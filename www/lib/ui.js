// Small DOM helpers shared by the panels.

/** `code name: message` for SDK errors (they carry a numeric `code`), else `name: message`. */
export function formatError(err) {
  if (err === null || typeof err !== 'object') return String(err);
  const code = err.code !== undefined && err.code !== null ? `${err.code} ` : '';
  const name = err.name || 'Error';
  const message = err.message !== undefined ? err.message : String(err);
  return `${code}${name}: ${message}`;
}

const banner = () => document.getElementById('error');

/** Shows an error (an Error object or a string) in the page's error banner. */
export function showError(err) {
  const text = typeof err === 'string' ? err : formatError(err);
  const el = banner();
  document.getElementById('error-text').textContent = text;
  el.hidden = false;
  console.warn('[demo]', text);
}

export function clearError() {
  banner().hidden = true;
  document.getElementById('error-text').textContent = '';
}

/** document.createElement with properties, data attributes and children. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'class') el.className = value;
    else el[key] = value;
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** HH:MM:SS of a millisecond timestamp, local time. */
export function clock(ms = Date.now()) {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

export function wireErrorBanner() {
  document.getElementById('error-dismiss').addEventListener('click', clearError);
  window.addEventListener('unhandledrejection', (event) => showError(event.reason));
}
