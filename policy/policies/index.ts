/** Every policy of the pack, in the order of docs/policies.md; each rule is in ./<policy-name>.ts. */
import type { Policies } from "@pulumi/policy";
import { administratorBootstrapUserOnly } from "./administrator-bootstrap-user-only";
import { bootstrapCredentialsEncrypted } from "./bootstrap-credentials-encrypted";
import { bootstrapUserAccessKeys } from "./bootstrap-user-access-keys";
import { bootstrapUserAdministratorAccess } from "./bootstrap-user-administrator-access";
import { bootstrapUserExpiry } from "./bootstrap-user-expiry";
import { bootstrapUserConsoleAccess } from "./bootstrap-user-console-access";
import { bootstrapUserName } from "./bootstrap-user-name";
import { bootstrapUserNoExtraPermissions } from "./bootstrap-user-no-extra-permissions";
import { bootstrapUserNoGroups } from "./bootstrap-user-no-groups";
import { bootstrapUserPasswordStrength } from "./bootstrap-user-password-strength";
import { bootstrapUserTemporary } from "./bootstrap-user-temporary";
import { credentialsBootstrapUserOnly } from "./credentials-bootstrap-user-only";
import { inspectableTemplates } from "./inspectable-templates";
import { managementAccountName } from "./management-account-name";
import { noEscapeHatches } from "./no-escape-hatches";
import { noIdentityCenter } from "./no-identity-center";
import { policyConfigOverrides } from "./policy-config-overrides";
import { waiversNotStale } from "./waivers-not-stale";

export const policies: Policies = [
  // Prevent: judged on each resource before its step runs.
  credentialsBootstrapUserOnly,
  administratorBootstrapUserOnly,
  bootstrapUserNoGroups,
  noIdentityCenter,
  bootstrapUserName,
  managementAccountName,
  bootstrapUserPasswordStrength,
  inspectableTemplates,
  noEscapeHatches,
  bootstrapUserNoExtraPermissions,
  bootstrapCredentialsEncrypted,
  bootstrapUserTemporary,
  bootstrapUserExpiry,
  // Detect: judged on the whole stack, after every step.
  bootstrapUserConsoleAccess,
  bootstrapUserAdministratorAccess,
  bootstrapUserAccessKeys,
  waiversNotStale,
  policyConfigOverrides,
];
