// Runbook: the root user should have MFA; AWS requires it for management accounts since 2024 (IAM.6, IAM.9).
import type { AuditRule } from "./define";

export const rootMfaEnabled: AuditRule = {
  name: "root-mfa-enabled",
  description: "The account's root user has MFA enabled (GetAccountSummary AccountMFAEnabled).",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Sign in as the root user and assign an MFA device (IAM console, Security credentials, Multi-factor authentication); a passkey or security key is best. AWS requires root MFA for an organization's management account.",
  check: ({ facts, stackUrn }) =>
    facts.summary && !facts.summary.mfaEnabled
      ? [
          {
            message: `The root user of account ${facts.accountId} has no MFA device: assign one now (AWS requires it for a management account).`,
            urn: stackUrn,
          },
        ]
      : [],
};
