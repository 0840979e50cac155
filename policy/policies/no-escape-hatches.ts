// A resource that runs code or API calls at deploy time (a command, a dynamic provider, a Lambda invocation,
// an SSM association, a custom resource, ...) can create any IAM user or grant unseen by every other rule.
import { resourcePolicy } from "../lib/define";
import { factsOf } from "../lib/iam";

export const noEscapeHatches = resourcePolicy(
  {
    name: "no-escape-hatches",
    description:
      "No resource may run code or API calls at deploy time that the pack cannot inspect (commands, dynamic providers, Lambda invocations, SSM associations, custom resources, Service Catalog, Terraform).",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
      "Replace the resource with the aws/aws-native resources it would create, so the pack can judge them; or, when it truly cannot touch IAM, waive it by URN with a reason and an expiry (docs/policies.md#waivers). Resources of a package the pack does not know only draw an advisory: check by hand what they create.",
  },
  (s, _config, report) => {
    for (const f of factsOf(s, "escapeHatch"))
      report(
        `${f.via} ${f.why}: anything it does in the account (an IAM user, a group membership, an administrator grant) escapes every rule of this pack.`,
        s,
        f.advisory,
      );
  },
);
