// mocha runs the TypeScript tests through ts-node without type-checking (tsc --noEmit does that);
// test/gate/helpers.ts is also a root hook plugin: it closes the policy pack the gate tests share.
"use strict";
module.exports = {
  require: ["ts-node/register/transpile-only", "test/gate/helpers.ts"],
  spec: ["test/**/*.test.ts"],
  timeout: 60000,
  reporter: "dot",
};
