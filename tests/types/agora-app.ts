// A TypeScript program written against agora-rtm-sdk 1.5.1's own typings, using every
// method, property and event they declare, the way Agora apps write them. It must
// type-check unchanged against both:
//   npx tsc --noEmit -p tests/types/tsconfig.agora.json   Agora's index.d.ts (devDependency
//                                                         agora-rtm-sdk@1.5.1): the program is
//                                                         valid Agora code
//   npx tsc --noEmit -p tests/types                       'agora-rtm-sdk' mapped to rtm-wasm's
//                                                         pkg/index.d.ts: ours accept it
// Do not adapt this file to rtm-wasm's typings: fix src/types.d.ts instead.
import AgoraRTM, { RtmClient, RtmChannel, LocalInvitation, RemoteInvitation } from 'agora-rtm-sdk';
import type { RtmEvents, RtmMessage, RtmRawMessage, RtmStatusCode, RtmTextMessage } from 'agora-rtm-sdk';

type AgoraRTMType = typeof AgoraRTM;
const rtm: AgoraRTMType = AgoraRTM;

// ---- module-level members ----
const version: string = `${AgoraRTM.VERSION} ${AgoraRTM.BUILD}`;
const endCall: string = AgoraRTM.END_CALL_PREFIX;
const filters = [AgoraRTM.LOG_FILTER_OFF, AgoraRTM.LOG_FILTER_ERROR, AgoraRTM.LOG_FILTER_INFO, AgoraRTM.LOG_FILTER_WARNING];
const debugOn: boolean = filters.some((f) => f.error || f.warn || f.info || f.track || f.debug);
AgoraRTM.setArea({ areaCodes: [AgoraRTM.AreaCode.GLOBAL] });
AgoraRTM.setArea({ areaCodes: [AgoraRTM.AreaCode.ASIA, AgoraRTM.AreaCode.EUROPE], excludedArea: AgoraRTM.AreaCode.CHINA });
const areas: RtmStatusCode.AreaCode[] = [
  AgoraRTM.AreaCode.INDIA, AgoraRTM.AreaCode.JAPAN, AgoraRTM.AreaCode.NORTH_AMERICA, AgoraRTM.AreaCode.CHINA,
];
const legacy: RtmStatusCode.LegacyAreaCode | undefined = undefined;

const APP_ID = '970CA35de60c44645bbae8a215061b33';
const client: RtmClient = AgoraRTM.createInstance(APP_ID);
const quiet: RtmClient = AgoraRTM.createInstance(APP_ID, { enableLogUpload: false, logFilter: AgoraRTM.LOG_FILTER_WARNING });
const regional: RtmClient = rtm.createInstance(APP_ID, { enableCloudProxy: false }, areas);
client.updateConfig({ logFilter: AgoraRTM.LOG_FILTER_ERROR });
client.setParameters({ enableLogUpload: false });

