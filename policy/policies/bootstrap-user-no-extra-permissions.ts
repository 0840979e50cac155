/**
 * Runbook: the bootstrap user gets `AdministratorAccess` attached directly, and nothing else.
 * Anything more (inline policies, other managed policies, a permissions boundary) is noise on a
 * temporary user and can silently cut its access (a boundary caps AdministratorAccess).
 */
import { isAdministratorAccessPolicyArn } from "../../lib/naming";
import {
  describe,
  isBootstrapUserName,
  userNameConfigProperty,
  type UserNameConfig,
} from "../lib/bootstrap-user";
import { resourcePolicy } from "../lib/define";
import { isUnset, prop, str, strings } from "../lib/props";
import { T } from "../lib/resource-types";

const notAdmin = (arn: string) => !isAdministratorAccessPolicyArn(arn);

export const bootstrapUserNoExtraPermissions = resourcePolicy<UserNameConfig>(
  {
    name: "bootstrap-user-no-extra-permissions",
    description:
      "The bootstrap user should have AdministratorAccess only: no inline policies, other managed policies or permissions boundary.",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps:
      "Remove the inline policy (UserPolicy / UserPoliciesExclusive), the other managed-policy attachment, or the " +
      "user's `permissionsBoundary`. AdministratorAccess attached directly is all the bootstrap user needs.",
  },
  { userName: userNameConfigProperty },
  new Set([
    T.userPolicy,
    T.userPoliciesExclusive,
    T.userPolicyAttachment,
    T.policyAttachment,
    T.userPolicyAttachmentsExclusive,
    T.user,
    T.nativeUser,
  ]),
  (args, { userName }, report) => {
    const { type, props } = args;
    const what = describe(args);
    const isBootstrap = (key: string) => isBootstrapUserName(prop(props, key), userName);
    const u = `the bootstrap user "${userName}"`;
    switch (type) {
      case T.userPolicy:
        if (isBootstrap("user"))
          report(`${what} adds an inline policy to ${u}: remove it; AdministratorAccess is enough.`);
        break;
      case T.userPoliciesExclusive: {
        const names = strings(props, "policyNames");
        if (isBootstrap("userName") && names.length > 0) {
          report(
            `${what} keeps inline policies ${names.join(", ")} on ${u}: remove them; AdministratorAccess is enough.`,
          );
        }
        break;
      }
      case T.userPolicyAttachment: {
        const arn = str(props, "policyArn");
        if (isBootstrap("user") && arn !== undefined && notAdmin(arn)) {
          report(
            `${what} attaches ${arn} to ${u}: remove it; only AdministratorAccess belongs on this user.`,
          );
        }
        break;
      }
      case T.policyAttachment: {
        const arn = str(props, "policyArn");
        const onUser = strings(props, "users").some((x) => isBootstrapUserName(x, userName));
        if (onUser && arn !== undefined && notAdmin(arn)) {
          report(`${what} attaches ${arn} to ${u}: remove the user from its users list.`);
        }
        break;
      }
      case T.userPolicyAttachmentsExclusive: {
        const extra = strings(props, "policyArns").filter(notAdmin);
        if (isBootstrap("userName") && extra.length > 0) {
          report(
            `${what} attaches ${extra.join(", ")} to ${u}: keep only AdministratorAccess in policyArns.`,
          );
        }
        break;
      }
      case T.user:
      case T.nativeUser: {
        if (!isBootstrap(type === T.user ? "name" : "userName")) break;
        if (!isUnset(props, "permissionsBoundary")) {
          report(`${what} (${u}) has a permissionsBoundary, which caps AdministratorAccess: remove it.`);
        }
        if (type === T.nativeUser) {
          const extra = strings(props, "managedPolicyArns").filter(notAdmin);
          if (extra.length > 0)
            report(`${what} (${u}) attaches ${extra.join(", ")}: keep only AdministratorAccess.`);
          const inline = prop(props, "policies");
          if (Array.isArray(inline) && inline.length > 0) {
            report(`${what} (${u}) declares inline policies: remove them; AdministratorAccess is enough.`);
          }
        }
        break;
      }
    }
  },
);
