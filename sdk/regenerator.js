// agora-rtm-sdk 1.x defines the global `regeneratorRuntime` as a side effect of being
// imported, and apps rely on it without knowing: Babel's regenerator transform (preset-env
// before 7.18, targets without async functions) compiles their `async` code into calls to
// that global, with no import of its own. So importing rtm-wasm defines it too, when absent,
// from the real `regenerator-runtime` package.
//
// `require` (which esbuild bundles as a lazy, wrapped CommonJS module) rather than `import`:
// the runtime's body assigns the global unconditionally, so it must not run at all when the
// page already has one; and its verbatim `typeof module === "object" ? module.exports : {}`
// line, left at the top level of an ES module, breaks webpack 4, while inside esbuild's
// wrapper `module` is a parameter.
if (typeof globalThis.regeneratorRuntime === 'undefined') {
  require('regenerator-runtime/runtime.js');
}
