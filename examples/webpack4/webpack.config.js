// webpack 4, nothing specific to rtm-wasm. (Node >= 17 needs NODE_OPTIONS=--openssl-legacy-provider
// for webpack 4 itself: see package.json.)
const path = require('path');

module.exports = {
  entry: './src/index.js',
  output: { path: path.resolve(__dirname, 'dist'), filename: 'main.js' },
  performance: { hints: false },
};
