// The audit in-process: injected SDK answers (fake-aws.ts), the gate tests' shared pack; no moto, no network.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../../audit/cli";
import { readAccount, whoAmI, type AccountFacts } from "../../audit/aws";
import { runAudit, splitPolicyConfig } from "../../audit/audit";
import { toResources } from "../../audit/shapes";
import { AUDIT_RULES } from "../../audit/rules";
import type { CheckResult } from "../../gate/check";
import { FORMATS, render } from "../../gate/report";
import { T } from "../../policy/lib/resource-types";
import { PACK, ROOT, sharedDevPack } from "../gate/helpers";
import { ACCOUNT, ADMIN, KEY_ID, cleanAccount, fakeClients, type FakeAccount } from "./fake-aws";

const DAY = 86_400_000;
const NOW = new Date("2026-12-07T12:00:00Z");
const daysAgo = (n: number) => new Date(NOW.getTime() - n * DAY);

async function factsOf(a: FakeAccount): Promise<AccountFacts> {
  const c = fakeClients(a);
  return readAccount(c, await whoAmI(c, "http://fake"), "http://fake");
}

async function audit(a: FakeAccount, policyConfig?: object): Promise<CheckResult> {
  return runAudit(
    {
      cwd: ROOT,
      stack: "dev",
      packDir: PACK,
      timeoutMs: 60_000,
      policyConfig: policyConfig && { text: JSON.stringify(policyConfig), file: "config.json" },
    },
    { pack: await sharedDevPack(), clients: fakeClients(a), now: NOW },
  );
}

const names = (r: CheckResult, level = "mandatory") =>
  [...new Set(r.violations.filter((v) => v.enforcementLevel === level).map((v) => v.policyName))].sort();

/** `npm run audit -- ARGS` in-process: exit status and what it printed. */
async function cli(args: string[], a: FakeAccount = cleanAccount(NOW)) {
  let stdout = "";
  let stderr = "";
  const io = {
    stdout: (t: string) => void (stdout += t),
    stderr: (t: string) => void (stderr += t),
    isTTY: false,
    cwd: ROOT,
  };
  const code = await main(args, io, { pack: await sharedDevPack(), clients: fakeClients(a), now: NOW });
  return { code, stdout, stderr };
}

describe("audit: the account as the pack's resource shapes", () => {
  it("makes each fact the provider's type with its property names, and names keys by their last 4 characters", async () => {
    const a = cleanAccount(NOW);
    a.users[0].groups = ["ops"];
    a.users[0].inline = { extra: '{"Version":"2012-10-17","Statement":[]}' };
    a.users[0].keys = [{ id: KEY_ID, created: NOW, lastUsed: null }];
    a.groups = { ops: { policies: [ADMIN] } };
    a.org = { principals: ["sso.amazonaws.com"], delegated: { "210987654321": ["sso.amazonaws.com"] } };
    const rs = toResources(await factsOf(a), "management-bootstrap", "prod");
    const by = (type: string) => rs.filter((r) => r.type === type).map((r) => [r.name, r.inputs]);
    assert.equal(
      rs[0].urn,
      "urn:pulumi:prod::management-bootstrap::pulumi:pulumi:Stack::management-bootstrap-prod",
    );
    assert.ok(
      rs
        .slice(1)
        .every((r) => r.parent === rs[0].urn && r.urn.startsWith("urn:pulumi:prod::management-bootstrap::")),
    );
    assert.deepEqual(by(T.user), [
      ["mgmt-org-admin", { name: "mgmt-org-admin", path: "/", tags: a.users[0].tags }],
    ]);
    assert.deepEqual(by(T.loginProfile), [
      ["mgmt-org-admin", { user: "mgmt-org-admin", passwordResetRequired: true }],
    ]);
    assert.deepEqual(by(T.userPolicyAttachment), [
      ["mgmt-org-admin/AdministratorAccess", { user: "mgmt-org-admin", policyArn: ADMIN }],
    ]);
    assert.deepEqual(by(T.userGroupMembership), [
      ["mgmt-org-admin", { user: "mgmt-org-admin", groups: ["ops"] }],
    ]);
    assert.deepEqual(by(T.userPolicy), [
      ["mgmt-org-admin/extra", { user: "mgmt-org-admin", name: "extra", policy: a.users[0].inline.extra }],
    ]);
    assert.deepEqual(by(T.accessKey), [
      ["mgmt-org-admin/key-MPLE", { user: "mgmt-org-admin", status: "Active" }],
    ]);
    assert.deepEqual(by(T.groupPolicyAttachment), [
      ["ops/AdministratorAccess", { group: "ops", policyArn: ADMIN }],
    ]);
    assert.deepEqual(by(T.accountAlias), [["acme-management", { accountAlias: "acme-management" }]]);
    // Identity Center in the organization is bootstrap-user-superseded's, not the pack's (no-identity-center).
    assert.deepEqual(by(T.organization), []);
    assert.deepEqual(by(T.delegatedAdministrator), []);
    assert.ok(!JSON.stringify(rs).includes(KEY_ID));
  });

  it("reports a fact the endpoint does not answer as not checked, and goes on", async () => {
    const a = cleanAccount(NOW);
    a.users[0].keys = [{ id: KEY_ID, created: daysAgo(400) }];
    a.errors = { GetAccessKeyLastUsed: { name: "NotImplemented" } };
    const facts = await factsOf(a);
    assert.deepEqual(facts.unchecked, [
      "could not check when access key …MPLE of user mgmt-org-admin was last used: iam:GetAccessKeyLastUsed answered NotImplemented",
    ]);
    assert.equal(facts.users[0].accessKeys[0].lastUsed, undefined);
  });
});

