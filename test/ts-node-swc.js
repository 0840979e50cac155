// `ts-node --swc` for `node -r` and mocha's `require`, which take a module, not a flag: TypeScript
// run without type-checking (npm test's tsc --noEmit does that), each file transpiled by swc.
// transpileOnly too, or a TS_NODE_TRANSPILE_ONLY=false inherited from the environment makes
// ts-node refuse swc. Not the tsconfig's "ts-node" section: the Pulumi language host reads it, and
// with swc there it refuses to type-check the program.
"use strict";
require("ts-node").register({ swc: true, transpileOnly: true });
