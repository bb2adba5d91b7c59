#!/usr/bin/env node
// Turns wasm-pack's output in pkg/ into the npm package users install.
// Run after `wasm-pack build --release --target web --out-dir pkg --out-name rtm_wasm`
// (scripts/build-sdk.sh does both).
//
// The package is one self-contained JS file per module format, no .wasm beside it:
//   index.js   ES module (ES2017 syntax: no top-level await, no import.meta, no ?.)
//   index.cjs  UMD: CommonJS require(), AMD, or a classic <script> defining `AgoraRTM`
// each bundling (esbuild) sdk/index.js, wasm-bindgen's glue (rtm_wasm.js), fflate's
// inflate, and, base64, the wasm compressed with raw DEFLATE. The entry inflates and
// instantiates it synchronously on import, so createInstance() works right after
// `import AgoraRTM from 'rtm-wasm'` with any bundler or none and no bundler configuration.
// docs/benchmarks.md has the figures.
//
// Typings: index.d.ts (ESM) and index.d.cts (CJS) over rtm_types.d.ts / .d.cts, copies of
// src/types.d.ts (the same text wasm-bindgen embeds in rtm_wasm.d.ts).
//
// wasm-pack's own files (rtm_wasm.js, rtm_wasm_bg.wasm, snippets/) stay in pkg/ for
// debugging but are not part of the published package (`files`).
//
// Usage: node scripts/package-sdk.mjs [pkg-dir]   Prints the shipped sizes.
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, deflateRawSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { inflateSync } from 'fflate';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = join(root, process.argv[2] ?? 'pkg');
const sdk = join(root, 'sdk');

const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
const wasm = readFileSync(join(pkg, 'rtm_wasm_bg.wasm'));

// ---- the wasm, DEFLATE-compressed ---------------------------------------------------------------
// Raw DEFLATE at level 9, inflated on import by fflate (bundled in; ~3 KB): base64 of the
// compressed wasm gzips far better than base64 of the wasm itself (docs/benchmarks.md).
const deflated = deflateRawSync(wasm, { level: 9 });
// What the entry will inflate must be the wasm, byte for byte.
if (!wasm.equals(inflateSync(deflated, { out: new Uint8Array(wasm.length) }))) {
  console.error('error: the compressed wasm does not inflate back to the wasm');
  process.exit(1);
}
const wasmModule = [
  `export const WASM = ${JSON.stringify(deflated.toString('base64'))};`,
  `export const SIZE = ${wasm.length};`,
].join('\n');

const inline = {
  name: 'rtm-wasm-inline',
  setup(build) {
    // sdk/index.js imports the wasm-bindgen glue as './rtm_wasm.js': the one in pkg/.
    build.onResolve({ filter: /^\.\/rtm_wasm\.js$/ }, () => ({ path: join(pkg, 'rtm_wasm.js') }));
    build.onResolve({ filter: /^rtm-wasm:wasm$/ }, () => ({ path: 'wasm', namespace: 'rtm-wasm' }));
    build.onLoad({ filter: /.*/, namespace: 'rtm-wasm' }, () => ({ contents: wasmModule, loader: 'js' }));
  },
};

const banner = `/*! ${manifest.name} ${manifest.version} | ${manifest.license} | drop-in replacement for agora-rtm-sdk 1.x */`;
const common = {
  entryPoints: [join(sdk, 'index.js')],
  bundle: true,
  platform: 'neutral',
  target: 'es2017',
  minify: true,
  // keepNames would keep class names (RtmClient, ...) readable for 0.7 KB gzipped; agora-rtm-sdk
  // is minified too.
  legalComments: 'none',
  charset: 'ascii',
  plugins: [inline],
  logLevel: 'warning',
  logOverride: {
    // wasm-bindgen's glue lists one snippet twice in its imports object: harmless.
    'duplicate-object-key': 'silent',
    // In __wbg_init (the async loader), which the bundle drops: only initSync is used.
    'empty-import-meta': 'silent',
  },
  write: false,
};

const esm = await esbuild.build({ ...common, format: 'esm', banner: { js: banner } });
writeFileSync(join(pkg, 'index.js'), esm.outputFiles[0].contents);

// UMD, like agora-rtm-sdk's own index.js: module.exports / define() / a global AgoraRTM.
const umd = await esbuild.build({
  ...common,
  format: 'iife',
  globalName: '__rtmWasm',
  banner: {
    js: `${banner}\n(function (root, factory) {
  if (typeof exports === 'object' && typeof module !== 'undefined') module.exports = factory();
  else if (typeof define === 'function' && define.amd) define(factory);
  else (typeof globalThis !== 'undefined' ? globalThis : root || self).AgoraRTM = factory();
})(this, function () {`,
  },
  footer: { js: 'return __rtmWasm.default;\n});' },
});
writeFileSync(join(pkg, 'index.cjs'), umd.outputFiles[0].contents);

// ---- typings, README -------------------------------------------------------------------------
copyFileSync(join(root, 'src', 'types.d.ts'), join(pkg, 'rtm_types.d.ts'));
copyFileSync(join(root, 'src', 'types.d.ts'), join(pkg, 'rtm_types.d.cts'));
for (const f of ['index.d.ts', 'index.d.cts', 'README.md']) copyFileSync(join(sdk, f), join(pkg, f));

// ---- package.json ----------------------------------------------------------------------------
manifest.name = 'rtm-wasm';
manifest.type = 'module';
// webpack 4, browserify and older tools read these fields, not `exports`.
manifest.main = 'index.cjs';
manifest.module = 'index.js';
manifest.types = 'index.d.ts';
delete manifest.browser;
manifest.exports = {
  '.': {
    import: { types: './index.d.ts', default: './index.js' },
    require: { types: './index.d.cts', default: './index.cjs' },
    default: { types: './index.d.ts', default: './index.js' },
  },
  './package.json': './package.json',
};
manifest.files = ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts', 'rtm_types.d.ts', 'rtm_types.d.cts'];
// Instantiating the wasm is the entry's side effect: bundlers must keep it.
manifest.sideEffects = ['./index.js', './index.cjs'];
manifest.keywords = ['agora', 'agora-rtm', 'agora-rtm-sdk', 'rtm', 'realtime', 'messaging', 'chat', 'websocket', 'wasm'];
manifest.homepage = manifest.homepage ?? 'https://github.com/rtm-wasm/rtm-wasm#readme';
writeFileSync(join(pkg, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');

// ---- sizes -----------------------------------------------------------------------------------
// gzip -9 as bench/sdk-size.sh measures it (the gzip tool; node's zlib differs by ~100 B).
const gz = (b) => execFileSync('gzip', ['-9c'], { input: b, maxBuffer: 64 << 20 }).length;
const br = (b) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const js = esm.outputFiles[0].contents;
const sizes = {
  wasm_raw: wasm.length,
  wasm_gz: gz(wasm),
  wasm_deflated: deflated.length,
  index_js_raw: js.length,
  index_js_gz: gz(js),
  index_js_br: br(js),
};
console.log(`==> packaged ${manifest.name}@${manifest.version} in ${pkg}`);
console.log(
  `==> SDK size: index.js ${sizes.index_js_raw} B raw, ${sizes.index_js_gz} B gzip -9, ${sizes.index_js_br} B brotli ` +
    `(wasm ${sizes.wasm_raw} B raw, ${sizes.wasm_gz} B gzip, ${sizes.wasm_deflated} B deflated inside)`,
);
