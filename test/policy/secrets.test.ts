/**
 * No secret in any output, not even a piece of one: secrets in all three forms (value,
 * ciphertext, plaintext) in every property the rules read, and as secret stack config, fed
 * through every policy of the pack; no 10-character piece of any of them may appear in any
 * message, nor in an error line. (The gate's report formats reuse ./secrets.ts.)
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import fc from "fast-check";
import { errorLine, prepareProps } from "../../policy/lib/engine";
import { T } from "../../policy/lib/resource-types";
import { policies } from "../../policy/policies";
import { runPolicy, withStack, type ResourceInput } from "./harness";
import { assertNoSecretPiece, awkwardSecrets, SECRET_FORMS, secretIn, type SecretForm } from "./secrets";

/** A stack whose every rule-relevant property is a secret, each resource breaking a rule. */
function secretStack(form: SecretForm, s: string[]): ResourceInput[] {
  const sec = (i: number) => secretIn(form, s[i % s.length]);
  const cfn = (body: unknown) => secretIn(form, typeof body === "string" ? body : JSON.stringify(body));
  return [
    { type: T.stack, name: "stack", props: {} },
    {
      type: T.user,
      name: "u1",
      props: { name: sec(0), tags: { Purpose: sec(1) }, permissionsBoundary: sec(2) },
    },
    {
      type: T.user,
      name: "u2",
      props: { name: "mgmt-org-admin", tags: { Purpose: sec(3) }, permissionsBoundary: sec(4) },
    },
    { type: T.loginProfile, name: "lp", props: { user: sec(1), passwordLength: sec(2) } },
    {
      type: T.loginProfile,
      name: "lp2",
      props: { user: "mgmt-org-admin", passwordLength: secretIn(form, "7") },
    },
    { type: T.accessKey, name: "k", props: { user: sec(2) } },
    { type: T.sshKey, name: "ssh", props: { username: sec(3) } },
    { type: T.userGroupMembership, name: "m", props: { user: "mgmt-org-admin", groups: [sec(4), sec(0)] } },
    { type: T.groupMembership, name: "gm", props: { group: sec(1), users: ["mgmt-org-admin"] } },
    {
      type: T.userPolicyAttachment,
      name: "a",
      props: { user: sec(3), policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" },
    },
    { type: T.userPolicyAttachment, name: "a2", props: { user: "mgmt-org-admin", policyArn: sec(1) } },
    { type: T.policyAttachment, name: "pa", props: { roles: [sec(4)], policyArn: sec(0) } },
    {
      type: T.userPoliciesExclusive,
      name: "upe",
      props: { userName: "mgmt-org-admin", policyNames: [sec(2)] },
    },
    { type: T.accountAlias, name: "alias", props: { accountAlias: sec(3) } },
    {
      type: T.organization,
      name: "org",
      props: { awsServiceAccessPrincipals: [sec(0), "sso.amazonaws.com"] },
    },
    {
      type: T.cloudControl,
      name: "cc",
      props: { typeName: "AWS::IAM::User", desiredState: cfn({ UserName: s[4], Groups: [s[2]] }) },
    },
    {
      type: T.cfnStack,
      name: "cfn",
      props: {
        templateBody: cfn(
          `Resources:\n  K:\n    Type: AWS::IAM::AccessKey\n    Properties:\n      UserName: ${JSON.stringify(s[1])}\n`,
        ),
      },
    },
    { type: T.cfnStack, name: "url", props: { templateUrl: sec(2) } },
    {
      type: "aws-native:iam:Role",
      name: "nr",
      props: { roleName: sec(3), managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"] },
    },
  ];
}

describe("no secret in any output, not even a piece of one", () => {
  it("every policy's messages, for secrets in all three forms and as secret stack config", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...SECRET_FORMS),
        fc.string({ minLength: 1, maxLength: 8 }),
        async (form, seed) => {
          const s = awkwardSecrets(`${form}/${seed}`);
          const config = {
            "management-bootstrap:projectName": s[0],
            "management-bootstrap:accountName": s[3],
          };
          const secretKeys = Object.keys(config);
          let findings = 0;
          await withStack({ config, secretKeys }, async () => {
            for (const p of policies) {
              for (const d of (await runPolicy(p, secretStack(form, s))).diagnostics) {
                findings++;
                assertNoSecretPiece(`${d.message} ${d.urn ?? ""}`, s);
              }
            }
          });
          assert.ok(findings >= 12, `the secrets reach the rules (${findings} findings)`);
        },
      ),
      { numRuns: 12 },
    );
  });

  it("error lines, for malformed input holding secrets", () => {
    for (const form of SECRET_FORMS) {
      const s = awkwardSecrets(`error/${form}`);
      const props = { a: secretIn(form, s[0]), [s[1]]: { [pulumi.runtime.specialSigKey]: "bad" } };
      assert.throws(
        () => prepareProps(props, `aws:iam/user:User ${JSON.stringify(s[2])}`),
        (e: Error) => (assertNoSecretPiece(errorLine(e), [s[0]]), true),
      );
    }
  });
});

