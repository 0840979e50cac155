// Runbook: "Password can be auto-generated"; long enough (binbash's own IAM users use 30). A password
// written into a template (LoginProfile.Password) is judged by the same minimum.
import { resourcePolicy } from "../lib/define";
import { describe, factsOf, isIntrinsic, need, q } from "../lib/iam";
import { T } from "../lib/resource-types";

/** The AWS provider's default `passwordLength` for UserLoginProfile. */
const PROVIDER_DEFAULT_PASSWORD_LENGTH = 20;

/** A CloudFormation dynamic reference (`{{resolve:secretsmanager:...}}`): the password lives elsewhere. */
const DYNAMIC_REFERENCE = /^\{\{resolve:/;

export const bootstrapUserPasswordStrength = resourcePolicy<{ minimumPasswordLength: number }>(
  {
    name: "bootstrap-user-password-strength",
    description:
      "Console passwords must be at least the configured length (default 20): generated ones and any written into a template.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps:
      "Set `passwordLength` on the aws.iam.UserLoginProfile to at least the configured minimum (default 20; binbash's long-term users use 30). In a CloudFormation or aws-native user, do not write the console password literally: take it from a dynamic reference ({{resolve:secretsmanager:...}}) or a NoEcho parameter, or let an aws.iam.UserLoginProfile generate it.",
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
    for (const f of factsOf(s, "credential")) {
      const password = f.password;
      if (password === undefined || password === null) continue;
      // A parameter (NoEcho) or a dynamic reference is the right form; the pack cannot see its value.
      if (isIntrinsic(password) || (typeof password === "string" && DYNAMIC_REFERENCE.test(password))) {
        const where = `${f.via} takes its console password from a parameter or dynamic reference`;
        report(`${where}, which the pack cannot read: make sure it has at least ${min} characters.`, s, true);
        continue;
      }
      // The value itself never goes into a message, only its length.
      need(password, "its console password");
      if (typeof password !== "string")
        report(`${f.via} has a console password that is not a string: write none; let AWS generate it.`);
      else if (password.length < min)
        report(
          `${f.via} writes a console password of ${password.length} characters into its definition, below the minimum ${min}: let AWS generate it (aws.iam.UserLoginProfile) or use a dynamic reference.`,
        );
    }
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
