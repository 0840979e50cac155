// Entry point of `npm run check`. Before anything is loaded it turns on Node's on-disk compile
// cache (V8 code cache; Node >= 22.1), which the program's worker and the policy pack inherit
// through NODE_COMPILE_CACHE: @pulumi/*, gRPC and the like load from cached bytecode after
// the first run. It changes no behaviour, only start-up time. Then the TypeScript CLI runs,
// transpiled without type-checking (`npm run typecheck` does that) through ./ts-cache.js.
"use strict";
const path = require("node:path");
const nodeModule = require("node:module");

const cacheDir = path.join(__dirname, "..", "node_modules", ".cache", "management-bootstrap-check");
if (typeof nodeModule.enableCompileCache === "function" && !process.env.NODE_DISABLE_COMPILE_CACHE) {
  nodeModule.enableCompileCache(cacheDir);
  process.env.NODE_COMPILE_CACHE ??= cacheDir;
}
require("./ts-cache").register(path.join(__dirname, ".."), path.join(cacheDir, "ts"));
require("./cli.ts").run();
