import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";

/**
 * The command blocks of README.md and docs/runbook.md are what an operator types, in order (and
 * what the engine test executes): one stack name, the policy config on every preview and up,
 * exports that compose with the gate, placeholders from one small set.
 */
const ROOT = path.resolve(__dirname, "..", "..");
const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");
const DOCS = ["README.md", "docs/runbook.md"] as const;
const STACK = "management";
const POLICY = "--policy-pack policy --policy-pack-config .github/policy-pack-config.json";

/** Each ```sh block's commands: continuation lines joined, comments dropped. */
function blocks(text: string): string[][] {
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) =>
    m[1]
      .replace(/\\\n\s*/g, " ")
      .split("\n")
      .map((line) => line.replace(/\s+#.*$/, "").trim())
      .filter((line) => line !== "" && !line.startsWith("#")),
  );
}

/** The Pulumi CLI invocations in a command line (directly or through `npm run engine:pulumi --`), as argument strings. */
function pulumiCalls(command: string): string[] {
  return command
    .split(/&&|\|\||;|\|/)
    .map((segment) => segment.trim())
    .flatMap((segment) => {
      const m = /^(?:pulumi|npm run engine:pulumi --)\s+(.*)$/.exec(segment);
      return m ? [m[1]] : [];
    });
}

const commandsOf = Object.fromEntries(DOCS.map((doc) => [doc, blocks(read(doc)).flat()])) as Record<
  (typeof DOCS)[number],
  string[]
>;
const allCommands = DOCS.flatMap((doc) => commandsOf[doc].map((command) => ({ doc, command })));

describe("README.md and docs/runbook.md command blocks", () => {
  it("name the one stack, management, on every Pulumi command that acts on a stack", () => {
    const calls = allCommands.flatMap(({ doc, command }) =>
      pulumiCalls(command).map((args) => ({ doc, args })),
    );
    assert.ok(calls.length >= 20, `found ${calls.length} pulumi commands`);
    const problems = calls.filter(({ args }) => {
      if (/^(?:login|logout|version|whoami)\b/.test(args)) return false;
      if (/^stack (?:init|rm|select)\b/.test(args)) return !new RegExp(`^stack \\w+ ${STACK}\\b`).test(args);
      return !new RegExp(`--stack ${STACK}\\b`).test(args);
    });
    assert.deepEqual(problems, []);
  });

  it("show the policy pack and its config on every preview and up", () => {
    const runs = allCommands.flatMap(({ doc, command }) =>
      pulumiCalls(command)
        .filter((args) => /^(?:preview|up|update)\b/.test(args))
        .map((args) => ({ doc, args })),
    );
    assert.ok(
      runs.filter((r) => r.doc === "docs/runbook.md").length >= 5,
      "the runbook previews and deploys",
    );
    assert.deepEqual(
      runs.filter(({ args }) => !args.includes(POLICY)),
      [],
    );
  });

  it("run the gate on the runbook's stack with the same policy config as the engine", () => {
    const checks = commandsOf["docs/runbook.md"].filter((c) => c.startsWith("npm run check"));
    assert.ok(checks.length >= 3, "the runbook checks before deploying, coming back and rotating");
    for (const c of checks) {
      assert.match(c, new RegExp(`--stack ${STACK}\\b`), c);
      assert.ok(c.includes("--policy-pack-config .github/policy-pack-config.json"), c);
    }
  });

  it("export the stack they check, and remove the export in the same block", () => {
    let exports = 0;
    for (const doc of DOCS) {
      for (const block of blocks(read(doc))) {
        block.forEach((command, index) => {
          const m = /^npm run check .*--(?:state|file) (\S+)/.exec(command);
          if (!m) return;
          exports++;
          const file = m[1];
          const stack = /--stack (\S+)/.exec(command)?.[1];
          assert.ok(stack, `${doc}: ${command} names its stack`);
          const before = block.slice(0, index);
          assert.ok(
            before.some((c) => c === `pulumi stack export --stack ${stack} --file ${file}`),
            `${doc}: ${file} is exported from stack ${stack} before: ${command}`,
          );
          assert.ok(
            block.slice(index + 1).some((c) => new RegExp(`^rm (?:-f )?${file}$`).test(c)),
            `${doc}: ${file} is removed after: ${command}`,
          );
        });
      }
    }
    assert.ok(exports >= 3, `found ${exports}`);
  });

  it("use placeholders only from one small set, in capitals", () => {
    const allowed = new Set([
      // placeholders
      "FINGERPRINT",
      "BUCKET",
      "REGION",
      "ACCOUNT_ID",
      "OWNER",
      "REPO",
      // environment variables and literal arguments
      "PULUMI_HOME",
      "PULUMI_CONFIG_PASSPHRASE",
      "PATH",
      "HOME",
      "BOOTSTRAP",
    ]);
    const capitals = new Set(
      allCommands.flatMap(({ command }) => command.match(/\b[A-Z][A-Z0-9_]+\b/g) ?? []),
    );
    assert.deepEqual(
      [...capitals].filter((word) => !allowed.has(word)),
      [],
    );
    const angled = new Set(allCommands.flatMap(({ command }) => command.match(/<(?!\()[^>]*>/g) ?? []));
    assert.deepEqual([...angled], ["<your team's copy of this repository>"]);
  });

  it("leave the operator procedure to the runbook: the README deploys nothing itself", () => {
    const direct = commandsOf["README.md"].flatMap((c) =>
      c
        .split(/&&|;|\|/)
        .map((s) => s.trim())
        .filter((s) => s.startsWith("pulumi ")),
    );
    assert.deepEqual(direct, [`pulumi stack export --stack ${STACK} --file state.json`]);
    assert.ok(read("README.md").includes("[docs/runbook.md](docs/runbook.md)"));
  });
});

describe("docs/runbook.md policy documents and the workflows' stack", () => {
  const runbook = read("docs/runbook.md");
  const documents = [...runbook.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]);

  it("are valid JSON, in json blocks (no JSON in sh blocks)", () => {
    assert.ok(documents.length >= 4, `found ${documents.length}`);
    for (const text of documents) assert.doesNotThrow(() => JSON.parse(text), text);
    for (const block of blocks(runbook))
      for (const c of block) assert.doesNotMatch(c, /"Version"|"Statement"/);
  });

  it("trust the deploy job of the environment the workflows deploy to by default", () => {
    const subjects = documents.flatMap((text) =>
      [...text.matchAll(/"token\.actions\.githubusercontent\.com:sub": "([^"]+)"/g)].map((m) => m[1]),
    );
    assert.deepEqual(subjects, [`repo:OWNER/REPO:environment:${STACK}`]);
    const workflows = path.join(ROOT, ".github", "workflows");
    const defaults = readdirSync(workflows).flatMap((file) => {
      const text = readFileSync(path.join(workflows, file), "utf8");
      yaml.load(text); // still a YAML document
      return [...text.matchAll(/vars\.PULUMI_STACKS \|\| '([^']*)'/g)].map(
        (m) => JSON.parse(m[1]) as string[],
      );
    });
    assert.equal(defaults.length, 4, "checks, preview, deploy and audit each read PULUMI_STACKS");
    for (const d of defaults) assert.deepEqual(d, [STACK]);
    assert.ok(runbook.includes(`(default \`["${STACK}"]\`)`), "the variables table names the default");
  });

  it("give the preview role read-only access to an S3 state bucket, and the deploy role read-write", () => {
    const statementsOf = (text: string) =>
      (JSON.parse(text) as { Statement: { Action: string | string[] }[] }).Statement.flatMap((s) =>
        typeof s.Action === "string" ? [s.Action] : s.Action,
      );
    const s3 = documents.map(statementsOf).filter((actions) => actions.every((a) => a.startsWith("s3:")));
    assert.deepEqual(
      s3.map((actions) => actions.sort()),
      [
        ["s3:GetObject", "s3:ListBucket"],
        ["s3:DeleteObject", "s3:GetObject", "s3:ListBucket", "s3:PutObject"],
      ],
    );
  });
});