// ---- every enum, by value ----
const states: RtmStatusCode.ConnectionState[] = [
  AgoraRTM.ConnectionState.DISCONNECTED, AgoraRTM.ConnectionState.CONNECTING, AgoraRTM.ConnectionState.CONNECTED,
  AgoraRTM.ConnectionState.RECONNECTING, AgoraRTM.ConnectionState.ABORTED,
];
const reasons: RtmStatusCode.ConnectionChangeReason[] = [
  AgoraRTM.ConnectionChangeReason.LOGIN, AgoraRTM.ConnectionChangeReason.LOGIN_SUCCESS,
  AgoraRTM.ConnectionChangeReason.LOGIN_FAILURE, AgoraRTM.ConnectionChangeReason.LOGIN_TIMEOUT,
  AgoraRTM.ConnectionChangeReason.INTERRUPTED, AgoraRTM.ConnectionChangeReason.LOGOUT,
  AgoraRTM.ConnectionChangeReason.BANNED_BY_SERVER, AgoraRTM.ConnectionChangeReason.REMOTE_LOGIN,
  AgoraRTM.ConnectionChangeReason.TOKEN_EXPIRED,
];
const localStates: RtmStatusCode.LocalInvitationState[] = [
  AgoraRTM.LocalInvitationState.IDLE, AgoraRTM.LocalInvitationState.SENT_TO_REMOTE,
  AgoraRTM.LocalInvitationState.RECEIVED_BY_REMOTE, AgoraRTM.LocalInvitationState.ACCEPTED_BY_REMOTE,
  AgoraRTM.LocalInvitationState.REFUSED_BY_REMOTE, AgoraRTM.LocalInvitationState.CANCELED,
  AgoraRTM.LocalInvitationState.FAILURE,
];
const remoteStates: RtmStatusCode.RemoteInvitationState[] = [
  AgoraRTM.RemoteInvitationState.INVITATION_RECEIVED, AgoraRTM.RemoteInvitationState.ACCEPT_SENT_TO_LOCAL,
  AgoraRTM.RemoteInvitationState.REFUSED, AgoraRTM.RemoteInvitationState.ACCEPTED,
  AgoraRTM.RemoteInvitationState.CANCELED, AgoraRTM.RemoteInvitationState.FAILURE,
];
const localFailures: RtmStatusCode.LocalInvitationFailureReason[] = [
  AgoraRTM.LocalInvitationFailureReason.UNKNOWN, AgoraRTM.LocalInvitationFailureReason.PEER_NO_RESPONSE,
  AgoraRTM.LocalInvitationFailureReason.INVITATION_EXPIRE, AgoraRTM.LocalInvitationFailureReason.PEER_OFFLINE,
  AgoraRTM.LocalInvitationFailureReason.NOT_LOGGEDIN,
];
const remoteFailures: RtmStatusCode.RemoteInvitationFailureReason[] = [
  AgoraRTM.RemoteInvitationFailureReason.UNKNOWN, AgoraRTM.RemoteInvitationFailureReason.PEER_OFFLINE,
  AgoraRTM.RemoteInvitationFailureReason.ACCEPT_FAILURE, AgoraRTM.RemoteInvitationFailureReason.INVITATION_EXPIRE,
];
const peerStates: RtmStatusCode.PeerOnlineState[] = [
  AgoraRTM.PeerOnlineState.ONLINE, AgoraRTM.PeerOnlineState.UNREACHABLE, AgoraRTM.PeerOnlineState.OFFLINE,
];
const option: RtmStatusCode.PeerSubscriptionOption = AgoraRTM.PeerSubscriptionOption.ONLINE_STATUS;
const types: RtmStatusCode.MessageType[] = [AgoraRTM.MessageType.TEXT, AgoraRTM.MessageType.RAW];

// ---- the client's events, with and without annotations ----
let connected = false;
client.on('ConnectionStateChanged', (newState, reason) => {
  connected = newState === AgoraRTM.ConnectionState.CONNECTED;
  if (reason === AgoraRTM.ConnectionChangeReason.REMOTE_LOGIN) console.warn('logged in elsewhere');
});
client.on('ConnectionStateChanged', (newState: RtmStatusCode.ConnectionState, reason: RtmStatusCode.ConnectionChangeReason) => {
  console.log(`${newState} because ${reason}`);
});
const onPeerMessage = (message: RtmMessage, peerId: string, messageProps: { serverReceivedTs: number }) => {
  if (message.messageType === AgoraRTM.MessageType.TEXT) {
    console.log(peerId, message.text, new Date(messageProps.serverReceivedTs));
  } else if (message.rawMessage) {
    const bytes: Uint8Array = message.rawMessage;
    console.log(peerId, bytes.byteLength, message.description);
  }
};
client.on('MessageFromPeer', onPeerMessage);
client.on('MessageFromPeer', ({ text }, peerId) => console.log(peerId, text ?? '(raw)'));
client.once('MessageFromPeer', (message) => console.log('first message', message.messageType));
client.on('TokenPrivilegeWillExpire', async () => {
  await client.renewToken(await fetchToken());
});
client.on('TokenExpired', () => console.log('token expired'));
client.on('FallbackProxyConnected', () => console.log('via the cloud proxy'));
client.on('PeersOnlineStatusChanged', (status) => {
  for (const peerId of Object.keys(status)) {
    const s: RtmStatusCode.PeerOnlineState = status[peerId];
    if (s === AgoraRTM.PeerOnlineState.OFFLINE) console.log(peerId, 'went offline');
  }
});
client.on('RemoteInvitationReceived', (invitation: RemoteInvitation) => answer(invitation));

