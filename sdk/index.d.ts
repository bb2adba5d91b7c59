// Types of the rtm-wasm npm package: the Agora RTM Web SDK 1.x API.
import type { AgoraRTMStatic } from './rtm_types.js';

export type {
  AgoraRTMStatic,
  AttributesMap,
  ChannelAttributeOptions,
  ChannelAttributeProperties,
  ChannelAttributes,
  ChannelMemberCountResult,
  LocalInvitation,
  LocalInvitationEvents,
  LogFilterType,
  PeerMessageSendResult,
  PeersOnlineStatusMap,
  PeersOnlineStatusResult,
  ReceivedMessageProperties,
  RemoteInvitation,
  RemoteInvitationEvents,
  RtmChannel,
  RtmClient,
  RtmConfig,
  RtmError,
  RtmEventEmitter,
  RtmEvents,
  RtmMessage,
  RtmRawMessage,
  RtmReceivedMessage,
  RtmStatusCode,
  RtmTextMessage,
  SendMessageOptions,
} from './rtm_types.js';

declare const AgoraRTM: AgoraRTMStatic;
export default AgoraRTM;
export { AgoraRTM };

export declare const createInstance: AgoraRTMStatic['createInstance'];
export declare const setArea: AgoraRTMStatic['setArea'];
export declare const setServerUrl: AgoraRTMStatic['setServerUrl'];
export declare const VERSION: string;
export declare const BUILD: string;
export declare const END_CALL_PREFIX: string;
export declare const LOG_FILTER_OFF: AgoraRTMStatic['LOG_FILTER_OFF'];
export declare const LOG_FILTER_ERROR: AgoraRTMStatic['LOG_FILTER_ERROR'];
export declare const LOG_FILTER_WARNING: AgoraRTMStatic['LOG_FILTER_WARNING'];
export declare const LOG_FILTER_INFO: AgoraRTMStatic['LOG_FILTER_INFO'];
export declare const ConnectionState: AgoraRTMStatic['ConnectionState'];
export declare const ConnectionChangeReason: AgoraRTMStatic['ConnectionChangeReason'];
export declare const LocalInvitationState: AgoraRTMStatic['LocalInvitationState'];
export declare const RemoteInvitationState: AgoraRTMStatic['RemoteInvitationState'];
export declare const LocalInvitationFailureReason: AgoraRTMStatic['LocalInvitationFailureReason'];
export declare const RemoteInvitationFailureReason: AgoraRTMStatic['RemoteInvitationFailureReason'];
export declare const MessageType: AgoraRTMStatic['MessageType'];
export declare const PeerOnlineState: AgoraRTMStatic['PeerOnlineState'];
export declare const PeerSubscriptionOption: AgoraRTMStatic['PeerSubscriptionOption'];
export declare const AreaCode: AgoraRTMStatic['AreaCode'];
