// Entry point of `npm run check`: turns on the compile cache and the cached TypeScript loader
// (./ts-cache.js registerForCli; the program's worker and the policy pack inherit the compile
// cache through NODE_COMPILE_CACHE), then runs the TypeScript CLI, transpiled without
// type-checking (`npm run typecheck` does that).
"use strict";
require("./ts-cache").registerForCli(require("node:path").join(__dirname, ".."));
require("./cli.ts").run();
