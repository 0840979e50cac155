/**
 * The account after `up`, end to end, on moto (moto.ts; the stand-in AWS provider works in it through
 * the SDK, sdk-account.ts): `pulumi up` of the real program with the pack creates the bootstrap in moto,
 * an SDK read finds it, and `npm run audit` (run as a user runs it, in the project copy) passes with the
 * plan's verdict. Then, out of band through the SDK: a group membership and a second administrator
 * (the audit names both rules), removed again; the expiry passed (bootstrap-user-expiry); a rotation in
 * moto; Identity Center enabled (bootstrap-user-superseded); destroy after what an operator added by
 * hand; the audit finds no bootstrap user. An unreachable endpoint is exit 2 with one line.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  AddUserToGroupCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  DeleteUserCommand,
  DetachUserPolicyCommand,
  EnableMFADeviceCommand,
  GetLoginProfileCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAccountAliasesCommand,
  ListAttachedUserPoliciesCommand,
  ListVirtualMFADevicesCommand,
  PutUserPolicyCommand,
  RemoveUserFromGroupCommand,
  TagUserCommand,
} from "@aws-sdk/client-iam";
import {
  CreateOrganizationCommand,
  EnableAWSServiceAccessCommand,
  OrganizationsClient,
} from "@aws-sdk/client-organizations";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { BOOTSTRAP_USER_TAGS } from "../../lib/naming";
import { T } from "../../policy/lib/resource-types";
import { mandatoryOf, Workspace, type CliRun } from "./harness";
import { startMoto, type Moto } from "./moto";

const STACK = "management";
const S = ["--stack", STACK];
const PACK = ["--policy-pack", "policy", "--policy-pack-config", ".github/policy-pack-config.json"];
const USER = "mgmt-org-admin";
const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";
const POLICY = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "iam:GetUser", Resource: "*" }],
});

type Report = {
  violations: { policyName: string; enforcementLevel: string; message: string }[];
  diagnostics: { message: string }[];
};
const mandatory = (r: Report) =>
  [
    ...new Set(r.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policyName)),
  ].sort();

describe("engine: the account after up, on moto: pulumi up, then npm run audit", function () {
  let moto: Moto;
  let ws: Workspace;
  let iam: IAMClient;
  let org: OrganizationsClient;
  let keyId = "";
  const client = { region: "us-east-1", credentials: { accessKeyId: "testing", secretAccessKey: "testing" } };

  before(async () => {
    moto = await startMoto();
    ws = new Workspace({ aws: moto });
    iam = new IAMClient({ ...client, endpoint: moto.endpoint });
    org = new OrganizationsClient({ ...client, endpoint: moto.endpoint });
    // The management account is the organization's (the runbook's step 1 creates it by hand).
    await org.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
    // moto cannot enable root MFA (no API can): lowered for the audit only, with a reason and an expiry.
    const expires = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    fs.writeFileSync(
      path.join(ws.project, "audit-config.json"),
      JSON.stringify({
        "root-mfa-enabled": { enforcementLevel: "advisory", reason: "moto cannot enable root MFA", expires },
      }),
    );
  });
  after(() => {
    iam?.destroy();
    org?.destroy();
    ws?.close();
    moto?.close();
  });

  const outputs = async () =>
    JSON.parse(await ws.ok(["stack", "output", ...S, "--json", "--show-secrets"])) as Record<string, string>;
  const keyIds = async () => {
    const listed = await iam
      .send(new ListAccessKeysCommand({ UserName: USER }))
      .catch((e: Error) =>
        e.name === "NoSuchEntityException" ? { AccessKeyMetadata: [] } : Promise.reject(e),
      );
    return (listed.AccessKeyMetadata ?? []).flatMap((k) => (k.AccessKeyId ? [k.AccessKeyId] : []));
  };
  /** `npm run audit` of the stack, JSON; never a key id whole in its output. */
  async function audit(expectedCode: number, env?: Record<string, string>): Promise<Report> {
    const run: CliRun = await ws.npm(
      "audit",
      [...S, "--policy-pack-config", "audit-config.json", "--format", "json"],
      { env, timeoutMs: 90_000 },
    );
    assert.equal(run.code, expectedCode, run.stderr + run.stdout.slice(-2000));
    for (const id of await keyIds()) assert.ok(!(run.stdout + run.stderr).includes(id), "a key id whole");
    return JSON.parse(run.stdout) as Report;
  }

  it("up with the pack creates the bootstrap in moto; the audit passes, with the plan's verdict", async () => {
    await ws.ok(["stack", "init", STACK, "--secrets-provider", "passphrase"]);
    await ws.ok(["config", "set", ...S, "aws:region", "us-east-1"]);
    await ws.ok(["config", "set", ...S, "projectName", "acme"]);
    await ws.ok(["config", "set", ...S, "createAccessKey", "true"]);
    const up = await ws.pulumi(["up", ...S, "--yes", ...PACK]);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.deepEqual(ws.account().resources, {}, "nothing of IAM went to the file account");

    const out = await outputs();
    const { User: user } = await iam.send(new GetUserCommand({ UserName: USER }));
    assert.equal(out.userArn, user!.Arn);
    const tags = Object.fromEntries((user!.Tags ?? []).map((t) => [t.Key, t.Value]));
    for (const [k, v] of Object.entries(BOOTSTRAP_USER_TAGS)) assert.equal(tags[k], v, `tag ${k}`);
    assert.equal(tags.ExpiresOn, out.expiresOn);
    assert.equal(
      (await iam.send(new GetLoginProfileCommand({ UserName: USER }))).LoginProfile?.UserName,
      USER,
    );
    const attached = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: USER }));
    assert.deepEqual(
      attached.AttachedPolicies?.map((p) => p.PolicyArn),
      [ADMIN],
    );
    assert.deepEqual((await iam.send(new ListAccountAliasesCommand({}))).AccountAliases, ["acme-management"]);
    assert.deepEqual(await keyIds(), [out.accessKeyId]);
    // The handed-over key is moto's: STS names the bootstrap user for it (moto checks no signature).
    const sts = new STSClient({
      region: "us-east-1",
      endpoint: moto.endpoint,
      credentials: { accessKeyId: out.accessKeyId, secretAccessKey: out.secretAccessKey },
    });
    assert.equal((await sts.send(new GetCallerIdentityCommand({}))).Arn, user!.Arn);
    sts.destroy();
    assert.equal(out.accountId, "123456789012");
    keyId = out.accessKeyId;

    // One rulebook: the account's verdict is the plan's.
    const report = await audit(0);
    assert.deepEqual(mandatory(report), mandatoryOf(up));
    assert.ok(
      report.violations.some((v) => v.policyName === "root-mfa-enabled" && v.enforcementLevel === "advisory"),
    );
  });

  it("refresh reads moto and changes nothing", async () => {
    const before = ws.journal().length;
    await ws.ok(["refresh", ...S, "--yes", "--expect-no-changes"]);
    assert.deepEqual(ws.journal().slice(before), []);
  });

  it("out of band, the user in a group and a second administrator: the audit names both rules; removed, it passes", async () => {
    await iam.send(new CreateGroupCommand({ GroupName: "ops" }));
    await iam.send(new AddUserToGroupCommand({ GroupName: "ops", UserName: USER }));
    await iam.send(new CreateUserCommand({ UserName: "second-admin" }));
    await iam.send(new AttachUserPolicyCommand({ UserName: "second-admin", PolicyArn: ADMIN }));
    const names = mandatory(await audit(1));
    for (const p of ["bootstrap-user-no-groups", "administrator-bootstrap-user-only"])
      assert.ok(names.includes(p), `${p} in ${names.join(", ")}`);
    await iam.send(new RemoveUserFromGroupCommand({ GroupName: "ops", UserName: USER }));
    await iam.send(new DetachUserPolicyCommand({ UserName: "second-admin", PolicyArn: ADMIN }));
    await iam.send(new DeleteUserCommand({ UserName: "second-admin" }));
    assert.deepEqual(mandatory(await audit(0)), []);
  });

  it("past its ExpiresOn date, the audit fails on bootstrap-user-expiry", async () => {
    const { expiresOn } = await outputs();
    await iam.send(new TagUserCommand({ UserName: USER, Tags: [{ Key: "ExpiresOn", Value: "2026-01-31" }] }));
    const report = await audit(1);
    assert.deepEqual(mandatory(report), ["bootstrap-user-expiry"]);
    assert.ok(report.violations.some((v) => /expired on 2026-01-31/.test(v.message)));
    await iam.send(new TagUserCommand({ UserName: USER, Tags: [{ Key: "ExpiresOn", Value: expiresOn }] }));
  });

  it("a new credentialsRotation replaces the login profile (old deleted first) and the key (new created first) in moto", async () => {
    await ws.ok(["config", "set", ...S, "credentialsRotation", "2"]);
    const before = ws.journal().length;
    // No preview and no pack: the first up judged the program; this one is about moto's side (time budget).
    const up = await ws.pulumi(["up", ...S, "--yes", "--skip-preview"]);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    const calls = ws.journal().slice(before);
    const at = (call: string) => calls.findIndex((c) => c.startsWith(call));
    assert.ok(at(`delete ${T.loginProfile}`) >= 0, calls.join("\n"));
    assert.ok(at(`delete ${T.loginProfile}`) < at(`create ${T.loginProfile}`), calls.join("\n"));
    assert.ok(at(`create ${T.accessKey}`) >= 0, calls.join("\n"));
    assert.ok(at(`create ${T.accessKey}`) < at(`delete ${T.accessKey} bootstrap-access-key ${keyId}`));
    const out = await outputs();
    assert.notEqual(out.accessKeyId, keyId);
    assert.deepEqual(await keyIds(), [out.accessKeyId]);
  });

  it("Identity Center enabled for the organization: the audit fails on bootstrap-user-superseded", async () => {
    await org.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: "sso.amazonaws.com" }));
    assert.deepEqual(mandatory(await audit(1)), ["bootstrap-user-superseded"]);
  });

  it("destroy, after what an operator added by hand (forceDestroy), leaves no bootstrap user: the audit says so", async () => {
    // What IAM refuses to delete a user with, added out of band: the provider's forceDestroy removes it first.
    await iam.send(new CreateGroupCommand({ GroupName: "by-hand" }));
    await iam.send(new AddUserToGroupCommand({ GroupName: "by-hand", UserName: USER }));
    await iam.send(
      new PutUserPolicyCommand({ UserName: USER, PolicyName: "by-hand", PolicyDocument: POLICY }),
    );
    await iam.send(new CreateAccessKeyCommand({ UserName: USER }));
    const { VirtualMFADevice: mfa } = await iam.send(
      new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: USER }),
    );
    await iam.send(
      new EnableMFADeviceCommand({
        UserName: USER,
        SerialNumber: mfa!.SerialNumber,
        AuthenticationCode1: "123456",
        AuthenticationCode2: "654321",
      }),
    );
    await ws.ok(["destroy", ...S, "--yes"]);
    await assert.rejects(iam.send(new GetUserCommand({ UserName: USER })), { name: "NoSuchEntityException" });
    assert.deepEqual((await iam.send(new ListAccountAliasesCommand({}))).AccountAliases, []);
    assert.deepEqual((await iam.send(new ListVirtualMFADevicesCommand({}))).VirtualMFADevices, []);
    const report = await audit(0);
    assert.deepEqual(mandatory(report), []);
    assert.ok(
      report.diagnostics.some((d) => /bootstrap user "mgmt-org-admin" does not exist/.test(d.message)),
    );
  });

  it("exits 2 with one line within 30 s when the endpoint is unreachable", async () => {
    const started = Date.now();
    const run = await ws.npm("audit", [...S], {
      env: { AWS_ENDPOINT_URL: "http://127.0.0.1:1" },
      timeoutMs: 60_000,
    });
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
