/**
 * Required by .mocharc.js: the temporary folders the tests make, and the processes they start, go under
 * one folder for the run (TMPDIR, which os.tmpdir() reads at each call), removed when the run ends.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const runTmp = fs.mkdtempSync(path.join(os.tmpdir(), "mb-test-"));
process.env.TMPDIR = runTmp;

export function mochaGlobalTeardown() {
  fs.rmSync(runTmp, { recursive: true, force: true });
}
