// proc.mjs — small measurement helpers for the Socket.IO baseline: a process's resident memory and
// CPU time read from /proc (Linux only), a monotonic clock in milliseconds, percentiles, rounding.
//
// Why /proc: the load generator spawns the server itself and wants the server's own figures (not
// the generator's), without instrumenting the server; the Rust runner reads the same files, so the
// numbers compare.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let clockTicks = null;

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (`getconf CLK_TCK`, 100 if unknown). */
export function clkTck() {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** Resident set size of process `pid` in KiB (VmRSS of /proc/<pid>/status). */
export function readRssKib(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]);
}

/** User + system CPU time of process `pid` so far, in microseconds (/proc/<pid>/stat fields 14, 15). */
export function readCpuUs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: fields start after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return ((utime + stime) * 1e6) / clkTck();
}

/** Monotonic time in milliseconds (process.hrtime; one clock for every client in this process). */
export function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The q-quantile (0 < q <= 1, nearest rank) of an ascending sorted array; null when empty. */
export function quantileSorted(sorted, q) {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1];
}

/** p50 and p99 (ms, rounded) of an array or typed array of latencies. */
export function p50p99(values) {
  const sorted = Float64Array.from(values).sort();
  return { p50_ms: round(quantileSorted(sorted, 0.5), 3), p99_ms: round(quantileSorted(sorted, 0.99), 3) };
}

/** `x` rounded to `digits` decimals (null stays null). */
export function round(x, digits = 1) {
  if (x === null || x === undefined || !Number.isFinite(x)) return x ?? null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
