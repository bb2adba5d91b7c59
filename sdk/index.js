// Entry point of the rtm-wasm npm package (the source scripts/package-sdk.mjs
// bundles into pkg/index.js, ES module, and pkg/index.cjs, UMD).
//
// The wasm is inside this file, DEFLATE-compressed and base64-encoded. On import it is
// inflated (fflate) and instantiated synchronously, so `AgoraRTM.createInstance()` works
// right after `import AgoraRTM from 'rtm-wasm'`, as with agora-rtm-sdk, and no bundler
// needs to know about .wasm files, top-level await or `import.meta.url` (webpack 4,
// Vite's dev server, Rollup, esbuild, a plain <script type="module">).
// docs/benchmarks.md compares this with the alternatives.
import { inflateSync } from 'fflate';
import './regenerator.js';
import { initSync, agoraRtm } from './rtm_wasm.js';
// Generated at build time: WASM (base64 of the raw DEFLATE stream), SIZE (the wasm's length).
import { WASM, SIZE } from 'rtm-wasm:wasm';

function bytes(base64) {
  // Native where available (recent engines): a few ms faster than atob.
  if (Uint8Array.fromBase64) return Uint8Array.fromBase64(base64);
  const s = atob(base64);
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

// Synchronous compile and instantiation (new WebAssembly.Module/Instance): engines allow it
// on the main thread for modules this size (Chrome up to 8 MB; tested in Chromium 156).
initSync({ module: inflateSync(bytes(WASM), { out: new Uint8Array(SIZE) }) });

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
