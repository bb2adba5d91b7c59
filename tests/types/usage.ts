// Compiled by `tsc --noEmit -p tests/types` inside `npm test`: every method and
// event of the SDK used the way an app written for agora-rtm-sdk uses it. The
// `@ts-expect-error` lines prove the typings are precise: each must be an error.
import AgoraRTM, { AgoraRTM as Named, createInstance, ConnectionState } from 'rtm-wasm';
import type { RtmEvents, AttributesMap, LocalInvitation, RemoteInvitation, ChannelAttributeOptions, ChannelAttributes, ChannelMemberCountResult, PeersOnlineStatusResult, RtmChannel, RtmClient, RtmMessage, RtmReceivedMessage, RtmRawMessage, RtmStatusCode, RtmTextMessage, RtmError } from 'rtm-wasm';

const version: string = AgoraRTM.VERSION + AgoraRTM.BUILD + AgoraRTM.END_CALL_PREFIX;
const same: typeof AgoraRTM = Named;
const byName: RtmClient = createInstance('app-id');
const connected: RtmStatusCode.ConnectionState = ConnectionState.CONNECTED;
AgoraRTM.setArea({ areaCodes: [AgoraRTM.AreaCode.GLOBAL] });
AgoraRTM.setServerUrl('wss://rtm.example.com/rtm');

const client: RtmClient = AgoraRTM.createInstance('app-id', {
  logFilter: AgoraRTM.LOG_FILTER_WARNING,
  enableLogUpload: false,
  serverUrl: 'ws://127.0.0.1:8080/rtm',
});
client.updateConfig({ logFilter: AgoraRTM.LOG_FILTER_OFF });
client.setParameters({ logFilter: AgoraRTM.LOG_FILTER_INFO });

const chained: RtmClient = client
  .on('ConnectionStateChanged', (state: RtmStatusCode.ConnectionState, reason: RtmStatusCode.ConnectionChangeReason) => {
    if (state === AgoraRTM.ConnectionState.ABORTED && reason === AgoraRTM.ConnectionChangeReason.REMOTE_LOGIN) {
      console.log('logged in elsewhere');
    }
  })
  .on('MessageFromPeer', (message, peerId, props) => {
    const from: string = peerId;
    const ts: number = props.serverReceivedTs;
    const offline: boolean = props.isOfflineMessage;
    const received: RtmReceivedMessage = message;
    const asSendable: RtmMessage = received;
    console.log(asSendable);
    if (message.messageType === 'RAW') {
      const bytes: Uint8Array = message.rawMessage;
      console.log(from, ts, offline, bytes.length, message.description);
    } else {
      const text: string = message.text;
      console.log(text);
    }
  })
  .once('ConnectionStateChanged', () => {})
  .on('TokenPrivilegeWillExpire', () => client.renewToken('fresh-token'))
  .on('TokenExpired', async () => {
    await client.renewToken('fresh-token');
  });

const onState = (s: RtmStatusCode.ConnectionState) => console.log(s);
client.on('ConnectionStateChanged', onState).off('ConnectionStateChanged', onState);
client.addListener('MessageFromPeer', () => {}).removeListener('MessageFromPeer', onState);
client.removeAllListeners('MessageFromPeer').removeAllListeners();
const count: number = client.listenerCount('ConnectionStateChanged');
const fns: Function[] = client.listeners('MessageFromPeer').concat(client.rawListeners('MessageFromPeer'));

