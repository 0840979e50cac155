import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { XMLParser } from "fast-xml-parser";
import AjvDraft04 from "ajv-draft-04";
import { EngineServer, PolicyPack, startEngineServer, startPolicyPack } from "../../checker/analyzer";
import { CheckError, CheckResult, checkExport, checkProgram, SharedParts } from "../../checker/check";
import { CliIO, main } from "../../checker/cli";
import { ProgramHost } from "../../checker/program";
import { renderJson, renderJunit, renderSarif, renderText } from "../../checker/report";
import { loadStackConfig } from "../../checker/stack-config";
import { SECRET_SIG, SIG_KEY } from "../../checker/wire";

const ROOT = path.resolve(__dirname, "..", "..");
const PACK = path.join(ROOT, "policy");
const PROGRAMS = path.join(ROOT, "test", "fixtures", "programs");
const EXPORT = path.join(ROOT, "test", "fixtures", "exports", "bootstrap-in-group.json");
// Vendored from github.com/oasis-tcs/sarif-spec, sarif-2.1/schema/sarif-schema-2.1.0.json.
const SARIF_SCHEMA = path.join(ROOT, "test", "fixtures", "schema", "sarif-schema-2.1.0.json");

/** Where the violation must be, when the policy names the offending resource itself. */
const EVIDENCE: Record<string, string> = {
  "in-group": "aws:iam/userGroupMembership:UserGroupMembership::bootstrap-in-admins",
  "wrong-alias": "aws:iam/accountAlias:AccountAlias::account-alias",
  "identity-center": "aws:ssoadmin/permissionSet:PermissionSet::admin-permission-set",
  "weak-password": "aws:iam/userLoginProfile:UserLoginProfile::console-login",
};

/** Fixture program -> the mandatory policy (issue 3's table) it breaks. */
const BREAKS: Record<string, string> = {
  "in-group": "bootstrap-user-no-groups",
  "wrong-alias": "management-account-name",
  "second-user": "bootstrap-user-name",
  "no-console": "bootstrap-user-console-access",
  "no-admin": "bootstrap-user-administrator-access",
  "identity-center": "no-identity-center",
  "weak-password": "bootstrap-user-password-strength",
};

function capture(cwd = ROOT): CliIO & { out: string; err: string } {
  const io = {
    out: "",
    err: "",
    isTTY: false,
    cwd,
    stdout(t: string) {
      io.out += t;
    },
    stderr(t: string) {
      io.err += t;
    },
  };
  return io;
}

function mandatoryPolicies(r: CheckResult): string[] {
  return [
    ...new Set(r.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policyName)),
  ].sort();
}

type Shared = SharedParts & { engine: EngineServer; pack: PolicyPack; host: ProgramHost };

/**
 * One real pack serves every check below: started as the CLI starts it (policy/bin when fresh,
 * else the sources, which run-policy-pack's ts-node type-checks: seconds of CPU), with the dev
 * stack's project and config; the fixture programs are judged under that same config
 * (checkProgram's programDir). It starts when mocha loads this file, so its start overlaps the
 * tests that run before these;
 * `after` closes it (and the exit handler of checker/analyzer.ts, should `after` not run).
 */
async function startShared(): Promise<Shared> {
  const config = loadStackConfig(ROOT, "dev");
  const engine = await startEngineServer();
  const host = new ProgramHost(ROOT, engine.address);
  try {
    const pack = await startPolicyPack({
      packDir: PACK,
      project: config.project.name,
      stack: "dev",
      config: config.config,
      configSecretKeys: config.secretKeys,
      dryRun: true,
      engine,
      timeoutMs: 60_000,
    });
    return { engine, pack, host };
  } catch (e) {
    await host.close();
    engine.close();
    throw e;
  }
}
const sharedStarting = startShared();
sharedStarting.catch(() => undefined); // reported by `before`

async function closeShared(): Promise<void> {
  const shared = await sharedStarting.catch(() => undefined);
  await shared?.pack.close();
  await shared?.host.close();
  shared?.engine.close();
}

