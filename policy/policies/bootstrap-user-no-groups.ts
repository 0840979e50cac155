/** Runbook: "There's no need to add the user to any group as it is only a temporary user". */
import {
  describe,
  isBootstrapUserName,
  userNameConfigProperty,
  type UserNameConfig,
} from "../lib/bootstrap-user";
import { resourcePolicy } from "../lib/define";
import { str, strings } from "../lib/props";
import { T } from "../lib/resource-types";

export const bootstrapUserNoGroups = resourcePolicy<UserNameConfig>(
  {
    name: "bootstrap-user-no-groups",
    description: "The bootstrap user must not be a member of any IAM group.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Delete the group membership resource (UserGroupMembership, GroupMembership or aws-native " +
      "UserToGroupAddition) or drop the bootstrap user from its user list. The runbook gives the " +
      "temporary bootstrap user AdministratorAccess directly, never through a group.",
  },
  { userName: userNameConfigProperty },
  new Set([T.userGroupMembership, T.groupMembership, T.nativeUserToGroupAddition, T.nativeUser]),
  (args, { userName }, report) => {
    const { type, props } = args;
    const what = describe(args);
    const fix = `remove the bootstrap user from it; the runbook keeps this temporary user out of every group`;
    if (type === T.userGroupMembership) {
      const user = str(props, "user");
      if (isBootstrapUserName(user, userName)) {
        const groups = strings(props, "groups");
        report(
          `${what} adds the bootstrap user "${user}" to IAM group(s) ${groups.map((g) => `"${g}"`).join(", ") || "(none listed)"}: ${fix}.`,
        );
      }
    } else if (type === T.groupMembership || type === T.nativeUserToGroupAddition) {
      const member = strings(props, "users").find((u) => isBootstrapUserName(u, userName));
      if (member !== undefined) {
        const group = str(props, type === T.groupMembership ? "group" : "groupName") ?? "(unnamed)";
        report(`${what} adds the bootstrap user "${member}" to IAM group "${group}": ${fix}.`);
      }
    } else if (type === T.nativeUser) {
      const user = str(props, "userName");
      const groups = strings(props, "groups");
      if (isBootstrapUserName(user, userName) && groups.length > 0) {
        report(
          `${what} declares the bootstrap user "${user}" with groups ${groups.map((g) => `"${g}"`).join(", ")}: remove its "groups" property; the runbook keeps this temporary user out of every group.`,
        );
      }
    }
  },
);
