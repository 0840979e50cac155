import * as assert from "node:assert/strict";
import program from "../../index";
import { credentialsIssueName } from "../../lib/credentials";
import { addDays, todayUtc } from "../../lib/expiry";
import { BOOTSTRAP_USER_TAGS } from "../../lib/naming";
import {
  ACCOUNT_ID,
  ProgramRun,
  RegisteredResource,
  findResource,
  runProgram,
  stackConfig,
  throwawayPgpKey,
} from "./harness";

const USER = "aws:iam/user:User";
const LOGIN_PROFILE = "aws:iam/userLoginProfile:UserLoginProfile";
const POLICY_ATTACHMENT = "aws:iam/userPolicyAttachment:UserPolicyAttachment";
const ACCOUNT_ALIAS = "aws:iam/accountAlias:AccountAlias";
const ACCESS_KEY = "aws:iam/accessKey:AccessKey";
const RANDOM_ID = "random:index/randomId:RandomId";

function only(run: ProgramRun, type: string): RegisteredResource {
  const found = findResource(run, type);
  assert.equal(found.length, 1, `exactly one ${type}, got ${found.length}`);
  return found[0];
}

/** The credentials issue: the RandomId besides the one holding the user's start date. */
function issueOf(run: ProgramRun): RegisteredResource {
  const found = findResource(run, RANDOM_ID).filter((r) => r.name !== "bootstrap-user-start");
  assert.equal(found.length, 1, `exactly one credentials issue, got ${found.length}`);
  return found[0];
}

