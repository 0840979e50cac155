/**
 * Runbook: "note your management account should be called `<project-name>-management`".
 * Checked twice: the stack's own `projectName` / `accountName` config (which the engine hands the
 * pack, see ../lib/stack-config.ts) and every IAM account alias the stack creates.
 */
import { MANAGEMENT_ACCOUNT_SUFFIX, PROJECT_NAME_PATTERN } from "../../lib/naming";
import { describe } from "../lib/bootstrap-user";
import { stackPolicy, targetOf } from "../lib/define";
import { prop, show } from "../lib/props";
import { T } from "../lib/resource-types";
import { readStackConfig } from "../lib/stack-config";

interface AccountNameConfig {
  projectName?: string;
  nameSuffix: string;
}

export const managementAccountName = stackPolicy<AccountNameConfig>(
  {
    name: "management-account-name",
    description: "The management account's name and alias must be `<project>-management`.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Set the stack config `projectName` to the Leverage project name (lower case, 3-25 characters) and " +
      "`accountName` to `<projectName>-management`; give any aws.iam.AccountAlias the same value.",
  },
  {
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
  (args, config, report) => {
    const stack = readStackConfig();
    const stackProject = stack.get("projectName");
    // Pulumi.yaml declares `accountName` with `default: ""` (the program reads "" as
    // `<projectName>-management`), so the CLI hands the pack "" when the stack leaves it out.
    const stackAccount = stack.get("accountName") || undefined;
    const aliases = args.resources.filter((r) => r.type === T.accountAlias);
    if (stackProject === undefined && stackAccount === undefined && aliases.length === 0) {
      args.notApplicable("no projectName/accountName in the stack config and no AccountAlias in the stack");
    }

    const configKey = (key: string) => `\`${stack.project ?? "<project>"}:${key}\``;
    if (stackProject !== undefined && !PROJECT_NAME_PATTERN.test(stackProject)) {
      report(
        `Stack config ${configKey("projectName")} is ${show(stackProject)}, not a Leverage project name: ` +
          `use 3-25 lower-case letters, digits or dashes, starting and ending with a letter or digit.`,
      );
    }
    if (
      config.projectName !== undefined &&
      stackProject !== undefined &&
      stackProject !== config.projectName
    ) {
      report(
        `Stack config ${configKey("projectName")} is ${show(stackProject)} but this policy is configured for ` +
          `project "${config.projectName}": set it to "${config.projectName}" or fix the policy config.`,
      );
    }

    const project = config.projectName ?? stackProject;
    const expected = project !== undefined ? `${project}${config.nameSuffix}` : undefined;
    /** Why `name` is wrong, or undefined when it is right. */
    const problem = (name: unknown): string | undefined => {
      if (typeof name !== "string" || name === "") return `is ${show(name)}, not a name`;
      if (expected !== undefined) return name === expected ? undefined : `is ${show(name)}`;
      // No project known: at least demand `<valid project><suffix>`.
      if (!name.endsWith(config.nameSuffix))
        return `is ${show(name)}, which does not end in "${config.nameSuffix}"`;
      const prefix = name.slice(0, -config.nameSuffix.length);
      return PROJECT_NAME_PATTERN.test(prefix)
        ? undefined
        : `is ${show(name)}, whose project part is not valid`;
    };
    const want = expected !== undefined ? `"${expected}"` : `\`<project>${config.nameSuffix}\``;

    if (stackAccount !== undefined) {
      const why = problem(stackAccount);
      if (why) report(`Stack config ${configKey("accountName")} ${why}: set it to ${want}.`);
    }
    for (const alias of aliases) {
      const why = problem(prop(alias.props, "accountAlias"));
      if (why)
        report(
          `${describe(alias)} sets the account alias, which ${why}: set accountAlias to ${want}.`,
          targetOf(alias),
        );
    }
  },
);
