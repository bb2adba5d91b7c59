// Entry point of the rtm-wasm npm package.
// The WebAssembly module is instantiated here, once, with top-level await, so
// that `AgoraRTM.createInstance()` is synchronous as in agora-rtm-sdk. Vite and
// webpack 5 resolve the `new URL(..., import.meta.url)` to the bundled .wasm.
import init, { agoraRtm } from './rtm_wasm.js';

await init({ module_or_path: new URL('./rtm_wasm_bg.wasm', import.meta.url) });

const AgoraRTM = agoraRtm();
export default AgoraRTM;
export { AgoraRTM };
