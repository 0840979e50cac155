// `ts-node --swc` for `node -r` and mocha's `require`, which take a module, not a flag: TypeScript
// run without type-checking (npm test's tsc --noEmit does that), each file transpiled by swc.
// Not the tsconfig's "ts-node" section: the Pulumi language host reads it, and with swc there it
// refuses to type-check the program.
"use strict";
require("ts-node").register({ swc: true });