describe("program: the bootstrap user and its console access", function () {
  let defaults: ProgramRun;
  before(async () => {
    defaults = await runProgram(stackConfig());
  });

  it("exports a function, which the language host calls for the stack outputs", () => {
    assert.equal(typeof program, "function");
  });

  it("registers exactly the user, its start date, credentials issue, login profile, admin attachment and alias", () => {
    assert.deepEqual(defaults.resources.map((r) => r.type).sort(), [
      ACCOUNT_ALIAS,
      USER,
      LOGIN_PROFILE,
      POLICY_ATTACHMENT,
      RANDOM_ID,
      RANDOM_ID,
    ]);
    // No group, membership, inline policy or Identity Center: the runbook's user is in no group.
    assert.ok(!defaults.resources.some((r) => /group|userPolicy:|ssoadmin|identitystore/i.test(r.type)));
  });

  it("names the user exactly, marks it temporary and lets destroy remove it", () => {
    const user = only(defaults, USER);
    assert.equal(user.inputs.name, "mgmt-org-admin");
    assert.equal(user.inputs.forceDestroy, true);
    assert.deepEqual(user.inputs.tags, { ...BOOTSTRAP_USER_TAGS, ExpiresOn: addDays(todayUtc(), 30) });
  });

  it("dates the user's expiry bootstrapUserLifetimeDays after its first deployment, frozen against later runs", async () => {
    const start = findResource(defaults, RANDOM_ID).find((r) => r.name === "bootstrap-user-start");
    assert.deepEqual(start?.inputs.keepers, { startedOn: todayUtc() });
    assert.deepEqual(start?.ignoreChanges, ["keepers"]);
    assert.equal(defaults.outputs.expiresOn, addDays(todayUtc(), 30));
    const longer = await runProgram(stackConfig({ bootstrapUserLifetimeDays: "90" }));
    assert.equal(
      (only(longer, USER).inputs.tags as Record<string, string>).ExpiresOn,
      addDays(todayUtc(), 90),
    );
  });

  it("gives the user a generated console password with the configured length and forced reset", () => {
    const profile = only(defaults, LOGIN_PROFILE);
    assert.equal(profile.inputs.user, "mgmt-org-admin");
    assert.equal(profile.inputs.passwordLength, 32);
    assert.equal(profile.inputs.passwordResetRequired, true);
    assert.equal(profile.inputs.pgpKey, undefined);
    assert.ok(!("password" in profile.inputs), "no password in code");
  });

  it("attaches AdministratorAccess directly to the user", () => {
    const attachment = only(defaults, POLICY_ATTACHMENT);
    assert.equal(attachment.inputs.user, "mgmt-org-admin");
    assert.equal(attachment.inputs.policyArn, "arn:aws:iam::aws:policy/AdministratorAccess");
  });

  it("sets the account alias to the management account name", () => {
    assert.equal(only(defaults, ACCOUNT_ALIAS).inputs.accountAlias, "acme-management");
  });

  it("asks the provider for the partition and the caller, and nothing else", () => {
    assert.deepEqual(defaults.invokes.sort(), [
      "aws:index/getCallerIdentity:getCallerIdentity",
      "aws:index/getPartition:getPartition",
    ]);
  });

  it("outputs the hand-off, with the console password as the only secret", () => {
    assert.deepEqual(defaults.outputs, {
      consoleSignInUrl: "https://acme-management.signin.aws.amazon.com/console",
      userName: "mgmt-org-admin",
      userArn: `arn:aws:iam::${ACCOUNT_ID}:user/mgmt-org-admin`,
      accountId: ACCOUNT_ID,
      passwordResetRequired: true,
      expiresOn: addDays(todayUtc(), 30),
      consolePassword: only(defaults, LOGIN_PROFILE).outputs.password,
    });
    assert.deepEqual([...defaults.secretOutputs], ["consolePassword"]);
  });

  it("does not warn for a non-root caller", () => {
    assert.deepEqual(defaults.warnings, []);
  });

  it("follows the configured user name, password length and reset flag", async () => {
    const run = await runProgram(
      stackConfig({
        bootstrapUserName: "Bootstrap.Admin",
        passwordLength: "64",
        passwordResetRequired: "false",
      }),
    );
    assert.equal(only(run, USER).inputs.name, "Bootstrap.Admin");
    const profile = only(run, LOGIN_PROFILE);
    assert.equal(profile.inputs.user, "Bootstrap.Admin");
    assert.equal(profile.inputs.passwordLength, 64);
    assert.equal(profile.inputs.passwordResetRequired, false);
    assert.equal(only(run, POLICY_ATTACHMENT).inputs.user, "Bootstrap.Admin");
    assert.equal(run.outputs.userName, "Bootstrap.Admin");
    assert.equal(run.outputs.passwordResetRequired, false);
  });

  it("uses the account-id sign-in URL and creates no alias when manageAccountAlias is false", async () => {
    const run = await runProgram(stackConfig({ manageAccountAlias: "false" }));
    assert.equal(findResource(run, ACCOUNT_ALIAS).length, 0);
    assert.equal(run.outputs.consoleSignInUrl, `https://${ACCOUNT_ID}.signin.aws.amazon.com/console`);
  });

  for (const [partition, host] of [
    ["aws-us-gov", "signin.amazonaws-us-gov.com"],
    ["aws-cn", "signin.amazonaws.cn"],
  ] as const) {
    it(`builds the policy ARN and sign-in URL for the ${partition} partition`, async () => {
      const run = await runProgram(stackConfig(), { partition });
      assert.equal(
        only(run, POLICY_ATTACHMENT).inputs.policyArn,
        `arn:${partition}:iam::aws:policy/AdministratorAccess`,
      );
      assert.equal(run.outputs.consoleSignInUrl, `https://acme-management.${host}/console`);
    });
  }

  it("warns once when run with the account's root credentials", async () => {
    const run = await runProgram(stackConfig(), { callerArn: `arn:aws:iam::${ACCOUNT_ID}:root` });
    assert.equal(run.warnings.length, 1, run.warnings.join("\n"));
    assert.match(run.warnings[0], /root user/);
    assert.match(run.warnings[0], /never root access keys/);
    // It still deploys: root is how a brand-new account is bootstrapped.
    assert.equal(findResource(run, USER).length, 1);
  });
});

