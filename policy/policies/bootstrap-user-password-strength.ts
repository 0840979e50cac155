// Runbook: "Password can be auto-generated"; long enough (binbash's own IAM users use 30).
import { resourcePolicy } from "../lib/define";
import { describe, need, q } from "../lib/iam";
import { T } from "../lib/resource-types";

/** The AWS provider's default `passwordLength` for UserLoginProfile. */
const PROVIDER_DEFAULT_PASSWORD_LENGTH = 20;

export const bootstrapUserPasswordStrength = resourcePolicy<{ minimumPasswordLength: number }>(
  {
    name: "bootstrap-user-password-strength",
    description: "Generated console passwords must be at least the configured length (default 20).",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps:
      "Set `passwordLength` on the aws.iam.UserLoginProfile to at least the configured minimum (default 20; binbash's long-term users use 30).",
    knobs: {
      minimumPasswordLength: {
        type: "integer",
        default: PROVIDER_DEFAULT_PASSWORD_LENGTH,
        minimum: 6,
        maximum: 128,
        description: "Smallest accepted `passwordLength` of a login profile (AWS allows 6 to 128).",
      },
    },
  },
  (s, { minimumPasswordLength: min }, report) => {
    if (s.type !== T.loginProfile) return;
    const raw = need(s.props.passwordLength, "passwordLength");
    const who = describe(s);
    const low = `below the minimum ${min}: set passwordLength to ${min} or more.`;
    if (raw === undefined || raw === null) {
      const unset = `leaves passwordLength unset, so the provider generates ${PROVIDER_DEFAULT_PASSWORD_LENGTH} characters`;
      if (PROVIDER_DEFAULT_PASSWORD_LENGTH < min) report(`${who} ${unset}, ${low}`);
    } else if (typeof raw !== "number" || !Number.isInteger(raw)) {
      report(
        `${who} has passwordLength ${q(raw)}, not a whole number: set it to a number of at least ${min}.`,
      );
    } else if (raw < min) {
      report(`${who} has passwordLength ${q(raw)}, ${low}`);
    }
  },
);
