// The policy config can lower a mandatory rule or point its userName elsewhere only with a reason and an
// expiry (Configure refuses it otherwise); every such change is reported here, so none goes unseen.
import { overridesOf, stackPolicy } from "../lib/define";
import { getPolicyConfigs } from "../lib/engine";
import { q } from "../lib/iam";
import { T } from "../lib/resource-types";

export const policyConfigOverrides = stackPolicy(
  {
    name: "policy-config-overrides",
    description: "Every change of the policy config that weakens a mandatory rule is reported.",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps:
      "Remove the override (the lowered enforcement level, or the other `userName`, with its `reason` and `expires`) from the policy config once its reason is gone; the pack refuses it after its expiry date.",
    alwaysOn: true,
  },
  (resources, _config, report) => {
    const stack = resources.find((r) => r.type === T.stack) ?? resources[0];
    for (const o of overridesOf(getPolicyConfigs()))
      report(
        `The policy config overrides ${q(o.policy)}: ${o.changes.join(", ")}, until ${String(o.expires)} (reason: ${String(o.reason)}).`,
        stack,
        true,
      );
  },
);
