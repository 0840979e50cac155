// Runbook: "It must be an IAM user (we won't be using IAM Identity Center for this)".
import { resourcePolicy } from "../lib/define";
import { factsOf, turnsOnIdentityCenter } from "../lib/iam";

export const noIdentityCenter = resourcePolicy(
  {
    name: "no-identity-center",
    description:
      "The bootstrap step must not create or enable IAM Identity Center (SSO), directly or through AWS Organizations.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Remove the aws:ssoadmin / aws:identitystore / AWS::SSO / AWS::IdentityStore resource, the sso.amazonaws.com entry of the organization's awsServiceAccessPrincipals, or the Identity Center delegated administrator. Leverage sets up IAM Identity Center later, in its SSO layer, with the bootstrap user's credentials.",
  },
  (s, _config, report) => {
    for (const f of factsOf(s, "identityCenter")) {
      const why = turnsOnIdentityCenter(f);
      if (why) report(`${f.via} ${why}: remove it; Leverage's later SSO layer owns Identity Center.`);
    }
  },
);
