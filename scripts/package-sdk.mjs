#!/usr/bin/env node
// Turns wasm-pack's output in pkg/ into the npm package users install:
// adds the entry point (sdk/index.js, which instantiates the wasm once so
// createInstance is synchronous) and its typings, and points package.json at
// them. Run after `wasm-pack build --target web --out-dir pkg`.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = join(root, process.argv[2] ?? 'pkg');

for (const f of ['index.js', 'index.d.ts']) copyFileSync(join(root, 'sdk', f), join(pkg, f));

const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
manifest.name = 'rtm-wasm';
manifest.type = 'module';
manifest.main = 'index.js';
manifest.module = 'index.js';
manifest.types = 'index.d.ts';
manifest.exports = { '.': { types: './index.d.ts', default: './index.js' } };
manifest.files = [...new Set([...(manifest.files ?? []), 'index.js', 'index.d.ts'])];
// Instantiating the wasm is the entry's side effect: bundlers must keep it.
manifest.sideEffects = ['./index.js', './rtm_wasm.js'];
manifest.keywords = ['agora', 'rtm', 'realtime', 'messaging', 'websocket', 'wasm'];
writeFileSync(join(pkg, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
console.log(`==> packaged ${manifest.name}@${manifest.version} in ${pkg}`);
