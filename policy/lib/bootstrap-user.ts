/**
 * Who the bootstrap user is: the configured `userName`, compared case-insensitively as IAM does
 * (lib/naming.ts sameIamUserName), so `MGMT-ORG-ADMIN` dodges no rule.
 */
import type { PolicyConfigSchema } from "@pulumi/policy";
import { DEFAULT_BOOTSTRAP_USER_NAME, IAM_USER_NAME_PATTERN, sameIamUserName } from "../../lib/naming";

/** The `userName` knob shared by every policy about the bootstrap user. */
export const userNameKnob: PolicyConfigSchema["properties"][string] = {
  type: "string",
  default: DEFAULT_BOOTSTRAP_USER_NAME,
  pattern: IAM_USER_NAME_PATTERN.source,
  description: "IAM user name of the bootstrap user (IAM compares user names case-insensitively).",
};

export interface UserNameConfig {
  userName: string;
}

export function isBootstrapUserName(candidate: unknown, userName: string): candidate is string {
  return typeof candidate === "string" && sameIamUserName(candidate, userName);
}
