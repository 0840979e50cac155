/** Runbook: the last step shows "Console sign-in URL, User name, Console password": the user signs in to the console. */
import {
  bootstrapUsersOrNotApplicable,
  describe,
  isBootstrapUserName,
  userNameConfigProperty,
  type UserNameConfig,
} from "../lib/bootstrap-user";
import { stackPolicy, targetOf } from "../lib/define";
import { prop, record } from "../lib/props";
import { T } from "../lib/resource-types";

export const bootstrapUserConsoleAccess = stackPolicy<UserNameConfig>(
  {
    name: "bootstrap-user-console-access",
    description: "The bootstrap user must have a console login profile (a console password).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Add an aws.iam.UserLoginProfile with `user` set to the bootstrap user's name (with `pgpKey` so the " +
      "generated password reaches the operator encrypted).",
  },
  { userName: userNameConfigProperty },
  (args, { userName }, report) => {
    const bootstrapUsers = bootstrapUsersOrNotApplicable(args, userName);
    const hasProfile = args.resources.some(
      (r) => r.type === T.loginProfile && isBootstrapUserName(prop(r.props, "user"), userName),
    );
    for (const user of bootstrapUsers) {
      // aws-native declares the login profile inline on the user.
      if (hasProfile || (user.type === T.nativeUser && record(user.props, "loginProfile"))) continue;
      report(
        `${describe(user)} (the bootstrap user "${userName}") has no console login profile: add an aws.iam.UserLoginProfile with user "${userName}".`,
        targetOf(user),
      );
    }
  },
);
