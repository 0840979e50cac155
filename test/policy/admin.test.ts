/**
 * Issue 20, item 2: an administrator in all but name (administrator-bootstrap-user-only). Each
 * attack passed before: IAMFullAccess plus an inline `iam:*` on a role trusting a foreign account,
 * a lower-cased AdministratorAccess ARN, the aws-iso, aws-iso-b and aws-eusc partitions.
 */
import * as assert from "node:assert/strict";
import { adminDocument, adminManagedPolicy, coversAllIamActions } from "../../policy/lib/admin";
import { T } from "../../policy/lib/resource-types";
import { AWS_PARTITIONS } from "../../lib/naming";
import { assertAccepted, assertRejected, runAll, type ResourceInput } from "./harness";

const P = ["administrator-bootstrap-user-only"];
const FOREIGN = "arn:aws:iam::999999999999:root";
const TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { AWS: FOREIGN }, Action: "sts:AssumeRole" }],
});
const allow = (Action: unknown, Resource: unknown = "*") =>
  JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action, Resource }] });

describe("administrator in all but name: what counts (policy/lib/admin.ts)", () => {
  it("every IAM action, as IAM matches: case-insensitive, with * and ? wildcards", () => {
    for (const a of ["*", "*:*", "iam:*", "IAM:*", "Iam:*", "i*:*", "i*", "*am:*", "iam:?*", "??m:*", "*:?*"])
      assert.ok(coversAllIamActions(a), a);
    for (const a of ["iam:Create*", "iam:?", "s3:*", "iam:*User", "ia:*", "i?:*", "iam:", "am:*"])
      assert.ok(!coversAllIamActions(a), a);
  });
  it("the AWS managed policies that grant it, by ARN in every partition and letter case", () => {
    for (const p of AWS_PARTITIONS) {
      assert.equal(
        adminManagedPolicy(`arn:${p}:iam::aws:policy/AdministratorAccess`),
        "AdministratorAccess",
        p,
      );
      assert.equal(adminManagedPolicy(`arn:${p}:iam::aws:policy/IAMFullAccess`), "IAMFullAccess", p);
    }
    assert.equal(adminManagedPolicy("arn:aws:iam::aws:policy/administratoraccess"), "AdministratorAccess");
    assert.equal(adminManagedPolicy("ARN:AWS-ISO-B:IAM::aws:policy/iamfullaccess"), "IAMFullAccess");
    for (const arn of [
      "arn:aws:iam::aws:policy/ReadOnlyAccess",
      "arn:aws:iam::123456789012:policy/AdministratorAccess",
      "arn:aws:iam::aws:policy/job-function/AdministratorAccess",
      "arn:azure:iam::aws:policy/AdministratorAccess",
    ])
      assert.equal(adminManagedPolicy(arn), undefined, arn);
  });
  it("a document with every IAM action on every resource (or NotAction / NotResource)", () => {
    assert.match(adminDocument(allow("IAM:*"), "d") ?? "", /allows "IAM:\*" \(all of IAM\) on \*/);
    assert.ok(adminDocument(allow(["s3:GetObject", "i*:*"], ["arn:aws:s3:::b", "*"]), "d"));
    assert.ok(adminDocument(allow("iam:*", "arn:aws:iam::*:*"), "d"));
    assert.ok(adminDocument(allow("iam:*", "arn:aws-iso:iam::123456789012:*"), "d"));
    assert.ok(adminDocument(allow("iam:*", "arn:*"), "d"));
    assert.equal(adminDocument(allow("iam:*", "arn:aws:iam::123456789012:user/ci/*"), "d"), undefined);
    // IAM does not count white space in a policy's size: padding hides nothing.
    const padded = `{"Statement":${" ".repeat(100_000)}[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`;
    assert.ok(padded.length > 100_000 && adminDocument(padded, "d"));
    assert.equal(adminDocument(allow("iam:Get*"), "d"), undefined);
    assert.equal(
      adminDocument(JSON.stringify({ Statement: { Effect: "Deny", Action: "*", Resource: "*" } }), "d"),
      undefined,
    );
  });
});