describe("docs/CODEOWNERS.example", () => {
  const lines = read("docs/CODEOWNERS.example")
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.startsWith("#"))
    .map((l) => l.trim().split(/\s+/));

  /** The owners of a path, as GitHub reads CODEOWNERS: the last matching pattern wins. */
  function ownersOf(file: string): string[] {
    let owners: string[] = [];
    for (const [pattern, ...who] of lines) {
      const anchored = pattern.replace(/^\//, "");
      const source = anchored
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, "[^/]*")
        .replace(/\/$/, "/.*");
      if (new RegExp(`^${source}$`).test(file)) owners = who;
    }
    return owners;
  }

  it("gives every path that can loosen what pulumi up does an owner", () => {
    for (const file of [
      "policy/policies/bootstrap-user-name.ts",
      "policy/policy-config.example.json",
      "lib/naming.ts",
      ".github/workflows/deploy.yml",
      ".github/CODEOWNERS",
      ".github/policy-pack-config.json",
      "Pulumi.yaml",
      "Pulumi.dev.yaml",
      "Pulumi.management.yaml",
      "index.ts",
      "package.json",
      "package-lock.json",
    ]) {
      assert.deepEqual(ownersOf(file), ["@OWNER/bootstrap-admins"], file);
    }
    assert.deepEqual(ownersOf("docs/runbook.md"), [], "the pattern matcher is not a catch-all");
  });

  it("is referenced where CI is set up, and explained in the trust model", () => {
    assert.ok(read("docs/runbook.md").includes("[CODEOWNERS.example](CODEOWNERS.example)"));
    assert.match(read("docs/architecture.md"), /## Trust model[\s\S]*CODEOWNERS\.example/);
  });
});
