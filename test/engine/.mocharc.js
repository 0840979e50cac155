// `npm run test:engine`: the engine tests (*.engine.ts, which `npm test`'s spec does not match),
// after setup.ts has built the CLI (or said why not and skipped them all). Two files at a time:
// docs, lifecycle and account are chains of commands that leave a core idle, which fidelity's and
// attacks' pools of commands fill.
"use strict";
module.exports = {
  require: ["test/ts-node-swc.js", "test/engine/setup.ts"],
  spec: ["test/engine/*.engine.ts"],
  timeout: 300000,
  slow: 30000,
  reporter: "spec",
  parallel: true,
  jobs: 2,
};