// EventEmitter bookkeeping.
client.off('MessageFromPeer', onPeerMessage);
client.removeAllListeners('TokenExpired');
const handlers: Function[] = client.listeners('MessageFromPeer');
const raw: Function[] = client.rawListeners('ConnectionStateChanged');
const n: number = client.listenerCount('PeersOnlineStatusChanged');
client.removeAllListeners();

// An app's typed helper over the event map.
type ClientEvent = keyof RtmEvents.RtmClientEvents;
const clientEvents: ClientEvent[] = [
  'ConnectionStateChanged', 'MessageFromPeer', 'TokenExpired', 'TokenPrivilegeWillExpire',
  'RemoteInvitationReceived', 'PeersOnlineStatusChanged', 'FallbackProxyConnected',
];
const channelEvents: (keyof RtmEvents.RtmChannelEvents)[] = [
  'ChannelMessage', 'MemberJoined', 'MemberLeft', 'AttributesUpdated', 'MemberCountUpdated',
];
const localEvents: (keyof RtmEvents.LocalInvitationEvents)[] = [
  'LocalInvitationAccepted', 'LocalInvitationRefused', 'LocalInvitationReceivedByPeer',
  'LocalInvitationCanceled', 'LocalInvitationFailure',
];
const remoteEvents: (keyof RtmEvents.RemoteInvitationEvents)[] = [
  'RemoteInvitationCanceled', 'RemoteInvitationRefused', 'RemoteInvitationAccepted', 'RemoteInvitationFailure',
];
const onState: RtmEvents.RtmClientEvents['ConnectionStateChanged'] = (s, r) => console.log(s, r);
client.on('ConnectionStateChanged', onState);
const onMember: RtmEvents.RtmChannelEvents['MemberJoined'] = (memberId) => console.log(memberId);
// Handlers kept in a map typed by the SDK's event maps, registered generically, and called
// directly (as an app's unit tests do).
const clientHandlers: Partial<RtmEvents.RtmClientEvents> = {
  MessageFromPeer: (message, peerId, props) => console.log(message.text, peerId, props.serverReceivedTs),
  ConnectionStateChanged: onState,
};
function listen(handlers: Partial<RtmEvents.RtmClientEvents>): void {
  for (const event of Object.keys(handlers) as (keyof RtmEvents.RtmClientEvents)[]) {
    const handler = handlers[event];
    if (handler) client.on(event, handler);
  }
}
listen(clientHandlers);
listen({ TokenExpired: () => console.log('expired'), MessageFromPeer: (message, peerId) => console.log(message, peerId) });
clientHandlers.MessageFromPeer?.({ text: 'simulated' }, 'bob', { serverReceivedTs: Date.now() });
clientHandlers.ConnectionStateChanged?.(AgoraRTM.ConnectionState.ABORTED, AgoraRTM.ConnectionChangeReason.REMOTE_LOGIN);
const channelHandlers: RtmEvents.RtmChannelEvents = {
  ChannelMessage: (message, memberId) => console.log(message.messageType, memberId),
  MemberJoined: onMember,
  MemberLeft: (memberId) => console.log(memberId),
  AttributesUpdated: (attributes) => console.log(attributes),
  MemberCountUpdated: (count) => console.log(count),
};
channelHandlers.ChannelMessage({ rawMessage: new Uint8Array(1) }, 'carol', { serverReceivedTs: 0 });

