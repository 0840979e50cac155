/**
 * In-repo waivers. Pulumi's own policy exceptions live only in Pulumi Cloud, so this pack takes
 * them from its policy config, under the policy they waive. A waiver names ONE resource: by URN,
 * or by type and name together (never a bare name, which any new resource of any type could take):
 *
 *   "bootstrap-user-no-groups": {
 *     "waivers": [{ "urn": "urn:pulumi:dev::proj::aws:iam/userGroupMembership:UserGroupMembership::m",
 *                   "reason": "...", "expires": "YYYY-MM-DD" }]
 *   }
 *
 * A waiver holds through its expiry date (UTC), at most `waiverMaxDays` (default 90) ahead; a
 * waived finding is still reported, at advisory level, with the reason; an expired one is
 * reported at the policy's own level and says so. A waiver that matches no resource of the stack
 * is reported as stale (policy waivers-not-stale).
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

/** What a finding is about: nothing for a stack-wide finding (which no waiver can match). */
export interface FindingTarget {
  urn?: string;
  type?: string;
  name?: string;
}

export type WaiverVerdict =
  { kind: "none" } | { kind: "waived"; waiver: Waiver } | { kind: "expired"; waiver: Waiver };

/** True for a real calendar date written YYYY-MM-DD (the schema's pattern admits 2026-02-31). */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

/** Today's date in UTC as YYYY-MM-DD, the form waivers use (string order is date order). */
export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** Whole days from `from` to `to`, both YYYY-MM-DD. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** How a waiver names its resource, for messages. */
export function waiverTarget(w: Waiver): string {
  return w.urn ?? `${w.type}::${w.name}`;
}

export function matches(w: Waiver, t: FindingTarget): boolean {
  if (w.urn !== undefined) return w.urn === t.urn;
  return w.type === t.type && w.name === t.name && t.type !== undefined;
}

/** Problems of a policy's waivers (dates, lifetime), as config errors. */
export function waiverProblems(waivers: readonly Waiver[], maxDays: number, today: string): string[] {
  const out: string[] = [];
  for (const w of waivers) {
    if (!isCalendarDate(w.expires)) {
      out.push(
        `waiver for "${waiverTarget(w)}" expires on "${w.expires}", which is not a calendar date (YYYY-MM-DD)`,
      );
    } else if (daysBetween(today, w.expires) > maxDays) {
      out.push(
        `waiver for "${waiverTarget(w)}" expires on ${w.expires}, more than waiverMaxDays (${maxDays}) days from today`,
      );
    }
  }
  return out;
}

/**
 * The waiver that decides a finding: an active match wins over an expired one, so renewing a
 * waiver by adding a new entry works without deleting the old one.
 */
export function findWaiver(waivers: readonly Waiver[], target: FindingTarget, today: string): WaiverVerdict {
  let expired: Waiver | undefined;
  for (const w of waivers) {
    if (!matches(w, target)) continue;
    if (today <= w.expires) return { kind: "waived", waiver: w };
    expired ??= w;
  }
  return expired ? { kind: "expired", waiver: expired } : { kind: "none" };
}
