// mocha runs the TypeScript tests through ts-node without type-checking (tsc --noEmit does that).
"use strict";
module.exports = {
  require: ["ts-node/register/transpile-only"],
  spec: ["test/**/*.test.ts"],
  timeout: 60000,
  reporter: "dot",
};
