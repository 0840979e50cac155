/**
 * `npm run audit` as a user runs it, in a copy of the project, against moto seeded through the SDK: the
 * runbook's account passes; a group membership and a second administrator added out of band fail on the
 * pack's rules; Identity Center enabled fails on bootstrap-user-superseded; no bootstrap user at all is
 * an info line; an unreachable endpoint is exit 2 with one line, in seconds.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  AddUserToGroupCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateAccountAliasCommand,
  CreateGroupCommand,
  CreateLoginProfileCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteLoginProfileCommand,
  DeleteUserCommand,
  DetachUserPolicyCommand,
  IAMClient,
  RemoveUserFromGroupCommand,
} from "@aws-sdk/client-iam";
import {
  CreateOrganizationCommand,
  DisableAWSServiceAccessCommand,
  EnableAWSServiceAccessCommand,
  OrganizationsClient,
} from "@aws-sdk/client-organizations";
import { Workspace, type CliRun } from "./harness";
import { startMoto, type Moto } from "./moto";

const USER = "mgmt-org-admin";
const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";

describe("engine audit: npm run audit against moto seeded through the SDK", function () {
  this.timeout(120_000);
  let moto: Moto;
  let ws: Workspace;
  let iam: IAMClient;
  let org: OrganizationsClient;
  let keyId = "";
  const saved = process.env.MOTO_IAM_LOAD_MANAGED_POLICIES;

  before(async () => {
    // moto's server loads AWS managed policies (AdministratorAccess) only when asked.
    process.env.MOTO_IAM_LOAD_MANAGED_POLICIES = "true";
    moto = await startMoto();
    ws = new Workspace();
    const options = {
      region: "us-east-1",
      endpoint: moto.endpoint,
      credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    };
    iam = new IAMClient(options);
    org = new OrganizationsClient(options);
    // What `pulumi up` of the dev stack leaves, plus the organization Leverage creates next.
    await org.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
    const Tags = Object.entries({
      Purpose: "leverage-bootstrap",
      Temporary: "true",
      ManagedBy: "pulumi",
    }).map(([Key, Value]) => ({ Key, Value }));
    await iam.send(new CreateUserCommand({ UserName: USER, Tags }));
    await iam.send(
      new CreateLoginProfileCommand({
        UserName: USER,
        Password: "Aa1!".repeat(8),
        PasswordResetRequired: true,
      }),
    );
    await iam.send(new AttachUserPolicyCommand({ UserName: USER, PolicyArn: ADMIN }));
    await iam.send(new CreateAccountAliasCommand({ AccountAlias: "acme-management" }));
    keyId = (await iam.send(new CreateAccessKeyCommand({ UserName: USER }))).AccessKey!.AccessKeyId!;
    // moto cannot enable root MFA (no API can): lowered, with a reason and an expiry, as an operator would.
    const expires = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    fs.writeFileSync(
      path.join(ws.project, "audit-config.json"),
      JSON.stringify({
        "root-mfa-enabled": { enforcementLevel: "advisory", reason: "moto cannot enable root MFA", expires },
      }),
    );
  });

  after(() => {
    moto?.close();
    if (ws) fs.rmSync(ws.tmp, { recursive: true, force: true });
    if (saved === undefined) delete process.env.MOTO_IAM_LOAD_MANAGED_POLICIES;
    else process.env.MOTO_IAM_LOAD_MANAGED_POLICIES = saved;
  });

  const audit = (env: Record<string, string> = moto.env): Promise<CliRun> =>
    ws.npm("audit", ["--stack", "dev", "--policy-pack-config", "audit-config.json", "--format", "json"], {
      env,
      timeoutMs: 90_000,
    });
  type Report = {
    violations: { policyName: string; enforcementLevel: string }[];
    diagnostics: { message: string }[];
  };
  const mandatory = (r: Report) =>
    [
      ...new Set(r.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policyName)),
    ].sort();
  const report = (run: CliRun): Report => {
    assert.ok(!(run.stdout + run.stderr).includes(keyId), "the access key id whole");
    return JSON.parse(run.stdout);
  };

  it("passes the runbook's account; moto's root MFA shows as the lowered advisory", async () => {
    const run = await audit();
    assert.equal(run.code, 0, run.stderr + run.stdout.slice(-2000));
    const r = report(run);
    assert.deepEqual(mandatory(r), []);
    assert.ok(
      r.violations.some((v) => v.policyName === "root-mfa-enabled" && v.enforcementLevel === "advisory"),
    );
  });

  it("fails on the bootstrap user in a group and a second administrator, added out of band", async () => {
    await iam.send(new CreateGroupCommand({ GroupName: "ops" }));
    await iam.send(new AddUserToGroupCommand({ GroupName: "ops", UserName: USER }));
    await iam.send(new CreateUserCommand({ UserName: "second-admin" }));
    await iam.send(new AttachUserPolicyCommand({ UserName: "second-admin", PolicyArn: ADMIN }));
    const run = await audit();
    assert.equal(run.code, 1, run.stderr);
    const names = mandatory(report(run));
    for (const p of ["bootstrap-user-no-groups", "administrator-bootstrap-user-only"])
      assert.ok(names.includes(p), `${p} in ${names.join(", ")}`);
    await iam.send(new RemoveUserFromGroupCommand({ GroupName: "ops", UserName: USER }));
    await iam.send(new DetachUserPolicyCommand({ UserName: "second-admin", PolicyArn: ADMIN }));
    await iam.send(new DeleteUserCommand({ UserName: "second-admin" }));
  });

  it("fails on bootstrap-user-superseded once trusted access for sso.amazonaws.com is on", async () => {
    await org.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: "sso.amazonaws.com" }));
    const run = await audit();
    assert.equal(run.code, 1, run.stderr);
    assert.ok(mandatory(report(run)).includes("bootstrap-user-superseded"));
    await org.send(new DisableAWSServiceAccessCommand({ ServicePrincipal: "sso.amazonaws.com" }));
  });

  it("says so when there is no bootstrap user at all, and passes", async () => {
    await iam.send(new DeleteAccessKeyCommand({ UserName: USER, AccessKeyId: keyId }));
    await iam.send(new DeleteLoginProfileCommand({ UserName: USER }));
    await iam.send(new DetachUserPolicyCommand({ UserName: USER, PolicyArn: ADMIN }));
    await iam.send(new DeleteUserCommand({ UserName: USER }));
    const run = await audit();
    assert.equal(run.code, 0, run.stderr);
    assert.ok(
      report(run).diagnostics.some((d) => /bootstrap user "mgmt-org-admin" does not exist/.test(d.message)),
    );
  });

  it("exits 2 with one line within 30 s when the endpoint is unreachable", async () => {
    const started = Date.now();
    const run = await audit({ ...moto.env, AWS_ENDPOINT_URL: "http://127.0.0.1:1" });
    const seconds = (Date.now() - started) / 1000;
    assert.equal(run.code, 2);
    assert.equal(run.stdout, "");
    assert.match(
      run.stderr,
      /^error: cannot reach AWS for sts:GetCallerIdentity at http:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\)/,
    );
    assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
    assert.ok(seconds < 30, `${seconds} s`);
  });
});
