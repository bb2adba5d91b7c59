// Types of the rtm-wasm package for CommonJS: `const AgoraRTM = require('rtm-wasm')`
// (index.cjs sets module.exports to the AgoraRTM object, as agora-rtm-sdk does). rtm_types.d.cts
// is rtm_types.d.ts again, as a CommonJS declaration file: a type-only import of the ESM one
// would need TypeScript 5.3's resolution-mode attribute.
import type * as T from './rtm_types.cjs';

declare const AgoraRTM: T.AgoraRTMStatic;
declare namespace AgoraRTM {
  export type AgoraRTMStatic = T.AgoraRTMStatic;
  export type AttributesMap = T.AttributesMap;
  export type ChannelAttributeOptions = T.ChannelAttributeOptions;
  export type ChannelAttributeProperties = T.ChannelAttributeProperties;
  export type ChannelAttributes = T.ChannelAttributes;
  export type ChannelMemberCountResult = T.ChannelMemberCountResult;
  export type LocalInvitation = T.LocalInvitation;
  export type LocalInvitationEvents = T.LocalInvitationEvents;
  export type LogFilterType = T.LogFilterType;
  export type PeerMessageSendResult = T.PeerMessageSendResult;
  export type PeersOnlineStatusMap = T.PeersOnlineStatusMap;
  export type PeersOnlineStatusResult = T.PeersOnlineStatusResult;
  export type ReceivedMessageProperties = T.ReceivedMessageProperties;
  export type RemoteInvitation = T.RemoteInvitation;
  export type RemoteInvitationEvents = T.RemoteInvitationEvents;
  export type RtmChannel = T.RtmChannel;
  export type RtmClient = T.RtmClient;
  export type RtmConfig = T.RtmConfig;
  export type RtmError = T.RtmError;
  export type RtmMessage = T.RtmMessage;
  export type RtmRawMessage = T.RtmRawMessage;
  export type RtmReceivedMessage = T.RtmReceivedMessage;
  export type RtmTextMessage = T.RtmTextMessage;
  export type SendMessageOptions = T.SendMessageOptions;
  // Types only (the enums' values are AgoraRTM.ConnectionState etc.).
  export namespace RtmStatusCode {
    export type ConnectionState = T.RtmStatusCode.ConnectionState;
    export type ConnectionChangeReason = T.RtmStatusCode.ConnectionChangeReason;
    export type LocalInvitationState = T.RtmStatusCode.LocalInvitationState;
    export type RemoteInvitationState = T.RtmStatusCode.RemoteInvitationState;
    export type LocalInvitationFailureReason = T.RtmStatusCode.LocalInvitationFailureReason;
    export type RemoteInvitationFailureReason = T.RtmStatusCode.RemoteInvitationFailureReason;
    export type PeerOnlineState = T.RtmStatusCode.PeerOnlineState;
    export type PeerSubscriptionOption = T.RtmStatusCode.PeerSubscriptionOption;
    export type MessageType = T.RtmStatusCode.MessageType;
    export type LegacyAreaCode = T.RtmStatusCode.LegacyAreaCode;
    export type AreaCode = T.RtmStatusCode.AreaCode;
  }
  export namespace RtmEvents {
    export type RtmClientEvents = T.RtmEvents.RtmClientEvents;
    export type RtmChannelEvents = T.RtmEvents.RtmChannelEvents;
    export type LocalInvitationEvents = T.RtmEvents.LocalInvitationEvents;
    export type RemoteInvitationEvents = T.RtmEvents.RemoteInvitationEvents;
  }
}
export = AgoraRTM;
