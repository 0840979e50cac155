// mocha runs the TypeScript tests through ts-node without type-checking (tsc --noEmit does that), each file
// transpiled by swc (test/ts-node-swc.js), with Node's source maps for stack traces
// (test/native-source-maps.ts) and one temporary folder for the run, removed after it (test/temp-dir.ts);
// test/gate/helpers.ts is also a root hook plugin: it closes the policy pack the gate tests share.
// The spec is npm test's argument, so `npx mocha test/<room>/<file>.test.ts` runs one file.
"use strict";
module.exports = {
  require: ["test/ts-node-swc.js", "test/native-source-maps.ts", "test/temp-dir.ts", "test/gate/helpers.ts"],
  timeout: 60000,
  reporter: "dot",
};
