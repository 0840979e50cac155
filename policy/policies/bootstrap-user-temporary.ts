/**
 * Runbook: "There's no need to add the user to any group as it is only a temporary user"; Leverage
 * deletes it after the SSO layer is up. The tags say so to anyone who finds it in the console.
 */
import { BOOTSTRAP_USER_TAGS } from "../../lib/naming";
import { isBootstrapUserName, userNameKnob, type UserNameConfig } from "../lib/bootstrap-user";
import { resourcePolicy } from "../lib/define";
import { factsOf } from "../lib/iam";
import { field, need, q, rec, str } from "../lib/values";

/** Tags as string pairs, from a map (`aws`) or a list of {key, value} (aws-native, CloudFormation). */
function tagsOf(v: unknown, into = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(v)) {
    for (const t of v) {
      const [k, x] = [field(t, "key"), field(t, "value")];
      if (typeof k === "string" && typeof x === "string") into.set(k, x);
    }
  } else {
    for (const [k, x] of Object.entries(rec(v) ?? {})) if (typeof x === "string") into.set(k, x);
  }
  return into;
}

/** The provider's `defaultTags` (object values reach the pack JSON-encoded, @pulumi/aws provider.js). */
function defaultTags(value: unknown): Map<string, string> {
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return new Map();
    }
  }
  return tagsOf(field(value, "tags"));
}

export const bootstrapUserTemporary = resourcePolicy<
  UserNameConfig & { requiredTags: Record<string, string> }
>(
  {
    name: "bootstrap-user-temporary",
    description:
      "The bootstrap user should carry the tags that mark it temporary (Purpose, Temporary, ManagedBy).",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps:
      "Add the tags Purpose=leverage-bootstrap, Temporary=true and ManagedBy=pulumi to the bootstrap user " +
      "(or through the provider's defaultTags), so whoever finds it knows to delete it after the bootstrap.",
  },
  {
    userName: userNameKnob,
    requiredTags: {
      type: "object",
      default: { ...BOOTSTRAP_USER_TAGS },
      additionalProperties: { type: "string" },
      description: "Tags (key to exact value) the bootstrap user must carry.",
    },
  },
  (s, { userName, requiredTags }, report) => {
    for (const f of factsOf(s)) {
      if (f.f !== "user") continue;
      const name = str(f.name, "the user's name");
      if (!isBootstrapUserName(name, userName)) continue;
      const tags = tagsOf(
        need(f.tags, "tags"),
        defaultTags(need(s.provider?.props.defaultTags, "the provider's defaultTags")),
      );
      const wrong = Object.entries(requiredTags).filter(([k, v]) => tags.get(k) !== v);
      if (wrong.length === 0) continue;
      const now = (k: string) => (tags.has(k) ? `${q(k)} is ${q(tags.get(k))}` : `${q(k)} is missing`);
      report(
        `${f.via} (the bootstrap user ${q(name)}) lacks the tags that mark it temporary ` +
          `(${wrong.map(([k]) => now(k)).join(", ")}): set ${wrong.map(([k, v]) => `${k}=${v}`).join(", ")}.`,
      );
    }
  },
);
