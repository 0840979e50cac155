/**
 * The Leverage bootstrap step as code: in the new AWS Organization's management account,
 * create the temporary IAM user `mgmt-org-admin` with console access and AdministratorAccess
 * attached directly (no group), and hand over its sign-in URL, user name and password.
 * Runbook: Leverage's "Creating your AWS Management account",
 * https://leverage.binbash.co/try-leverage/aws-account-setup/. Read top to bottom like it.
 *
 * The exported async function is what the Node language host runs; its result becomes the
 * stack outputs (sdk/nodejs/cmd/run/run.ts).
 */
// Per-module imports of @pulumi/aws: the same objects at run time (its index only lazy-loads
// these modules), but the type checker reads IAM's declarations instead of all of AWS's.
import { getCallerIdentity } from "@pulumi/aws/getCallerIdentity";
import { getPartition } from "@pulumi/aws/getPartition";
import * as iam from "@pulumi/aws/iam";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { loadConfig } from "./lib/config";
import { addDays, EXPIRES_ON_TAG, todayUtc } from "./lib/expiry";
import { credentialsIssueName, issueKeepers, pendingSettings, readIssueKeepers } from "./lib/credentials";
import { BOOTSTRAP_USER_TAGS, administratorAccessPolicyArn, consoleSignInUrl } from "./lib/naming";

/** An output's value once it is known (an issue's keepers are known in preview too: inputs). */
const settled = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));

export = async (): Promise<Record<string, pulumi.Output<unknown>>> => {
  // Config: every key is validated before anything is registered.
  const config = await loadConfig();
  const { partition } = await getPartition();
  const caller = await getCallerIdentity();
  if (caller.arn.endsWith(":root")) {
    pulumi.log.warn(
      "Running as the account's root user: use root credentials for this bootstrap only, from AWS " +
        "CloudShell or short-lived credentials, never root access keys; sign in as the bootstrap user next.",
    );
  }

  // The bootstrap user's life starts at the first deployment: that day is held in a random
  // resource's keepers, frozen as the credentials issue's are, so no later run or rotation moves
  // it. Only the lifetime is config: extending it is a reviewed change (bootstrap-user-expiry).
  const start = new random.RandomId(
    "bootstrap-user-start",
    { byteLength: 4, keepers: { startedOn: todayUtc() } },
    { ignoreChanges: ["keepers"] },
  );
  const expiresOn = start.keepers.apply((keepers) =>
    addDays(String(keepers?.startedOn), config.bootstrapUserLifetimeDays),
  );

  // The bootstrap user: fixed name (no auto-naming); forceDestroy so `pulumi destroy` also
  // removes it after the operator added MFA devices or keys by hand.
  const user = new iam.User("bootstrap-user", {
    name: config.bootstrapUserName,
    forceDestroy: true,
    tags: { ...BOOTSTRAP_USER_TAGS, [EXPIRES_ON_TAG]: expiresOn },
  });

  // The credentials issue for this credentialsRotation value (see lib/credentials.ts).
  const issue = new random.RandomId(
    credentialsIssueName(config.credentialsRotation),
    { byteLength: 8, keepers: issueKeepers(config) },
    // Frozen at creation: later config changes wait for the next rotation.
    { ignoreChanges: ["keepers"] },
  );
  const issued = issue.keepers.apply((keepers) => readIssueKeepers(keepers, config));
  issued.apply((settings) => {
    const pending = pendingSettings(config, settings);
    if (pending.length > 0) {
      pulumi.log.warn(
        `${pending.join("; ")}. These apply at the next rotation: change management-bootstrap:credentialsRotation.`,
      );
    }
  });

  // Console access with a provider-generated password (none in code). The provider marks every
  // input ForceNew (terraform-provider-aws aws_iam_user_login_profile, no Update), so:
  // - passwordLength and pgpKey come from the frozen issue, and the issue's id triggers the
  //   replacement: a new password only when credentialsRotation changes;
  // - passwordResetRequired is read back from AWS, which clears it after the first sign-in:
  //   ignoring it keeps a refresh from replacing the profile, i.e. the user's new password;
  // - one login profile per user: the old one must go before the new one is created.
  const loginProfile = new iam.UserLoginProfile(
    "console-login",
    {
      user: user.name,
      passwordLength: issued.passwordLength,
      passwordResetRequired: config.passwordResetRequired,
      pgpKey: issued.pgpKey,
    },
    { replacementTrigger: issue.id, ignoreChanges: ["passwordResetRequired"], deleteBeforeReplace: true },
  );

  // AdministratorAccess attached directly, in the caller's partition (aws, aws-us-gov, aws-cn).
  new iam.UserPolicyAttachment("administrator-access", {
    user: user.name,
    policyArn: administratorAccessPolicyArn(partition),
  });

  // The account alias gives the sign-in URL its readable form.
  const alias = config.manageAccountAlias
    ? new iam.AccountAlias("account-alias", { accountAlias: config.accountName })
    : undefined;

  // Optional access key for `leverage credentials configure --type BOOTSTRAP`. pgpKey is
  // ForceNew here too; IAM allows two keys per user, so the replacement is created before the
  // old key is deleted and whoever uses it keeps working until then.
  const accessKey = config.createAccessKey
    ? new iam.AccessKey(
        "bootstrap-access-key",
        { user: user.name, pgpKey: issued.pgpKey },
        { replacementTrigger: issue.id, deleteBeforeReplace: false },
      )
    : undefined;

  // Outputs: what the runbook hands over. Plain secrets are wrapped explicitly.
  const outputs: Record<string, pulumi.Output<unknown>> = {
    consoleSignInUrl: alias
      ? alias.accountAlias.apply((name) => consoleSignInUrl(name, partition))
      : pulumi.output(consoleSignInUrl(caller.accountId, partition)),
    userName: user.name,
    userArn: user.arn,
    expiresOn,
    accountId: pulumi.output(caller.accountId),
    passwordResetRequired: loginProfile.passwordResetRequired,
  };
  // The credentials that exist were issued with the issue's pgpKey, not necessarily the
  // config's (a new one waits for the next rotation): the outputs follow what was issued.
  const issuedKey = (await settled(issued)).pgpKey;
  if (issuedKey) {
    outputs.encryptedPassword = loginProfile.encryptedPassword;
    // Known from the key itself; for keybase: recipients only the provider knows it.
    outputs.pgpKeyFingerprint =
      issuedKey === config.pgpKey?.value && config.pgpKey.fingerprint
        ? pulumi.output(config.pgpKey.fingerprint)
        : loginProfile.keyFingerprint;
  } else {
    outputs.consolePassword = pulumi.secret(loginProfile.password);
  }
  if (accessKey) {
    outputs.accessKeyId = accessKey.id;
    if (issuedKey) outputs.encryptedSecretAccessKey = accessKey.encryptedSecret;
    else outputs.secretAccessKey = pulumi.secret(accessKey.secret);
  }
  return outputs;
};
