// The root user needs no access key: the bootstrap itself runs from CloudShell or short-lived credentials (IAM.4).
import type { AuditRule } from "./define";

export const rootAccessKeysAbsent: AuditRule = {
  name: "root-access-keys-absent",
  description: "The account's root user has no access keys (GetAccountSummary AccountAccessKeysPresent).",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Sign in as the root user and delete its access keys (IAM console, Security credentials, Access keys). Use CloudShell or an IAM identity with short-lived credentials instead.",
  check: ({ facts, stackUrn }) =>
    facts.summary?.rootAccessKeysPresent
      ? [
          {
            message: `The root user of account ${facts.accountId} has an access key: delete it; the root user needs none.`,
            urn: stackUrn,
          },
        ]
      : [],
};
