import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
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
  it("documents every config key of Pulumi.yaml with its default", () => {
    const project = yaml.load(readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
      config: Record<string, { default?: unknown }>;
    };
    // The optional-settings table: | `key` | default | meaning |
    const start = runbook.indexOf("Optional settings");
    assert.ok(start > 0, "the runbook has an optional-settings table");
    const table = runbook.slice(start, runbook.indexOf("\n\n", runbook.indexOf("| ---", start)));
    const rows = new Map(
      [...table.matchAll(/^\| `(\w+)`\s*\| ([^|]+?)\s*\|/gm)].map((m) => [
        m[1],
        m[2].replace(/^`"?|"?`$/g, ""),
      ]),
    );
    const optionalKeys = Object.keys(project.config).filter((key) => key !== "projectName");
    assert.deepEqual([...rows.keys()].sort(), optionalKeys.sort());
    for (const key of optionalKeys) {
      const declared = project.config[key].default;
      if (declared === undefined || declared === "") continue; // documented as "unset" or derived
      assert.equal(rows.get(key), String(declared), `default of ${key}`);
    }
    assert.ok(runbook.includes("pulumi config set projectName"), "the required key is set in the steps");
  });

  it("installs the Pulumi CLI release of the pinned SDK", () => {
    const versions = [...runbook.matchAll(/--version (\d+\.\d+\.\d+)/g)].map((m) => m[1]);
    assert.deepEqual(versions, [pkg.dependencies["@pulumi/pulumi"]]);
  });

  it("uses only flags the hand-off tools have", () => {
    const used = (tool: string) =>
      [...runbook.matchAll(new RegExp(`npm run --silent ${tool}(?: -- )?([^\\n|]*)`, "g"))].flatMap((m) =>
        [...m[1].matchAll(/--[a-z-]+/g)].map((f) => f[0]),
      );
    const credentialsFlags = used("leverage-credentials");
    const passwordFlags = used("show-password");
    assert.ok(credentialsFlags.includes("--private-key") && passwordFlags.includes("--private-key"));
    for (const flag of credentialsFlags) assert.ok(LEVERAGE_CREDENTIALS_USAGE.includes(flag), flag);
    for (const flag of passwordFlags) assert.ok(SHOW_PASSWORD_USAGE.includes(flag), flag);
  });

  it("runs only npm scripts that exist, as do the workflows", () => {
    const workflowTexts = ["checks.yml", "pull-request.yml", "deploy.yml"].map((f) =>
      readFileSync(path.join(ROOT, ".github", "workflows", f), "utf8"),
    );
    const scripts = new Set(
      [runbook, ...workflowTexts].flatMap((text) =>
        [...text.matchAll(/npm run (?:--silent )?([a-z][\w:-]*)/g)].map((m) => m[1]),
      ),
    );
    for (const expected of ["check", "leverage-credentials", "show-password"])
      assert.ok(scripts.has(expected), expected);
    for (const script of scripts) assert.ok(script in pkg.scripts, `npm run ${script} exists`);
  });
});
