/**
 * The account as the pack's resource shapes: the types and property names of the Pulumi AWS provider, so the
 * pack judges the account as it judges a plan. Names are the AWS identifiers (an access key only by the last
 * 4 characters of its id); URNs are those of stack `stack` of `project`.
 */
import { T } from "../policy/lib/resource-types";
import { ROOT_STACK_TYPE, type PlannedResource } from "../gate/run-program";
import type { AccountFacts } from "./aws";

export function toResources(facts: AccountFacts, project: string, stack: string): PlannedResource[] {
  const urn = (type: string, name: string) => `urn:pulumi:${stack}::${project}::${type}::${name}`;
  const rootUrn = urn(ROOT_STACK_TYPE, `${project}-${stack}`);
  const out: PlannedResource[] = [];
  const add = (type: string, name: string, props: Record<string, unknown>, parent = rootUrn) =>
    out.push({
      urn: type === ROOT_STACK_TYPE ? rootUrn : urn(type, name),
      type,
      name,
      custom: type !== ROOT_STACK_TYPE,
      parent: type === ROOT_STACK_TYPE ? "" : parent,
      provider: "",
      // Read from the account: what a resource holds after its step, for Analyze and AnalyzeStack alike.
      inputs: props,
      outputs: props,
      options: {},
      dependencies: [],
      op: "same",
    });
  add(ROOT_STACK_TYPE, `${project}-${stack}`, {});
  const policyName = (arn: string) => arn.split("/").pop() ?? arn;
  for (const u of facts.users) {
    const user = u.name;
    add(T.user, user, {
      name: user,
      path: u.path,
      tags: u.tags,
      ...(u.permissionsBoundary ? { permissionsBoundary: u.permissionsBoundary } : {}),
    });
    if (u.loginProfile)
      add(T.loginProfile, user, { user, passwordResetRequired: u.loginProfile.passwordResetRequired });
    for (const arn of u.attachedPolicyArns)
      add(T.userPolicyAttachment, `${user}/${policyName(arn)}`, { user, policyArn: arn });
    if (u.groups.length > 0) add(T.userGroupMembership, user, { user, groups: u.groups });
    for (const p of u.inlinePolicies)
      add(T.userPolicy, `${user}/${p.name}`, { user, name: p.name, policy: p.document });
    for (const k of u.accessKeys) add(T.accessKey, `${user}/key-${k.keyEnd}`, { user, status: k.status });
  }
  for (const g of facts.groups) {
    for (const arn of g.attachedPolicyArns)
      add(T.groupPolicyAttachment, `${g.name}/${policyName(arn)}`, { group: g.name, policyArn: arn });
    for (const p of g.inlinePolicies)
      add(T.groupPolicy, `${g.name}/${p.name}`, { group: g.name, name: p.name, policy: p.document });
  }
  for (const alias of facts.aliases) add(T.accountAlias, alias, { accountAlias: alias });
  // Not the organization's trusted services and delegated administrators: in a plan, Identity Center is
  // what the program must not create (no-identity-center); in the account, it is the SSO layer that
  // supersedes the bootstrap user, bootstrap-user-superseded's to judge.
  return out;
}
