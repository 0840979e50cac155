import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, plainOutputs, temporaryFolder } from "./helpers";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "..", "..");

/** Runs a hand-off script the way its npm script does (ts-node, transpile only), as a real process. */
async function runTool(script: string, args: string[], input?: string) {
  const child = run(process.execPath, ["-r", "ts-node/register/transpile-only", script, ...args], {
    cwd: ROOT,
  });
  if (input !== undefined) child.child.stdin?.end(input);
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("handoff CLIs as processes (exit status, streams, npm scripts)", () => {
  const packageJson = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };

  it("npm scripts point at the two tools", () => {
    assert.equal(
      packageJson.scripts["leverage-credentials"],
      "ts-node --transpile-only handoff/leverageCredentials.ts",
    );
    assert.equal(packageJson.scripts["show-password"], "ts-node --transpile-only handoff/showPassword.ts");
  });

  it("exit 0 with a 0600 CSV, and exit 2 with one line on bad input (both tools, in parallel)", async () => {
    const folder = temporaryFolder("handoff-process");
    try {
      const outputsFile = path.join(folder.dir, "outputs.json");
      writeFileSync(outputsFile, JSON.stringify(plainOutputs()));
      const csv = path.join(folder.dir, "keys.csv");
      const [written, refused] = await Promise.all([
        runTool("handoff/leverageCredentials.ts", ["--stack-output", outputsFile, "--output", csv]),
        runTool("handoff/showPassword.ts", [], "{not json"),
      ]);
      assert.equal(written.code, 0, written.stderr);
      assert.equal(written.stdout, "");
      assert.equal(
        readFileSync(csv, "utf8"),
        `Access key ID,Secret access key\n${FAKE_ACCESS_KEY_ID},${FAKE_SECRET_ACCESS_KEY}\n`,
      );
      assert.equal(statSync(csv).mode & 0o777, 0o600);
      assert.ok(!written.stderr.includes(FAKE_SECRET_ACCESS_KEY));

      // stdout is a pipe here, so show-password refuses before it even reads the input.
      assert.equal(refused.code, 2);
      assert.equal(refused.stdout, "");
      assert.match(
        refused.stderr,
        /^show-password: refusing to print the console password into a pipe or file[^\n]*\n$/,
      );
      assert.ok(!existsSync(path.join(ROOT, "keys.csv")), "nothing written to the repository");
    } finally {
      folder.cleanup();
    }
  });
});