describe("program: PGP-encrypted hand-off", function () {
  let key: Awaited<ReturnType<typeof throwawayPgpKey>>;
  let run: ProgramRun;
  before(async () => {
    key = await throwawayPgpKey();
    run = await runProgram(stackConfig({ pgpKey: key.base64 }));
  });

  it("passes the key to the login profile unchanged", () => {
    assert.equal(only(run, LOGIN_PROFILE).inputs.pgpKey, key.base64);
  });

  it("outputs the encrypted password and the key's fingerprint instead of the password", () => {
    assert.equal(run.outputs.encryptedPassword, only(run, LOGIN_PROFILE).outputs.encryptedPassword);
    assert.match(
      String(run.outputs.encryptedPassword),
      /^[A-Za-z0-9+/]+=*$/,
      "base64 of the binary message, as the provider",
    );
    assert.equal(run.outputs.pgpKeyFingerprint, key.fingerprint);
    assert.ok(!("consolePassword" in run.outputs));
    // Encrypted values are safe to show: no output needs --show-secrets.
    assert.deepEqual([...run.secretOutputs], []);
    assert.deepEqual(Object.keys(run.outputs).sort(), [
      "accountId",
      "consoleSignInUrl",
      "encryptedPassword",
      "expiresOn",
      "passwordResetRequired",
      "pgpKeyFingerprint",
      "userArn",
      "userName",
    ]);
  });

  it("takes the fingerprint from the provider for a keybase: recipient", async () => {
    const keybase = await runProgram(stackConfig({ pgpKey: "keybase:some_operator" }));
    const profile = only(keybase, LOGIN_PROFILE);
    assert.equal(profile.inputs.pgpKey, "keybase:some_operator");
    assert.match(String(profile.outputs.keyFingerprint), /^[0-9a-f]{40}$/);
    assert.equal(keybase.outputs.pgpKeyFingerprint, profile.outputs.keyFingerprint);
    assert.equal(keybase.outputs.encryptedPassword, profile.outputs.encryptedPassword);
  });
});

describe("program: bootstrap access key (createAccessKey)", function () {
  it("creates no access key by default", async () => {
    const run = await runProgram(stackConfig());
    assert.equal(findResource(run, ACCESS_KEY).length, 0);
    assert.ok(!("accessKeyId" in run.outputs) && !("secretAccessKey" in run.outputs));
  });

  it("creates one key for the bootstrap user and outputs its secret as a Pulumi secret", async () => {
    const run = await runProgram(stackConfig({ createAccessKey: "true" }));
    const accessKey = only(run, ACCESS_KEY);
    assert.deepEqual(accessKey.inputs, { user: "mgmt-org-admin", status: "Active" });
    assert.match(String(run.outputs.accessKeyId), /^AKIA[A-Z2-7]{16}$/);
    assert.equal(run.outputs.secretAccessKey, accessKey.outputs.secret);
    assert.match(String(run.outputs.secretAccessKey), /^[A-Za-z0-9/+]{40}$/);
    assert.deepEqual([...run.secretOutputs].sort(), ["consolePassword", "secretAccessKey"]);
    assert.ok(!("encryptedSecretAccessKey" in run.outputs));
  });

  it("encrypts the secret with pgpKey and outputs only the encrypted form", async () => {
    const key = await throwawayPgpKey();
    const run = await runProgram(stackConfig({ createAccessKey: "true", pgpKey: key.base64 }));
    assert.equal(only(run, ACCESS_KEY).inputs.pgpKey, key.base64);
    assert.equal(run.outputs.encryptedSecretAccessKey, only(run, ACCESS_KEY).outputs.encryptedSecret);
    assert.ok(!("secretAccessKey" in run.outputs));
    assert.deepEqual([...run.secretOutputs], []);
  });

  it("rotates with credentialsRotation like the password, creating the new key before deleting the old", async () => {
    const run = await runProgram(stackConfig({ createAccessKey: "true", credentialsRotation: "7" }));
    const accessKey = only(run, ACCESS_KEY);
    assert.equal(issueOf(run).name, credentialsIssueName("7"));
    assert.equal(accessKey.replacementTrigger, issueOf(run).outputs.b64Url);
    assert.equal(accessKey.replacementTrigger, only(run, LOGIN_PROFILE).replacementTrigger);
    assert.equal(accessKey.deleteBeforeReplace, false);
    assert.deepEqual(accessKey.ignoreChanges, []);
  });
});

