// mocha's configuration. `npm test` runs the test files in two parallel workers, which take them
// in the order of `spec`: path order, except that the policy pack build tests come right after
// the checker's. They are the longest file after the checker's two (~5 s of pack builds and
// loads); last in path order, they ran alone for the final seconds of npm test, one core idle.
// Moved up, they overlap with the short files instead. Seven alternating first runs after
// npm ci: median 21.9 s against 24.7 s (docs/performance.md). Putting every slow file first
// was slower: their cold starts then pile up at the beginning.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const MOVED_UP = "test/policy/pack-entry.test.ts";

const all = fs
  .readdirSync(path.join(__dirname, "test"), { recursive: true })
  .map((f) => path.posix.join("test", ...f.split(path.sep)))
  .filter((f) => f.endsWith(".test.ts"))
  .sort();
if (!all.includes(MOVED_UP)) throw new Error(`.mocharc.js: ${MOVED_UP} does not exist; update MOVED_UP`);
const checker = all.filter((f) => f.startsWith("test/checker/"));
const rest = all.filter((f) => !checker.includes(f) && f !== MOVED_UP);

module.exports = {
  require: ["./test/register.js"],
  spec: [...checker, MOVED_UP, ...rest],
  extension: ["ts"],
  timeout: 20000,
  reporter: "dot",
};
