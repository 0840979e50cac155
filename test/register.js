// mocha's TypeScript loader (.mocharc.json "require"): the same loader as `npm run check`
// (checker/main.js): transpile without type-checking (`npm run typecheck` does that) through an
// on-disk cache keyed by content, and Node's compile cache for the JavaScript of dependencies.
// After the first run, the test workers load neither the TypeScript compiler nor ts-node's
// source-map support, which cost seconds of every run; Node's own source maps keep failures
// pointing at .ts lines.
"use strict";
const path = require("node:path");
const nodeModule = require("node:module");

const root = path.join(__dirname, "..");
const cacheDir = path.join(root, "node_modules", ".cache", "management-bootstrap-test");
if (typeof nodeModule.enableCompileCache === "function" && !process.env.NODE_DISABLE_COMPILE_CACHE) {
  nodeModule.enableCompileCache(path.join(cacheDir, "v8"));
}
process.setSourceMapsEnabled(true);
require("../checker/ts-cache").register(root, path.join(cacheDir, "ts"), { inlineSourceMap: true });
