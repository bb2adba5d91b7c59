// tests/harness/app.mjs — the app a harness configures its rtm-server(s) with: a random app id and
// certificate per run, the rtm-test.toml that declares it, and login tokens for it minted by
// Agora's own libraries (agora-token "007", agora-access-token "006") behind `GET /token`.
//
// Why shared: both harnesses (control.mjs for one server, cluster.mjs for two nodes, which must read
// one and the same file) give the browser suites an app that needs tokens, plus development mode
// for every other app id, and the same short limits the suites wait out. Minting with Agora's
// libraries, not our own code, is what proves the server reads real Agora tokens.

import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import agoraToken from 'agora-token';
import agoraAccessToken from 'agora-access-token';
import { HttpError, intParam, text } from './api.mjs';

/**
 * A fresh app: 32-hex-character id and certificate, as Agora's token libraries require, and the
 * REST API's HTTP Basic pair (customerKey, customerSecret: `customer_key`/`customer_secret`), and the
 * server's admin secret (admin_secret: the admin API and page, tests/e2e/admin.test.mjs).
 */
export function testApp() {
  return {
    appId: randomBytes(16).toString('hex'),
    certificate: randomBytes(16).toString('hex'),
    customerKey: randomBytes(16).toString('hex'),
    customerSecret: randomBytes(16).toString('hex'),
    adminSecret: randomBytes(16).toString('hex'),
  };
}

/** Writes the rtm-server config for `app` to `file`; `writer` names the harness in its header. */
export function writeConfig(file, app, writer) {
  writeFileSync(file, [
    `# written by ${writer} for this test run`,
    'development = true          # app ids not listed log in without a token',
    `admin_secret = "${app.adminSecret}"  # the admin API (/admin/api) and page (/admin)`,
    '',
    '[[apps]]',
    `id = "${app.appId}"`,
    `certificate = "${app.certificate}"`,
    `customer_key = "${app.customerKey}"        # the REST API (docs/rest-api.md)`,
    `customer_secret = "${app.customerSecret}"`,
    '',
    '[limits]',
    'channel_attrs_ttl_secs = 3  # short, so the browser suites can see an empty channel lose its attributes',
    'invitation_timeout_secs = 3 # short, so the browser suites can see an unanswered invitation fail',
    '',
  ].join('\n'));
}

/**
 * A token of `kind` ('007' or '006') for `uid` of app `app` signed with `cert`, valid `expire`
 * seconds from now (for 006 the absolute privilegeExpiredTs now+expire). Bad input: HttpError 400.
 */
export function mintToken({ kind = '007', uid, expire = 3600, app, cert }) {
  if (uid === null || uid === undefined) throw new HttpError(400, 'uid is required');
  let token;
  if (kind === '007') {
    token = agoraToken.RtmTokenBuilder.buildToken(app, cert, uid, expire);
  } else if (kind === '006') {
    const privilegeExpiredTs = Math.floor(Date.now() / 1000) + expire;
    token = agoraAccessToken.RtmTokenBuilder.buildToken(app, cert, uid, agoraAccessToken.RtmRole.Rtm_User, privilegeExpiredTs);
  } else {
    throw new HttpError(400, 'kind must be 007 or 006');
  }
  if (!token) throw new HttpError(400, `the ${kind} library minted no token (app id and certificate must be 32 hex characters)`);
  return token;
}

/**
 * The `GET /token?kind=007|006&uid=U[&expire=SECS][&app=ID&cert=CERT]` route: a text/plain token
 * for `app` (or the app and certificate given); expire is relative seconds (default 3600).
 */
export function tokenRoute(app) {
  return (q) => text(mintToken({
    kind: q.get('kind') || '007',
    uid: q.get('uid'),
    expire: intParam(q, 'expire', 3600),
    app: q.get('app') ?? app.appId,
    cert: q.get('cert') ?? app.certificate,
  }));
}
