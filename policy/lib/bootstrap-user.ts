/**
 * Who the bootstrap user is. Every policy about "the bootstrap user" identifies it by its IAM
 * user name, compared case-insensitively as IAM does (lib/naming.ts sameIamUserName): a program
 * cannot dodge a rule by spelling the name `MGMT-ORG-ADMIN`.
 */
import type { PolicyConfigSchema, PolicyResource, StackValidationArgs } from "@pulumi/policy";
import { DEFAULT_BOOTSTRAP_USER_NAME, IAM_USER_NAME_PATTERN, sameIamUserName } from "../../lib/naming";
import { str } from "./props";
import { USER_NAME_PROPERTY } from "./resource-types";

/** The `userName` knob shared by every policy about the bootstrap user. */
export const userNameConfigProperty: PolicyConfigSchema["properties"][string] = {
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

/** The IAM user name an IAM user resource declares, or undefined if not an IAM user / no name. */
export function declaredUserName(type: string, props: Record<string, unknown>): string | undefined {
  const key = USER_NAME_PROPERTY[type];
  return key === undefined ? undefined : str(props, key);
}

export function isUserResource(type: string): boolean {
  return USER_NAME_PROPERTY[type] !== undefined;
}

/** `aws:iam/user:User "bootstrap"`: how messages name a resource. */
export function describe(resource: { type: string; name: string }): string {
  const shortType = resource.type.split(":").pop() || resource.type;
  return `${shortType} "${resource.name}"`;
}

/**
 * The stack's IAM users named `userName`; a stack without one is not this policy's business
 * (`notApplicable` throws, as @pulumi/policy expects).
 */
export function bootstrapUsersOrNotApplicable(args: StackValidationArgs, userName: string): PolicyResource[] {
  const users = args.resources.filter((r) =>
    isBootstrapUserName(declaredUserName(r.type, r.props), userName),
  );
  if (users.length === 0) args.notApplicable(`no IAM user named "${userName}" in this stack`);
  return users;
}
