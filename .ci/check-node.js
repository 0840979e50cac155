// Runs first in every npm script that loads @pulumi/pulumi (package.json: `pretest`, and
// `node .ci/check-node.js && ...` in check, show-password, leverage-credentials, engine:pulumi,
// test:engine): on a Node older than package.json's engines, one line that says so, instead of
// `node: bad option: --run` or a syntax error deep in a dependency. lint and format run on
// Node 20 too (eslint, prettier), so they go unchecked. Prints nothing when Node is new enough:
// `npm run --silent show-password` is used in pipes. Plain old JavaScript on purpose: it must run
// on the old Node it reports.
"use strict";

/** What the user typed, from npm's name for the running script ("pretest" for `npm test`). */
function commandOf(event) {
  if (!event) return "this project";
  if (event === "test" || event === "pretest") return "npm test";
  return "npm run " + event;
}

/** The problem with running `command` on `version` (e.g. "20.20.2") under `engines` (">=22"), or "". */
function nodeVersionProblem(version, engines, command) {
  var match = /^>=\s*(\d+)/.exec(engines);
  if (!match) return "package.json engines.node is " + JSON.stringify(engines) + "; expected >=MAJOR";
  if (Number(version.split(".")[0]) >= Number(match[1])) return "";
  return (
    (command || "npm test") +
    " needs Node " +
    engines +
    " (package.json engines), this is Node v" +
    version +
    ": run `source .ci/node-env.sh` first, which puts the Node of .node-version on PATH"
  );
}

module.exports = { nodeVersionProblem: nodeVersionProblem, commandOf: commandOf };

if (require.main === module) {
  var problem = nodeVersionProblem(
    process.versions.node,
    require("../package.json").engines.node,
    commandOf(process.env.npm_lifecycle_event),
  );
  if (problem) {
    process.stderr.write(problem + "\n");
    process.exitCode = 1;
  }
}
