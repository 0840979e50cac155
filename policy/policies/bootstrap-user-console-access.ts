// Runbook: the hand-off is a "Console sign-in URL, User name, Console password"; detective, like any absence.
import { bootstrapUserMustHave, isBootstrapUserName } from "../lib/bootstrap-user";
import { q, str } from "../lib/iam";

export const bootstrapUserConsoleAccess = bootstrapUserMustHave(
  {
    name: "bootstrap-user-console-access",
    description: "The bootstrap user must have a console login profile (a console password).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Add an aws.iam.UserLoginProfile with `user` set to the bootstrap user's name (with `pgpKey` so the generated password reaches the operator encrypted).",
  },
  "whether its login profile is the bootstrap user's",
  (f, userName) =>
    f.f === "credential" &&
    f.kind === "console login profile" &&
    isBootstrapUserName(str(f.user, "user"), userName),
  (userName) =>
    `The bootstrap user ${q(userName)} has no console login profile: add an aws.iam.UserLoginProfile with user ${q(userName)}.`,
);
