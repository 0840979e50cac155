// A waiver whose resource is gone could one day waive a new resource of the same name.
import { stackPolicy } from "../lib/define";
import { getPolicyConfigs } from "../lib/engine";
import { q } from "../lib/iam";
import { T } from "../lib/resource-types";
import { matches, waiverTarget, type Waiver } from "../lib/waivers";

export const waiversNotStale = stackPolicy(
  {
    name: "waivers-not-stale",
    description: "Every waiver in the policy config names a resource of this stack.",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps:
      "Delete the waiver, or fix its `urn` (or `type` and `name`) to name the resource it is for.",
  },
  (resources, _config, report) => {
    const stackResource = resources.find((r) => r.type === T.stack) ?? resources[0];
    for (const [policy, config] of getPolicyConfigs()) {
      const waivers = Array.isArray(config?.waivers) ? (config.waivers as Waiver[]) : [];
      for (const w of waivers) {
        if (resources.some((r) => matches(w, r))) continue;
        // The target whole (not cut as q cuts long values): it is not secret, and the way to find the waiver.
        const target = q(waiverTarget(w), Infinity);
        const msg = `The waiver of ${q(policy)} for ${target} matches no resource of this stack: it is stale; delete it.`;
        if (stackResource) report(msg, stackResource);
      }
    }
  },
);
