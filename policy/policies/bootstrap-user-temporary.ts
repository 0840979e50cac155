/**
 * Runbook: "There's no need to add the user to any group as it is only a temporary user"; Leverage
 * deletes it after the SSO layer is up. The tags say so to anyone who finds it in the console.
 */
import { BOOTSTRAP_USER_TAGS } from "../../lib/naming";
import {
  declaredUserName,
  describe,
  isBootstrapUserName,
  userNameConfigProperty,
  type UserNameConfig,
} from "../lib/bootstrap-user";
import { resourcePolicy } from "../lib/define";
import { prop, record } from "../lib/props";
import { T } from "../lib/resource-types";

interface TemporaryConfig extends UserNameConfig {
  requiredTags: Record<string, string>;
}

/** Tags as string pairs; anything else is ignored. */
function stringTags(tags: Record<string, unknown> | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (tags) for (const [k, v] of Object.entries(tags)) if (typeof v === "string") out.set(k, v);
  return out;
}

/**
 * The AWS provider's `defaultTags` also tag the user. Provider inputs reach the pack with object
 * values JSON-encoded (@pulumi/aws provider.js: `defaultTags ... apply(JSON.stringify)`), so
 * accept both the string and the object form.
 */
function providerDefaultTags(provider: { props: Record<string, unknown> } | undefined): Map<string, string> {
  let value: unknown = provider?.props?.defaultTags;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return new Map();
    }
  }
  const tags =
    value && typeof value === "object" ? record(value as Record<string, unknown>, "tags") : undefined;
  return stringTags(tags);
}

export const bootstrapUserTemporary = resourcePolicy<TemporaryConfig>(
  {
    name: "bootstrap-user-temporary",
    description:
      "The bootstrap user should carry the tags that mark it temporary (Purpose, Temporary, ManagedBy).",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps:
      "Add the tags Purpose=leverage-bootstrap, Temporary=true and ManagedBy=pulumi to the bootstrap aws.iam.User " +
      "(or through the provider's defaultTags), so whoever finds it knows to delete it after the bootstrap.",
  },
  {
    userName: userNameConfigProperty,
    requiredTags: {
      type: "object",
      default: { ...BOOTSTRAP_USER_TAGS },
      additionalProperties: { type: "string" },
      description: "Tags (key to exact value) the bootstrap user must carry.",
    },
  },
  new Set([T.user, T.nativeUser]),
  (args, { userName, requiredTags }, report) => {
    const name = declaredUserName(args.type, args.props);
    if (!isBootstrapUserName(name, userName)) return;
    const tags = providerDefaultTags(args.provider);
    // aws (classic) tags are a map; aws-native tags are a list of {key, value}.
    const own = prop(args.props, "tags");
    if (Array.isArray(own)) {
      for (const t of own) {
        if (t && typeof t === "object" && typeof t.key === "string" && typeof t.value === "string")
          tags.set(t.key, t.value);
      }
    } else {
      for (const [k, v] of stringTags(record(args.props, "tags"))) tags.set(k, v);
    }
    const wrong = Object.entries(requiredTags).filter(([k, v]) => tags.get(k) !== v);
    if (wrong.length > 0) {
      const now = (k: string) => (tags.has(k) ? `${k} is "${tags.get(k)}"` : `${k} is missing`);
      report(
        `${describe(args)} (the bootstrap user "${name}") lacks the tags that mark it temporary ` +
          `(${wrong.map(([k]) => now(k)).join(", ")}): set ${wrong.map(([k, v]) => `${k}=${v}`).join(", ")}.`,
      );
    }
  },
);
