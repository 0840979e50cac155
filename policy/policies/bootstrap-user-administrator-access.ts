// Runbook: "directly attaching the `AdministratorAccess` policy"; a fact about the whole stack, so detective.
import { isAdministratorAccessPolicyArn } from "../../lib/naming";
import { bootstrapUserMustHave, isBootstrapUserName } from "../lib/bootstrap-user";
import { namesOf, q, strs } from "../lib/iam";

export const bootstrapUserAdministratorAccess = bootstrapUserMustHave(
  {
    name: "bootstrap-user-administrator-access",
    description: "The AdministratorAccess managed policy must be attached directly to the bootstrap user.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Add an aws.iam.UserPolicyAttachment with `user` set to the bootstrap user's name and `policyArn` `arn:<partition>:iam::aws:policy/AdministratorAccess` (the stack's partition: aws, aws-cn, aws-us-gov, aws-iso*, aws-eusc). A group does not count.",
  },
  "whether it attaches AdministratorAccess to the bootstrap user",
  (f, userName) => {
    if (f.f !== "grant" || f.to !== "user") return false;
    // A user list with an unknown element counts only once it is known.
    const { names, pending } = namesOf(f.names, "the user it attaches to");
    if (!names.some((n) => isBootstrapUserName(n, userName)) && !pending) return false;
    if (!strs(f.arns, "policyArn").some(isAdministratorAccessPolicyArn)) return false;
    if (pending) throw pending;
    return true;
  },
  (userName) =>
    `The bootstrap user ${q(userName)} does not have AdministratorAccess attached directly: add an aws.iam.UserPolicyAttachment with user ${q(userName)} and policyArn arn:aws:iam::aws:policy/AdministratorAccess (arn:aws-us-gov:... or arn:aws-cn:... in those partitions).`,
);
