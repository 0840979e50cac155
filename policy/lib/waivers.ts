/**
 * In-repo waivers: Pulumi's own policy exceptions live only in Pulumi Cloud, so the pack reads them
 * from each policy's config. A waiver names ONE resource, by URN or by type and name together
 * (never a bare name, which any new resource could take), and holds through its expiry date (UTC),
 * at most `waiverMaxDays` ahead. A waived finding is still reported, advisory, with the reason; an
 * expired one at the policy's level, saying so. A waiver matching nothing is stale (waivers-not-stale).
 */
import type { PolicyConfigSchema } from "@pulumi/policy";

type Property = PolicyConfigSchema["properties"][string];

export const waiverKnobs: Record<"waivers" | "waiverMaxDays", Property> = {
  waivers: {
    type: "array",
    default: [],
    description:
      "Waivers for this policy: each names one resource (`urn`, or `type` and `name`), a reason and an " +
      "expiry date (YYYY-MM-DD, inclusive, UTC, at most waiverMaxDays ahead).",
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

export interface Waiver {
  urn?: string;
  type?: string;
  name?: string;
  reason: string;
  expires: string;
}

/** True for a real calendar date written YYYY-MM-DD (the schema's pattern admits 2026-02-31). */
export function isCalendarDate(text: string): boolean {
  const d = new Date(`${text}T00:00:00Z`);
  return (
    /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text
  );
}

/** Today's date in UTC as YYYY-MM-DD, the form waivers use (string order is date order). */
export const todayUtc = (now: Date = new Date()) => now.toISOString().slice(0, 10);

/** How a waiver names its resource, for messages. */
export const waiverTarget = (w: Waiver) => w.urn ?? `${w.type}::${w.name}`;

/** Whether `w` names the finding's target (a stack-wide finding has none, which no waiver matches). */
export function matches(w: Waiver, t: { urn?: string; type?: string; name?: string }): boolean {
  if (w.urn !== undefined) return w.urn === t.urn;
  return w.type === t.type && w.name === t.name && t.type !== undefined;
}

/** Problems of a policy's waivers (dates, lifetime), as config errors. */
export function waiverProblems(waivers: readonly Waiver[], maxDays: number, today: string): string[] {
  return waivers.flatMap((w) => {
    const which = `waiver for "${waiverTarget(w)}" expires on`;
    if (!isCalendarDate(w.expires))
      return [`${which} "${w.expires}", which is not a calendar date (YYYY-MM-DD)`];
    const days = Math.round(
      (Date.parse(`${w.expires}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86_400_000,
    );
    return days > maxDays
      ? [`${which} ${w.expires}, more than waiverMaxDays (${maxDays}) days from today`]
      : [];
  });
}

/**
 * The waiver that decides a finding: an active match wins over an expired one, so renewing a
 * waiver by adding a new entry works without deleting the old one.
 */
export function findWaiver(
  waivers: readonly Waiver[],
  target: { urn?: string; type?: string; name?: string },
  today: string,
): { kind: "none" } | { kind: "waived" | "expired"; waiver: Waiver } {
  const hits = waivers.filter((w) => matches(w, target));
  const active = hits.find((w) => today <= w.expires);
  if (active) return { kind: "waived", waiver: active };
  return hits.length > 0 ? { kind: "expired", waiver: hits[0] } : { kind: "none" };
}
