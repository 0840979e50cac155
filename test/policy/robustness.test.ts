/**
 * No input makes a policy crash: arbitrary JSON (what the engine can send), unknowns and
 * secrets in any property of any relevant resource type, and arbitrary policy config. A crash
 * here would surface as a gRPC error that fails the whole `pulumi preview`.
 */
import * as assert from "node:assert/strict";
import fc from "fast-check";
import { policies } from "../../policy/policies";
import { IDENTITY_CENTER_TYPE_PREFIXES, T } from "../../policy/lib/resource-types";
import { PackInputError } from "../../policy/lib/engine";
import { REDACTED } from "../../lib/text";
import { runPolicy, secret, UNKNOWN, withStack, type Outcome, type ResourceInput } from "./harness";
import { secretIn, SECRET_FORMS } from "./secrets";

const TYPES = [
  ...Object.values(T),
  ...IDENTITY_CENTER_TYPE_PREFIXES.map((p) => `${p}x:X`),
  "aws-native:iam:User",
  "aws-native:iam:Role",
  "aws-native:sso:Instance",
  "command:local:Command",
  "pulumi-nodejs:dynamic:Resource",
  "gcp:storage/bucket:Bucket",
];
const KEYS = [
  "name",
  "user",
  "users",
  "userName",
  "groups",
  "group",
  "groupName",
  "policyArn",
  "policyArns",
  "policyNames",
  "permissionsBoundary",
  "tags",
  "passwordLength",
  "pgpKey",
  "accountAlias",
  "managedPolicyArns",
  "policies",
  "loginProfile",
  "role",
  "group",
  "policy",
  "username",
  "awsServiceAccessPrincipals",
  "servicePrincipal",
  "typeName",
  "desiredState",
  "templateBody",
  "templateUrl",
  "type",
  "properties",
  "assumeRolePolicy",
  "inlinePolicies",
];
const NAMES = [
  "mgmt-org-admin",
  "MGMT-ORG-ADMIN",
  "alice",
  "arn:aws:iam::aws:policy/AdministratorAccess",
  "acme-management",
  "sso.amazonaws.com",
  "AWS::IAM::AccessKey",
  '{"UserName":"ops","Users":["mgmt-org-admin"],"GroupName":"g"}',
  '{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
  "Resources:\n  K:\n    Type: AWS::IAM::AccessKey\n    Properties: {UserName: !Ref X}\n",
  "Transform: AWS::Serverless-2016-10-31\nResources: {}\n",
  "a: &a [x, x]\nb: &b [*a, *a]\nResources: {K: {Type: 'Custom::X', Properties: {L: *b}}}\n",
  '{"Statement":[{"Effect":"Allow","Action":"IAM:*","Resource":"*"}]}',
  "arn:aws-iso-b:iam::aws:policy/iamfullaccess",
  "AWS::IAM::User",
];

// Biased towards values the rules act on (the bootstrap user's name, ARNs, small numbers), with
// arbitrary JSON, unknowns and secrets mixed in at every level.
const leaf: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NAMES) },
  { weight: 1, arbitrary: fc.integer({ min: -5, max: 200 }) },
  { weight: 2, arbitrary: fc.jsonValue() },
  { weight: 1, arbitrary: fc.constantFrom(...Object.values(UNKNOWN)) },
);
const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: leaf },
  { weight: 1, arbitrary: leaf.map((v) => secret(v)) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...SECRET_FORMS), fc.string({ minLength: 1 }))
      .map(([f, t]) => secretIn(f, t)),
  },
  {
    weight: 2,
    arbitrary: fc.array(
      fc.oneof(
        leaf,
        leaf.map((v) => secret(v)),
      ),
      { maxLength: 4 },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.dictionary(
      fc.oneof(fc.constantFrom(...KEYS, "key", "value", "Purpose", "Temporary"), fc.string()),
      leaf,
      { maxKeys: 4 },
    ),
  },
);
const BOOTSTRAP = fc.constantFrom("mgmt-org-admin", "MGMT-ORG-ADMIN");
// Any subset of the properties the rules read, each mostly plausible (the bootstrap user, lists
// of names, small numbers) and otherwise anything; plus a few keys no rule knows.
const fieldValue = fc.oneof(
  { weight: 4, arbitrary: BOOTSTRAP },
  { weight: 2, arbitrary: fc.array(fc.oneof(BOOTSTRAP, leaf), { minLength: 1, maxLength: 3 }) },
  { weight: 3, arbitrary: value },
);
const props = fc
  .tuple(
    fc.record(Object.fromEntries(KEYS.map((k) => [k, fieldValue])), { requiredKeys: [] }),
    fc.dictionary(fc.string({ maxLength: 8 }), value, { maxKeys: 2 }),
  )
  .map(([known, extra]) => ({ ...extra, ...known }));
