// Runbook: AdministratorAccess and nothing else; a permissions boundary would even cap it.
import { isAdministratorAccessPolicyArn } from "../../lib/naming";
import { bootstrapUserPolicy, isBootstrapUserName } from "../lib/bootstrap-user";
import { factsOf, namesOf, q, str, strs } from "../lib/iam";

export const bootstrapUserNoExtraPermissions = bootstrapUserPolicy(
  {
    name: "bootstrap-user-no-extra-permissions",
    description:
      "The bootstrap user should have AdministratorAccess only: no inline policies, other managed policies or permissions boundary.",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps:
      "Remove the inline policy, the other managed-policy attachment, or the user's `permissionsBoundary`. AdministratorAccess attached directly is all the bootstrap user needs.",
  },
  (s, { userName }, report) => {
    const u = `the bootstrap user ${q(userName)}`;
    for (const f of factsOf(s)) {
      if (f.f === "grant" && f.to === "user") {
        if (!namesOf(f.names, "its users").names.some((n) => isBootstrapUserName(n, userName))) continue;
        const extra = strs(f.arns, "policyArn").filter((a) => !isAdministratorAccessPolicyArn(a));
        if (extra.length > 0)
          report(
            `${f.via} attaches ${extra.map((a) => q(a)).join(", ")} to ${u}: only AdministratorAccess belongs on this user.`,
          );
        if (Array.isArray(f.docs) && f.docs.some((d) => d !== undefined && d !== null))
          report(`${f.via} gives ${u} an inline policy: remove it; AdministratorAccess is enough.`);
      } else if (f.f === "inlineNames" && isBootstrapUserName(str(f.user, "userName"), userName)) {
        const names = strs(f.names, "policyNames");
        if (names.length > 0)
          report(`${f.via} keeps inline policies ${names.map((n) => q(n)).join(", ")} on ${u}: remove them.`);
      } else if (f.f === "user" && isBootstrapUserName(str(f.name, "the user's name"), userName)) {
        if (str(f.boundary, "permissionsBoundary") !== undefined)
          report(`${f.via} (${u}) has a permissionsBoundary, which caps AdministratorAccess: remove it.`);
      }
    }
  },
);
