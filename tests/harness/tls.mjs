// tests/harness/tls.mjs — a second rtm-server of control.mjs, on TLS (`--tls-cert`, `--tls-key`),
// with a self-signed certificate made for this run, and the pin that lets headless Chromium trust it.
//
// Why a server of its own rather than TLS on the main one: every other suite talks ws:// to the
// main server and the proxy, and they stay as they are; this one exists to prove the SDK logs in
// and messages over wss:// against rtm-server's own TLS, no proxy terminating it.
//
// Why a pin: Chromium cannot be told to trust one CA from the command line, but
// `--ignore-certificate-errors-spki-list=<base64 SHA-256 of the SubjectPublicKeyInfo>` accepts
// exactly the certificates with that key (it needs a `--user-data-dir`, which chromedriver always
// passes). scripts/test-browser.sh reads `tlsSpki` from the harness's /config and adds the flag to
// the webdriver.json of its run. The certificate is made with `openssl` (Node can read X.509 but
// not write it) and covers 127.0.0.1 and localhost for two days.
//
// A server that does not know --tls-cert yet, or a machine without openssl, gets no TLS server:
// startTlsServer then resolves to null after saying why, and the TLS suite fails with that reason.

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { RtmServer } from './server.mjs';

/**
 * Writes a fresh self-signed EC P-256 certificate and its key to `dir` (cert.pem, key.pem).
 * @returns {{cert: string, key: string, spki: string}} the files and the key's SPKI pin
 */
export function makeCert(dir) {
  mkdirSync(dir, { recursive: true });
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=rtm-wasm test',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  const der = new X509Certificate(readFileSync(cert)).publicKey.export({ type: 'spki', format: 'der' });
  return { cert, key, spki: createHash('sha256').update(der).digest('base64') };
}

/** Why no TLS server can run here, or null if one can. */
function unsupported(bin) {
  if (spawnSync('openssl', ['version']).error) return 'openssl is not installed';
  const help = spawnSync(bin, ['--help'], { encoding: 'utf8' });
  if (!`${help.stdout}${help.stderr}`.includes('--tls-cert')) return `${bin} has no --tls-cert flag`;
  return null;
}

/**
 * Starts rtm-server on TLS next to control.mjs's: same binary, config file and flags, its own data
 * folder (`out`/data-tls), certificate (`out`/tls/) and log (`out`/server-tls.log).
 * @returns {Promise<{server: RtmServer, url: string, spki: string} | null>}
 */
export async function startTlsServer({ bin, www, config, flags, out }) {
  const why = unsupported(bin);
  if (why) {
    console.error(`harness: no TLS server (${why}): the wss:// suite cannot run`);
    return null;
  }
  const { cert, key, spki } = makeCert(path.join(out, 'tls'));
  const dataDir = path.join(out, 'data-tls');
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  // The main server's flags name its data folder: this one gets its own.
  const own = flags.map((f, i) => (flags[i - 1] === '--data-dir' ? dataDir : f));
  const server = new RtmServer({
    bin, www, config, log: path.join(out, 'server-tls.log'),
    flags: [...own, '--tls-cert', cert, '--tls-key', key],
  });
  const port = await server.start();
  return { server, url: `wss://127.0.0.1:${port}/rtm`, spki };
}
