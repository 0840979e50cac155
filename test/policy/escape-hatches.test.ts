/**
 * Issue 20, item 3: a resource that runs code or API calls at deploy time is refused
 * (no-escape-hatches), waivable by URN; a package the pack does not know draws an advisory.
 * Each attack passed before with no finding at all.
 */
import * as assert from "node:assert/strict";
import { T } from "../../policy/lib/resource-types";
import { assertAccepted, assertRejected, runAll, urnOf, type ResourceInput } from "./harness";

const P = ["no-escape-hatches"];
const template = (Type: string) => ({
  type: T.cfnStack,
  props: {
    templateBody: JSON.stringify({
      Resources: { X: { Type, Properties: { ServiceToken: "arn:aws:lambda:x" } } },
    }),
  },
});

describe("escape hatches: code or API calls at deploy time are refused (no-escape-hatches)", () => {
  it("the attack run's hatches, each with no finding before", async () => {
    const hatches: ResourceInput[] = [
      {
        type: "command:local:Command",
        props: { create: "aws iam add-user-to-group --user-name mgmt-org-admin --group-name admins" },
      },
      { type: "command:remote:Command", props: { create: "aws iam create-user --user-name x" } },
      { type: "pulumi-nodejs:dynamic:Resource", props: { __provider: "exports.handler = ..." } },
      { type: "pulumi-python:dynamic:Resource", props: {} },
      { type: "aws:lambda/invocation:Invocation", props: { functionName: "f", input: "{}" } },
      { type: "aws:ssm/association:Association", props: { name: "AWS-RunShellScript" } },
      { type: "aws-native:ssm:Association", props: { name: "AWS-RunShellScript" } },
      { type: "aws:servicecatalog/provisionedProduct:ProvisionedProduct", props: { productId: "prod-1" } },
      { type: "aws-native:servicecatalog:CloudFormationProvisionedProduct", props: { productId: "prod-1" } },
      {
        type: "aws-native:cloudformation:CustomResourceEmulator",
        props: { serviceToken: "arn:aws:lambda:x" },
      },
      { type: "terraform:index:Module", props: {} },
      { type: "terraform-module:index:Module", props: {} },
      {
        type: "vpc:index:Module",
        props: {},
        provider: { type: "pulumi:providers:terraform-module", name: "p", props: {} },
      },
      template("Custom::AddToGroup"),
      template("AWS::CloudFormation::CustomResource"),
      template("AWS::SSM::Association"),
      template("AWS::ServiceCatalog::CloudFormationProvisionedProduct"),
      template("Acme::IAM::Grant"),
      { type: T.cloudControl, props: { typeName: "Custom::X", desiredState: "{}" } },
      { type: T.nativeExtension, props: { type: "Acme::IAM::Grant", properties: {} } },
    ];
    for (const r of hatches) await assertRejected(r, P, "escapes every rule");
  });
  it("a waiver by URN, with reason and expiry, turns it advisory", async () => {
    const r: ResourceInput = { type: "command:local:Command", name: "seed", props: { create: "true" } };
    const expires = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const waiver = { urn: urnOf(r.type, "seed"), reason: "prints the date only (OPS-3)", expires };
    const ds = await runAll([r], undefined, { "no-escape-hatches": { waivers: [waiver] } });
    assert.deepEqual(
      ds.map((d) => [d.policyName, d.enforcementLevel]),
      [["no-escape-hatches", "advisory"]],
    );
    assert.match(ds[0].message, /WAIVED until .*OPS-3/);
  });
  it("aws-native's ExtensionResource is read as the CloudFormation type it deploys (passed before)", () =>
    assertRejected(
      {
        type: T.nativeExtension,
        props: {
          type: "AWS::IAM::UserToGroupAddition",
          properties: { GroupName: "admins", Users: ["mgmt-org-admin"] },
        },
      },
      ["bootstrap-user-no-groups"],
      '(extension "AWS::IAM::UserToGroupAddition")',
    ));
  it("a package the pack does not know draws an advisory 'not inspected'; known packages nothing", async () => {
    const ds = await runAll([{ type: "gcp:storage/bucket:Bucket", props: {} }]);
    assert.deepEqual(
      ds.map((d) => [d.policyName, d.enforcementLevel]),
      [["no-escape-hatches", "advisory"]],
    );
    assert.match(ds[0].message, /package "gcp", which the pack does not model/);
    for (const type of [
      "random:index/randomPassword:RandomPassword",
      "tls:index/privateKey:PrivateKey",
      "aws:s3/bucket:Bucket",
      "aws-native:s3:Bucket",
      "pulumi:providers:aws",
    ])
      assert.deepEqual(await runAll([{ type, props: {} }]), [], type);
    await assertAccepted(template("AWS::S3::Bucket"));
  });
});
