import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, plainOutputs, temporaryFolder } from "./helpers";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "..", "..");

/**
 * Runs `npm --prefix ROOT run --silent TOOL -- ARGS` from `cwd`, as an operator would from another
 * folder. npm then runs the script in ROOT and leaves `cwd` in INIT_CWD. The npm and ts-node
 * started run on this test's Node (its folder first on PATH).
 */
async function runThroughNpm(
  cwd: string,
  tool: string,
  args: string[],
  input?: string,
  extraEnv: Record<string, string> = {},
) {
  const env = {
    ...process.env,
    PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`,
    ...extraEnv,
  };
  const child = run("npm", ["--prefix", ROOT, "run", "--silent", tool, "--", ...args], { cwd, env });
  child.child.stdin?.end(input ?? "");
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("handoff CLIs as processes (npm scripts, exit status, streams, working folder)", () => {
  const packageJson = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };

  it("npm scripts check Node, then start each tool with stock ts-node, transpiled by swc (no type check: npm test does that)", () => {
    assert.equal(
      packageJson.scripts["leverage-credentials"],
      "node .ci/check-node.js && ts-node --transpile-only --swc handoff/leverageCredentials.ts",
    );
    assert.equal(
      packageJson.scripts["show-password"],
      "node .ci/check-node.js && ts-node --transpile-only --swc handoff/showPassword.ts",
    );
  });

  // Few processes: the in-process tests cover behaviour.
  it("relative --stack-output and --output resolve in the folder npm was run from, not the repository", async () => {
    const folder = temporaryFolder("handoff-npm");
    try {
      writeFileSync(path.join(folder.dir, "outputs.json"), JSON.stringify(plainOutputs()));
      const result = await runThroughNpm(folder.dir, "leverage-credentials", [
        "--stack-output",
        "outputs.json",
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, "", "npm --silent prints no banner");
      assert.match(result.stderr, /^leverage-credentials: wrote keys\.csv \(mode 0600\)/);
      const csv = path.join(folder.dir, "keys.csv");
      assert.equal(
        readFileSync(csv, "utf8"),
        `Access key ID,Secret access key\n${FAKE_ACCESS_KEY_ID},${FAKE_SECRET_ACCESS_KEY}\n`,
      );
      assert.equal(statSync(csv).mode & 0o777, 0o600);
      assert.ok(!existsSync(path.join(ROOT, "keys.csv")), "nothing written to the repository");
    } finally {
      folder.cleanup();
    }
  });

  // A TS_NODE_TRANSPILE_ONLY=false left in the shell would make ts-node refuse --swc alone.
  it("npm run --silent show-password --password-only pipes exactly the password and a newline, whatever TS_NODE_TRANSPILE_ONLY says", async () => {
    const folder = temporaryFolder("handoff-npm");
    try {
      const result = await runThroughNpm(
        folder.dir,
        "show-password",
        ["--password-only"],
        JSON.stringify(plainOutputs()),
        { TS_NODE_TRANSPILE_ONLY: "false" },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `${plainOutputs().consolePassword as string}\n`);
      assert.equal(result.stderr, "");
    } finally {
      folder.cleanup();
    }
  });

  it("bad input on stdin: exit 2, one line on stderr, nothing on stdout or disk", async () => {
    const folder = temporaryFolder("handoff-npm");
    try {
      const broken = JSON.stringify(plainOutputs()).slice(0, -2);
      const result = await runThroughNpm(folder.dir, "leverage-credentials", [], broken);
      assert.equal(result.code, 2);
      assert.equal(result.stdout, "");
      assert.match(result.stderr, /^leverage-credentials: stack output is not valid JSON;[^\n]*\n$/);
      assert.ok(!result.stderr.includes(FAKE_SECRET_ACCESS_KEY));
      assert.ok(!existsSync(path.join(folder.dir, "keys.csv")));
      assert.ok(!existsSync(path.join(ROOT, "keys.csv")), "nothing written to the repository");
    } finally {
      folder.cleanup();
    }
  });
});
