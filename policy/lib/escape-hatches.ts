// Resources that run code or API calls at deploy time that no rule can see into, and the packages the
// pack models; docs/policies.md#no-escape-hatches lists both, with how each is recognised.

/** Pulumi type tokens (exact, or by pattern) that run code or AWS API calls when deployed. */
const PULUMI_HATCHES: readonly [RegExp, string][] = [
  [/^command:/, "runs a command (command provider) whose effects the pack cannot see"],
  [/^pulumi-[a-z]+:dynamic:/, "is a dynamic provider resource: its create code runs in the program, unseen"],
  [/^aws:lambda\/invocation:Invocation$/, "invokes a Lambda function, whose code runs with its own role"],
  [
    /^aws:ssm\/association:Association$/,
    "runs an SSM document (a command or an automation that can call any API)",
  ],
  [
    /^aws:servicecatalog\/provisionedProduct:ProvisionedProduct$/,
    "provisions a Service Catalog product, a CloudFormation template the pack never receives",
  ],
  [/^terraform(-module|-provider)?:/, "is a Terraform-bridged resource, which the pack does not model"],
];

/** CloudFormation types (lower case; also aws-native and Cloud Control types) that run code when deployed. */
const CFN_HATCHES: readonly [RegExp, string][] = [
  [/^custom::/, "is a CloudFormation custom resource: its handler runs code the pack cannot inspect"],
  [
    /^aws::cloudformation::customresource(emulator)?$/,
    "is a CloudFormation custom resource: its handler runs code the pack cannot inspect",
  ],
  [/^aws::ssm::association$/, "runs an SSM document (a command or an automation that can call any API)"],
  [
    /^aws::servicecatalog::cloudformationprovisionedproduct$/,
    "provisions a Service Catalog product, a CloudFormation template the pack never receives",
  ],
  // A registry extension (third-party or private type) runs its own handler; AWS's own are AWS::*.
  [
    /^(?!aws::|alexa::)[^:]+::[^:]+::/,
    "is a CloudFormation registry extension whose handler the pack cannot inspect",
  ],
];

/** Packages whose types the pack knows: it reads the IAM ones and knows the others cannot reach IAM. */
export const KNOWN_PACKAGES: readonly string[] = ["aws", "aws-native", "random", "tls", "pulumi"];

export type Hatch = { why: string; advisory: boolean };

/** Why a Pulumi resource type escapes the rules (mandatory), or is from a package the pack does not know (advisory). */
export function pulumiHatch(type: string, providerType?: string): Hatch | undefined {
  const served = providerType?.replace(/^pulumi:providers:/, "");
  const hit = PULUMI_HATCHES.find(([re]) => re.test(type) || (served !== undefined && re.test(`${served}:`)));
  if (hit) return { why: hit[1], advisory: false };
  const pkg = type.split(":")[0];
  if (KNOWN_PACKAGES.includes(pkg)) return undefined;
  return {
    why: `is of package ${JSON.stringify(pkg)}, which the pack does not model, so no rule inspected what it does`,
    advisory: true,
  };
}

/** Why a CloudFormation type escapes the rules, or undefined. `key` is the type in lower case. */
export function cfnHatch(key: string): Hatch | undefined {
  const hit = CFN_HATCHES.find(([re]) => re.test(key));
  return hit && { why: hit[1], advisory: false };
}