describe("audit: the audit-only rules", () => {
  const run = async (a: FakeAccount, rule: string, config: Record<string, number> = {}) => {
    const facts = await factsOf(a);
    const r = AUDIT_RULES.find((x) => x.name === rule)!;
    const knobs = Object.fromEntries(Object.entries(r.knobs ?? {}).map(([k, v]) => [k, v.default]));
    const user = facts.users.find((u) => u.name === "mgmt-org-admin");
    const urnOf = (type: string, name: string) => `${type}::${name}`;
    return r.check({
      facts,
      user,
      userName: "mgmt-org-admin",
      config: { ...knobs, ...config } as never,
      now: NOW,
      urnOf,
      stackUrn: "stack",
    });
  };

  it("every rule has its metadata and a section in docs/audit.md", () => {
    const md = fs.readFileSync(path.join(ROOT, "docs", "audit.md"), "utf8");
    for (const r of AUDIT_RULES) {
      assert.ok(r.description && r.remediationSteps && r.severity, r.name);
      assert.match(md, new RegExp(`^### ${r.name}$`, "m"), r.name);
    }
  });

  it("root-mfa-enabled: fails without root MFA, passes with it", async () => {
    assert.equal((await run(cleanAccount(NOW), "root-mfa-enabled")).length, 0);
    const f = await run({ ...cleanAccount(NOW), mfaEnabled: false }, "root-mfa-enabled");
    assert.match(f[0].message, new RegExp(`root user of account ${ACCOUNT} has no MFA`));
    assert.equal(f[0].urn, "stack");
  });

  it("root-access-keys-absent: fails when the root user has an access key", async () => {
    assert.equal((await run(cleanAccount(NOW), "root-access-keys-absent")).length, 0);
    assert.equal((await run({ ...cleanAccount(NOW), rootKeys: true }, "root-access-keys-absent")).length, 1);
  });

  it("bootstrap-user-superseded: trusted access for sso.amazonaws.com, or a delegated administrator for it", async () => {
    assert.equal((await run(cleanAccount(NOW), "bootstrap-user-superseded")).length, 0);
    const trusted = { ...cleanAccount(NOW), org: { principals: ["sso.amazonaws.com"] } };
    assert.match(
      (await run(trusted, "bootstrap-user-superseded"))[0].message,
      /trusted access for sso.amazonaws.com/,
    );
    const delegated = {
      ...cleanAccount(NOW),
      org: { principals: [], delegated: { "210987654321": ["sso.amazonaws.com"] } },
    };
    assert.match(
      (await run(delegated, "bootstrap-user-superseded"))[0].message,
      /210987654321 is the delegated administrator/,
    );
    const otherService = { ...cleanAccount(NOW), org: { principals: ["config.amazonaws.com"] } };
    assert.equal((await run(otherService, "bootstrap-user-superseded")).length, 0);
    assert.equal((await run({ ...trusted, users: [] }, "bootstrap-user-superseded")).length, 0);
  });

  it("bootstrap-credentials-unused: a password or key unused (or never used) for more than maxUnusedDays", async () => {
    const a = cleanAccount(NOW);
    a.users[0].loginProfile = { created: daysAgo(45) };
    a.users[0].keys = [
      { id: KEY_ID, created: daysAgo(100), lastUsed: daysAgo(31) },
      { id: "AKIAI44QH8DHBEXAMPL2", created: daysAgo(100), lastUsed: daysAgo(2) },
    ];
    const f = await run(a, "bootstrap-credentials-unused");
    assert.deepEqual(
      f.map((x) => x.message),
      [
        'The console password of the bootstrap user "mgmt-org-admin" was never used since its creation on 2026-10-23: 45 days, more than 30.',
        'Access key ...MPLE of the bootstrap user "mgmt-org-admin" was last used on 2026-11-06: 31 days, more than 30.',
      ],
    );
    assert.equal((await run(a, "bootstrap-credentials-unused", { maxUnusedDays: 60 })).length, 0);
    a.users[0].passwordLastUsed = daysAgo(1);
    assert.equal((await run(a, "bootstrap-credentials-unused")).length, 1);
  });
});