async function fetchToken(): Promise<string> {
  return 'token';
}

// ---- invitations ----
function answer(invitation: RemoteInvitation): void {
  const from: string = invitation.callerId;
  const content: string = invitation.content;
  const channelId: string = invitation.channelId;
  const state: RtmStatusCode.RemoteInvitationState = invitation.state;
  invitation.on('RemoteInvitationAccepted', () => console.log('accepted'));
  invitation.on('RemoteInvitationRefused', () => console.log('refused'));
  invitation.on('RemoteInvitationCanceled', (content: string) => console.log('canceled', content));
  invitation.on('RemoteInvitationFailure', (reason: RtmStatusCode.RemoteInvitationFailureReason) => {
    if (reason === AgoraRTM.RemoteInvitationFailureReason.INVITATION_EXPIRE) console.log('too late');
  });
  invitation.once('RemoteInvitationAccepted', () => {});
  invitation.off('RemoteInvitationAccepted', () => {});
  invitation.response = JSON.stringify({ from, content, channelId, state });
  if (state === AgoraRTM.RemoteInvitationState.INVITATION_RECEIVED) invitation.accept();
  else invitation.refuse();
}

function call(calleeId: string): LocalInvitation {
  const invitation: LocalInvitation = client.createLocalInvitation(calleeId);
  invitation.content = 'video call';
  invitation.channelId = 'room-1';
  invitation.on('LocalInvitationReceivedByPeer', () => console.log('ringing'));
  invitation.on('LocalInvitationAccepted', (response) => console.log('accepted', response));
  invitation.on('LocalInvitationRefused', (response: string) => console.log('refused', response));
  invitation.on('LocalInvitationCanceled', () => console.log('canceled'));
  invitation.on('LocalInvitationFailure', (reason) => {
    if (reason === AgoraRTM.LocalInvitationFailureReason.PEER_OFFLINE) console.log(calleeId, 'is offline');
  });
  invitation.send();
  const state: RtmStatusCode.LocalInvitationState = invitation.state;
  console.log(invitation.calleeId, invitation.response, state, invitation.listenerCount('LocalInvitationAccepted'));
  if (state !== AgoraRTM.LocalInvitationState.ACCEPTED_BY_REMOTE) invitation.cancel();
  return invitation;
}

// ---- a channel ----
class Room {
  channel: RtmChannel | null = null;
  members: string[] = [];
  count = 0;

  async enter(name: string): Promise<void> {
    const channel = client.createChannel(name);
    channel.on('ChannelMessage', (message: RtmMessage, memberId: string, props) => {
      const text = message.messageType === 'TEXT' ? message.text : `${message.rawMessage?.length} bytes`;
      console.log(memberId, text, props.serverReceivedTs);
    });
    channel.on('MemberJoined', (memberId) => this.members.push(memberId));
    channel.on('MemberLeft', (memberId: string) => {
      this.members = this.members.filter((m) => m !== memberId);
    });
    channel.on('MemberCountUpdated', (memberCount) => {
      this.count = memberCount;
    });
    channel.on('AttributesUpdated', (attributes) => {
      for (const key of Object.keys(attributes)) {
        const { value, lastUpdateUserId, lastUpdateTs } = attributes[key];
        console.log(key, value, lastUpdateUserId, lastUpdateTs);
      }
    });
    channel.on('MemberJoined', onMember);
    for (const event of Object.keys(channelHandlers) as (keyof RtmEvents.RtmChannelEvents)[]) {
      channel.on(event, channelHandlers[event]);
    }
    await channel.join();
    this.channel = channel;
    this.members = await channel.getMembers();
    const id: string = channel.channelId;
    await channel.sendMessage({ text: `hello ${id}` });
    await channel.sendMessage({ rawMessage: new Uint8Array([1, 2, 3]), description: 'bytes' });
    await channel.sendMessage(client.createMessage<RtmTextMessage>({ text: 'made', messageType: 'TEXT' }));
    channel.removeAllListeners('MemberCountUpdated');
  }

