// Runbook: "create a user named `mgmt-org-admin`" (the bootstrap user; the only IAM user here).
import { bootstrapUserPolicy, isBootstrapUserName } from "../lib/bootstrap-user";
import { factsOf, q, str } from "../lib/iam";

export const bootstrapUserName = bootstrapUserPolicy(
  {
    name: "bootstrap-user-name",
    description:
      "The stack's only IAM user must be the bootstrap user, named as configured (mgmt-org-admin).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Give the IAM user an explicit name equal to the configured bootstrap user name (default mgmt-org-admin) and keep no other IAM user in this stack.",
  },
  (s, { userName }, report) => {
    for (const f of factsOf(s, "user")) {
      const name = str(f.name, "the user's name");
      if (name === undefined)
        report(
          `${f.via} has no explicit user name: set it to ${q(userName)} (an auto-generated name is not the runbook's bootstrap user).`,
        );
      else if (!isBootstrapUserName(name, userName))
        report(
          `${f.via} is IAM user ${q(name)}, not the bootstrap user ${q(userName)}: rename it to ${q(userName)} or move it out of this stack.`,
        );
    }
  },
);