describe("audit: the verdict, with the pack", () => {
  const lowerMfa = {
    "root-mfa-enabled": {
      enforcementLevel: "advisory",
      reason: "test",
      expires: new Date(Date.now() + 10 * DAY).toISOString().slice(0, 10),
    },
  };

  it("passes the runbook's account, with both packs in the report", async () => {
    const r = await audit(cleanAccount(NOW));
    assert.deepEqual(names(r), []);
    assert.equal(r.mode, "audit");
    assert.deepEqual(
      r.packs.map((p) => p.name),
      ["management-bootstrap", "management-bootstrap-audit"],
    );
    assert.ok(r.packs[1].policies.every((p) => p.url.startsWith("docs/audit.md#")));
  });

  it("fails on a group membership and a second administrator, naming the pack's rules", async () => {
    const a = cleanAccount(NOW);
    a.users[0].groups = ["ops"];
    a.users.push({ name: "intruder", policies: [ADMIN] });
    const r = await audit(a);
    for (const p of ["bootstrap-user-no-groups", "administrator-bootstrap-user-only", "bootstrap-user-name"])
      assert.ok(names(r).includes(p), `${p} in ${names(r).join(", ")}`);
  });

  it("fails on Identity Center with bootstrap-user-superseded; without the user, says so and passes", async () => {
    const a = { ...cleanAccount(NOW), org: { principals: ["sso.amazonaws.com"] } };
    // Not also the pack's no-identity-center, whose "remove it" is a plan's advice, wrong for the SSO layer.
    assert.deepEqual(names(await audit(a)), ["bootstrap-user-superseded"]);
    const gone = await audit({ ...cleanAccount(NOW), users: [] });
    assert.deepEqual(names(gone), []);
    assert.ok(
      gone.logs.some(
        (l) => l.severity === "info" && /bootstrap user "mgmt-org-admin" does not exist/.test(l.message),
      ),
    );
  });

  it("fails on a bootstrap user past its ExpiresOn tag with the pack's bootstrap-user-expiry", async () => {
    const a = cleanAccount(NOW);
    a.users[0].tags = { ...a.users[0].tags, ExpiresOn: "2026-01-31" };
    const r = await audit(a);
    assert.deepEqual(names(r), ["bootstrap-user-expiry"]);
    assert.ok(r.violations.some((v) => /expired on 2026-01-31/.test(v.message)));
  });

  it("takes the audit-only rules' config from the policy config: a lowered mandatory rule needs a reason and an expiry", async () => {
    const noMfa = { ...cleanAccount(NOW), mfaEnabled: false };
    assert.deepEqual(names(await audit(noMfa)), ["root-mfa-enabled"]);
    const lowered = await audit(noMfa, lowerMfa);
    assert.deepEqual(names(lowered), []);
    assert.deepEqual(names(lowered, "advisory"), ["root-mfa-enabled"]);
    assert.ok(
      lowered.logs.some((l) =>
        /overrides "root-mfa-enabled": advisory instead of mandatory, until \d{4}-\d\d-\d\d \(reason: test\)/.test(
          l.message,
        ),
      ),
    );
    assert.throws(
      () => splitPolicyConfig('{"root-mfa-enabled":"advisory"}', "c.json"),
      /needs a "reason" and an "expires" date/,
    );
    assert.throws(
      () => splitPolicyConfig('{"bootstrap-credentials-unused":{"maxUnusedDays":0}}', "c.json"),
      /maxUnusedDays 0 is not a whole number from 1 to 365/,
    );
    assert.throws(
      () => splitPolicyConfig('{"bootstrap-credentials-unused":{"days":3}}', "c.json"),
      /unknown key "days"/,
    );
  });
});

