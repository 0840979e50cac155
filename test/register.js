// mocha's TypeScript loader (.mocharc.js "require"), set up like `npm run check`
// (checker/main.js): TypeScript transpiled without type-checking (`npm run typecheck` does
// that) by esbuild through an on-disk cache keyed by content, and Node's compile cache (V8 code
// cache) for the JavaScript of dependencies. Node's own source maps keep failures pointing at
// .ts lines.
//
// The suite starts ~25 Node processes (policy packs through run-policy-pack, the pack build,
// the CLIs) that load the same @pulumi/*, gRPC, ts-node and TypeScript code. They share one
// compile cache through NODE_COMPILE_CACHE, the same one npm run check uses, and each worker
// saves what it has compiled after loading a test file (the root hook below) instead of only
// at exit: so even the first run after `npm ci` compiles most of that code once, not per process.
"use strict";
const path = require("node:path");
const nodeModule = require("node:module");
const tsCache = require("../checker/ts-cache");

const root = path.join(__dirname, "..");
const canCache = tsCache.enableCompileCache(root);
// Source maps for the repository's own files only (their inline maps point failures at .ts
// lines). process.setSourceMapsEnabled would also read the maps that @pulumi/* and others ship
// for each of their modules: ~0.15 s of CPU per process that loads them, for frames in
// node_modules that no test failure needs mapped.
if (typeof nodeModule.setSourceMapsSupport === "function") nodeModule.setSourceMapsSupport(true);
else process.setSourceMapsEnabled(true);
tsCache.register(root, path.join(root, "node_modules", ".cache", "management-bootstrap-test", "ts"), {
  inlineSourceMap: true,
});

exports.mochaHooks = {
  // Runs once per test file in a parallel worker, after the file and its imports are loaded.
  beforeAll() {
    if (canCache) nodeModule.flushCompileCache?.();
  },
};
