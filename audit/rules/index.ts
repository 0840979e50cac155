/** Every audit-only rule, in the order of docs/audit.md; each rule is in ./<rule-name>.ts. */
import { bootstrapCredentialsUnused } from "./bootstrap-credentials-unused";
import { bootstrapUserSuperseded } from "./bootstrap-user-superseded";
import type { AuditRule } from "./define";
import { rootAccessKeysAbsent } from "./root-access-keys-absent";
import { rootMfaEnabled } from "./root-mfa-enabled";

export const AUDIT_RULES: readonly AuditRule<never>[] = [
  rootMfaEnabled,
  rootAccessKeysAbsent,
  bootstrapUserSuperseded,
  bootstrapCredentialsUnused,
] as AuditRule<never>[];