describe("audit: npm run audit", () => {
  it("exit 0 on the clean account, 1 on a mandatory finding, text report with the summary", async () => {
    const ok = await cli(["--stack", "dev"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Auditing the live AWS account for stack: management-bootstrap\/dev/);
    assert.match(ok.stdout, /Summary: \d+ resources read from the account; 0 mandatory/);
    const bad = await cli(["--stack", "dev"], { ...cleanAccount(NOW), rootKeys: true });
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /\[mandatory\] \[severity: critical\] {2}root-access-keys-absent/);
  });

  it("writes json, sarif and junit, never an access key id whole", async () => {
    const a = cleanAccount(NOW);
    a.users[0].keys = [{ id: KEY_ID, created: daysAgo(90), lastUsed: null }];
    // One audit, each format rendered as the CLI renders it (the CLI's own path: the --output test).
    const result = await audit(a);
    for (const format of FORMATS) {
      const r = {
        stdout: render(format, result, {
          color: false,
          artifact: "Pulumi.dev.yaml",
          docsUrl: "https://example.com/",
        }),
      };
      assert.ok(!r.stdout.includes(KEY_ID), format);
      assert.ok(!r.stdout.includes(KEY_ID.slice(0, 8)), format);
      if (format === "json") {
        const j = JSON.parse(r.stdout);
        assert.equal(j.mode, "audit");
        assert.deepEqual(
          j.violations.filter((v: { policyName: string }) => v.policyName === "bootstrap-credentials-unused")
            .length,
          1,
        );
      }
      if (format === "sarif") {
        const s = JSON.parse(r.stdout);
        assert.equal(s.runs.length, 2);
        assert.equal(s.runs[1].automationDetails.id, "account-audit/management-bootstrap/dev/");
        assert.deepEqual(
          s.runs[1].results.map((x: { ruleId: string }) => x.ruleId),
          ["bootstrap-credentials-unused"],
        );
        assert.deepEqual(
          s.runs[0].results.filter((x: { level: string }) => x.level === "error"),
          [],
        );
      }
      if (format === "junit")
        assert.match(r.stdout, /<testsuites name="account audit management-bootstrap\/dev"/);
    }
  });

  it("writes --output and prints the summary line", async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "audit-")), "audit.sarif");
    const r = await cli(["--stack", "dev", "--format", "sarif", "--output", out]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Summary: .* Report \(sarif\): /);
    assert.equal(JSON.parse(fs.readFileSync(out, "utf8")).version, "2.1.0");
  });

  for (const [what, args, line] of [
    ["no --stack", [], /^error: --stack is required/],
    ["a check-only flag", ["--stack", "dev", "--state", "x.json"], /^error: Unknown option '--state'/],
    ["a bad format", ["--stack", "dev", "--format", "xml"], /^error: --format 'xml' is not one of/],
    ["a stack without its file", ["--stack", "nope"], /^error: stack file for stack 'nope' not found/],
  ] as const)
    it(`exit 2 with one line on ${what}`, async () => {
      const r = await cli([...args]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, line);
      assert.equal(r.stdout, "");
    });

  for (const [what, error, line] of [
    [
      "no credentials",
      { name: "CredentialsProviderError", message: "Could not load credentials from any providers" },
      /^error: no AWS credentials found/,
    ],
    [
      "access denied",
      { name: "AccessDenied", message: "User: arn:aws:iam::1:user/x is not authorized" },
      /^error: access denied to iam:ListUsers: give the audit's identity the read-only policy docs\/audit-policy\.json\n$/,
    ],
    [
      "refused credentials",
      { name: "InvalidClientTokenId", message: "The security token included in the request is invalid" },
      /^error: AWS refused the credentials \(InvalidClientTokenId\)/,
    ],
    [
      "an endpoint that is not AWS",
      { name: "NotFound", message: "Not Found" },
      /^error: sts:GetCallerIdentity( at \S+)? answered NotFound: is it AWS\?/,
    ],
  ] as const)
    it(`exit 2 with one line on ${what}`, async () => {
      const a = cleanAccount(NOW);
      a.errors = { [what === "access denied" ? "ListUsers" : "GetCallerIdentity"]: error };
      const r = await cli(["--stack", "dev"], a);
      assert.equal(r.code, 2);
      assert.match(r.stderr, line);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.equal(r.stdout, "");
    });
});