const resource: fc.Arbitrary<ResourceInput> = fc.record({
  type: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...TYPES) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  ),
  name: fc.string({ minLength: 1, maxLength: 10 }),
  props: props as fc.Arbitrary<Record<string, unknown>>,
});

function assertWellFormed(o: Outcome, description: string): number {
  for (const d of o.diagnostics) {
    assert.equal(typeof d.message, "string");
    // The server prefixes the description; the pack may have redacted a secret of the resource within it.
    assert.ok(d.message.startsWith(description) || d.message.split("\n")[0].includes(REDACTED), d.message);
    assert.ok(d.message.length < 2_000, "a message stays readable");
  }
  return o.diagnostics.filter((d) => d.enforcementLevel !== "advisory" || !/during preview/.test(d.message))
    .length;
}

const stacks = fc.array(resource, { maxLength: 5 });
const STACK = {
  config: { "management-bootstrap:projectName": "acme" },
  policyConfigs: {
    "bootstrap-user-no-groups": {
      waivers: [{ type: T.user, name: "gone", reason: "r", expires: "2999-01-01" }],
    },
    "bootstrap-user-name": { enforcementLevel: "advisory", reason: "r", expires: "2999-01-01" },
  },
};
/** Config that lets the fixed sample reach rules the generator rarely meets (a second key). */
const SAMPLE_CONFIG: Record<string, Record<string, unknown>> = {
  "bootstrap-user-access-keys": { maximumAccessKeys: 0 },
};

describe("policy robustness (fast-check)", () => {
  for (const policy of policies) {
    it(`${policy.name}: arbitrary resources never crash it`, async () => {
      await withStack(STACK, () =>
        fc.assert(
          fc.asyncProperty(stacks, async (resources) => {
            assertWellFormed(await runPolicy(policy, resources), policy.description);
          }),
          { numRuns: 60 },
        ),
      );
    });

    // The generator reaches the rule, so "no crash" is tested on inputs the rule acts on. Checked
    // on a fixed sample (100 stacks, enough for every rule to be hit): whether 60 random runs hit a rule varies.
    it(`${policy.name}: the generated stacks include ones it flags`, async () => {
      let findings = 0;
      await withStack(STACK, async () => {
        for (const resources of fc.sample(stacks, { seed: 20261128, numRuns: 100 })) {
          findings += assertWellFormed(
            await runPolicy(policy, resources, { config: SAMPLE_CONFIG[policy.name] }),
            policy.description,
          );
        }
      });
      assert.ok(findings > 0, "some generated stacks violate the policy");
    });
  }

  it("arbitrary policy config is either accepted or refused with one line naming the key, never a crash", async () => {
    const configs = fc.dictionary(
      fc.constantFrom(
        "userName",
        "minimumPasswordLength",
        "maximumAccessKeys",
        "projectName",
        "nameSuffix",
        "requiredTags",
        "waivers",
        "waiverMaxDays",
        "typo",
      ),
      fc.jsonValue(),
      { maxKeys: 3 },
    );
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...policies), configs, async (policy, config) => {
        try {
          await runPolicy(policy, [{ type: T.user, props: { name: "mgmt-org-admin" } }], { config });
        } catch (e) {
          assert.ok(e instanceof PackInputError, String(e));
          assert.match(e.message, new RegExp(`^policy config is invalid: ${policy.name}: .+`));
          assert.ok(!e.message.includes("\n"), "one line");
          rejected++;
        }
      }),
      { numRuns: 200 },
    );
    assert.ok(rejected > 0, "some generated configs are invalid and refused");
  });
});
