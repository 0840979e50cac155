/** Runbook: "It requires admin privileges which you can achieve by directly attaching the `AdministratorAccess` policy to it". */
import type { PolicyResource } from "@pulumi/policy";
import { isAdministratorAccessPolicyArn } from "../../lib/naming";
import {
  bootstrapUsersOrNotApplicable,
  describe,
  isBootstrapUserName,
  userNameConfigProperty,
  type UserNameConfig,
} from "../lib/bootstrap-user";
import { stackPolicy, targetOf } from "../lib/define";
import { prop, strings } from "../lib/props";
import { T } from "../lib/resource-types";

/** True when `r` attaches AdministratorAccess (any partition) directly to the bootstrap user. */
export function attachesAdministratorAccess(r: PolicyResource, userName: string): boolean {
  const isAdmin = (arn: unknown) => typeof arn === "string" && isAdministratorAccessPolicyArn(arn);
  switch (r.type) {
    case T.userPolicyAttachment:
      return isBootstrapUserName(prop(r.props, "user"), userName) && isAdmin(prop(r.props, "policyArn"));
    case T.policyAttachment:
      return (
        strings(r.props, "users").some((u) => isBootstrapUserName(u, userName)) &&
        isAdmin(prop(r.props, "policyArn"))
      );
    case T.userPolicyAttachmentsExclusive:
      return (
        isBootstrapUserName(prop(r.props, "userName"), userName) &&
        strings(r.props, "policyArns").some(isAdmin)
      );
    case T.nativeUser:
      return (
        isBootstrapUserName(prop(r.props, "userName"), userName) &&
        strings(r.props, "managedPolicyArns").some(isAdmin)
      );
    default:
      return false;
  }
}

export const bootstrapUserAdministratorAccess = stackPolicy<UserNameConfig>(
  {
    name: "bootstrap-user-administrator-access",
    description: "The AdministratorAccess managed policy must be attached directly to the bootstrap user.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Add an aws.iam.UserPolicyAttachment with `user` set to the bootstrap user's name and `policyArn` " +
      "`arn:<partition>:iam::aws:policy/AdministratorAccess` (aws, aws-us-gov or aws-cn). A group does not count.",
  },
  { userName: userNameConfigProperty },
  (args, { userName }, report) => {
    const bootstrapUsers = bootstrapUsersOrNotApplicable(args, userName);
    if (args.resources.some((r) => attachesAdministratorAccess(r, userName))) return;
    for (const user of bootstrapUsers) {
      report(
        `${describe(user)} (the bootstrap user "${userName}") does not have AdministratorAccess attached directly: ` +
          `add an aws.iam.UserPolicyAttachment with user "${userName}" and policyArn arn:aws:iam::aws:policy/AdministratorAccess ` +
          `(arn:aws-us-gov:... or arn:aws-cn:... in those partitions).`,
        targetOf(user),
      );
    }
  },
);
