/**
 * The pack as the Pulumi CLI runs it: started with `@pulumi/pulumi/cmd/run-policy-pack` from
 * policy/ (policy/index.ts, type-checked by the CLI's ts-node; resolving ../lib and the
 * hoisted node_modules), spoken to
 * over the Analyzer gRPC protocol through checker/analyzer.ts. One pack process serves every
 * test here; it is killed in `after`.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { startPolicyPack, type AnalyzerResource, type PolicyPack } from "../../checker/analyzer";
import { UNKNOWN } from "../../checker/wire";
import { T } from "../../policy/lib/resource-types";
import { todayUtc } from "../../policy/lib/waivers";
import { goodStack } from "./fixtures";
import { urnOf } from "./harness";

const PACK_DIR = path.join(__dirname, "../../policy");

/** The table: the pack's interface. */
const EXPECTED = {
  "credentials-bootstrap-user-only": ["mandatory", "resource"],
  "administrator-bootstrap-user-only": ["mandatory", "resource"],
  "bootstrap-user-no-groups": ["mandatory", "resource"],
  "no-identity-center": ["mandatory", "resource"],
  "bootstrap-user-name": ["mandatory", "resource"],
  "management-account-name": ["mandatory", "resource"],
  "bootstrap-user-password-strength": ["mandatory", "resource"],
  "inspectable-templates": ["mandatory", "resource"],
  "bootstrap-user-no-extra-permissions": ["advisory", "resource"],
  "bootstrap-credentials-encrypted": ["advisory", "resource"],
  "bootstrap-user-temporary": ["advisory", "resource"],
  "bootstrap-user-console-access": ["mandatory", "stack"],
  "bootstrap-user-administrator-access": ["mandatory", "stack"],
  "bootstrap-user-access-keys": ["mandatory", "stack"],
  "waivers-not-stale": ["advisory", "stack"],
} as const;

function resource(type: string, name: string, properties: Record<string, unknown>): AnalyzerResource {
  return { urn: urnOf(type, name), type, name, properties };
}

const membership = resource(T.userGroupMembership, "m", { user: "mgmt-org-admin", groups: ["admins"] });

function daysFromToday(days: number): string {
  return todayUtc(new Date(Date.now() + days * 86_400_000));
}

