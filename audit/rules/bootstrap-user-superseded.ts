// Leverage's post-deployment step deletes the bootstrap user once its SSO layer works. The sign that it does:
// IAM Identity Center enabled for the organization, i.e. trusted access for sso.amazonaws.com (which enabling
// Identity Center turns on) or an Identity Center delegated administrator. sso-admin ListInstances is not
// asked: moto reports an instance in every account, and an organization instance implies trusted access.
import { T } from "../../policy/lib/resource-types";
import type { AuditRule } from "./define";

const SSO = "sso.amazonaws.com";

export const bootstrapUserSuperseded: AuditRule = {
  name: "bootstrap-user-superseded",
  description:
    "Once IAM Identity Center is enabled for the organization (trusted access for sso.amazonaws.com, or a delegated administrator for it), the bootstrap user is gone.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Check that you can sign in through IAM Identity Center with administrator rights, then destroy the bootstrap user: `pulumi destroy` of this stack (docs/runbook.md). Leverage's post-deployment step deletes it at this point.",
  check: ({ facts, user, urnOf }) => {
    const org = facts.organization;
    if (!org || !user) return [];
    const how = org.servicePrincipals.includes(SSO)
      ? `trusted access for ${SSO} is enabled in organization ${org.id}`
      : org.delegated.find((d) => d.servicePrincipals.includes(SSO))
        ? `account ${org.delegated.find((d) => d.servicePrincipals.includes(SSO))!.accountId} is the delegated administrator for ${SSO}`
        : undefined;
    if (!how) return [];
    return [
      {
        message: `IAM Identity Center is enabled (${how}), yet the bootstrap user ${JSON.stringify(user.name)} still exists: its work is done; once you can sign in through Identity Center, destroy it.`,
        urn: urnOf(T.user, user.name),
      },
    ];
  },
};
