// Runbook: "There's no need to add the user to any group as it is only a temporary user".
import { bootstrapUserPolicy, isBootstrapUserName } from "../lib/bootstrap-user";
import { factsOf, namesOf, q, strs } from "../lib/iam";

export const bootstrapUserNoGroups = bootstrapUserPolicy(
  {
    name: "bootstrap-user-no-groups",
    description: "The bootstrap user must not be a member of any IAM group.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Delete the group membership (UserGroupMembership, GroupMembership, UserToGroupAddition, or `groups` on an aws-native or CloudFormation user) or drop the bootstrap user from it. The runbook gives the temporary bootstrap user AdministratorAccess directly, never through a group.",
  },
  (s, { userName }, report) => {
    for (const f of factsOf(s, "member")) {
      const groups = strs(f.groups, "its groups");
      if (groups.length === 0) continue;
      const { names, pending } = namesOf(f.users, "its users");
      const member = names.find((u) => isBootstrapUserName(u, userName));
      if (member !== undefined)
        report(
          `${f.via} adds the bootstrap user ${q(member)} to IAM group(s) ${groups.map((g) => q(g)).join(", ")}: remove the bootstrap user from it; the runbook keeps this temporary user out of every group.`,
        );
      else if (pending) throw pending;
    }
  },
);
