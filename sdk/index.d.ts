// Types of the rtm-wasm npm package: the Agora RTM Web SDK 1.x API.
import type { AgoraRTMStatic } from './rtm_wasm';

export type {
  AgoraRTMStatic,
  LogFilterType,
  PeerMessageSendResult,
  ReceivedMessageProperties,
  RtmClient,
  RtmConfig,
  RtmError,
  RtmEventEmitter,
  RtmEvents,
  RtmMessage,
  RtmRawMessage,
  RtmStatusCode,
  RtmTextMessage,
  SendMessageOptions,
} from './rtm_wasm';

declare const AgoraRTM: AgoraRTMStatic;
export default AgoraRTM;
export { AgoraRTM };
