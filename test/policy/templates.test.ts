/**
 * Issue 20, items 1, 4 and 8: every template door is read by the same reader or refused
 * (inspectable-templates), within bounded work, and literal console passwords in templates are
 * judged. Each attack here passed before (no mandatory finding).
 */
import { addDays, todayUtc } from "../../lib/expiry";
import * as assert from "node:assert/strict";
import { factsOf } from "../../policy/lib/iam";
import { T } from "../../policy/lib/resource-types";
import { ADMIN_ARN, aliasBomb } from "./fixtures";
import { assertRejected, runAll, urnOf, type ResourceInput } from "./harness";

const IT = ["inspectable-templates"];
const ACCESS_KEY = { K: { Type: "AWS::IAM::AccessKey", Properties: { UserName: "ops" } } };

const mandatory = async (r: ResourceInput) =>
  (await runAll([r])).filter((d) => d.enforcementLevel === "mandatory");

describe("templates: a template the pack cannot read in full is refused (inspectable-templates)", () => {
  it("a SAM template (top-level Transform) granting AdministratorAccess (passed before)", () =>
    assertRejected(
      {
        type: T.cfnStack,
        props: {
          templateBody: [
            "Transform: AWS::Serverless-2016-10-31",
            "Resources:",
            "  Fn:",
            "    Type: AWS::Serverless::Function",
            "    Properties: { Runtime: python3.12, Handler: i.h, InlineCode: x, Policies: [AdministratorAccess] }",
          ].join("\n"),
        },
      },
      IT,
      'declares Transform "AWS::Serverless-2016-10-31"',
    ));
  it("Fn::Transform anywhere (AWS::Include, a macro), in JSON and YAML short form (passed before)", async () => {
    const include = { "Fn::Transform": { Name: "AWS::Include", Parameters: { Location: "s3://b/k" } } };
    await assertRejected(
      { type: T.cfnStack, props: { templateBody: JSON.stringify({ Resources: { X: include } }) } },
      IT,
      "Fn::Transform",
    );
    const yaml =
      "Resources:\n  U:\n    Type: AWS::IAM::Role\n    Properties:\n      Policies: !Transform {Name: MyMacro}\n";
    await assertRejected({ type: T.cfnStack, props: { templateBody: yaml } }, IT, "Fn::Transform");
    await assertRejected(
      { type: T.cfnStack, props: { templateBody: { Transform: ["MyMacro"], Resources: {} } } },
      IT,
      "MyMacro",
    );
  });
  it("a stack or stack set given only by templateUrl, or with no template, is mandatory (advisory before)", async () => {
    for (const type of [T.cfnStack, T.cfnStackSet, T.nativeCfnStack, T.nativeCfnStackSet]) {
      await assertRejected(
        { type, props: { templateUrl: "https://b.s3.amazonaws.com/t.yaml" } },
        IT,
        "templateUrl",
      );
      await assertRejected({ type, props: {} }, IT, "no templateBody");
    }
  });
  it("stack sets, classic and aws-native, go through the same reader (never opened before)", async () => {
    const body = JSON.stringify({
      Resources: { A: { Type: "AWS::IAM::UserPolicy", Properties: { UserName: "ops" } }, ...ACCESS_KEY },
    });
    for (const type of [T.cfnStackSet, T.nativeCfnStackSet])
      await assertRejected(
        { type, props: { templateBody: body } },
        ["credentials-bootstrap-user-only"],
        '"ops"',
      );
    const nested = {
      Resources: {
        S: { Type: "AWS::CloudFormation::StackSet", Properties: { TemplateBody: { Resources: ACCESS_KEY } } },
        T: { Type: "AWS::CloudFormation::StackSet", Properties: { TemplateURL: "https://x/t.json" } },
      },
    };
    await assertRejected({ type: T.cfnStack, props: { templateBody: JSON.stringify(nested) } }, [
      "credentials-bootstrap-user-only",
      "inspectable-templates",
    ]);
  });
  it("a finding names the stack and is waivable by its URN", async () => {
    const r: ResourceInput = { type: T.cfnStack, name: "legacy", props: { templateUrl: "https://x/t.json" } };
    const expires = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const waiver = { urn: urnOf(T.cfnStack, "legacy"), reason: "moving inline (OPS-9)", expires };
    const ok = await runAll([r], undefined, { "inspectable-templates": { waivers: [waiver] } });
    assert.deepEqual(
      ok.map((d) => [d.policyName, d.enforcementLevel, d.urn]),
      [["inspectable-templates", "advisory", waiver.urn]],
    );
    assert.match(ok[0].message, /WAIVED until .*OPS-9/);
  });
});