async function app(): Promise<void> {
  await client.login({ uid: 'alice', token: 'optional' });
  await client.login({ uid: 'alice' });
  const text: RtmTextMessage = client.createMessage<RtmTextMessage>({ text: 'hi', messageType: 'TEXT' });
  const raw: RtmRawMessage = client.createMessage<RtmRawMessage>({ rawMessage: new Uint8Array([1, 2]) });
  const messages: RtmMessage[] = [text, raw, { text: 'plain' }, { rawMessage: new Uint8Array(1), description: 'd' }];
  for (const m of messages) {
    const { hasPeerReceived } = await client.sendMessageToPeer(m, 'bob');
    const r2 = await client.sendMessageToPeer(m, 'bob', { enableOfflineMessaging: true });
    console.log(hasPeerReceived && r2.hasPeerReceived);
  }
  const channel: RtmChannel = client
    .createChannel('lobby')
    .on('ChannelMessage', (message, memberId, props) => {
      const text: string | undefined = message.messageType === 'TEXT' ? message.text : undefined;
      console.log(text, memberId.length, props.serverReceivedTs);
    })
    .on('MemberJoined', (memberId: string) => {})
    .on('MemberLeft', (memberId: string) => {})
    .on('MemberCountUpdated', (count: number) => {});
  const id: string = channel.channelId;
  await channel.join();
  await channel.sendMessage({ text: 'hello ' + id });
  await channel.sendMessage({ rawMessage: new Uint8Array(2), description: 'raw' });
  const members: string[] = await channel.getMembers();
  await channel.leave();
  client.on('PeersOnlineStatusChanged', (status) => {
    for (const [peer, state] of Object.entries(status)) {
      const s: RtmStatusCode.PeerOnlineState = state;
      console.log(peer, s === AgoraRTM.PeerOnlineState.UNREACHABLE);
    }
  });
  const online: PeersOnlineStatusResult = await client.queryPeersOnlineStatus(['bob']);
  const bobOnline: boolean = online['bob'];
  await client.subscribePeersOnlineStatus(['bob', 'carol']);
  const subscribed: string[] = await client.queryPeersBySubscriptionOption(AgoraRTM.PeerSubscriptionOption.ONLINE_STATUS);
  await client.unsubscribePeersOnlineStatus(['carol']);
  console.log(bobOnline, subscribed);
  await client.setLocalUserAttributes({ status: 'busy' });
  await client.addOrUpdateLocalUserAttributes({ mood: 'ok' });
  await client.deleteLocalUserAttributesByKeys(['mood']);
  await client.clearLocalUserAttributes();
  const mine: AttributesMap = await client.getUserAttributes('alice');
  const some: AttributesMap = await client.getUserAttributesByKeys('alice', ['status']);
  const notify: ChannelAttributeOptions = { enableNotificationToChannelMembers: true };
  await client.setChannelAttributes('lobby', { topic: 'hi' }, notify);
  await client.addOrUpdateChannelAttributes('lobby', { turn: 'bob' });
  await client.deleteChannelAttributesByKeys('lobby', ['turn'], notify);
  await client.clearChannelAttributes('lobby');
  const attrs: ChannelAttributes = await client.getChannelAttributes('lobby');
  const topic: ChannelAttributes = await client.getChannelAttributesByKeys('lobby', ['topic']);
  const who: string = attrs['topic'].lastUpdateUserId + attrs['topic'].value;
  const when: number = topic['topic'].lastUpdateTs;
  channel.on('AttributesUpdated', (all: ChannelAttributes) => console.log(Object.keys(all)));
  console.log(mine, some, who, when);
  const call: LocalInvitation = client
    .createLocalInvitation('bob')
    .on('LocalInvitationReceivedByPeer', () => {})
    .on('LocalInvitationAccepted', (response: string) => console.log(response))
    .on('LocalInvitationRefused', (response: string) => console.log(response))
    .on('LocalInvitationCanceled', () => {})
    .on('LocalInvitationFailure', (reason: RtmStatusCode.LocalInvitationFailureReason) => console.log(reason));
  call.content = 'video?';
  call.channelId = 'room-1';
  call.send();
  const callState: RtmStatusCode.LocalInvitationState = call.state;
  console.log(call.calleeId, call.response, callState);
  call.cancel();
  client.on('RemoteInvitationReceived', (invitation: RemoteInvitation) => {
    invitation
      .on('RemoteInvitationAccepted', () => {})
      .on('RemoteInvitationRefused', () => {})
      .on('RemoteInvitationCanceled', (content: string) => console.log(content))
      .on('RemoteInvitationFailure', (reason: RtmStatusCode.RemoteInvitationFailureReason) => console.log(reason));
    invitation.response = 'sure';
    const s: RtmStatusCode.RemoteInvitationState = invitation.state;
    console.log(invitation.callerId, invitation.content, invitation.channelId, s);
    if (s === AgoraRTM.RemoteInvitationState.INVITATION_RECEIVED) invitation.accept();
    else invitation.refuse();
  });
  const counts: ChannelMemberCountResult = await client.getChannelMemberCount(['lobby', 'empty']);
  const lobby: number = counts['lobby'];
  console.log(members, lobby);
  try {
    await client.logout();
  } catch (e) {
    const err = e as RtmError;
    const code: number = err.code;
    console.log(code, err.name, err.message);
  }
}

