// charts.mjs — grouped bar charts as standalone SVG, for bench/report.mjs. A few dozen lines of
// SVG need no charting library (and docs/benchmarks.md shows them as plain images).

const COLORS = { rtm: '#2f6fdf', raw: '#8a8a8a', socketio: '#e07b39', 'rtm-sdk': '#2f6fdf', 'plain-websocket': '#8a8a8a' };
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
const short = (v) => (v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e4 ? `${Math.round(v / 1e3)}k` : v >= 100 ? `${Math.round(v)}` : `${+v.toFixed(2)}`);

/**
 * One chart: `groups` along the x axis (e.g. member counts), one bar per series in each group.
 * @param {{title: string, axis: string, groups: Array<string|number>,
 *          series: Array<{server: string, values: Array<number|undefined>}>}} chart
 */
export function barChart({ title, axis, groups, series }) {
  const width = 640, height = 320, left = 60, bottom = 50, top = 40, right = 20;
  const plotW = width - left - right, plotH = height - top - bottom;
  const max = Math.max(1e-9, ...series.flatMap((s) => s.values.filter((v) => v !== undefined)));
  const groupW = plotW / Math.max(1, groups.length);
  const barW = Math.min(48, (groupW * 0.8) / Math.max(1, series.length));
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    `<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="black"/>`];
  groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + (groupW - barW * series.length) / 2;
    series.forEach((s, si) => {
      const v = s.values[gi];
      if (v === undefined) return;
      const h = (v / max) * plotH;
      const x = x0 + si * barW;
      out.push(`<rect x="${x.toFixed(1)}" y="${(top + plotH - h).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[s.server] ?? '#555'}"/>`);
      out.push(`<text x="${(x + barW / 2 - 1).toFixed(1)}" y="${(top + plotH - h - 4).toFixed(1)}" text-anchor="middle" font-size="10">${short(v)}</text>`);
    });
    out.push(`<text x="${(left + gi * groupW + groupW / 2).toFixed(1)}" y="${top + plotH + 18}" text-anchor="middle">${esc(g)}</text>`);
  });
  out.push(`<text x="${left + plotW / 2}" y="${height - 8}" text-anchor="middle">${esc(axis)}</text>`);
  series.forEach((s, si) => {
    const x = left + si * 130;
    out.push(`<rect x="${x}" y="${top - 14}" width="10" height="10" fill="${COLORS[s.server] ?? '#555'}"/>`,
      `<text x="${x + 14}" y="${top - 5}">${esc(s.server)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