describe("policy pack over the Analyzer protocol (started as the CLI does)", function () {
  // A few seconds: the CLI's ts-node type-checks the sources at every start.
  this.timeout(60_000);
  let pack: PolicyPack;

  before(async () => {
    pack = await startPolicyPack({
      packDir: PACK_DIR,
      project: "management-bootstrap",
      stack: "dev",
      dryRun: true,
      config: {
        "management-bootstrap:projectName": "acme",
        "management-bootstrap:accountName": "acme-management",
      },
    });
  });
  after(async () => {
    await pack?.close();
  });

  it("GetAnalyzerInfo: the pack's name, version and every policy with its level, type, severity, docs and schema", async () => {
    const info = await pack.getAnalyzerInfo();
    assert.equal(info.name, "management-bootstrap");
    assert.equal(
      info.version,
      JSON.parse(fs.readFileSync(path.join(PACK_DIR, "package.json"), "utf8")).version,
    );
    assert.ok(info.supportsConfig);
    assert.deepEqual(info.policies.map((p) => p.name).sort(), Object.keys(EXPECTED).sort());
    const docs = fs.readFileSync(path.join(__dirname, "../../docs/policies.md"), "utf8");
    for (const p of info.policies) {
      const [level, type] = EXPECTED[p.name as keyof typeof EXPECTED];
      assert.equal(p.enforcementLevel, level, p.name);
      assert.equal(p.type, type, p.name);
      assert.ok(["low", "medium", "high", "critical"].includes(p.severity), `${p.name} severity`);
      assert.ok(p.description.length > 10 && p.remediationSteps.length > 20, `${p.name} texts`);
      assert.equal(p.url, `docs/policies.md#${p.name}`);
      assert.ok(docs.includes(`\n## ${p.name}\n`), `docs/policies.md has a "## ${p.name}" section`);
      assert.ok(p.configSchema?.properties.waivers, `${p.name} takes waivers`);
    }
    const schema = (name: string) => info.policies.find((p) => p.name === name)!.configSchema!.properties;
    assert.equal(schema("bootstrap-user-name").userName.default, "mgmt-org-admin");
    assert.equal(schema("bootstrap-user-password-strength").minimumPasswordLength.default, 20);
    assert.equal(schema("bootstrap-user-access-keys").maximumAccessKeys.default, 1);
    assert.equal(schema("management-account-name").nameSuffix.default, "-management");
  });

  it("accepts the shipped example --policy-pack-config and rejects config that breaks a schema", async () => {
    const example = fs.readFileSync(path.join(PACK_DIR, "policy-config.example.json"), "utf8");
    const sent = await pack.configure(example);
    assert.equal(sent["bootstrap-user-password-strength"].properties?.minimumPasswordLength, 30);
    await assert.rejects(
      pack.configure({ "bootstrap-user-password-strength": { minimumPasswordLength: 3 } }),
      /minimumPasswordLength.*>= 6/,
    );
    await assert.rejects(
      pack.configure({
        "bootstrap-user-no-groups": { waivers: [{ name: "m", reason: "x", expires: daysFromToday(1) }] },
      }),
      /waivers/,
    );
  });

  it("Analyze: a violation comes back mandatory, with the policy's severity and the resource's URN", async () => {
    await pack.configure();
    const r = await pack.analyze(membership);
    assert.equal(r.diagnostics.length, 1);
    const d = r.diagnostics[0];
    assert.equal(d.policyName, "bootstrap-user-no-groups");
    assert.equal(d.enforcementLevel, "mandatory");
    assert.equal(d.severity, "high");
    assert.match(d.message, /UserGroupMembership "m" adds the bootstrap user "mgmt-org-admin"/);
    assert.equal(d.urn, membership.urn);
  });

  it("Analyze: a waiver turns the finding advisory with its reason; once expired it blocks again and says so", async () => {
    const waiver = { urn: membership.urn, reason: "moving off the group (OPS-7)" };
    await pack.configure({
      "bootstrap-user-no-groups": { waivers: [{ ...waiver, expires: daysFromToday(0) }] },
    });
    let d = (await pack.analyze(membership)).diagnostics[0];
    assert.equal(d.enforcementLevel, "advisory");
    assert.match(d.message, /WAIVED until .*moving off the group \(OPS-7\)/);

    await pack.configure({
      "bootstrap-user-no-groups": { waivers: [{ ...waiver, expires: daysFromToday(-1) }] },
    });
    d = (await pack.analyze(membership)).diagnostics[0];
    assert.equal(d.enforcementLevel, "mandatory");
    assert.match(d.message, /waiver for .* expired on \d{4}-\d{2}-\d{2} .*OPS-7/);
  });

  it("Analyze: an unknown value during preview is an advisory 'cannot check', not a crash", async () => {
    await pack.configure();
    const r = await pack.analyze(resource(T.userGroupMembership, "m", { user: UNKNOWN, groups: ["a"] }));
    assert.equal(r.diagnostics.length, 1);
    assert.equal(r.diagnostics[0].enforcementLevel, "advisory");
    assert.match(r.diagnostics[0].message, /cannot check its users during preview/);
  });

  it("AnalyzeStack: the program's stack is clean, reads the stack config, and a bad stack is reported per resource", async () => {
    await pack.configure();
    const stack = goodStack().map((r, i) => resource(r.type, r.name ?? `r${i}`, r.props ?? {}));
    for (const r of stack) assert.deepEqual((await pack.analyze(r)).diagnostics, [], r.name);
    assert.deepEqual((await pack.analyzeStack(stack)).diagnostics, []);

    // The stack's own config reached the pack (PULUMI_CONFIG, as the CLI sets it): a policy
    // pinned to another project sees the stack's projectName "acme" and says so.
    await pack.configure({ "management-account-name": { projectName: "other" } });
    const pinned = (await pack.analyze(stack[0])).diagnostics.map((d) => d.message).join("\n");
    assert.match(
      pinned,
      /Stack config `management-bootstrap:projectName` is "acme" but this policy is configured for project "other"/,
    );
    await pack.configure();

    const bad = stack.filter((r) => r.type !== T.loginProfile);
    bad.push(resource(T.accessKey, "extra-key", { user: "mgmt-org-admin", pgpKey: "k" }));
    const names = (await pack.analyzeStack(bad)).diagnostics.map((d) => `${d.policyName} ${d.urn}`).sort();
    assert.deepEqual(names, [
      `bootstrap-user-access-keys ${urnOf(T.accessKey, "extra-key")}`,
      `bootstrap-user-console-access ${urnOf(T.user, "bootstrap-user")}`,
    ]);
    const other = resource(T.accessKey, "ci-key", { user: "ci-bot", pgpKey: "k" });
    assert.deepEqual(
      (await pack.analyze(other)).diagnostics.map((d) => d.policyName),
      ["credentials-bootstrap-user-only"],
    );
  });
});