/**
 * Issue 20, item 7: what is secret is decided by where a value came from, not by searching text. Each
 * case is an attack that printed a secret (or hid a public value) before.
 */
describe("secrets by provenance: every policy of the pack, one resource at a time", () => {
  const SIG = pulumi.runtime.specialSigKey;
  const secret = (value: unknown) => ({ [SIG]: pulumi.runtime.specialSecretSig, value });
  /** Every finding of every policy on `resources`, as `<policy>: <message>`. */
  async function findings(resources: ResourceInput[]): Promise<string[]> {
    return withStack({ config: { "management-bootstrap:projectName": "acme" } }, async () => {
      const out: string[] = [];
      for (const p of policies)
        for (const d of (await runPolicy(p, resources)).diagnostics) out.push(`${p.name}: ${d.message}`);
      return out;
    });
  }
  const about = (all: string[], policy: string) => all.filter((m) => m.startsWith(`${policy}: `)).join("\n");

  it("a short secret number (passwordLength 8) is judged but never printed", async () => {
    const all = await findings([
      { type: T.loginProfile, name: "lp", props: { user: "mgmt-org-admin", passwordLength: secret(8) } },
    ]);
    const m = about(all, "bootstrap-user-password-strength");
    assert.match(m, /has passwordLength \[secret\], below the minimum 20/);
    assert.doesNotMatch(m, /passwordLength 8/);
  });

  it("a short secret user name (bob) of an access key is judged but never printed", async () => {
    const all = await findings([{ type: T.accessKey, name: "k", props: { user: secret("bob") } }]);
    const m = about(all, "credentials-bootstrap-user-only");
    assert.ok(m.length > 0, all.join("\n"));
    assert.doesNotMatch(all.join("\n"), /\bbob\b/);
  });

  it("keys inside a secret object are never printed", async () => {
    const all = await findings([
      {
        type: T.loginProfile,
        name: "lp",
        props: { user: "mgmt-org-admin", passwordLength: secret({ "hidden-key-name": 30 }) },
      },
    ]);
    assert.match(about(all, "bootstrap-user-password-strength"), /not a whole number/);
    assert.doesNotMatch(all.join("\n"), /hidden-key-name/);
  });

  it("the logical IDs and values of a secret template are never printed", async () => {
    const template = `Resources:\n  HiddenLogicalId:\n    Type: AWS::IAM::AccessKey\n    Properties:\n      UserName: hidden-user\n`;
    const all = await findings([
      { type: T.cfnStack, name: "cfn", props: { templateBody: secret(template) } },
    ]);
    assert.match(about(all, "credentials-bootstrap-user-only"), /template resource \[secret\]/);
    assert.doesNotMatch(all.join("\n"), /HiddenLogicalId|hidden-user/);
  });

  it("a key path inside a secret never reaches an error line", () => {
    const props = { a: secret({ "hidden-path-key": { [SIG]: "not-a-signature" } }) };
    assert.throws(
      () => prepareProps(props, 'aws:iam/user:User "u"'),
      (e: Error) => {
        assert.match(errorLine(e), /property \.a \(inside a secret\) is a malformed special value/);
        assert.doesNotMatch(errorLine(e), /hidden-path-key/);
        return true;
      },
    );
  });

  it("a secret equal to the user name hides it nowhere else: not in another resource's finding", async () => {
    const all = await findings([
      // Before: this secret redacted "mgmt-org-admin" in every later message of the run.
      {
        type: T.user,
        name: "u",
        props: { name: "mgmt-org-admin", tags: { Note: secret("mgmt-org-admin") } },
      },
      { type: T.userGroupMembership, name: "m", props: { user: "mgmt-org-admin", groups: ["admins"] } },
    ]);
    assert.match(about(all, "bootstrap-user-no-groups"), /adds the bootstrap user "mgmt-org-admin"/);
  });
});