// Root-level, so it also runs when --grep leaves out every test here: the pack and the
// program worker would otherwise keep mocha's process alive.
after(async function () {
  this.timeout(60_000); // waits for a pack start still under way
  await closeShared();
});

describe("checker: npm run check with the real policy pack", function () {
  let shared: Shared;

  before(async function () {
    // A type-checked pack start (policy/bin stale) takes seconds of CPU; allow for a busy machine.
    this.timeout(60_000);
    shared = await sharedStarting;
  });

  after(closeShared);

  describe("the dev stack through the CLI", function () {
    it("passes: exit 0, the plan has the program's resources", async function () {
      const io = capture();
      const code = await main(["--format", "json"], io, shared);
      const report = JSON.parse(io.out);
      const mandatory = report.violations.filter(
        (v: { enforcementLevel: string }) => v.enforcementLevel === "mandatory",
      );
      assert.deepEqual(mandatory, [], io.err);
      assert.equal(code, 0, io.err);
      const types = report.resources.map((r: { type: string }) => r.type);
      for (const t of [
        "aws:iam/user:User",
        "aws:iam/userLoginProfile:UserLoginProfile",
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
      ]) {
        assert.ok(types.includes(t), `${t} missing from ${types.join(", ")}`);
      }
      assert.equal(report.policyPacks[0].name, "management-bootstrap");
    });

    it("--format sarif --output FILE: writes the report, prints the summary line, exits as the verdict", async function () {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "checker-out-"));
      try {
        const out = path.join(tmp, "reports", "policy.sarif");
        const io = capture();
        const code = await main(["--format", "sarif", "--output", out, "--verbose"], io, shared);
        const sarif = JSON.parse(fs.readFileSync(out, "utf8"));
        assert.equal(sarif.version, "2.1.0");
        const errors = sarif.runs[0].results.filter((r: { level: string }) => r.level === "error").length;
        assert.equal(code, errors > 0 ? 1 : 0);
        assert.match(
          io.out,
          new RegExp(`^Summary: .*Report \\(sarif\\): ${out.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\n$`),
        );
        assert.match(
          io.err,
          /^timing: pack start \d+ ms, program run \d+ ms \(in parallel\), analysis \d+ ms, total \d+ ms\n$/,
        );
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });
  });

  describe("fixture programs, each breaking one mandatory policy, under the dev stack's config", function () {
    const results = new Map<string, CheckResult>();

    const check = async (name: string): Promise<CheckResult> => {
      const r = await checkProgram(
        { cwd: ROOT, programDir: path.join(PROGRAMS, name), stack: "dev", packDir: PACK, timeoutMs: 20_000 },
        shared,
      );
      results.set(name, r);
      return r;
    };

    it("the runbook as written has no mandatory violation, and the plan lists what the program declares", async function () {
      const r = await check("passes");
      assert.deepEqual(mandatoryPolicies(r), []);
      const types = r.resources.map((x) => x.type);
      for (const t of [
        "pulumi:pulumi:Stack",
        "pulumi:providers:aws",
        "aws:iam/user:User",
        "aws:iam/userLoginProfile:UserLoginProfile",
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        "aws:iam/accountAlias:AccountAlias",
      ]) {
        assert.ok(types.includes(t), `${t} missing from ${types.join(", ")}`);
      }
      // URNs as the engine builds them: children of the root stack carry no parent type prefix.
      const user = r.resources.find((x) => x.type === "aws:iam/user:User")!;
      assert.equal(user.urn, "urn:pulumi:dev::management-bootstrap::aws:iam/user:User::bootstrap-user");
      assert.equal(
        user.parent,
        "urn:pulumi:dev::management-bootstrap::pulumi:pulumi:Stack::management-bootstrap-dev",
      );
      // The default provider the engine registers, with the stack's aws config and the SDK's version.
      const provider = r.resources.find((x) => x.urn === user.provider)!;
      assert.equal(provider.type, "pulumi:providers:aws");
      assert.equal(provider.defaultProvider, true);
      assert.equal(provider.inputs.region, "us-east-1");
      assert.match(String(provider.inputs.version), /^\d+\.\d+\.\d+$/);
      assert.equal(provider.name, `default_${String(provider.inputs.version).replace(/\./g, "_")}`);
      // A generated password is an output, and a secret.
      const profile = r.resources.find((x) => x.type === "aws:iam/userLoginProfile:UserLoginProfile")!;
      assert.equal((profile.outputs.password as Record<string, unknown>)[SIG_KEY], SECRET_SIG);
    });

    for (const [fixture, policy] of Object.entries(BREAKS)) {
      it(`${fixture}: fails with a mandatory ${policy} violation and says so`, async function () {
        const r = await check(fixture);
        assert.ok(
          mandatoryPolicies(r).includes(policy),
          `${policy} not among ${mandatoryPolicies(r).join(", ")}`,
        );
        assert.ok(r.summary.mandatory > 0);
        if (EVIDENCE[fixture]) {
          assert.ok(
            r.violations.some((v) => v.policyName === policy && v.resourceUrn.endsWith(EVIDENCE[fixture])),
            `${policy} not reported on ${EVIDENCE[fixture]}`,
          );
        }
        const text = renderText(r, { color: false, artifact: "index.ts" });
        assert.match(text, new RegExp(`\\[mandatory\\].*  ${policy}  \\(`));
        assert.match(text, /policy check FAILED\.\n$/);
      });
    }

    it("a program's pulumi.log warnings reach the report's Diagnostics, as under the engine", async function () {
      const r = await check("warns");
      assert.deepEqual(
        r.logs.map((l) => [l.severity, l.message]),
        [["warning", "fixture: the program warns through the engine's Log service"]],
      );
      const text = renderText(r, { color: false, artifact: "index.ts" });
      assert.match(
        text,
        /\nDiagnostics:\n {2}pulumi:pulumi:Stack \(management-bootstrap-dev\):\n {4}warning: fixture: the program warns through the engine's Log service\n/,
      );
    });

    it("a program that throws: exit 2, the first stderr line names the program and its error", async function () {
      await assert.rejects(
        check("throws"),
        (e: CheckError) =>
          e.stage === "program" && e.message.includes("fixture: the program failed on purpose"),
      );
      const io = capture();
      const code = await main(["--cwd", "test/fixtures/programs/throws"], io, shared);
      assert.equal(code, 2);
      assert.equal(
        io.err.split("\n")[0],
        `error: program ${path.join(PROGRAMS, "throws")} failed: fixture: the program failed on purpose`,
      );
      assert.equal(io.out, "");
    });

    describe("reports", function () {
      const result = () => {
        const r = results.get("in-group");
        assert.ok(r, "the in-group fixture ran");
        return r;
      };

      it("json: the documented shape, violations with level, severity, URN and message, inputs without secrets", function () {
        const report = JSON.parse(renderJson(result(), { color: false, artifact: "index.ts" }));
        assert.deepEqual(Object.keys(report.summary).sort(), ["advisory", "mandatory"]);
        const v = report.violations.find(
          (x: { policyName: string }) => x.policyName === "bootstrap-user-no-groups",
        );
        assert.deepEqual(Object.keys(v).sort(), [
          "enforcementLevel",
          "message",
          "policyName",
          "policyPackName",
          "policyPackVersion",
          "resourceUrn",
          "severity",
        ]);
        assert.equal(v.enforcementLevel, "mandatory");
        assert.equal(v.policyPackName, "management-bootstrap");
        assert.match(
          v.resourceUrn,
          /^urn:pulumi:dev::management-bootstrap::aws:iam\/userGroupMembership:UserGroupMembership::/,
        );
        assert.ok(report.resources.some((x: { type: string }) => x.type === "aws:iam/user:User"));
        assert.equal(report.policyPacks[0].name, "management-bootstrap");
        assert.ok(
          report.policyPacks[0].policies.some((p: { name: string }) => p.name === "bootstrap-user-no-groups"),
        );
      });

      it("sarif: valid against the SARIF 2.1.0 schema, one rule per policy with help URI and severity", function () {
        const sarif = JSON.parse(
          renderSarif(result(), { color: false, artifact: "test/fixtures/programs/in-group/index.ts" }),
        );
        const ajv = new AjvDraft04({ allErrors: true, strict: false, validateFormats: false });
        const validate = ajv.compile(JSON.parse(fs.readFileSync(SARIF_SCHEMA, "utf8")));
        assert.equal(validate(sarif), true, JSON.stringify(validate.errors?.slice(0, 3)));
        const run = sarif.runs[0];
        const info = result().packs[0];
        assert.deepEqual(
          run.tool.driver.rules.map((r: { id: string }) => r.id),
          info.policies.map((p) => p.name),
        );
        const rule = run.tool.driver.rules.find((r: { id: string }) => r.id === "bootstrap-user-no-groups");
        assert.match(rule.helpUri, /policies\.md#/);
        assert.ok(["2.0", "5.5", "8.0", "9.5"].includes(rule.properties["security-severity"]));
        const res = run.results.find((x: { ruleId: string }) => x.ruleId === "bootstrap-user-no-groups");
        assert.equal(res.level, "error");
        assert.equal(run.tool.driver.rules[res.ruleIndex].id, "bootstrap-user-no-groups");
        assert.equal(
          res.locations[0].physicalLocation.artifactLocation.uri,
          "test/fixtures/programs/in-group/index.ts",
        );
      });

      it("junit: parses, one test case per policy, the broken policy a failure", function () {
        const xml = renderJunit(result(), { color: false, artifact: "index.ts" });
        const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(xml);
        const suite = doc.testsuites.testsuite;
        const cases = Array.isArray(suite.testcase) ? suite.testcase : [suite.testcase];
        assert.equal(cases.length, result().packs[0].policies.length);
        assert.equal(Number(suite.tests), cases.length);
        const failed = cases
          .filter((c: { failure?: unknown }) => c.failure !== undefined)
          .map((c: { name: string }) => c.name);
        assert.deepEqual(failed, mandatoryPolicies(result()));
        assert.equal(Number(doc.testsuites.failures), failed.length);
      });

      it("no format shows a secret's value, even one a message or log quotes", function () {
        const r = results.get("passes")!;
        const profile = r.resources.find((x) => x.type === "aws:iam/userLoginProfile:UserLoginProfile")!;
        const password = (profile.outputs.password as { value: string }).value;
        assert.ok(password.length >= 20);
        // A policy that quoted the secret in its message, or a program that logged it, must not leak it.
        const leaky: CheckResult = {
          ...r,
          violations: [
            {
              policyPackName: r.packs[0].name,
              policyPackVersion: r.packs[0].version,
              policyName: "bootstrap-credentials-encrypted",
              enforcementLevel: "advisory",
              severity: "low",
              resourceUrn: profile.urn,
              message: `password is ${password}`,
            },
          ],
          logs: [{ severity: "warning", message: `logged ${password}`, urn: "" }],
        };
        const ctx = { color: false, artifact: "index.ts" };
        for (const out of [
          renderText(leaky, ctx),
          renderJson(leaky, ctx),
          renderSarif(leaky, ctx),
          renderJunit(leaky, ctx),
        ]) {
          assert.equal(out.includes(password), false);
          assert.ok(out.includes("[secret]"));
        }
      });
    });
  });

  describe("--file, a `pulumi stack export` (with a secret, parents and a provider)", function () {
    it("analyzes the exported state like `pulumi policy analyze --file`: exit 1 naming the group membership", async function () {
      const io = capture();
      // The shared pack stands in for a fresh one (it has stack context, which `policy analyze`
      // does not give; no policy result here depends on it): one pack start less.
      const code = await main(["--file", EXPORT, "--format", "json"], io, {
        engine: shared.engine,
        pack: shared.pack,
      });
      assert.equal(code, 1, io.err);
      const report = JSON.parse(io.out);
      const v = report.violations.find(
        (x: { policyName: string }) => x.policyName === "bootstrap-user-no-groups",
      );
      assert.equal(v.enforcementLevel, "mandatory");
      assert.equal(
        v.resourceUrn,
        "urn:pulumi:prod::management-bootstrap::aws:iam/userGroupMembership:UserGroupMembership::bootstrap-in-admins",
      );
      // The resource pending deletion is skipped, as the engine skips it.
      assert.equal(
        report.resources.some((r: { name: string }) => r.name === "old-user"),
        false,
      );
      // The export's secret ciphertext is never echoed.
      assert.equal(io.out.includes("Zm9vYmFyYmF6"), false);
      assert.equal(report.project, "management-bootstrap");
      assert.equal(report.stack, "prod");
    });

    it("rejects a file that is not a stack export with one line naming the file and the expected form", async function () {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "checker-export-"));
      try {
        const bad = path.join(tmp, "not-an-export.json");
        fs.writeFileSync(bad, JSON.stringify({ resources: [] }));
        await assert.rejects(
          checkExport({ file: bad, packDir: PACK, timeoutMs: 5_000 }),
          (e: CheckError) =>
            e.stage === "file" && e.message.includes(bad) && e.message.includes("pulumi stack export"),
        );
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });
  });

  // Last (nested describes run after the tests above): the time-out ends the shared program host.
  describe("time-outs", function () {
    it("a program that never finishes (a busy loop) is stopped at --timeout: exit 2 naming it", async function () {
      const started = Date.now();
      const io = capture();
      // The program spins a core until the time-out: a short bound keeps the suite's CPU down.
      const code = await main(["--cwd", "test/fixtures/programs/hangs", "--timeout", "0.4"], io, shared);
      assert.equal(code, 2);
      assert.equal(
        io.err.split("\n")[0],
        `error: program ${path.join(PROGRAMS, "hangs")} did not finish within 400 ms`,
      );
      assert.ok(Date.now() - started < 3_000);
    });
  });
});

