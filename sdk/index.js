// Entry point of the rtm-wasm npm package.
// The WebAssembly module is instantiated here, once, with top-level await, so
// that `AgoraRTM.createInstance()` is synchronous as in agora-rtm-sdk. Vite and
// webpack 5 resolve the `new URL(..., import.meta.url)` to the bundled .wasm.
import init, { agoraRtm } from './rtm_wasm.js';

await init({ module_or_path: new URL('./rtm_wasm_bg.wasm', import.meta.url) });

const AgoraRTM = agoraRtm();
export default AgoraRTM;
export { AgoraRTM };
// Every member is importable by name as well: `import { createInstance } from 'rtm-wasm'`.
export const {
  createInstance, setArea, setServerUrl, VERSION, BUILD, END_CALL_PREFIX,
  LOG_FILTER_OFF, LOG_FILTER_ERROR, LOG_FILTER_WARNING, LOG_FILTER_INFO,
  ConnectionState, ConnectionChangeReason, LocalInvitationState, RemoteInvitationState,
  LocalInvitationFailureReason, RemoteInvitationFailureReason, MessageType, PeerOnlineState,
  PeerSubscriptionOption, AreaCode,
} = AgoraRTM;
