import { strict as assert } from "node:assert";
import { execFile, execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { temporaryFolder } from "../handoff/helpers";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "..", "..");
const PIN = readFileSync(path.join(ROOT, ".node-version"), "utf8").trim();

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { nodeVersionProblem } = require("../../.ci/check-node.js") as {
  nodeVersionProblem(version: string, engines: string, command?: string): string;
};

function has(shell: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${shell}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * A copy of the repository's .ci/node-env.sh and .node-version in a throwaway "repository", and a
 * bin folder with a stub `node` (the machine's, an older release) and a stub `npm` that either
 * fails as npm does with the registry unreachable or installs a stub `node` of the pinned release
 * where the real `node` package puts it. No network, and nothing touches the real .ci/.node.
 */
function sandbox(npm: "fails" | "installs", machineNode = "v20.20.2") {
  const folder = temporaryFolder("node-env");
  const repo = path.join(folder.dir, "repo");
  const bin = path.join(folder.dir, "bin");
  mkdirSync(path.join(repo, ".ci"), { recursive: true });
  mkdirSync(path.join(repo, "sub"));
  mkdirSync(bin);
  copyFileSync(path.join(ROOT, ".ci", "node-env.sh"), path.join(repo, ".ci", "node-env.sh"));
  copyFileSync(path.join(ROOT, ".node-version"), path.join(repo, ".node-version"));
  const script = (file: string, body: string) => {
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
  };
  script(path.join(bin, "node"), `echo ${machineNode}`);
  const calls = path.join(folder.dir, "npm-calls");
  script(
    path.join(bin, "npm"),
    npm === "fails"
      ? `echo "$*" >> "${calls}"\necho "npm error code ECONNREFUSED" >&2\necho "npm error request to https://registry.example/node failed, reason: connect ECONNREFUSED" >&2\nexit 1`
      : `echo "$*" >> "${calls}"
while [ $# -gt 0 ]; do [ "$1" = --prefix ] && prefix=$2; shift; done
mkdir -p "$prefix/node_modules/node/bin"
printf '#!/bin/sh\\necho v${PIN}\\n' > "$prefix/node_modules/node/bin/node"
chmod +x "$prefix/node_modules/node/bin/node"
echo "added 2 packages"`,
  );
  /** Runs `script` in `shell` from `cwd`, with the stubs first on PATH; never rejects. */
  const shellRun = async (shell: string, cwd: string, script: string) => {
    const args = shell === "zsh" ? ["-f", "-c", script] : ["-c", script];
    const env = { PATH: `${bin}:/usr/bin:/bin`, HOME: folder.dir };
    try {
      return { code: 0, ...(await run(shell, args, { cwd, env })) };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };
  /** Sources `sourced` (node-env.sh), then prints the status and `node --version`. */
  const source = (shell: string, cwd: string, sourced: string) =>
    shellRun(shell, cwd, `. ${sourced}; echo "status=$?"; node --version`);
  const npmCalls = () => (existsSync(calls) ? readFileSync(calls, "utf8") : "");
  return { repo, source, shellRun, npmCalls, cleanup: folder.cleanup };
}

describe(".ci/node-env.sh (Node of .node-version first on PATH) and npm test's Node check", () => {
  it(".node-version names one exact Node 24 release", () => {
    assert.match(PIN, /^24\.\d+\.\d+$/);
  });

  for (const shell of ["bash", "zsh", "dash"]) {
    describe(`sourced from ${shell}`, function () {
      before(function () {
        if (!has(shell)) this.skip();
      });
      // sh (dash) cannot tell a sourced file its own path: it is sourced in the repository root.
      const fromElsewhere = shell !== "dash";

      it(`installs the pinned Node into the repository's .ci/.node and puts it first on PATH${fromElsewhere ? ", sourced from another folder" : ""}`, async () => {
        const box = sandbox("installs");
        try {
          const cwd = fromElsewhere ? path.dirname(box.repo) : box.repo;
          const sourced = fromElsewhere ? path.join(box.repo, ".ci", "node-env.sh") : ".ci/node-env.sh";
          const { stdout, stderr } = await box.source(shell, cwd, sourced);
          assert.equal(stdout, `status=0\nv${PIN}\n`);
          assert.match(
            stderr,
            new RegExp(`^node-env: installing Node ${PIN} .* \\(this machine has v20\\.20\\.2\\)\\n$`),
          );
          assert.match(box.npmCalls(), new RegExp(`--prefix ${box.repo}/\\.ci/\\.node node@${PIN}`));
        } finally {
          box.cleanup();
        }
      });

      it("fails loudly with npm's reason when the registry is unreachable, and leaves PATH alone", async () => {
        const box = sandbox("fails");
        try {
          const { stdout, stderr } = await box.source(shell, box.repo, ".ci/node-env.sh");
          assert.equal(stdout, "status=1\nv20.20.2\n");
          assert.match(
            stderr,
            /npm error request to https:\/\/registry\.example\/node failed, reason: connect ECONNREFUSED/,
          );
          assert.match(
            stderr,
            new RegExp(
              `node-env: npm could not install node@${PIN} \\(npm's reason is above\\); Node is still v20\\.20\\.2\\n$`,
            ),
          );
        } finally {
          box.cleanup();
        }
      });

      it("leaves the machine's Node when it is the pinned release, without calling npm", async () => {
        const box = sandbox("fails", `v${PIN}`);
        try {
          const { stdout, stderr } = await box.source(shell, box.repo, ".ci/node-env.sh");
          assert.equal(stdout, `status=0\nv${PIN}\n`);
          assert.equal(stderr, "");
          assert.equal(box.npmCalls(), "");
        } finally {
          box.cleanup();
        }
      });
    });
  }

  it("from sh outside the repository root: one line saying where to run it, nothing installed", async function () {
    if (!has("dash")) this.skip();
    const box = sandbox("installs");
    try {
      const { stdout, stderr } = await box.source("dash", path.join(box.repo, "sub"), "../.ci/node-env.sh");
      assert.equal(stdout, "status=1\nv20.20.2\n");
      assert.equal(
        stderr,
        "node-env: cannot find the repository; from sh, run it in the repository root: . .ci/node-env.sh\n",
      );
      assert.equal(box.npmCalls(), "");
    } finally {
      box.cleanup();
    }
  });

  it("works under .ci/run's set -euo pipefail, and stops it when Node cannot be provisioned", async () => {
    const script = 'set -euo pipefail; source .ci/node-env.sh; echo "reached $(node --version)"';
    const ok = sandbox("installs");
    const failing = sandbox("fails");
    try {
      const passed = await ok.shellRun("bash", ok.repo, script);
      assert.equal(passed.code, 0, passed.stderr);
      assert.equal(passed.stdout, `reached v${PIN}\n`);
      const stopped = await failing.shellRun("bash", failing.repo, script);
      assert.equal(stopped.code, 1);
      assert.equal(stopped.stdout, "");
      assert.match(stopped.stderr, /node-env: npm could not install/);
    } finally {
      ok.cleanup();
      failing.cleanup();
    }
  });

  describe("npm test's pretest (.ci/check-node.js)", () => {
    it("says in one line that Node is too old for package.json engines, and what to do", () => {
      const problem = nodeVersionProblem("20.20.2", ">=22");
      assert.equal(
        problem,
        "npm test needs Node >=22 (package.json engines), this is Node v20.20.2: run `source .ci/node-env.sh` first, which puts the Node of .node-version on PATH",
      );
      assert.equal(nodeVersionProblem("22.0.0", ">=22"), "");
      assert.equal(nodeVersionProblem(PIN, ">=22"), "");
    });

    it("runs before npm test's scripts, and the pinned release satisfies engines", () => {
      const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
        scripts: Record<string, string>;
        engines: { node: string };
      };
      assert.equal(pkg.scripts.pretest, "node .ci/check-node.js");
      assert.equal(nodeVersionProblem(PIN, pkg.engines.node), "");
    });
  });

  describe("every npm script that loads @pulumi/pulumi checks Node first (.ci/check-node.js)", () => {
    // lint and format run on Node 20 (eslint, prettier): unchecked.
    // Each with arguments that keep a regression (the tool running after all) quick: help, a dry run.
    const SCRIPTS = {
      check: ["--help"],
      "show-password": ["--help"],
      "leverage-credentials": ["--help"],
      "engine:pulumi": ["version"],
      "test:engine": ["--dry-run"],
    };
    const OLD_NODE = "/usr/bin/node"; // the machine's own Node, older than engines on this project's machines
    let oldVersion = "";
    before(function () {
      try {
        oldVersion = execFileSync(OLD_NODE, ["--version"], { encoding: "utf8" }).trim();
      } catch {
        this.skip();
      }
      if (Number(/^v(\d+)/.exec(oldVersion)?.[1]) >= 22) this.skip();
    });

    it("on an older Node each says so in one line on stderr and stops before its tool loads", async () => {
      // The old Node and its npm, as for someone who forgot `source .ci/node-env.sh`; no Go (no build).
      const env = { ...process.env, PATH: `${path.dirname(OLD_NODE)}:/bin` };
      const results = await Promise.all(
        Object.entries(SCRIPTS).map(([script, args]) =>
          run("npm", ["run", "--silent", script, "--", ...args], { cwd: ROOT, env, timeout: 60_000 }).then(
            (r) => ({ script, code: 0, ...r }),
            (e: { code: number; stdout: string; stderr: string }) => ({ script, ...e }),
          ),
        ),
      );
      for (const r of results) {
        assert.deepEqual(
          { script: r.script, code: r.code, stdout: r.stdout, stderr: r.stderr },
          {
            script: r.script,
            code: 1,
            stdout: "",
            stderr: `npm run ${r.script} needs Node >=22 (package.json engines), this is Node ${oldVersion}: run \`source .ci/node-env.sh\` first, which puts the Node of .node-version on PATH\n`,
          },
        );
      }
    });

    it("prints nothing on a new enough Node (show-password's output goes through pipes)", async () => {
      const env = { ...process.env, npm_lifecycle_event: "show-password" };
      const r = await run(process.execPath, [".ci/check-node.js"], { cwd: ROOT, env });
      assert.deepEqual(r, { stdout: "", stderr: "" });
    });
  });
});
