/** Runbook: "It must be an IAM user (we won't be using IAM Identity Center for this)". */
import { describe } from "../lib/bootstrap-user";
import { resourcePolicy } from "../lib/define";
import { IDENTITY_CENTER_TYPE_PREFIXES } from "../lib/resource-types";

export const noIdentityCenter = resourcePolicy<object>(
  {
    name: "no-identity-center",
    description: "The bootstrap step must not create IAM Identity Center (SSO) resources.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Remove the aws:ssoadmin / aws:identitystore resource from this stack. The bootstrap user is a " +
      "plain IAM user; Leverage sets up IAM Identity Center later, in its SSO layer, with that user's credentials.",
  },
  {},
  (type) => IDENTITY_CENTER_TYPE_PREFIXES.some((p) => type.startsWith(p)),
  (args, _config, report) =>
    report(
      `${describe(args)} (${args.type}) is an IAM Identity Center resource: remove it from this stack; ` +
        `the bootstrap step uses an IAM user, and Leverage's later SSO layer owns Identity Center.`,
    ),
);