describe("program: credential rotation wiring", function () {
  it("keys one random issue on credentialsRotation and freezes the settings it was issued with", async () => {
    const key = await throwawayPgpKey();
    const run = await runProgram(
      stackConfig({ credentialsRotation: "2026-q4", passwordLength: "40", pgpKey: key.base64 }),
    );
    const issue = issueOf(run);
    assert.equal(issue.name, credentialsIssueName("2026-q4"));
    assert.deepEqual(issue.inputs.keepers, {
      credentialsRotation: "2026-q4",
      passwordLength: "40",
      pgpKey: key.base64,
    });
    assert.deepEqual(issue.ignoreChanges, ["keepers"]);
  });

  it("replaces the login profile when the issue changes, deleting the old profile first", async () => {
    const run = await runProgram(stackConfig());
    const profile = only(run, LOGIN_PROFILE);
    assert.equal(profile.replacementTrigger, issueOf(run).outputs.b64Url);
    assert.equal(profile.deleteBeforeReplace, true);
    // AWS clears the reset flag after the first sign-in; a refresh must not replace the profile.
    assert.deepEqual(profile.ignoreChanges, ["passwordResetRequired"]);
  });

  it("gives a new rotation value a new issue (new trigger) and keeps it for other changes", async () => {
    const first = await runProgram(stackConfig({ credentialsRotation: "1" }));
    const rotated = await runProgram(stackConfig({ credentialsRotation: "2" }));
    const trigger = (run: ProgramRun) => only(run, LOGIN_PROFILE).replacementTrigger;
    assert.notEqual(trigger(rotated), trigger(first));
    // Same rotation on the deployed stack: the same issue, so the same trigger.
    const longer = await runProgram(stackConfig({ credentialsRotation: "1", passwordLength: "50" }), {
      prior: first.state,
    });
    assert.equal(trigger(longer), trigger(first));
    assert.equal(issueOf(longer).name, issueOf(first).name);
  });

  it("keeps the issued settings until the next rotation and says what is pending", async () => {
    const key = await throwawayPgpKey();
    // On the deployed stack the engine keeps the issue's frozen keepers (ignoreChanges).
    const deployed = await runProgram(stackConfig());
    const run = await runProgram(stackConfig({ passwordLength: "48", pgpKey: key.base64 }), {
      prior: deployed.state,
    });
    const profile = only(run, LOGIN_PROFILE);
    assert.equal(profile.inputs.passwordLength, 32);
    assert.equal(profile.inputs.pgpKey, undefined);
    assert.equal(run.warnings.length, 1, run.warnings.join("\n"));
    assert.match(run.warnings[0], /passwordLength is 48, the current password has 32/);
    assert.match(run.warnings[0], /pgpKey is set, the current credentials are not PGP-encrypted/);
    assert.match(run.warnings[0], /management-bootstrap:credentialsRotation/);
    assert.ok(!run.warnings[0].includes(key.base64), "the warning never repeats the key");
  });

  it("does not warn when the issue matches the config", async () => {
    const run = await runProgram(stackConfig({ passwordLength: "48" }));
    assert.deepEqual(run.warnings, []);
    assert.equal(only(run, LOGIN_PROFILE).inputs.passwordLength, 48);
  });
});
