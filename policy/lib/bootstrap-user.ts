// The bootstrap user is compared case-insensitively, as IAM does, so `MGMT-ORG-ADMIN` dodges no rule.
import type { PolicyConfigSchema } from "@pulumi/policy";
import { DEFAULT_BOOTSTRAP_USER_NAME, IAM_USER_NAME_PATTERN, sameIamUserName } from "../../lib/naming";
import { resourcePolicy, stackPolicy, type PolicyInfo, type ResourceCheck, type StackCheck } from "./define";
import { CannotCheck, factsOf, str, type Fact, type Subject } from "./iam";

const userNameKnob: PolicyConfigSchema["properties"][string] = {
  type: "string",
  default: DEFAULT_BOOTSTRAP_USER_NAME,
  pattern: IAM_USER_NAME_PATTERN.source,
  description: "IAM user name of the bootstrap user (IAM compares user names case-insensitively).",
};

export type UserNameConfig = { userName: string };

export function isBootstrapUserName(candidate: unknown, userName: string): candidate is string {
  return typeof candidate === "string" && sameIamUserName(candidate, userName);
}

/** A policy about the bootstrap user takes the `userName` knob, before any of its own. */
const withUserName = (info: PolicyInfo) => ({ ...info, knobs: { userName: userNameKnob, ...info.knobs } });

export function bootstrapUserPolicy<C = object>(info: PolicyInfo, check: ResourceCheck<C & UserNameConfig>) {
  return resourcePolicy<C & UserNameConfig>(withUserName(info), check);
}

export function bootstrapUserStackPolicy<C = object>(
  info: PolicyInfo,
  check: StackCheck<C & UserNameConfig>,
) {
  return stackPolicy<C & UserNameConfig>(withUserName(info), check);
}

/** A stack policy: when there is a bootstrap user, some resource must hold a fact that `has` accepts. */
export function bootstrapUserMustHave(
  info: PolicyInfo,
  what: string,
  has: (f: Fact, userName: string) => boolean,
  missing: (userName: string) => string,
) {
  return bootstrapUserStackPolicy(info, (resources, { userName }, report, each) => {
    const users: Subject[] = [];
    each(resources, (s) => {
      if (factsOf(s, "user").some((f) => isBootstrapUserName(str(f.name, "the user's name"), userName)))
        users.push(s);
    });
    if (users.length === 0) return;
    let pending: Subject | undefined;
    for (const s of resources) {
      try {
        if (factsOf(s).some((f) => has(f, userName))) return;
      } catch (e) {
        if (!(e instanceof CannotCheck)) throw e;
        pending ??= s;
      }
    }
    // A resource that cannot be read yet may hold it: one advisory "cannot check" rather than a finding.
    if (pending) {
      return each([pending], () => {
        throw new CannotCheck(what, false);
      });
    }
    for (const user of users) report(missing(userName), user);
  });
}
