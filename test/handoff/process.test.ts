import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { FAKE_SECRET_ACCESS_KEY, plainOutputs, temporaryFolder } from "./helpers";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "..", "..");

/** Runs a hand-off tool the way its npm script does (handoff/main.js), as a real process. */
async function runTool(tool: string, args: string[], input?: string) {
  const child = run(process.execPath, [path.join(ROOT, "handoff", "main.js"), tool, ...args], {
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
    assert.equal(packageJson.scripts["leverage-credentials"], "node handoff/main.js leverage-credentials");
    assert.equal(packageJson.scripts["show-password"], "node handoff/main.js show-password");
  });

  it("an unknown tool name: exit 2, one line naming it and the tools there are", async () => {
    const result = await runTool("show-passwords", []);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, "");
    assert.equal(
      result.stderr,
      'handoff: unknown tool "show-passwords"; expected one of: show-password, leverage-credentials\n',
    );
  });

  // Few processes: the in-process tests cover behaviour.
  it("exits 2 with one line on stderr and nothing on stdout or disk for bad input on stdin", async () => {
    const folder = temporaryFolder("handoff-process");
    try {
      const csv = path.join(folder.dir, "keys.csv");
      const broken = JSON.stringify(plainOutputs()).slice(0, -2);
      const result = await runTool("leverage-credentials", ["--output", csv], broken);
      assert.equal(result.code, 2);
      assert.equal(result.stdout, "");
      assert.match(result.stderr, /^leverage-credentials: stack output is not valid JSON;[^\n]*\n$/);
      assert.ok(!result.stderr.includes(FAKE_SECRET_ACCESS_KEY));
      assert.ok(!existsSync(csv));
      assert.ok(!existsSync(path.join(ROOT, "keys.csv")), "nothing written to the repository");
    } finally {
      folder.cleanup();
    }
  });
});
