/** Runbook: "create a user named `mgmt-org-admin`" (the bootstrap user; it is the only IAM user here). */
import {
  declaredUserName,
  describe,
  isBootstrapUserName,
  isUserResource,
  userNameConfigProperty,
  type UserNameConfig,
} from "../lib/bootstrap-user";
import { stackPolicy, targetOf } from "../lib/define";

export const bootstrapUserName = stackPolicy<UserNameConfig>(
  {
    name: "bootstrap-user-name",
    description:
      "The stack's only IAM user must be the bootstrap user, named as configured (mgmt-org-admin).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Give the aws.iam.User an explicit `name` equal to the configured bootstrap user name " +
      "(default mgmt-org-admin) and keep no other IAM user in this stack.",
  },
  { userName: userNameConfigProperty },
  (args, { userName }, report) => {
    const users = args.resources.filter((r) => isUserResource(r.type));
    if (users.length === 0) args.notApplicable("no IAM user in this stack");
    for (const user of users) {
      const name = declaredUserName(user.type, user.props);
      if (name === undefined) {
        report(
          `${describe(user)} has no explicit user name: set its name to "${userName}" (an auto-generated name is not the runbook's bootstrap user).`,
          targetOf(user),
        );
      } else if (!isBootstrapUserName(name, userName)) {
        report(
          `${describe(user)} is named "${name}", not the bootstrap user "${userName}": rename it to "${userName}" or move it out of this stack.`,
          targetOf(user),
        );
      }
    }
    if (users.length > 1) {
      const list = users.map((u) => `${describe(u)} (${declaredUserName(u.type, u.props) ?? "no name"})`);
      report(
        `The stack declares ${users.length} IAM users (${list.join(", ")}); the bootstrap step creates exactly one: keep only "${userName}".`,
      );
    }
  },
);
