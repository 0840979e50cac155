// The pack's entry point (package.json "main"), which the Pulumi CLI loads through
// @pulumi/pulumi/cmd/run-policy-pack after registering ts-node WITH type-checking: loading
// index.ts directly costs seconds of CPU at every start. So this loads the JavaScript compiled by
// `npm run build:policy` (run by `npm ci`) when it was compiled from exactly the current sources,
// and otherwise index.ts, type-checked by the CLI's ts-node: slower, never stale.
// Nothing may go to stdout: the CLI reads the pack's gRPC port from its first line.
"use strict";
const { checkBuild } = require("./stamp");

const build = checkBuild(__dirname);
if (build.entry) {
  require(build.entry);
} else {
  process.stderr.write(
    `policy/bin is stale or missing (${build.reason}): type-checking the TypeScript sources` +
      " (run npm run build:policy to start faster)\n",
  );
  require("./index.ts");
}

// Node saves its compile cache (NODE_COMPILE_CACHE, which npm run check and the tests set) when
// a process exits, but the engine and the checker end a pack with a kill: save it now that the
// pack's code (ts-node, TypeScript, @pulumi/*) is loaded, so that the next start reuses it.
// A no-op when the cache is off.
require("node:module").flushCompileCache?.();
