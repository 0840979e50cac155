// A credential nobody uses is only a risk (IAM.8, IAM.22): the bootstrap user's password or access key unused
// for longer than maxUnusedDays should go. Never used counts from its creation.
import { T } from "../../policy/lib/resource-types";
import { DAY_MS, todayUtc } from "../../lib/expiry";
import type { AuditRule, Finding } from "./define";

export const bootstrapCredentialsUnused: AuditRule<{ maxUnusedDays: number }> = {
  name: "bootstrap-credentials-unused",
  description:
    "The bootstrap user's console password and active access keys were used within maxUnusedDays (default 30).",
  enforcementLevel: "advisory",
  severity: "medium",
  remediationSteps:
    "Delete the unused credential: set createAccessKey to false (an access key) and run `pulumi up`, or, when the bootstrap is over, destroy the bootstrap user (docs/runbook.md).",
  knobs: {
    maxUnusedDays: {
      type: "integer",
      default: 30,
      minimum: 1,
      maximum: 365,
      description: "Days a credential may go unused (never used: since its creation).",
    },
  },
  check: ({ user, config, now, urnOf }) => {
    if (!user) return [];
    const max = config.maxUnusedDays;
    const out: Finding[] = [];
    /** Days since `used`, or since `created` when never used; undefined when not known. */
    const idle = (used: Date | null | undefined, created: Date | undefined) => {
      const since = used ?? created;
      if (!since) return undefined;
      const days = Math.floor((now.getTime() - since.getTime()) / DAY_MS);
      const what = used
        ? `last used on ${todayUtc(used)}`
        : `never used since its creation on ${todayUtc(since)}`;
      return days > max ? { days, what } : undefined;
    };
    const who = `the bootstrap user ${JSON.stringify(user.name)}`;
    if (user.loginProfile) {
      const hit = idle(user.passwordLastUsed ?? null, user.loginProfile.created);
      if (hit)
        out.push({
          message: `The console password of ${who} was ${hit.what}: ${hit.days} days, more than ${max}.`,
          urn: urnOf(T.loginProfile, user.name),
        });
    }
    for (const k of user.accessKeys) {
      // undefined: when it was last used is not known (reported as not checked).
      if (k.status !== "Active" || k.lastUsed === undefined) continue;
      const hit = idle(k.lastUsed, k.created);
      if (hit)
        out.push({
          message: `Access key ...${k.keyEnd} of ${who} was ${hit.what}: ${hit.days} days, more than ${max}.`,
          urn: urnOf(T.accessKey, `${user.name}/key-${k.keyEnd}`),
        });
    }
    return out;
  },
};
