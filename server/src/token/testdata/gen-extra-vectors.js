// Makes extra-vectors.json with the official npm builders, for cases token-vectors.json
// does not cover (token expire != privilege expire, multi-service tokens, non-ASCII
// user ids, tokens without an RTM login privilege). Run from the repo root after
// `npm install`:  node server/src/token/testdata/gen-extra-vectors.js
// Salt and timestamps are fixed so the output is the same on every run (the 007 zlib
// bytes depend on Node's zlib; the tests compare by verifying, not by string).
const path = require('path')
const fs = require('fs')
const root = path.join(__dirname, '../../../..')
const { AccessToken2, ServiceRtm, ServiceRtc, ServiceRtm2, ServiceChat, ServiceApaas, ServiceStreaming,
    ServiceFpa, ServiceFCdn, ServiceConvoAI, ServiceStt, Rtm2Permissions } =
    require(path.join(root, 'node_modules/agora-token/src/AccessToken2'))
const AccessToken006 = require(path.join(root, 'node_modules/agora-access-token/src/AccessToken')).AccessToken

const appId = '970CA35de60c44645bbae8a215061b33'
const cert = '5CFd2fd1755d40ecb72977518be15d3b'
const issueTs = 1700000000
const salt = 424242

function t007(name, expire, services) {
    const t = new AccessToken2(appId, cert, issueTs, expire)
    t.salt = salt
    services.forEach(s => t.add_service(s))
    return { name, format: '007', issue_ts: issueTs, token: t.build() }
}

function rtm(user, privs) {
    const s = new ServiceRtm(user)
    Object.entries(privs).forEach(([k, v]) => s.add_privilege(Number(k), v))
    return s
}

function t006(name, account, uid, privs) {
    const t = new AccessToken006(appId, cert, account, uid)
    t.salt = salt
    t.ts = issueTs
    Object.entries(privs).forEach(([k, v]) => t.addPriviledge(Number(k), v))
    return { name, format: '006', token: t.build() }
}

const perms = new Rtm2Permissions()
perms.add(Rtm2Permissions.kMessageChannels, Rtm2Permissions.kRead, ['a', 'b'])
perms.add(Rtm2Permissions.kUsers, Rtm2Permissions.kWrite, ['u'])
const rtm2 = new ServiceRtm2('test_user', perms)
rtm2.add_privilege(ServiceRtm2.kPrivilegeLogin, 600)
const rtc = new ServiceRtc('chan', 1234)
rtc.add_privilege(ServiceRtc.kPrivilegeJoinChannel, 600)

const vectors = [
    // Login privilege shorter than the token: it bounds the grant.
    t007('007_token_3600_login_600', 3600, [rtm('test_user', { 1: 600 })]),
    // Token shorter than the login privilege: the token bounds the grant.
    t007('007_token_600_login_3600', 600, [rtm('test_user', { 1: 3600 })]),
    t007('007_unicode_user', 600, [rtm('用户-ü', { 1: 600 })]),
    t007('007_no_login_privilege', 600, [rtm('test_user', { 7: 600 })]),
    t007('007_rtc_only', 600, [rtc]),
    t007('007_rtm2_only', 600, [rtm2]),
    // Every service type the official library knows, RTM among them.
    t007('007_all_services', 600, [
        rtc, rtm('test_user', { 1: 600 }), new ServiceStreaming('c', 'a'), new ServiceFpa(),
        new ServiceChat('test_user'), new ServiceFCdn('c', 'a'), new ServiceApaas('room', 'user', 1),
        rtm2, new ServiceConvoAI(), new ServiceStt(),
    ]),
    // Two RTM services: the one for the login uid counts.
    t007('007_two_rtm_services', 600, [rtm('someone_else', { 1: 60 }), rtm('test_user', { 1: 600 })]),
    t006('006_unicode_account', '用户-ü', '', { 1000: 1800000000 }),
    // An RTC token: channel + uid, no RTM login privilege.
    t006('006_rtc_token', 'test_user', 1234, { 1: 1800000000, 2: 1800000000 }),
    // An RTC-style token that also has the RTM login privilege but a uid set.
    t006('006_uid_set', 'test_user', 1234, { 1000: 1800000000 }),
    t006('006_many_privileges', 'test_user', '', { 1: 1800000000, 101: 5, 1000: 1800000000 }),
]

const out = { generated_by: 'gen-extra-vectors.js', appId, appCertificate: cert, vectors }
fs.writeFileSync(path.join(__dirname, 'extra-vectors.json'), JSON.stringify(out, null, 1) + '\n')
