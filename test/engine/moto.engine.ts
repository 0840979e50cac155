/**
 * The stand-in AWS provider against moto (AWS_ENDPOINT_URL, sdk-account.ts): `pulumi up` of the real
 * program with the pack creates in moto what an SDK read of the account then finds, a refresh changes
 * nothing, a credentialsRotation replaces the login profile and the key in moto, destroy removes all.
 */
import * as assert from "node:assert/strict";
import {
  AddUserToGroupCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  GetLoginProfileCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAccountAliasesCommand,
  ListAttachedUserPoliciesCommand,
  ListVirtualMFADevicesCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { BOOTSTRAP_USER_TAGS } from "../../lib/naming";
import { T } from "../../policy/lib/resource-types";
import { Workspace } from "./harness";
import { startMoto, type Moto } from "./moto";

const STACK = "management";
const S = ["--stack", STACK];
const PACK = ["--policy-pack", "policy", "--policy-pack-config", ".github/policy-pack-config.json"];
const USER = "mgmt-org-admin";
const POLICY = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "iam:GetUser", Resource: "*" }],
});

describe("engine against moto: the stand-in provider's IAM and STS calls reach AWS_ENDPOINT_URL", function () {
  let moto: Moto;
  let ws: Workspace;
  let iam: IAMClient;
  const client = { region: "us-east-1", credentials: { accessKeyId: "testing", secretAccessKey: "testing" } };

  before(async () => {
    moto = await startMoto();
    ws = new Workspace({ aws: moto });
    iam = new IAMClient({ ...client, endpoint: moto.endpoint });
  });
  after(() => {
    iam?.destroy();
    ws?.close();
    moto?.close();
  });

  const outputs = async () =>
    JSON.parse(await ws.ok(["stack", "output", ...S, "--json", "--show-secrets"])) as Record<string, string>;
  const keyIds = async () =>
    ((await iam.send(new ListAccessKeysCommand({ UserName: USER }))).AccessKeyMetadata ?? []).map(
      (k) => k.AccessKeyId,
    );
  let firstKeyId = "";

  it("up with the pack creates the bootstrap in moto: the user with its tags, login profile, AdministratorAccess, alias, the output's key", async () => {
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
    const profile = await iam.send(new GetLoginProfileCommand({ UserName: USER }));
    assert.equal(profile.LoginProfile?.UserName, USER);
    const attached = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: USER }));
    assert.deepEqual(
      attached.AttachedPolicies?.map((p) => p.PolicyArn),
      ["arn:aws:iam::aws:policy/AdministratorAccess"],
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
    // The caller's account is moto's, from STS, and the sign-in URL uses the alias.
    assert.equal(out.accountId, "123456789012");
    assert.match(out.consoleSignInUrl, /^https:\/\/acme-management\.signin\.aws\.amazon\.com\/console/);
    firstKeyId = out.accessKeyId;
  });

  it("refresh reads moto and changes nothing", async () => {
    const before = ws.journal().length;
    await ws.ok(["refresh", ...S, "--yes", "--expect-no-changes"]);
    assert.deepEqual(ws.journal().slice(before), []);
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
    assert.ok(at(`create ${T.accessKey}`) < at(`delete ${T.accessKey} bootstrap-access-key ${firstKeyId}`));
    const out = await outputs();
    assert.notEqual(out.accessKeyId, firstKeyId);
    assert.deepEqual(await keyIds(), [out.accessKeyId]);
    assert.equal(
      (await iam.send(new GetLoginProfileCommand({ UserName: USER }))).LoginProfile?.UserName,
      USER,
    );
  });

  it("destroy leaves no user, key or alias in moto, after what an operator added by hand (forceDestroy)", async () => {
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
  });
});
