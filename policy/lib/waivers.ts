/**
 * In-repo waivers. Pulumi's own policy exceptions live only in Pulumi Cloud, so this pack takes
 * them from its policy config, under the policy they waive:
 *
 *   "bootstrap-user-no-groups": {
 *     "waivers": [{ "resource": "<URN or resource name, or *>", "reason": "...", "expires": "YYYY-MM-DD" }]
 *   }
 *
 * A waiver holds through its expiry date (UTC) and stops applying the day after. A waived
 * violation is still reported, at advisory level, with the waiver's reason; an expired one is
 * reported at the policy's own level and says that the waiver expired.
 */

import type { PolicyConfigSchema } from "@pulumi/policy";

/** JSON Schema of the `waivers` knob; the CLI validates policy config against it before the run. */
export const waiversConfigProperty: PolicyConfigSchema["properties"][string] = {
  type: "array",
  default: [],
  description:
    "Waivers for this policy: each names a resource (URN, resource name, or * for every finding), " +
    "a reason and an expiry date (YYYY-MM-DD, inclusive, UTC).",
  items: {
    type: "object",
    additionalProperties: false,
    required: ["resource", "reason", "expires"],
    properties: {
      resource: { type: "string", minLength: 1 },
      reason: { type: "string", minLength: 1 },
      expires: { type: "string", pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" },
    },
  },
};

export interface Waiver {
  resource: string;
  reason: string;
  expires: string;
}

/** What a finding is about, for matching waivers: nothing for a stack-wide finding. */
export interface FindingTarget {
  urn?: string;
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

function matches(waiver: Waiver, target: FindingTarget): boolean {
  if (waiver.resource === "*") return true;
  return waiver.resource === target.urn || waiver.resource === target.name;
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
