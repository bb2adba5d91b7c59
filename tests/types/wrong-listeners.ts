// Strict mode: listeners of the wrong signature for every event of every class, and misuse
// of the emitters. Each `@ts-expect-error` line must be a type error: if the typings got
// looser, tsc reports the directive as unused and `npx tsc --noEmit -p tests/types` fails.
import AgoraRTM from 'rtm-wasm';
import type { LocalInvitation, RemoteInvitation, RtmChannel, RtmClient, RtmEvents, RtmStatusCode } from 'rtm-wasm';

declare const client: RtmClient;
declare const channel: RtmChannel;
declare const local: LocalInvitation;
declare const remote: RemoteInvitation;

// ---- RtmClient ----
// @ts-expect-error: the state is a ConnectionState string, not a number
client.on('ConnectionStateChanged', (state: number) => {});
// @ts-expect-error: the reason is a ConnectionChangeReason, not a ConnectionState
client.on('ConnectionStateChanged', (state, reason: RtmStatusCode.ConnectionState) => {});
// @ts-expect-error: the message is an object, not a string
client.on('MessageFromPeer', (message: string) => {});
// @ts-expect-error: the peer id is a string
client.on('MessageFromPeer', (message, peerId: number) => {});
// @ts-expect-error: serverReceivedTs is a number
client.on('MessageFromPeer', (message, peerId, props: { serverReceivedTs: string }) => {});
// @ts-expect-error: a received TEXT message has no rawMessage to read as bytes
client.on('MessageFromPeer', (message) => { if (message.messageType === 'TEXT') message.rawMessage.length; });
// @ts-expect-error: TokenPrivilegeWillExpire passes nothing
client.on('TokenPrivilegeWillExpire', (secondsLeft: number) => {});
// @ts-expect-error: TokenExpired passes nothing
client.once('TokenExpired', (reason: string) => {});
// @ts-expect-error: RemoteInvitationReceived passes a RemoteInvitation, not a LocalInvitation
client.on('RemoteInvitationReceived', (invitation: LocalInvitation) => {});
// @ts-expect-error: PeersOnlineStatusChanged passes a map of peer states
client.on('PeersOnlineStatusChanged', (status: string[]) => {});
// @ts-expect-error: the states in it are PeerOnlineState strings
client.on('PeersOnlineStatusChanged', (status: { [peerId: string]: boolean }) => {});
// @ts-expect-error: FallbackProxyConnected passes nothing
client.on('FallbackProxyConnected', (proxy: string) => {});
// @ts-expect-error: not an event of RtmClient (a channel event)
client.on('ChannelMessage', () => {});
// @ts-expect-error: event names are case-sensitive
client.addListener('messageFromPeer', () => {});
// @ts-expect-error: not an event of RtmClient
client.listenerCount('MemberJoined');

// ---- RtmChannel ----
// @ts-expect-error: the member id is a string
channel.on('ChannelMessage', (message, memberId: number) => {});
// @ts-expect-error: the message is an object
channel.on('ChannelMessage', (message: Uint8Array) => {});
// @ts-expect-error: MemberJoined passes a member id
channel.on('MemberJoined', (member: { uid: string }) => {});
// @ts-expect-error: MemberLeft passes a member id
channel.once('MemberLeft', (memberId: number) => {});
// @ts-expect-error: MemberCountUpdated passes a number
channel.on('MemberCountUpdated', (count: string) => {});
// @ts-expect-error: AttributesUpdated passes the attribute map
channel.on('AttributesUpdated', (keys: string[]) => {});
// @ts-expect-error: attribute values are ChannelAttributeProperties, not strings
channel.on('AttributesUpdated', (attributes: { [key: string]: string }) => {});
// @ts-expect-error: not an event of RtmChannel (a client event)
channel.on('MessageFromPeer', () => {});
// @ts-expect-error: not an event of RtmChannel (a client event)
channel.removeAllListeners('ConnectionStateChanged');

// ---- LocalInvitation ----
// @ts-expect-error: LocalInvitationAccepted passes the callee's response string
local.on('LocalInvitationAccepted', (response: { text: string }) => {});
// @ts-expect-error: LocalInvitationRefused passes the callee's response string
local.on('LocalInvitationRefused', (response: number) => {});
// @ts-expect-error: LocalInvitationReceivedByPeer passes nothing
local.on('LocalInvitationReceivedByPeer', (peerId: string) => {});
// @ts-expect-error: LocalInvitationCanceled passes nothing
local.on('LocalInvitationCanceled', (content: string) => {});
// @ts-expect-error: LocalInvitationFailure passes a LocalInvitationFailureReason, not a code
local.on('LocalInvitationFailure', (code: number) => {});
// @ts-expect-error: ... and not a RemoteInvitationFailureReason
local.on('LocalInvitationFailure', (reason: RtmStatusCode.RemoteInvitationFailureReason) => {});
// @ts-expect-error: not an event of LocalInvitation
local.on('RemoteInvitationAccepted', () => {});

// ---- RemoteInvitation ----
// @ts-expect-error: RemoteInvitationAccepted passes nothing
remote.on('RemoteInvitationAccepted', (response: string) => {});
// @ts-expect-error: RemoteInvitationRefused passes nothing
remote.on('RemoteInvitationRefused', (response: string) => {});
// @ts-expect-error: RemoteInvitationCanceled passes the content string
remote.on('RemoteInvitationCanceled', (content: number) => {});
// @ts-expect-error: RemoteInvitationFailure passes a RemoteInvitationFailureReason
remote.on('RemoteInvitationFailure', (reason: RtmStatusCode.LocalInvitationFailureReason) => {});
// @ts-expect-error: not an event of RemoteInvitation
remote.once('LocalInvitationAccepted', () => {});

// ---- the event maps themselves ----
// @ts-expect-error: a handler typed from the map must match it
const badState: RtmEvents.RtmClientEvents['ConnectionStateChanged'] = (state: boolean) => {};
// @ts-expect-error: MemberCountUpdated's entry takes a number
const badCount: RtmEvents.RtmChannelEvents['MemberCountUpdated'] = (count: string) => {};
// @ts-expect-error: a listener must be a function
client.on('TokenExpired', 'renew');
// @ts-expect-error: ConnectionState values are Agora's strings, not numbers
const state: RtmStatusCode.ConnectionState = 3;
// @ts-expect-error: ... and only those
const reason: RtmStatusCode.ConnectionChangeReason = 'KICKED';
// @ts-expect-error: enums are read-only
AgoraRTM.ConnectionState.CONNECTED = 'DISCONNECTED';

export { badState, badCount, state, reason };
