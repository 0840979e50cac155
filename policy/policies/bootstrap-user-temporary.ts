// Runbook: "it is only a temporary user", deleted after the SSO layer is up: its tags say so.
import { BOOTSTRAP_USER_TAGS } from "../../lib/naming";
import { bootstrapUserPolicy, isBootstrapUserName } from "../lib/bootstrap-user";
import { factsOf, q, str } from "../lib/iam";
import { userTags } from "../lib/tags";

export const bootstrapUserTemporary = bootstrapUserPolicy<{ requiredTags: Record<string, string> }>(
  {
    name: "bootstrap-user-temporary",
    description:
      "The bootstrap user should carry the tags that mark it temporary (Purpose, Temporary, ManagedBy).",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps:
      "Add the tags Purpose=leverage-bootstrap, Temporary=true and ManagedBy=pulumi to the bootstrap user (or through the provider's defaultTags), so whoever finds it knows to delete it after the bootstrap.",
    knobs: {
      requiredTags: {
        type: "object",
        default: { ...BOOTSTRAP_USER_TAGS },
        additionalProperties: { type: "string" },
        description: "Tags (key to exact value) the bootstrap user must carry.",
      },
    },
  },
  (s, { userName, requiredTags }, report) => {
    for (const f of factsOf(s, "user")) {
      const name = str(f.name, "the user's name");
      if (!isBootstrapUserName(name, userName)) continue;
      const tags = userTags(s, f);
      const wrong = Object.entries(requiredTags).filter(([k, v]) => tags.get(k) !== v);
      if (wrong.length === 0) continue;
      const now = (k: string) => (tags.has(k) ? `${q(k)} is ${q(tags.get(k))}` : `${q(k)} is missing`);
      report(
        `${f.via} (the bootstrap user ${q(name)}) lacks the tags that mark it temporary (${wrong.map(([k]) => now(k)).join(", ")}): set ${wrong.map(([k, v]) => `${k}=${v}`).join(", ")}.`,
      );
    }
  },
);
