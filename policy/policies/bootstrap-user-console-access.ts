/**
 * Runbook: the last step shows "Console sign-in URL, User name, Console password": the user signs
 * in to the console. Whether the bootstrap user has a login profile is a fact about the whole
 * stack, so this is a stack policy: it detects after the update, it cannot prevent.
 */
import { isBootstrapUserName, userNameKnob, type UserNameConfig } from "../lib/bootstrap-user";
import { stackPolicy } from "../lib/define";
import { factsOf, type Subject } from "../lib/iam";
import { CannotCheck, q, str } from "../lib/values";

/** The stack's bootstrap users (resources holding a user fact with that name). */
export function bootstrapUsers(
  resources: Subject[],
  userName: string,
  each: (r: Subject[], body: (s: Subject) => void) => void,
): Subject[] {
  const users: Subject[] = [];
  each(resources, (s) => {
    if (
      factsOf(s).some((f) => f.f === "user" && isBootstrapUserName(str(f.name, "the user's name"), userName))
    )
      users.push(s);
  });
  return users;
}

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
  { userName: userNameKnob },
  (resources, { userName }, report, each) => {
    const users = bootstrapUsers(resources, userName, each);
    if (users.length === 0) return;
    let found = false;
    let pending: Subject | undefined;
    for (const s of resources) {
      try {
        for (const f of factsOf(s)) {
          if (
            f.f === "credential" &&
            f.kind === "console login profile" &&
            isBootstrapUserName(str(f.user, "user"), userName)
          )
            found = true;
        }
      } catch (e) {
        if (!(e instanceof CannotCheck)) throw e;
        pending ??= s;
      }
    }
    if (found) return;
    // A login profile whose user is not known yet may be the bootstrap user's: say so, once.
    if (pending) {
      return each([pending], () => {
        throw new CannotCheck("whether its login profile is the bootstrap user's", false);
      });
    }
    for (const user of users) {
      report(
        `The bootstrap user ${q(userName)} has no console login profile: add an aws.iam.UserLoginProfile with user ${q(userName)}.`,
        user,
      );
    }
  },
);
