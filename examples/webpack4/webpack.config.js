// webpack 4 + Babel 7, nothing specific to rtm-wasm: the setup of a typical agora-rtm-sdk app
// of its time. (Node >= 17 needs NODE_OPTIONS=--openssl-legacy-provider for webpack 4 itself:
// see package.json.)
//
// @babel/preset-env without targets compiles to ES5: `async` functions become calls to the
// global `regeneratorRuntime`, and the app imports no runtime of its own, because
// agora-rtm-sdk defines that global on import. (Babel 7.18+ inlines the runtime instead;
// package.json pins the versions before that, as such apps have them in their lockfiles.)
const path = require('path');

module.exports = {
  entry: './src/index.js',
  output: { path: path.resolve(__dirname, 'dist'), filename: 'main.js' },
  module: {
    rules: [
      {
        test: /\.js$/,
        exclude: /node_modules/,
        use: { loader: 'babel-loader', options: { presets: ['@babel/preset-env'] } },
      },
    ],
  },
  performance: { hints: false },
};
