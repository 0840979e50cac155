// Runbook: the bootstrap user is temporary. Its ExpiresOn tag bounds its life: a forgotten administrator
// with a password and keys in the management account is the failure that matters most here.
import {
  addDays,
  daysBetween,
  EXPIRES_ON_TAG,
  isCalendarDate,
  LIFETIME_DAYS_MAX,
  todayUtc,
} from "../../lib/expiry";
import { bootstrapUserPolicy, isBootstrapUserName } from "../lib/bootstrap-user";
import { factsOf, q, str } from "../lib/iam";
import { userTags } from "../lib/tags";

export const bootstrapUserExpiry = bootstrapUserPolicy<{ warningDays: number }>(
  {
    name: "bootstrap-user-expiry",
    description: `The bootstrap user must carry an ${EXPIRES_ON_TAG} date (YYYY-MM-DD) at most ${LIFETIME_DAYS_MAX} days ahead, and be gone once it has passed.`,
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Once Identity Center (SSO) works, destroy the stack (pulumi destroy): the bootstrap user's work is done. If the bootstrap is not finished, raise bootstrapUserLifetimeDays (at most 90 days from the first deployment) in a reviewed change. docs/runbook.md, 'When the bootstrap user expires'.",
    knobs: {
      warningDays: {
        type: "integer",
        default: 7,
        minimum: 0,
        maximum: LIFETIME_DAYS_MAX,
        description: "Advise this many days before the expiry date.",
      },
    },
  },
  (s, { userName, warningDays }, report) => {
    const today = todayUtc();
    for (const f of factsOf(s, "user")) {
      const name = str(f.name, "the user's name");
      if (!isBootstrapUserName(name, userName)) continue;
      const who = `${f.via} (the bootstrap user ${q(name)})`;
      const date = userTags(s, f).get(EXPIRES_ON_TAG);
      if (date === undefined) {
        report(
          `${who} has no ${EXPIRES_ON_TAG} tag: nothing bounds its life; set it (YYYY-MM-DD, the program sets it from bootstrapUserLifetimeDays).`,
        );
      } else if (!isCalendarDate(date)) {
        report(`${who} has ${EXPIRES_ON_TAG} ${q(date)}, which is not a calendar date (YYYY-MM-DD).`);
      } else if (date < today) {
        report(
          `${who} expired on ${date}: destroy it (pulumi destroy) once Identity Center works, or extend bootstrapUserLifetimeDays if the bootstrap is not finished.`,
        );
      } else if (date > addDays(today, LIFETIME_DAYS_MAX)) {
        report(
          `${who} has ${EXPIRES_ON_TAG} ${date}, more than ${LIFETIME_DAYS_MAX} days ahead: a bootstrap user is temporary.`,
        );
      } else if (daysBetween(today, date) <= warningDays) {
        const left = daysBetween(today, date);
        report(
          `${who} expires on ${date} (${left === 0 ? "today" : `in ${left} day${left === 1 ? "" : "s"}`}): finish the bootstrap and destroy it, or extend bootstrapUserLifetimeDays.`,
          s,
          true,
        );
      }
    }
  },
);
