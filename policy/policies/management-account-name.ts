// Runbook: "note your management account should be called `<project-name>-management`".
import { MANAGEMENT_ACCOUNT_SUFFIX, PROJECT_NAME_PATTERN } from "../../lib/naming";
import { resourcePolicy } from "../lib/define";
import { stackConfig } from "../lib/engine";
import { factsOf, need, q } from "../lib/iam";
import { T } from "../lib/resource-types";

export const managementAccountName = resourcePolicy<{ projectName?: string; nameSuffix: string }>(
  {
    name: "management-account-name",
    description: "The management account's name and alias must be `<project>-management`.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Set the stack config `projectName` to the Leverage project name (lower case, 3-25 characters) and `accountName` to `<projectName>-management`; give any aws.iam.AccountAlias the same value.",
    knobs: {
      projectName: {
        type: "string",
        pattern: PROJECT_NAME_PATTERN.source,
        description:
          "Leverage project name this account belongs to. When unset, the stack config `projectName` is used.",
      },
      nameSuffix: {
        type: "string",
        default: MANAGEMENT_ACCOUNT_SUFFIX,
        minLength: 1,
        description: "Suffix of the management account's name.",
      },
    },
  },
  (s, config, report) => {
    const stack = stackConfig();
    const stackProject = stack.get("projectName");
    // Pulumi.yaml declares `accountName` with `default: ""`: "" means `<projectName>-management`.
    const stackAccount = stack.get("accountName");
    const project = config.projectName ?? stackProject;
    const expected = project !== undefined ? `${project}${config.nameSuffix}` : undefined;
    const want = expected !== undefined ? q(expected) : `\`<project>${config.nameSuffix}\``;
    /** Why `name` is wrong, or undefined when it is right. */
    const problem = (name: unknown): string | undefined => {
      if (typeof name !== "string" || name === "") return `is ${q(name)}, not a name`;
      if (expected !== undefined) return name === expected ? undefined : `is ${q(name)}`;
      if (!name.endsWith(config.nameSuffix))
        return `is ${q(name)}, which does not end in ${q(config.nameSuffix)}`;
      return PROJECT_NAME_PATTERN.test(name.slice(0, -config.nameSuffix.length))
        ? undefined
        : `is ${q(name)}, whose project part is not valid`;
    };
    // The engine analyzes the stack resource before anything is created: the time to judge the stack config.
    if (s.type === T.stack) {
      const key = (k: string) => `\`${stack.name}:${k}\``;
      if (stackProject !== undefined && !PROJECT_NAME_PATTERN.test(stackProject))
        report(
          `Stack config ${key("projectName")} is ${q(stackProject)}, not a Leverage project name: use 3-25 lower-case letters, digits or dashes, starting and ending with a letter or digit.`,
        );
      if (
        config.projectName !== undefined &&
        stackProject !== undefined &&
        stackProject !== config.projectName
      )
        report(
          `Stack config ${key("projectName")} is ${q(stackProject)} but this policy is configured for project ${q(config.projectName)}: set it to ${q(config.projectName)} or fix the policy config.`,
        );
      const why = stackAccount ? problem(stackAccount) : undefined;
      if (why) report(`Stack config ${key("accountName")} ${why}: set it to ${want}.`);
    }
    for (const f of factsOf(s, "alias")) {
      const why = problem(need(f.alias, "the account alias"));
      if (why) report(`${f.via} sets the account alias, which ${why}: set accountAlias to ${want}.`);
    }
  },
);
