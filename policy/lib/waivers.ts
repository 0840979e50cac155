// Pulumi's policy exceptions live only in Pulumi Cloud; these live in the repo (docs/policies.md#waivers).
import type { PolicyConfigSchema } from "@pulumi/policy";
import { daysBetween, isCalendarDate, todayUtc } from "../../lib/expiry";

export { isCalendarDate, todayUtc };

type Property = PolicyConfigSchema["properties"][string];

export const waiverKnobs: Record<"waivers" | "waiverMaxDays", Property> = {
  waivers: {
    type: "array",
    default: [],
    description:
      "Waivers for this policy: each names one resource (`urn`, or `type` and `name` of a top-level resource), a reason and an expiry date (YYYY-MM-DD, inclusive, UTC, at most waiverMaxDays ahead).",
    items: {
      type: "object",
      additionalProperties: false,
      required: ["reason", "expires"],
      properties: {
        urn: { type: "string", pattern: "^urn:pulumi:[^:]+::[^:]+::.+::.+$" },
        type: { type: "string", pattern: "^[^:]+:[^:]*:[^:]+$" },
        name: { type: "string", minLength: 1 },
        reason: { type: "string", minLength: 1 },
        expires: { type: "string", pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" },
      },
      // Never a bare name, which any new resource could take.
      oneOf: [{ required: ["urn"] }, { required: ["type", "name"] }],
    } as Property, // @pulumi/policy's type lacks oneOf; JSON Schema and the engine's validator have it
  },
  waiverMaxDays: {
    type: "integer",
    default: 90,
    minimum: 1,
    maximum: 366,
    description: "Longest a waiver may run: its expiry date at most this many days from today.",
  },
};

type Target = { urn?: string; type?: string; name?: string };
export type Waiver = Target & { reason: string; expires: string };
type Verdict = { kind: "none" } | { kind: "waived" | "expired"; waiver: Waiver };

export const waiverTarget = (w: Waiver) => w.urn ?? `${w.type}::${w.name}`;

/** The qualified type (parents' types first, `$`-joined) and the name a URN holds. */
function urnTypeAndName(urn: string): { type?: string; name?: string } {
  const parts = urn.split("::");
  return parts.length < 4 ? {} : { type: parts[2], name: parts.slice(3).join("::") };
}

/**
 * Whether `w` names the finding's target (a stack-wide finding has none, which no waiver matches). By
 * `type` and `name` it is a URN without stack and project: the same parent chain only, so a resource of
 * that type and name under a component is not the top-level one the waiver was written for.
 */
export function matches(w: Waiver, t: Target): boolean {
  if (w.urn !== undefined) return w.urn === t.urn;
  const { type, name } = t.urn !== undefined ? urnTypeAndName(t.urn) : t;
  return type !== undefined && w.type === type && w.name === name;
}

/** An expiry date's problem: not a calendar date, or more than `maxDays` from today; `which` names it. */
export function expiryProblem(which: string, expires: string, maxDays: number, today: string): string[] {
  if (!isCalendarDate(expires)) return [`${which} "${expires}", which is not a calendar date (YYYY-MM-DD)`];
  const days = daysBetween(today, expires);
  return days > maxDays ? [`${which} ${expires}, more than waiverMaxDays (${maxDays}) days from today`] : [];
}

export function waiverProblems(waivers: readonly Waiver[], maxDays: number, today: string): string[] {
  return waivers.flatMap((w) =>
    expiryProblem(`waiver for "${waiverTarget(w)}" expires on`, w.expires, maxDays, today),
  );
}

/** The waiver that decides a finding: an active one wins over an expired one, so a renewal can be added. */
export function findWaiver(waivers: readonly Waiver[], target: Target, today: string): Verdict {
  const hits = waivers.filter((w) => matches(w, target));
  const active = hits.find((w) => today <= w.expires);
  if (active) return { kind: "waived", waiver: active };
  return hits.length > 0 ? { kind: "expired", waiver: hits[0] } : { kind: "none" };
}

/** A config that lowers a mandatory rule or points its `userName` elsewhere carries these, as a waiver does. */
export const overrideKnobs: Record<"reason" | "expires", Property> = {
  reason: {
    type: "string",
    minLength: 1,
    description:
      "Why this policy's config lowers a mandatory rule (advisory, disabled) or points its userName elsewhere; required for such a change, and reported with it.",
  },
  expires: {
    type: "string",
    pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    description:
      "Last day of that change (YYYY-MM-DD, inclusive, UTC, at most waiverMaxDays ahead); after it the pack refuses the config.",
  },
};