describe("templates: bounded work, whatever the input", () => {
  it("a YAML alias bomb is refused as too large to inspect, in milliseconds (hung the pack before)", async () => {
    const started = Date.now();
    const ds = await mandatory({ type: T.cfnStack, props: { templateBody: aliasBomb() } });
    assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
    assert.deepEqual(
      ds.map((d) => d.policyName),
      IT,
    );
    assert.match(ds[0].message, /too large to inspect \(its YAML aliases/);
  });
  it("a template over 51,200 bytes, nested too deep or with too many values is too large to inspect", async () => {
    const big = JSON.stringify({ Resources: ACCESS_KEY, Pad: "x".repeat(51_200) });
    const deep = `{"Resources":${JSON.stringify(ACCESS_KEY)},"Deep":${"[".repeat(20_000)}${"]".repeat(20_000)}}`;
    for (const [templateBody, why] of [
      [big, /too large to inspect \(\d+ bytes; at most 51200/],
      [deep, /nested more than 64 deep/],
    ] as const) {
      const started = Date.now();
      const ds = await mandatory({ type: T.cfnStack, props: { templateBody } });
      assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms`);
      assert.deepEqual(
        ds.map((d) => d.policyName),
        IT,
      );
      assert.match(ds[0].message, why);
    }
    // A template given as an object has no text to measure: its values are counted (the reader alone,
    // since the harness's own wire round trip of 100,000 values per policy is what would be slow).
    const wide = { Resources: ACCESS_KEY, Pad: Array(100_000).fill(0) };
    const started = Date.now();
    const facts = factsOf({ type: T.nativeCfnStack, name: "w", urn: "u", props: { templateBody: wide } });
    assert.ok(Date.now() - started < 1_000, `took ${Date.now() - started} ms`);
    assert.deepEqual(
      facts.map((f) => f.f === "uninspectable" && f.why),
      ["its templateBody is too large to inspect (more than 100000 values)"],
    );
  });
});

describe("templates: a literal console password is judged (bootstrap-user-password-strength)", () => {
  const user = (loginProfile: unknown): ResourceInput => ({
    type: T.cfnStack,
    props: {
      templateBody: JSON.stringify({
        Parameters: { Pw: { Type: "String", NoEcho: true } },
        Resources: {
          U: {
            Type: "AWS::IAM::User",
            Properties: {
              UserName: "mgmt-org-admin",
              LoginProfile: loginProfile,
              ManagedPolicyArns: [ADMIN_ARN],
              Tags: [{ Key: "ExpiresOn", Value: addDays(todayUtc(), 30) }],
            },
          },
        },
      }),
    },
  });
  it("a short literal LoginProfile.Password is rejected, its value never printed (passed before)", async () => {
    const ds = await mandatory(user({ Password: "Hunter2!", PasswordResetRequired: true }));
    assert.deepEqual(
      ds.map((d) => d.policyName),
      ["bootstrap-user-password-strength"],
    );
    assert.match(ds[0].message, /console password of 8 characters .* below the minimum 20/);
    assert.ok(!ds[0].message.includes("Hunter2"));
  });
  it("a long literal passes; a parameter or dynamic reference draws only an advisory", async () => {
    assert.deepEqual(await mandatory(user({ Password: "x".repeat(30) })), []);
    for (const Password of [{ Ref: "Pw" }, "{{resolve:secretsmanager:bootstrap:SecretString:pw}}"]) {
      const ds = (await runAll([user({ Password })])).filter(
        (d) => d.policyName === "bootstrap-user-password-strength",
      );
      assert.deepEqual(
        ds.map((d) => d.enforcementLevel),
        ["advisory"],
      );
      assert.match(ds[0].message, /parameter or dynamic reference/);
    }
  });
  it("the aws-native user's loginProfile too", () =>
    assertRejected(
      {
        type: "aws-native:iam:User",
        props: {
          userName: "mgmt-org-admin",
          loginProfile: { password: "short" },
          managedPolicyArns: [ADMIN_ARN],
          tags: [{ key: "ExpiresOn", value: addDays(todayUtc(), 30) }],
        },
      },
      ["bootstrap-user-password-strength"],
      "5 characters",
    ));
});