// ---- what must not compile ----
// @ts-expect-error: not an event of RtmClient
client.on('NoSuchEvent', () => {});
// @ts-expect-error: ConnectionStateChanged passes strings, not numbers
client.on('ConnectionStateChanged', (state: number) => {});
// @ts-expect-error: text must be a string
client.sendMessageToPeer({ text: 42 }, 'bob');
// @ts-expect-error: a message is either TEXT or RAW, not both
const both: RtmMessage = { text: 'a', rawMessage: new Uint8Array(1) };
// @ts-expect-error: login needs a uid
client.login({ token: 'x' });
// @ts-expect-error: not an event of RtmChannel
client.createChannel('c').on('MessageFromPeer', () => {});
// @ts-expect-error: MemberCountUpdated passes a number
client.createChannel('c').on('MemberCountUpdated', (count: string) => {});
// @ts-expect-error: the only subscription option is ONLINE_STATUS
client.queryPeersBySubscriptionOption('PRESENCE');
// @ts-expect-error: attribute values are strings
client.setLocalUserAttributes({ count: 3 });
// @ts-expect-error: AttributesUpdated passes the attribute set
client.createChannel('c').on('AttributesUpdated', (n: number) => {});
// @ts-expect-error: the response of a LocalInvitation is the callee's
client.createLocalInvitation('bob').response = 'no';
// @ts-expect-error: LocalInvitationFailure passes a reason string
client.createLocalInvitation('bob').on('LocalInvitationFailure', (code: number) => {});
// @ts-expect-error: TokenExpired has no arguments
client.on('TokenExpired', (reason: string) => {});
// @ts-expect-error: renewToken takes a string
client.renewToken(42);
// @ts-expect-error: getChannelMemberCount takes an array
client.getChannelMemberCount('lobby');
// @ts-expect-error: ConnectionState values are the Agora strings
const wrong: RtmStatusCode.ConnectionState = 'ONLINE';

// The runtime surface agora-rtm-sdk apps read: connection state, Node's whole emitter,
// invitation ids, the module's parameters.
const nowState: RtmStatusCode.ConnectionState = client.connectionState;
client.logoutSync();
const hadListeners: boolean = client.emit('ConnectionStateChanged', AgoraRTM.ConnectionState.CONNECTED, AgoraRTM.ConnectionChangeReason.LOGIN_SUCCESS);
client.prependListener('MessageFromPeer', (message, peerId) => console.log(peerId)).setMaxListeners(20);
client.prependOnceListener('TokenExpired', () => {});
const names: Array<keyof RtmEvents.RtmClientEvents> = client.eventNames();
const max: number = client.getMaxListeners();
const callId: string = client.createLocalInvitation('bob').callId;
AgoraRTM.setParameter('LOG_HANDLER', (record: { level: string; message: string }) => console.log(record.message));
const param: unknown = AgoraRTM.getParameter('RECONNECTING_AP_NUM');
const debug = AgoraRTM.LOG_FILTER_DEBUG;
const pid: string = AgoraRTM.processId;
// @ts-expect-error: connectionState is read-only
client.connectionState = 'CONNECTED';
// @ts-expect-error: emit checks its arguments against the event map
client.emit('PeersOnlineStatusChanged', 42);

export { app, version, same, byName, connected, chained, count, fns, both, wrong, nowState, hadListeners, names, max, callId, param, debug, pid };
