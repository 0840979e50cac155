import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { LEVERAGE_CREDENTIALS_USAGE } from "../../handoff/leverageCredentials";
import { SHOW_PASSWORD_USAGE } from "../../handoff/showPassword";

/** docs/runbook.md must stay true to the code it describes. */
const ROOT = path.resolve(__dirname, "..", "..");
const runbook = readFileSync(path.join(ROOT, "docs", "runbook.md"), "utf8");
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
};

describe("docs/runbook.md", () => {
  /** The shell commands of the runbook's code blocks, continuation lines joined, comments dropped. */
  const commands = [...runbook.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((m) => m[1].replace(/\\\n\s*/g, " ").split("\n"))
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line !== "" && !line.startsWith("#"));

  it("documents every config key of Pulumi.yaml with its default, in the docs' one settings table", () => {
    const project = yaml.load(readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
      config: Record<string, { default?: unknown }>;
    };
    // The settings table: | `key` | default | meaning |
    const start = runbook.indexOf("Every setting");
    assert.ok(start > 0, "the runbook has a settings table");
    const table = runbook.slice(start, runbook.indexOf("\n\n", runbook.indexOf("| ---", start)));
    const rows = new Map(
      [...table.matchAll(/^\| `(\w+)`\s*\| ([^|]+?)\s*\|/gm)].map((m) => [
        m[1],
        m[2].replace(/^`"?|"?`$/g, ""),
      ]),
    );
    assert.deepEqual([...rows.keys()].sort(), Object.keys(project.config).sort());
    for (const [key, { default: declared }] of Object.entries(project.config)) {
      if (declared === undefined) assert.equal(rows.get(key), "required", key);
      else if (declared !== "") assert.equal(rows.get(key), String(declared), `default of ${key}`);
    }
    assert.ok(
      commands.includes("pulumi config set --stack management projectName acme"),
      "the required key is set in the steps",
    );
    // One table: the README points to the runbook instead of keeping a second one.
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    assert.doesNotMatch(readme, /^\| `?(?:passwordLength|credentialsRotation)`? +\|/m);
  });

  it("installs the Pulumi CLI release of the pinned SDK", () => {
    const versions = [...runbook.matchAll(/--version (\d+\.\d+\.\d+)/g)].map((m) => m[1]);
    assert.deepEqual(versions, [pkg.dependencies["@pulumi/pulumi"]]);
  });

  it("uses only flags the hand-off tools have", () => {
    // Commands with their continuation lines joined; `npm --prefix DIR run` counts as `npm run`.
    const joined = runbook.replace(/\\\n\s*/g, " ").replace(/npm --prefix \S+ run/g, "npm run");
    const used = (tool: string) =>
      [...joined.matchAll(new RegExp(`npm run --silent ${tool}(?: -- )?([^\\n|]*)`, "g"))].flatMap((m) =>
        [...m[1].matchAll(/--[a-z-]+/g)].map((f) => f[0]),
      );
    const credentialsFlags = used("leverage-credentials");
    const passwordFlags = used("show-password");
    assert.ok(credentialsFlags.includes("--private-key") && passwordFlags.includes("--private-key"));
    for (const flag of credentialsFlags) assert.ok(LEVERAGE_CREDENTIALS_USAGE.includes(flag), flag);
    for (const flag of passwordFlags) assert.ok(SHOW_PASSWORD_USAGE.includes(flag), flag);
    assert.doesNotMatch(runbook, /npm run (?:show-password|leverage-credentials)/, "always npm run --silent");
  });

  it("destroys with flags `pulumi destroy` has (it has no --policy-pack)", () => {
    const destroys = commands.filter((c) => /\bpulumi destroy\b/.test(c));
    assert.ok(destroys.length > 0, "the runbook destroys the stack");
    for (const c of destroys) assert.doesNotMatch(c, /--policy-pack/, c);
  });

  it("comes back to the same backend, passphrase, stack and config before rotating or destroying", () => {
    const section = (title: string) => {
      const start = runbook.search(new RegExp(`^## \\d+\\. ${title}`, "m"));
      assert.ok(start >= 0, `section ${title}`);
      return { start, text: runbook.slice(start, runbook.indexOf("\n## ", start + 1)) };
    };
    const later = section("Coming back later");
    assert.ok(later.start < section("Rotate").start && later.start < section("Destroy").start);
    for (const step of [
      "pulumi login",
      "PULUMI_CONFIG_PASSPHRASE",
      "pulumi config --stack management",
      "Pulumi.management.yaml",
      // The gate plans the operator's stack, not the example dev stack.
      "pulumi stack export --stack management --file state.json",
      "npm run check -- --stack management --policy-pack-config .github/policy-pack-config.json --state state.json",
      "pulumi preview --stack management --expect-no-changes",
    ]) {
      assert.ok(later.text.includes(step), step);
    }
    assert.match(section("Rotate").text, /after section 7/);
    assert.match(section("Destroy").text, /after section 7/);
  });

  it("keeps the stack's config where it survives, under a stack name the example config does not use", () => {
    assert.ok(commands.includes("pulumi stack init management --secrets-provider passphrase"));
    assert.ok(!commands.some((c) => /pulumi stack (?:init|select|rm) dev\b/.test(c)), "no stack named dev");
    assert.ok(
      commands.includes("ln -s ~/bootstrap/Pulumi.management.yaml Pulumi.management.yaml") ||
        runbook.includes("`ln -s ~/bootstrap/Pulumi.management.yaml Pulumi.management.yaml`"),
    );
    // Not committed (a try-out with npm run engine:pulumi may have one in the working tree).
    const committed = execFileSync("git", ["ls-files", "Pulumi.*.yaml"], { cwd: ROOT, encoding: "utf8" });
    assert.deepEqual(
      committed.split("\n").filter(Boolean),
      ["Pulumi.dev.yaml"],
      "no committed config for that stack",
    );
  });

  it("never writes the private key to disk", () => {
    const keyArgs = [...runbook.matchAll(/--private-key (\S+(?: \S+)*?\))/g)].map((m) => m[1]);
    assert.ok(keyArgs.length >= 2);
    for (const arg of keyArgs) assert.equal(arg, "<(gpg --export-secret-keys --armor FINGERPRINT)");
    assert.doesNotMatch(runbook, /--export-secret-keys[^\n]*>\s*\S/, "no export into a file");
    assert.doesNotMatch(runbook, /--private-key [\w.~/-]+\.asc/);
  });

  it("gets keys.csv into the Leverage project folder and shreds every copy", () => {
    const configure = commands.filter((c) => c.startsWith("leverage credentials configure"));
    assert.ok(configure.length >= 2);
    for (const c of configure) {
      const after = commands.slice(commands.indexOf(c) + 1);
      assert.ok(after[0]?.startsWith("shred -u keys.csv"), `shred right after: ${c}`);
    }
    assert.ok(
      commands.some((c) => c.startsWith("cd ~/leverage/acme")),
      "runs in the Leverage project folder",
    );
    assert.ok(commands.includes("shred -u ~/keys.csv"), "the CloudShell copy goes too");
  });

  it("gitignores every file the runbook, README or workflows have created in the clone", () => {
    const created = new Set([
      "keys.csv",
      "private.asc",
      "state.json",
      "outputs.json",
      "policy.sarif",
      "policy.xml",
    ]);
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const readmeCommands = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1].split("\n"));
    for (const c of [...commands, ...readmeCommands]) {
      for (const m of c.matchAll(/(?:\s>\s*|--output |--file )([\w.][\w./-]*)/g)) created.add(m[1]);
    }
    created.add("reports/policy-dev.sarif");
    // npm run engine:pulumi's local backend and stand-in account (README, "Try it without AWS").
    created.add(".pulumi-local/.pulumi/meta.yaml");
    // One git call: it prints the paths that are ignored; exit status 1 when none is.
    let ignored = "";
    try {
      ignored = execFileSync("git", ["check-ignore", "--no-index", ...created], {
        cwd: ROOT,
        encoding: "utf8",
      });
    } catch (error) {
      ignored = (error as { stdout?: string }).stdout ?? "";
    }
    const problems = [...created].filter((file) => !ignored.split("\n").includes(file));
    assert.deepEqual(problems, []);
  });

  it("runs only npm scripts that exist, as do the README and the workflows", () => {
    const workflowTexts = ["checks.yml", "pull-request.yml", "deploy.yml"].map((f) =>
      readFileSync(path.join(ROOT, ".github", "workflows", f), "utf8"),
    );
    const scripts = new Set(
      [runbook, readFileSync(path.join(ROOT, "README.md"), "utf8"), ...workflowTexts].flatMap((text) =>
        [...text.matchAll(/npm run (?:--silent )?([a-z][\w:-]*)/g)].map((m) => m[1]),
      ),
    );
    for (const expected of ["check", "leverage-credentials", "show-password"])
      assert.ok(scripts.has(expected), expected);
    for (const script of scripts) assert.ok(script in pkg.scripts, `npm run ${script} exists`);
  });
});

describe("the repository's references", () => {
  it("cite what a clone has or a public URL, never a folder beside the repository", () => {
    const files = execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" })
      .split("\0")
      .filter((f) => f && existsSync(path.join(ROOT, f)));
    // A folder beside the clone (the seed notes, the work folders) exists only where this was written.
    const outside = /(?:^|[\s("'`])(?:\.\.\/)+shared\/|\/work\/(?:shared|notes|main|wt-)/m;
    const problems = files.filter((f) => outside.test(readFileSync(path.join(ROOT, f), "utf8")));
    assert.deepEqual(problems, []);
  });
});
