// The bootstrap user is the account's only administrator until Leverage's SSO layer takes over; an
// administrator in all but name (IAMFullAccess, `iam:*` on `*`) is one too: it can grant itself the rest.
import { isAdministratorAccessPolicyArn } from "../../lib/naming";
import { adminDocument, adminGrant, noteTrust, trustOf } from "../lib/admin";
import { bootstrapUserPolicy, isBootstrapUserName } from "../lib/bootstrap-user";
import { factsOf, namesOf, q, str, strs } from "../lib/iam";

export const administratorBootstrapUserOnly = bootstrapUserPolicy(
  {
    name: "administrator-bootstrap-user-only",
    description:
      "Administrator permissions (or all of IAM) go to the bootstrap user only, and it keeps AdministratorAccess.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
      "Remove the administrator-equivalent grant (AdministratorAccess, IAMFullAccess, or a policy allowing `*` or `iam:*` on `*`) from the other user, group or role: the bootstrap user is the account's only administrator until Leverage's SSO layer takes over. Keep AdministratorAccess in any UserPolicyAttachmentsExclusive of the bootstrap user.",
  },
  (s, { userName }, report) => {
    for (const f of factsOf(s)) {
      if (f.f === "grant") {
        const { names, pending } = namesOf(f.names, `the ${f.to} it grants to`);
        noteTrust(f, names);
        const why = adminGrant(f);
        if (!why) continue;
        for (const name of names) {
          if (f.to === "user" && isBootstrapUserName(name, userName)) continue;
          const trusted = f.to === "role" ? trustOf(name) : undefined;
          const whom = trusted
            ? `, which trusts ${trusted.length > 0 ? trusted.join(", ") : "no principal"}`
            : "";
          report(
            `${f.via} grants ${why} to IAM ${f.to} ${q(name)}${whom}: only the bootstrap user ${q(userName)} may hold administrator permissions here; remove it.`,
          );
        }
        if (names.length === 0 && !pending)
          report(`${f.via} grants ${why} to an IAM ${f.to} with no name: remove it.`);
        if (pending) throw pending;
      } else if (f.f === "adminDoc") {
        const why = adminDocument(f.doc, "policy document");
        if (why)
          report(
            `${f.via} creates ${why}: an administrator policy in all but name; use AWS's AdministratorAccess for the bootstrap user instead of a home-made administrator policy.`,
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
