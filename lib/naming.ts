/**
 * Naming rules of the Leverage bootstrap step: the one source of truth shared by the
 * program (config validation) and the policy pack (what it enforces).
 *
 * Sources (see ../shared/REFERENCE.md):
 * - Leverage project name: leverage/modules/project.py, validate_config.
 * - Management account name `<project>-management`: the runbook, and Leverage's CLI,
 *   which finds the management account by that suffix.
 * - IAM user names and account aliases: the AWS IAM API reference.
 */

/** Leverage's own project-name rule (lower case, digits, dashes; 3 to 25 characters). */
export const PROJECT_NAME_PATTERN = /^[a-z0-9]([a-z0-9]|-){1,23}[a-z0-9]$/;

/** The suffix every management account name carries. */
export const MANAGEMENT_ACCOUNT_SUFFIX = "-management";

/** The runbook's name for the temporary bootstrap user. */
export const DEFAULT_BOOTSTRAP_USER_NAME = "mgmt-org-admin";

/** IAM user names: 1 to 64 characters of letters, digits and `+=,.@_-`. */
export const IAM_USER_NAME_PATTERN = /^[\w+=,.@-]{1,64}$/;

/** IAM account alias (CreateAccountAlias): 3 to 63 characters, no leading, trailing or double dash. */
export const ACCOUNT_ALIAS_PATTERN = /^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$/;

/** Tags that mark the bootstrap user as temporary and say who owns it. */
export const BOOTSTRAP_USER_TAGS: Readonly<Record<string, string>> = Object.freeze({
  Purpose: "leverage-bootstrap",
  Temporary: "true",
  ManagedBy: "pulumi",
});

/** The AWS managed policy the runbook attaches directly to the bootstrap user. */
export const ADMINISTRATOR_ACCESS_POLICY_NAME = "AdministratorAccess";

/** AWS partitions in which the managed policy exists under the same name. */
export const AWS_PARTITIONS = ["aws", "aws-us-gov", "aws-cn"] as const;

export function isValidProjectName(name: string): boolean {
  return PROJECT_NAME_PATTERN.test(name);
}

/** `acme` -> `acme-management`. */
export function managementAccountName(projectName: string): string {
  return `${projectName}${MANAGEMENT_ACCOUNT_SUFFIX}`;
}

export function isValidIamUserName(name: string): boolean {
  return IAM_USER_NAME_PATTERN.test(name);
}

export function isValidAccountAlias(alias: string): boolean {
  return ACCOUNT_ALIAS_PATTERN.test(alias);
}

/** IAM user names are unique case-insensitively: `TESTUSER` and `testuser` are the same user. */
export function sameIamUserName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** `arn:<partition>:iam::aws:policy/AdministratorAccess`. */
export function administratorAccessPolicyArn(partition: string): string {
  return `arn:${partition}:iam::aws:policy/${ADMINISTRATOR_ACCESS_POLICY_NAME}`;
}

/** True for the AdministratorAccess managed policy ARN in any AWS partition. */
export function isAdministratorAccessPolicyArn(arn: string): boolean {
  return (AWS_PARTITIONS as readonly string[]).some((p) => arn === administratorAccessPolicyArn(p));
}

/**
 * The console sign-in URL AWS gives an IAM user: the alias form when the account has an
 * alias, otherwise the account-id form.
 */
export function consoleSignInUrl(aliasOrAccountId: string, partition = "aws"): string {
  // GovCloud and China have their own console hosts.
  const host =
    partition === "aws-us-gov"
      ? "signin.amazonaws-us-gov.com"
      : partition === "aws-cn"
        ? "signin.amazonaws.cn"
        : "signin.aws.amazon.com";
  return `https://${aliasOrAccountId}.${host}/console`;
}
