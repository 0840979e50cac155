/**
 * No input makes a policy crash: arbitrary JSON (what the engine can send), unknowns and
 * secrets in any property of any relevant resource type, and arbitrary policy config. A crash
 * here would surface as a gRPC error that fails the whole `pulumi preview`.
 */
import * as assert from "node:assert/strict";
import fc from "fast-check";
import { policies } from "../../policy/policies";
import { IDENTITY_CENTER_TYPE_PREFIXES, T } from "../../policy/lib/resource-types";
import { runPolicy, secret, UNKNOWN, withEnv, type Outcome, type ResourceInput } from "./harness";

const TYPES = [
  ...Object.values(T),
  ...IDENTITY_CENTER_TYPE_PREFIXES.map((p) => `${p}x:X`),
  "pulumi:pulumi:Stack",
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
];
const NAMES = [
  "mgmt-org-admin",
  "MGMT-ORG-ADMIN",
  "alice",
  "arn:aws:iam::aws:policy/AdministratorAccess",
  "acme-management",
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
    assert.ok(d.message.startsWith(description) || d.message.startsWith("can't run"), d.message);
    assert.ok(d.message.length < 2_000, "a message stays readable");
  }
  return o.diagnostics.filter((d) => !d.message.startsWith("can't run")).length;
}

const stacks = fc.array(resource, { maxLength: 5 });
const STACK_ENV = {
  PULUMI_PROJECT: "management-bootstrap",
  PULUMI_CONFIG: JSON.stringify({ "management-bootstrap:projectName": "acme" }),
};

describe("policy robustness (fast-check)", () => {
  for (const policy of policies) {
    it(`${policy.name}: arbitrary resources never crash it`, async () => {
      await withEnv(STACK_ENV, () =>
        fc.assert(
          fc.asyncProperty(stacks, async (resources) => {
            assertWellFormed(await runPolicy(policy, resources), policy.description);
          }),
          { numRuns: 60 },
        ),
      );
    });

    // The generator reaches the rule, so "no crash" is tested on inputs the rule acts on. Checked
    // on a fixed sample: whether 60 random runs happen to hit a rule varies from run to run.
    it(`${policy.name}: the generated stacks include ones it flags`, async () => {
      let findings = 0;
      await withEnv(STACK_ENV, async () => {
        for (const resources of fc.sample(stacks, { seed: 20261128, numRuns: 60 })) {
          findings += assertWellFormed(await runPolicy(policy, resources), policy.description);
        }
      });
      assert.ok(findings > 0, "some generated stacks violate the policy");
    });
  }

  it("arbitrary policy config is either accepted or reported in one line, never a crash", async () => {
    const configs = fc.dictionary(
      fc.constantFrom(
        "userName",
        "minimumPasswordLength",
        "maximumAccessKeys",
        "projectName",
        "nameSuffix",
        "requiredTags",
        "waivers",
        "typo",
      ),
      fc.jsonValue(),
      { maxKeys: 3 },
    );
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...policies), configs, async (policy, config) => {
        const o = await runPolicy(policy, [{ type: T.user, props: { name: "mgmt-org-admin" } }], { config });
        for (const d of o.diagnostics) {
          if (d.message.includes("policy config of")) {
            rejected++;
            assert.match(d.message, new RegExp(`policy config of "${policy.name}" is invalid: .+`));
            assert.ok(
              !d.message.includes("\n", policy.description.length + 1),
              "one line after the description",
            );
          }
        }
      }),
      { numRuns: 200 },
    );
    assert.ok(rejected > 0, "some generated configs are invalid and reported");
  });
});
