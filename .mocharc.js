// mocha's configuration. `npm test` runs the test files in two parallel workers, which take them
// in the order of `spec`: the checker's (the slowest) first, then path order.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const all = fs
  .readdirSync(path.join(__dirname, "test"), { recursive: true })
  .map((f) => path.posix.join("test", ...f.split(path.sep)))
  .filter((f) => f.endsWith(".test.ts"))
  .sort();
const checker = all.filter((f) => f.startsWith("test/checker/"));
const rest = all.filter((f) => !checker.includes(f));

module.exports = {
  require: ["./test/register.js"],
  spec: [...checker, ...rest],
  extension: ["ts"],
  timeout: 20000,
  reporter: "dot",
};
