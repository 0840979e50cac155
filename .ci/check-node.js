// `npm test`'s pretest: on a Node older than package.json's engines, one line that says so
// (instead of `node: bad option: --run` from npm-run-all2). Plain old JavaScript on purpose: it
// must run on the old Node it reports.
"use strict";

/** The problem with running on `version` (e.g. "20.20.2") under `engines` (">=22"), or "". */
function nodeVersionProblem(version, engines) {
  var match = /^>=\s*(\d+)/.exec(engines);
  if (!match) return "package.json engines.node is " + JSON.stringify(engines) + "; expected >=MAJOR";
  if (Number(version.split(".")[0]) >= Number(match[1])) return "";
  return (
    "npm test needs Node " +
    engines +
    " (package.json engines), this is Node v" +
    version +
    ": run `source .ci/node-env.sh` first, which puts the Node of .node-version on PATH"
  );
}

module.exports = { nodeVersionProblem: nodeVersionProblem };

if (require.main === module) {
  var problem = nodeVersionProblem(process.versions.node, require("../package.json").engines.node);
  if (problem) {
    process.stderr.write(problem + "\n");
    process.exitCode = 1;
  }
}
