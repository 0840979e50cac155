// Runbook: "it is only a temporary user", deleted after the SSO layer is up: its tags say so.
import { BOOTSTRAP_USER_TAGS } from "../../lib/naming";
import { bootstrapUserPolicy, isBootstrapUserName } from "../lib/bootstrap-user";
import { parseJson } from "../../lib/text";
import { factsOf, field, need, q, rec, str } from "../lib/iam";

/** Tags as string pairs, from a map (`aws`) or a list of {key, value} (aws-native, CloudFormation). */
function tagsOf(v: unknown, into = new Map<string, string>()): Map<string, string> {
  const pairs = Array.isArray(v)
    ? v.map((t) => [field(t, "key"), field(t, "value")])
    : Object.entries(rec(v) ?? {});
  for (const [k, x] of pairs) if (typeof k === "string" && typeof x === "string") into.set(k, x);
  return into;
}

/** The provider's `defaultTags` (object values reach the pack JSON-encoded, @pulumi/aws provider.js). */
const defaultTags = (v: unknown) => tagsOf(field(typeof v === "string" ? parseJson(v) : v, "tags"));

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
      const own = need(f.tags, "tags");
      const inherited = need(s.provider?.props.defaultTags, "the provider's defaultTags");
      const tags = tagsOf(own, defaultTags(inherited));
      const wrong = Object.entries(requiredTags).filter(([k, v]) => tags.get(k) !== v);
      if (wrong.length === 0) continue;
      const now = (k: string) => (tags.has(k) ? `${q(k)} is ${q(tags.get(k))}` : `${q(k)} is missing`);
      report(
        `${f.via} (the bootstrap user ${q(name)}) lacks the tags that mark it temporary (${wrong.map(([k]) => now(k)).join(", ")}): set ${wrong.map(([k, v]) => `${k}=${v}`).join(", ")}.`,
      );
    }
  },
);