describe("checker CLI: exit status 2 with one clear line", function () {
  it("as a process (npm run check's entry, checker/main.js): exit 2, the error first on stderr, usage after", function () {
    const r = spawnSync(process.execPath, [path.join(ROOT, "checker", "main.js"), "--stack"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    assert.equal(r.status, 2);
    const [first, second] = r.stderr.split("\n");
    assert.match(first, /^error: Option '-s, --stack <value>' argument missing$/);
    assert.match(second, /^usage: npm run check -- /);
    assert.equal(r.stdout, "");
  });

  const cases: [string, string[], RegExp][] = [
    ["an unknown flag", ["--nope"], /^error: Unknown option '--nope'/],
    ["a bad --format", ["--format", "xml"], /^error: --format 'xml' is not one of text, json, sarif, junit/],
    [
      "a bad --timeout",
      ["--timeout", "soon"],
      /^error: --timeout 'soon' is not a positive number of seconds/,
    ],
    [
      "a missing stack file",
      ["--stack", "nosuch"],
      /^error: stack file for stack 'nosuch' not found: .*Pulumi\.nosuch\.yaml/,
    ],
    [
      "a stack value of the wrong type",
      ["--cwd", "test/fixtures/programs/bad-config"],
      /^error: Stack 'dev' with configuration key 'passwordLength' must be of type 'integer'/,
    ],
    [
      "a missing --policy-pack-config file",
      ["--policy-pack-config", "nosuch.json"],
      /^error: policy pack config file not found: .*nosuch\.json/,
    ],
    [
      "a missing policy pack",
      ["--file", EXPORT, "--policy-pack", "nosuch"],
      /^error: policy pack not found: .*nosuch.*PulumiPolicy\.yaml/,
    ],
    ["a missing export file", ["--file", "nosuch.json"], /^error: could not open file: .*nosuch\.json/],
    [
      "a policy pack that crashes while starting",
      ["--file", EXPORT, "--policy-pack", "test/fixtures/packs/crashes-at-start"],
      /^error: policy pack failed to start: it exited with code \d+ before printing its port: Error: crashes-at-start: this pack cannot load \(policy pack .*crashes-at-start\)$/,
    ],
  ];
  for (const [what, argv, first] of cases) {
    it(what, async function () {
      const io = capture();
      assert.equal(await main(argv, io), 2);
      assert.match(io.err.split("\n")[0], first);
      assert.equal(io.out, "");
    });
  }
});
