/**
 * Leverage's next step (`leverage credentials configure --type BOOTSTRAP`) needs one access key of
 * the bootstrap user, and no other IAM user belongs in this account's bootstrap. So: at most one
 * access key (configurable), and only for the bootstrap user.
 */
import {
  describe,
  isBootstrapUserName,
  userNameConfigProperty,
  type UserNameConfig,
} from "../lib/bootstrap-user";
import { stackPolicy, targetOf } from "../lib/define";
import { prop, show } from "../lib/props";
import { T } from "../lib/resource-types";

interface AccessKeysConfig extends UserNameConfig {
  maximumAccessKeys: number;
}

const USER_PROPERTY: Readonly<Record<string, string>> = {
  [T.accessKey]: "user",
  [T.nativeAccessKey]: "userName",
};

export const bootstrapUserAccessKeys = stackPolicy<AccessKeysConfig>(
  {
    name: "bootstrap-user-access-keys",
    description: "Access keys: at most one, and only for the bootstrap user.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Keep a single aws.iam.AccessKey whose `user` is the bootstrap user (the one Leverage's " +
      "`credentials configure --type BOOTSTRAP` reads) and delete every other access key from this stack.",
  },
  {
    userName: userNameConfigProperty,
    maximumAccessKeys: {
      type: "integer",
      default: 1,
      minimum: 0,
      maximum: 2,
      description: "Most access keys the bootstrap user may have (IAM allows 2).",
    },
  },
  (args, { userName, maximumAccessKeys: max }, report) => {
    const keys = args.resources.filter((r) => USER_PROPERTY[r.type] !== undefined);
    if (keys.length === 0) args.notApplicable("no access key in this stack");
    const bootstrapKeys = [];
    for (const key of keys) {
      const user = prop(key.props, USER_PROPERTY[key.type]);
      if (isBootstrapUserName(user, userName)) {
        bootstrapKeys.push(key);
      } else {
        report(
          `${describe(key)} creates an access key for ${typeof user === "string" ? `IAM user "${user}"` : `user ${show(user)}`}, ` +
            `not the bootstrap user "${userName}": delete it; only the bootstrap user gets a key in this account.`,
          targetOf(key),
        );
      }
    }
    for (let i = max; i < bootstrapKeys.length; i++) {
      const extra = bootstrapKeys[i];
      report(
        `${describe(extra)} is access key number ${i + 1} of the bootstrap user "${userName}"; at most ${max} allowed: delete it (Leverage needs one key).`,
        targetOf(extra),
      );
    }
  },
);
