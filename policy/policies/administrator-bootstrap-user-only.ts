// The bootstrap user is the account's only administrator until Leverage's SSO layer takes over.
import { isAdministratorAccessPolicyArn } from "../../lib/naming";
import { bootstrapUserPolicy, isBootstrapUserName } from "../lib/bootstrap-user";
import { adminGrant, allowsEverything, factsOf, namesOf, q, str, strs } from "../lib/iam";

export const administratorBootstrapUserOnly = bootstrapUserPolicy(
  {
    name: "administrator-bootstrap-user-only",
    description: "Administrator permissions go to the bootstrap user only, and it keeps AdministratorAccess.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
      "Remove the AdministratorAccess (or `*` on `*`) grant from the other user, group or role: the bootstrap user is the account's only administrator until Leverage's SSO layer takes over. Keep AdministratorAccess in any UserPolicyAttachmentsExclusive of the bootstrap user.",
  },
  (s, { userName }, report) => {
    for (const f of factsOf(s)) {
      if (f.f === "grant") {
        const why = adminGrant(f);
        if (!why) continue;
        const { names, pending } = namesOf(f.names, `the ${f.to} it grants to`);
        for (const name of names) {
          if (f.to === "user" && isBootstrapUserName(name, userName)) continue;
          report(
            `${f.via} grants ${why} to IAM ${f.to} ${q(name)}: only the bootstrap user ${q(userName)} may hold administrator permissions here; remove it.`,
          );
        }
        if (names.length === 0 && !pending)
          report(`${f.via} grants ${why} to an IAM ${f.to} with no name: remove it.`);
        if (pending) throw pending;
      } else if (f.f === "adminDoc" && allowsEverything(f.doc, "policy document")) {
        report(
          `${f.via} creates a policy that allows * on *: use AWS's AdministratorAccess for the bootstrap user instead of a home-made administrator policy.`,
        );
      } else if (f.f === "exclusive") {
        const user = str(f.user, "userName");
        if (!isBootstrapUserName(user, userName)) continue;
        if (!strs(f.arns, "policyArns").some(isAdministratorAccessPolicyArn))
          report(
            `${f.via} sets the complete list of the bootstrap user ${q(user)}'s managed policies without AdministratorAccess, which would detach it: add arn:aws:iam::aws:policy/AdministratorAccess to policyArns.`,
          );
      }
    }
  },
);
