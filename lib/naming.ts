/** Naming rules shared by the program's config validation and the policy pack. */

/** Leverage's own rule (leverage/modules/project.py, validate_config). */
export const PROJECT_NAME_PATTERN = /^[a-z0-9]([a-z0-9]|-){1,23}[a-z0-9]$/;

/** Leverage's CLI finds the management account by this suffix. */
export const MANAGEMENT_ACCOUNT_SUFFIX = "-management";

/** The runbook's name for the temporary bootstrap user. */
export const DEFAULT_BOOTSTRAP_USER_NAME = "mgmt-org-admin";

// IAM user names and account aliases (CreateAccountAlias), as the IAM API reference has them.
export const IAM_USER_NAME_PATTERN = /^[\w+=,.@-]{1,64}$/;
const ACCOUNT_ALIAS_PATTERN = /^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$/;

/** Tags that mark the bootstrap user as temporary and say who owns it. */
export const BOOTSTRAP_USER_TAGS: Readonly<Record<string, string>> = Object.freeze({
  Purpose: "leverage-bootstrap",
  Temporary: "true",
  ManagedBy: "pulumi",
});

/** AWS partitions (each has the AWS managed policy AdministratorAccess under that name). */
export const AWS_PARTITIONS: readonly string[] = [
  "aws",
  "aws-cn",
  "aws-us-gov",
  "aws-iso",
  "aws-iso-b",
  "aws-iso-e",
  "aws-iso-f",
  "aws-eusc",
];

export const isValidProjectName = (name: string): boolean => PROJECT_NAME_PATTERN.test(name);
export const isValidIamUserName = (name: string): boolean => IAM_USER_NAME_PATTERN.test(name);
export const isValidAccountAlias = (alias: string): boolean => ACCOUNT_ALIAS_PATTERN.test(alias);

/** `acme` -> `acme-management`. */
export function managementAccountName(projectName: string): string {
  return `${projectName}${MANAGEMENT_ACCOUNT_SUFFIX}`;
}

/** IAM user names are unique case-insensitively: `TESTUSER` and `testuser` are the same user. */
export function sameIamUserName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The policy the runbook attaches directly to the bootstrap user. */
export function administratorAccessPolicyArn(partition: string): string {
  return `arn:${partition}:iam::aws:policy/AdministratorAccess`;
}

export function isAdministratorAccessPolicyArn(arn: string): boolean {
  return AWS_PARTITIONS.some((partition) => arn === administratorAccessPolicyArn(partition));
}

/** The sign-in URL AWS gives an IAM user: `aliasOrAccountId` is the account's alias when it has one. */
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
