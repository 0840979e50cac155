// Only the bootstrap user gets credentials; Leverage gives people access later, through its SSO layer.
import { bootstrapUserPolicy, isBootstrapUserName } from "../lib/bootstrap-user";
import { factsOf, q, str } from "../lib/iam";

export const credentialsBootstrapUserOnly = bootstrapUserPolicy(
  {
    name: "credentials-bootstrap-user-only",
    description:
      "Credentials (console password, access key, service-specific credential, SSH key, signing certificate) go to the bootstrap user only.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
      "Delete the credential resource, or issue it to the bootstrap user. Other IAM users do not belong in the management account's bootstrap; Leverage creates its people's access later, through its SSO layer.",
  },
  (s, { userName }, report) => {
    for (const f of factsOf(s, "credential")) {
      const user = str(f.user, `the user of its ${f.kind}`);
      if (isBootstrapUserName(user, userName)) continue;
      report(
        `${f.via} issues a ${f.kind} to ${user ? `IAM user ${q(user)}` : "no named user"}, not the bootstrap user ${q(userName)}: delete it; only the bootstrap user gets credentials in this account.`,
      );
    }
  },
);