describe("administrator in all but name: every principal but the bootstrap user (administrator-bootstrap-user-only)", () => {
  it("a role trusting a foreign account with an inline iam:* on * plus IAMFullAccess; the message names whom it trusts (passed before)", () =>
    assertRejected(
      {
        type: T.role,
        props: {
          name: "vendor-ops",
          assumeRolePolicy: TRUST,
          inlinePolicies: [{ name: "ops", policy: allow("iam:*") }],
          managedPolicyArns: ["arn:aws:iam::aws:policy/IAMFullAccess"],
        },
      },
      P,
      `IAM role "vendor-ops", which trusts AWS "${FOREIGN}"`,
      "IAMFullAccess",
    ));
  it("an attachment to a role the pack saw earlier names whom that role trusts", async () => {
    const role: ResourceInput = {
      type: T.role,
      name: "r",
      props: { name: "deployer", assumeRolePolicy: TRUST },
    };
    const attach: ResourceInput = {
      type: T.rolePolicyAttachment,
      name: "a",
      props: { role: "deployer", policyArn: "arn:aws:iam::aws:policy/IAMFullAccess" },
    };
    const ds = (await runAll([role, attach])).filter((d) => d.policyName === P[0]);
    assert.equal(ds.length, 1, JSON.stringify(ds));
    assert.match(ds[0].message, /IAM role "deployer", which trusts AWS "arn:aws:iam::999999999999:root"/);
  });
  it("a lower-cased AdministratorAccess ARN and the aws-iso, aws-iso-b, aws-eusc partitions (passed before)", async () => {
    for (const policyArn of [
      "arn:aws:iam::aws:policy/administratoraccess",
      "arn:aws-iso:iam::aws:policy/AdministratorAccess",
      "arn:aws-iso-b:iam::aws:policy/AdministratorAccess",
      "arn:aws-eusc:iam::aws:policy/AdministratorAccess",
    ])
      await assertRejected({ type: T.userPolicyAttachment, props: { user: "ops", policyArn } }, P, '"ops"');
  });
  it("users, groups and roles alike, through every door, with IAM wildcards and case variants", async () => {
    const doors: ResourceInput[] = [
      { type: T.userPolicy, props: { user: "ops", policy: allow("IAM:*") } },
      { type: T.groupPolicy, props: { group: "g", policy: allow(["i*:*"]) } },
      { type: T.rolePolicy, props: { role: "r", policy: allow("*:*") } },
      { type: T.policy, props: { policy: allow("iam:*") } },
      {
        type: T.groupPolicyAttachment,
        props: { group: "g", policyArn: "arn:aws-cn:iam::aws:policy/IAMFullAccess" },
      },
      {
        type: T.policyAttachment,
        props: { roles: ["r"], policyArn: "arn:aws:iam::aws:policy/IAMFullAccess" },
      },
      {
        type: T.rolePolicyAttachmentsExclusive,
        props: { roleName: "r", policyArns: ["arn:aws:iam::aws:policy/iamfullaccess"] },
      },
      {
        type: "aws-native:iam:Group",
        props: { groupName: "g", managedPolicyArns: ["arn:aws:iam::aws:policy/IAMFullAccess"] },
      },
      {
        type: T.cfnStack,
        props: {
          templateBody: JSON.stringify({
            Resources: {
              R: {
                Type: "AWS::IAM::Role",
                Properties: {
                  RoleName: "x",
                  AssumeRolePolicyDocument: JSON.parse(TRUST),
                  Policies: [{ PolicyName: "p", PolicyDocument: JSON.parse(allow("iam:*")) }],
                },
              },
            },
          }),
        },
      },
    ];
    for (const r of doors) await assertRejected(r, P);
  });
  it("the bootstrap user's own AdministratorAccess and narrower IAM grants pass", async () => {
    await assertAccepted({
      type: T.userPolicyAttachment,
      props: { user: "mgmt-org-admin", policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" },
    });
    await assertAccepted({ type: T.rolePolicy, props: { role: "r", policy: allow("iam:Get*") } });
    await assertAccepted({
      type: T.rolePolicyAttachment,
      props: { role: "r", policyArn: "arn:aws:iam::aws:policy/IAMReadOnlyAccess" },
    });
  });
});
