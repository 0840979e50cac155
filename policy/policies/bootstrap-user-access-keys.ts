// `leverage credentials configure --type BOOTSTRAP` needs one key: a count over the stack, so detective.
import { bootstrapUserStackPolicy, isBootstrapUserName } from "../lib/bootstrap-user";
import { factsOf, q, str, type Subject } from "../lib/iam";

export const bootstrapUserAccessKeys = bootstrapUserStackPolicy<{ maximumAccessKeys: number }>(
  {
    name: "bootstrap-user-access-keys",
    description: "The bootstrap user has at most the configured number of access keys (default 1).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Keep a single access key of the bootstrap user (the one Leverage's `credentials configure --type BOOTSTRAP` reads) and delete the others from this stack.",
    knobs: {
      maximumAccessKeys: {
        type: "integer",
        default: 1,
        minimum: 0,
        maximum: 2,
        description: "Most access keys the bootstrap user may have (IAM allows 2).",
      },
    },
  },
  (resources, { userName, maximumAccessKeys: max }, report, each) => {
    const keys: Subject[] = [];
    each(resources, (s) => {
      for (const f of factsOf(s, "credential")) {
        const user = f.kind === "access key" ? str(f.user, "the user of its access key") : undefined;
        if (isBootstrapUserName(user, userName)) keys.push(s);
      }
    });
    for (const [i, extra] of keys.slice(max).entries())
      report(
        `Access key number ${max + i + 1} of the bootstrap user ${q(userName)} (at most ${max}): delete it; Leverage needs one key.`,
        extra,
      );
  },
);
