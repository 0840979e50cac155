/**
 * The bootstrap user's life: it starts at the first deployment and ends bootstrapUserLifetimeDays later,
 * on the day its ExpiresOn tag names (UTC, inclusive). Shared by the program and the policy pack.
 */

export const EXPIRES_ON_TAG = "ExpiresOn";
/** The longest life the config allows, counted from the first deployment. */
export const LIFETIME_DAYS_MAX = 90;

export const DAY_MS = 86_400_000;

/** Today's date in UTC as YYYY-MM-DD (string order is date order). */
export const todayUtc = (now: Date = new Date()) => now.toISOString().slice(0, 10);

/** True for a real calendar date written YYYY-MM-DD (the pattern alone admits 2026-02-31). */
export function isCalendarDate(text: string): boolean {
  const ms = Date.parse(`${text}T00:00:00Z`);
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(ms) && todayUtc(new Date(ms)) === text;
}

/** `date` (YYYY-MM-DD) plus `days`. */
export function addDays(date: string, days: number): string {
  if (!isCalendarDate(date)) throw new Error(`${JSON.stringify(date)} is not a calendar date (YYYY-MM-DD)`);
  return todayUtc(new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS));
}

/** Whole days from `from` to `to` (both YYYY-MM-DD): negative when `to` is earlier. */
export const daysBetween = (from: string, to: string) =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
