/**
 * Runbook: "It requires admin privileges which you can achieve by directly attaching the
 * `AdministratorAccess` policy to it". Whether the attachment exists is a fact about the whole
 * stack: a stack policy, detective. (Administrator permissions for anyone else are prevented by
 * administrator-bootstrap-user-only.)
 */
import { isAdministratorAccessPolicyArn } from "../../lib/naming";
import { isBootstrapUserName, userNameKnob, type UserNameConfig } from "../lib/bootstrap-user";
import { stackPolicy } from "../lib/define";
import { factsOf, namesOf, type Subject } from "../lib/iam";
import { CannotCheck, q, strs } from "../lib/values";
import { bootstrapUsers } from "./bootstrap-user-console-access";

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
  { userName: userNameKnob },
  (resources, { userName }, report, each) => {
    const users = bootstrapUsers(resources, userName, each);
    if (users.length === 0) return;
    let pending: Subject | undefined;
    for (const s of resources) {
      try {
        for (const f of factsOf(s)) {
          if (f.f !== "grant" || f.to !== "user") continue;
          const { names, pending: later } = namesOf(f.names, "the user it attaches to");
          if (!names.some((n) => isBootstrapUserName(n, userName)) && !later) continue;
          if (!strs(f.arns, "policyArn").some(isAdministratorAccessPolicyArn)) continue;
          if (later) throw later;
          return;
        }
      } catch (e) {
        if (!(e instanceof CannotCheck)) throw e;
        pending ??= s;
      }
    }
    if (pending) {
      const s = pending;
      return each([s], () => {
        throw new CannotCheck("whether it attaches AdministratorAccess to the bootstrap user", false);
      });
    }
    for (const user of users) {
      report(
        `The bootstrap user ${q(userName)} does not have AdministratorAccess attached directly: add an aws.iam.UserPolicyAttachment ` +
          `with user ${q(userName)} and policyArn arn:aws:iam::aws:policy/AdministratorAccess (arn:aws-us-gov:... or arn:aws-cn:... in those partitions).`,
        user,
      );
    }
  },
);
