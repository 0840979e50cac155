import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import Ajv from "ajv";
import * as yaml from "js-yaml";
import { NODE_VERSION_FILE, workflowSafetyProblems, type Job, type Step, type Workflow } from "./safety";

const ROOT = path.resolve(__dirname, "..", "..");
const WORKFLOWS_DIR = path.join(ROOT, ".github", "workflows");

/**
 * GitHub's workflow schema as SchemaStore publishes it (github.com/SchemaStore/schemastore,
 * src/schemas/json/github-workflow.json at commit 7c910423df8b6b68a9ec85cd7ee5fb5d508c4953,
 * Apache-2.0), vendored byte for byte so the test needs no network.
 */
const schema = JSON.parse(
  readFileSync(path.join(__dirname, "schema", "github-workflow.json"), "utf8"),
) as object;
// strict: false because SchemaStore's schemas use keywords ajv's strict mode does not know.
const validateWorkflowSchema = new Ajv({ strict: false, allErrors: true }).compile(schema);

interface WorkflowFile {
  name: string;
  text: string;
  doc: Workflow;
}

const files: WorkflowFile[] = readdirSync(WORKFLOWS_DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort()
  .map((name) => {
    const text = readFileSync(path.join(WORKFLOWS_DIR, name), "utf8");
    return { name, text, doc: yaml.load(text) as Workflow };
  });
const byName = (name: string) => {
  const file = files.find((f) => f.name === name);
  assert.ok(file, `.github/workflows/${name} exists`);
  return file;
};
const clone = <T>(value: T): T => structuredClone(value);
const allSteps = (doc: Workflow): Array<Step & { job: string }> =>
  Object.entries(doc.jobs).flatMap(([job, j]) => (j.steps ?? []).map((s) => ({ ...s, job })));
const pulumiSteps = (doc: Workflow) => allSteps(doc).filter((s) => s.uses?.startsWith("pulumi/actions@"));
const upStep = (doc: Workflow) => {
  const found = (doc.jobs.up.steps ?? []).find((s) => /\bpulumi up\b/.test(s.run ?? ""));
  assert.ok(found, "the up job has a step that runs pulumi up");
  return found;
};

describe("GitHub workflows (.github/workflows)", () => {
  it("has the checks, pull-request, deploy and audit workflows", () => {
    assert.deepEqual(
      files.map((f) => f.name),
      ["audit.yml", "checks.yml", "deploy.yml", "pull-request.yml"],
    );
  });

  for (const file of files) {
    it(`${file.name} is valid against GitHub's workflow schema`, () => {
      const valid = validateWorkflowSchema(file.doc);
      assert.ok(valid, JSON.stringify(validateWorkflowSchema.errors?.slice(0, 5), null, 2));
    });

    it(`${file.name} keeps the safety properties`, () => {
      assert.deepEqual(workflowSafetyProblems(file.doc, file.text), []);
    });
  }

  it("the schema check rejects a workflow GitHub would reject", () => {
    const broken = clone(byName("deploy.yml").doc) as unknown as {
      jobs: Record<string, Record<string, unknown>>;
    };
    delete broken.jobs.up["runs-on"];
    broken.jobs.up["run-on"] = "ubuntu-24.04";
    assert.equal(validateWorkflowSchema(broken), false);
  });

  describe("each safety rule catches a workflow that breaks it", () => {
    const deploy = () => clone(byName("deploy.yml").doc);
    const deployText = () => byName("deploy.yml").text;
    const step = (doc: Workflow, job: string, prefix: string) => {
      const found = (doc.jobs[job].steps ?? []).find((s) => s.uses?.startsWith(prefix));
      assert.ok(found, `${job} has a ${prefix} step`);
      return found;
    };
    const expectProblem = (doc: Workflow, text: string, pattern: RegExp) => {
      const problems = workflowSafetyProblems(doc, text);
      assert.ok(
        problems.some((p) => pattern.test(p)),
        `expected ${pattern} in ${JSON.stringify(problems)}`,
      );
    };

    it("static AWS keys as inputs", () => {
      const doc = deploy();
      step(doc, "up", "aws-actions/configure-aws-credentials@").with!["aws-secret-access-key"] =
        "${{ secrets.KEY }}";
      expectProblem(doc, deployText(), /up: passes aws-secret-access-key/);
    });

    it("static AWS keys in the text", () => {
      expectProblem(deploy(), `${deployText()}\n# AWS_SECRET_ACCESS_KEY: x\n`, /mentions static AWS keys/);
    });

    it("a role that is not a repository variable", () => {
      const doc = deploy();
      step(doc, "up", "aws-actions/configure-aws-credentials@").with!["role-to-assume"] =
        "arn:aws:iam::1:role/x";
      expectProblem(doc, deployText(), /role-to-assume must come from a repository variable/);
    });

    it("id-token: write in a job that assumes no role", () => {
      const doc = clone(byName("checks.yml").doc);
      (doc.jobs.test.permissions as Record<string, string>)["id-token"] = "write";
      expectProblem(doc, byName("checks.yml").text, /test: id-token: write without an OIDC role/);
    });

    it("broad top-level permissions", () => {
      const doc = deploy();
      doc.permissions = "write-all";
      expectProblem(doc, deployText(), /top-level permissions must be \{\}/);
    });

    it("an action pinned to a tag instead of a commit", () => {
      const text = deployText().replace(/pulumi\/actions@[0-9a-f]{40}/, "pulumi/actions@v7");
      expectProblem(deploy(), text, /not pinned to a commit SHA.*pulumi\/actions@v7/);
    });

    it("pulumi up without the policy pack or its config", () => {
      const doc = deploy();
      const up = upStep(doc);
      up.run = up.run!.replace(/--policy-pack policy --policy-pack-config "\$POLICY_PACK_CONFIG"/, "");
      expectProblem(doc, deployText(), /up: pulumi up without policyPacks: policy/);
      expectProblem(doc, deployText(), /up: pulumi up without policyPackConfigs/);
    });

    it("pulumi up through pulumi/actions (the Automation API adds --skip-preview)", () => {
      const doc = deploy();
      const steps = doc.jobs.up.steps!;
      steps.splice(steps.indexOf(upStep(doc)), 1, {
        uses: "pulumi/actions@8e5e406f4007fca908480587cb9893c07090f58d",
        env: { PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}" },
        with: {
          command: "up",
          policyPacks: "policy",
          policyPackConfigs: ".github/policy-pack-config.json",
          "suppress-outputs": true,
        },
      });
      expectProblem(doc, deployText(), /up: pulumi up skips the preview/);
    });

    it("pulumi up --skip-preview through the CLI", () => {
      const doc = deploy();
      const up = upStep(doc);
      up.run = up.run!.replace("pulumi up --yes", "pulumi up --yes --skip-preview");
      expectProblem(doc, deployText(), /up: pulumi up skips the preview/);
    });

    it("pulumi up that prints the outputs in the log", () => {
      const doc = deploy();
      const up = upStep(doc);
      up.run = up.run!.replace(" --suppress-outputs", "");
      expectProblem(doc, deployText(), /up: pulumi up must suppress outputs in the log/);
    });

    it("Pulumi secrets in the job's env, where npm ci's install scripts see them", () => {
      for (const [file, job] of [
        ["deploy.yml", "up"],
        ["pull-request.yml", "preview"],
      ] as const) {
        const doc = clone(byName(file).doc);
        doc.jobs[job].env = { PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}" };
        expectProblem(
          doc,
          byName(file).text,
          new RegExp(`${job}: secrets in the job's env reach every step`),
        );
      }
      const doc = deploy();
      doc.env = { PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}" };
      expectProblem(doc, deployText(), /workflow: secrets in the workflow's env reach every step/);
    });

    it("Pulumi secrets on a step that runs no Pulumi operation, such as npm ci", () => {
      const doc = deploy();
      const install = doc.jobs.up.steps!.find((s) => s.run === "npm ci")!;
      install.env = { PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}" };
      expectProblem(doc, deployText(), /up: step npm ci gets secrets but runs no Pulumi operation/);
    });

    it("Node from package.json engines instead of the one pinned release", () => {
      const doc = deploy();
      step(doc, "up", "actions/setup-node@").with!["node-version-file"] = "package.json";
      expectProblem(doc, deployText(), /up: Node must come from \.node-version/);
    });

    it("pulumi up without a per-stack concurrency group, or cancellable", () => {
      const doc = deploy();
      delete doc.jobs.up.concurrency;
      expectProblem(doc, deployText(), /per-stack concurrency group/);
      const cancellable = deploy();
      (cancellable.jobs.up.concurrency as { "cancel-in-progress": boolean })["cancel-in-progress"] = true;
      expectProblem(cancellable, deployText(), /must not be cancelled mid-update/);
    });

    it("pulumi before npm ci installed the pack", () => {
      const doc = deploy();
      doc.jobs.up.steps = doc.jobs.up.steps!.filter((s) => s.run !== "npm ci");
      expectProblem(doc, deployText(), /before npm ci installed the policy pack's dependencies/);
    });

    it("a dependency cache in a credentialed job", () => {
      const doc = deploy();
      step(doc, "up", "actions/setup-node@").with!.cache = "npm";
      expectProblem(doc, deployText(), /no dependency cache in a job that holds cloud credentials/);
    });

    it("a preview that runs without AWS access configured", () => {
      const doc = clone(byName("pull-request.yml").doc);
      doc.jobs.preview.if = "${{ true }}";
      expectProblem(
        doc,
        byName("pull-request.yml").text,
        /preview must run only where AWS access is configured/,
      );
    });

    it("printing secrets", () => {
      expectProblem(deploy(), `${deployText()}\n# pulumi stack output --show-secrets\n`, /--show-secrets/);
    });
  });

  describe("wiring", () => {
    const checks = () => byName("checks.yml").doc;

    it("pull requests and main both run the shared checks before anything touches AWS", () => {
      for (const [file, awsJob] of [
        ["pull-request.yml", "preview"],
        ["deploy.yml", "up"],
      ] as const) {
        const { doc } = byName(file);
        assert.equal(doc.jobs.checks.uses, "./.github/workflows/checks.yml");
        assert.equal((doc.jobs[awsJob] as Job & { needs?: string }).needs, "checks");
      }
    });

    it("the policy pack is wired into preview (with a PR comment) and up, with one config", () => {
      const preview = pulumiSteps(byName("pull-request.yml").doc);
      assert.deepEqual(
        preview.map((s) => [s.with?.command, s.with?.policyPacks, s.with?.["comment-on-pr"]]),
        [["preview", "policy", true]],
      );
      const up = upStep(byName("deploy.yml").doc);
      assert.match(
        up.run!,
        /pulumi up --yes .*--stack "\$STACK" \\\n\s+--policy-pack policy --policy-pack-config "\$POLICY_PACK_CONFIG"/s,
      );
      assert.equal(up.env?.POLICY_PACK_CONFIG, preview[0].with?.policyPackConfigs);
      assert.equal(
        up.env?.STACK,
        "${{ vars.PULUMI_ORG != '' && format('{0}/{1}', vars.PULUMI_ORG, matrix.stack) || matrix.stack }}",
      );
      assert.equal(up.env?.STACK, preview[0].with?.["stack-name"]);
    });

    it("Pulumi secrets reach only the steps that run Pulumi", () => {
      for (const file of ["pull-request.yml", "deploy.yml"]) {
        const doc = byName(file).doc;
        const withSecrets = allSteps(doc).filter((s) => JSON.stringify(s.env ?? {}).includes("secrets."));
        assert.deepEqual(
          withSecrets.map((s) => s.with?.command ?? (/pulumi up/.test(s.run ?? "") ? "up" : s.run)),
          [file === "deploy.yml" ? "up" : "preview"],
        );
        for (const job of Object.values(doc.jobs)) assert.equal(job.env, undefined);
      }
    });

    it("installs the Pulumi CLI release that matches the pinned SDK, which Pulumi.yaml's floor admits", () => {
      const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
        dependencies: Record<string, string>;
      };
      const project = yaml.load(readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
        requiredPulumiVersion?: string;
      };
      // 3.226.0: the engine stopped replacing on unchanged replacementTrigger values (pulumi#22119);
      // older CLIs ignore the trigger (< 3.208) or may issue a spurious new password.
      assert.equal(project.requiredPulumiVersion, ">=3.226.0");
      const pinned = pkg.dependencies["@pulumi/pulumi"];
      const [major, minor] = pinned.split(".").map(Number);
      assert.ok(major === 3 && minor >= 226, `the pinned CLI ${pinned} satisfies >=3.226.0`);
      const steps = ["pull-request.yml", "deploy.yml"].flatMap((file) => pulumiSteps(byName(file).doc));
      assert.equal(steps.length, 2);
      for (const s of steps) assert.equal(s.with?.["pulumi-version"], pinned);
    });

    it("every setup-node takes Node from .node-version, the release .ci/node-env.sh provisions", () => {
      const setups = files
        .flatMap((f) => allSteps(f.doc))
        .filter((s) => s.uses?.startsWith("actions/setup-node@"));
      assert.equal(setups.length, 5);
      for (const s of setups) assert.equal(s.with?.["node-version-file"], NODE_VERSION_FILE);
      const nodeEnv = readFileSync(path.join(ROOT, ".ci", "node-env.sh"), "utf8");
      assert.ok(nodeEnv.includes(`"$root/${NODE_VERSION_FILE}"`), "node-env.sh reads the same file");
    });

    it("a self-managed backend gets the passphrase secrets provider; Pulumi Cloud gets none", () => {
      for (const s of pulumiSteps(byName("pull-request.yml").doc)) {
        assert.equal(s.with?.["cloud-url"], "${{ vars.PULUMI_BACKEND_URL }}");
        assert.equal(
          s.with?.["secrets-provider"],
          "${{ vars.PULUMI_BACKEND_URL != '' && 'passphrase' || '' }}",
        );
      }
      const up = upStep(byName("deploy.yml").doc);
      assert.equal(up.env?.BACKEND_URL, "${{ vars.PULUMI_BACKEND_URL }}");
      assert.match(
        up.run!,
        /if \[ -n "\$BACKEND_URL" \]; then pulumi login "\$BACKEND_URL"; else pulumi login; fi/,
      );
    });

    it("the test job runs npm ci, npm test, the lint and the formatting check", () => {
      assert.deepEqual(
        (checks().jobs.test.steps ?? []).filter((s) => s.run).map((s) => s.run),
        ["npm ci", "npm test", "npm run lint", "npm run format:check"],
      );
    });

    it("the policy job writes SARIF and JUnit, uploads both, and fails on a mandatory violation", () => {
      const steps = checks().jobs.policy.steps ?? [];
      const runs = steps.map((s) => s.run ?? "").join("\n");
      for (const flag of ["--policy-pack policy", "--format sarif", "--format junit", '--stack "$STACK"']) {
        assert.ok(runs.includes(flag), `npm run check ${flag}`);
      }
      assert.ok(steps.some((s) => s.uses?.startsWith("github/codeql-action/upload-sarif@")));
      assert.ok(steps.some((s) => s.uses?.startsWith("actions/upload-artifact@")));
      const gate = steps.find((s) => s.if?.includes("steps.sarif.outputs.status == '1'"));
      assert.ok(gate && /exit 1/.test(gate.run ?? ""), "a step fails the job on exit status 1");
      assert.deepEqual(checks().jobs.policy.permissions, {
        contents: "read",
        "security-events": "write",
        actions: "read",
      });
    });

    it("the default policy pack config has the engine's --policy-pack-config shape", () => {
      const config = JSON.parse(
        readFileSync(path.join(ROOT, ".github", "policy-pack-config.json"), "utf8"),
      ) as unknown;
      assert.ok(config !== null && typeof config === "object" && !Array.isArray(config));
      const levels = ["advisory", "mandatory", "remediate", "disabled"];
      for (const [policy, value] of Object.entries(config as Record<string, unknown>)) {
        const level =
          typeof value === "string" ? value : (value as { enforcementLevel?: string }).enforcementLevel;
        assert.ok(level === undefined || levels.includes(level), `${policy}: enforcement level ${level}`);
      }
    });

    it("every repository variable and secret the workflows read is documented in docs/runbook.md", () => {
      const runbook = readFileSync(path.join(ROOT, "docs", "runbook.md"), "utf8");
      const names = new Set(
        files.flatMap((f) => [...f.text.matchAll(/\b(?:vars|secrets)\.([A-Z_]+)/g)].map((m) => m[1])),
      );
      assert.ok(names.size >= 8, `found ${[...names].join(", ")}`);
      for (const name of names) assert.ok(runbook.includes(`\`${name}\``), `${name} documented`);
    });
  });
});