  async exit(): Promise<void> {
    if (!this.channel) return;
    await this.channel.leave();
    this.channel.removeAllListeners();
    this.channel = null;
  }
}

// ---- the rest of the client ----
async function main(): Promise<void> {
  await client.login({ uid: 'alice', token: await fetchToken() });
  await quiet.login({ uid: 'bob' });

  const text: RtmTextMessage = { text: 'hi' };
  const rawMessage: RtmRawMessage = { rawMessage: new Uint8Array(8), description: 'eight bytes', messageType: 'RAW' };
  const built: RtmRawMessage = client.createMessage<RtmRawMessage>({ rawMessage: new Uint8Array(1), messageType: AgoraRTM.MessageType.RAW });
  for (const message of [text, rawMessage, built] as RtmMessage[]) {
    const result = await client.sendMessageToPeer(message, 'bob');
    if (!result.hasPeerReceived) console.log('bob is offline');
  }
  const { hasPeerReceived } = await client.sendMessageToPeer({ text: 'again' }, 'bob');

  const online = await client.queryPeersOnlineStatus(['bob', 'carol']);
  const bobOnline: boolean = online.bob;
  await client.subscribePeersOnlineStatus(['bob']);
  const subscribed: string[] = await client.queryPeersBySubscriptionOption(AgoraRTM.PeerSubscriptionOption.ONLINE_STATUS);
  await client.unsubscribePeersOnlineStatus(['bob']);

  await client.setLocalUserAttributes({ name: 'Alice', mood: 'ok' });
  await client.addOrUpdateLocalUserAttributes({ mood: 'great' });
  await client.deleteLocalUserAttributesByKeys(['mood']);
  await client.clearLocalUserAttributes();
  const attrs = await client.getUserAttributes('bob');
  const name: string = attrs.name;
  const some = await client.getUserAttributesByKeys('bob', ['name']);

  await client.setChannelAttributes('lobby', { topic: 'hello' }, { enableNotificationToChannelMembers: true });
  await client.addOrUpdateChannelAttributes('lobby', { turn: 'bob' });
  await client.addOrUpdateChannelAttributes('lobby', { turn: 'carol' }, { enableNotificationToChannelMembers: false });
  await client.deleteChannelAttributesByKeys('lobby', ['turn']);
  await client.deleteChannelAttributesByKeys('lobby', ['turn'], { enableNotificationToChannelMembers: true });
  await client.clearChannelAttributes('lobby');
  await client.clearChannelAttributes('lobby', { enableNotificationToChannelMembers: true });
  const channelAttrs = await client.getChannelAttributes('lobby');
  const topic: string = channelAttrs.topic.value;
  const byKeys = await client.getChannelAttributesByKeys('lobby', ['topic']);
  const when: number = byKeys.topic.lastUpdateTs;
  const counts = await client.getChannelMemberCount(['lobby', 'empty']);
  const lobbyCount: number = counts.lobby;

  const room = new Room();
  await room.enter('lobby');
  call('bob');
  await room.exit();

  try {
    await client.renewToken(await fetchToken());
  } catch (err) {
    console.error((err as Error).message);
  }
  await client.logout();
  await quiet.logout();
  console.log(hasPeerReceived, bobOnline, subscribed, name, some, topic, when, lobbyCount, regional, connected);
}

main().catch((err) => console.error(err));

export {
  version, endCall, debugOn, legacy, states, reasons, localStates, remoteStates, localFailures, remoteFailures,
  peerStates, option, types, handlers, raw, n, clientEvents, channelEvents, localEvents, remoteEvents,
};
