/**
 * Every rule of the pack, through the in-process harness (./harness.ts). For each bypass class of
 * issue 12 there is a case that passed before (exit 0) and is now rejected by a resource policy,
 * i.e. in Analyze, before the resource's step runs.
 */
import * as assert from "node:assert/strict";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { policies } from "../../policy/policies";
import { T } from "../../policy/lib/resource-types";
import { ADMIN_ARN, goodStack } from "./fixtures";
import {
  assertAccepted,
  assertRejected,
  byName,
  runAll,
  runResource,
  UNKNOWN,
  urnOf,
  type Outcome,
  type ResourceInput,
} from "./harness";

const R = (name: string) => byName(name) as ResourceValidationPolicy;
const messages = (o: Outcome) => o.diagnostics.map((d) => `${d.enforcementLevel}: ${d.message}`);

const admin = (arn = ADMIN_ARN) => arn;
const STAR = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
});

describe("policy pack: the program's own stack", () => {
  it("passes every policy with no finding", async () => {
    assert.deepEqual(await runAll(goodStack()), []);
  });
  it("names each policy once, with severity, remediation steps and a docs URL beside its code", () => {
    assert.equal(new Set(policies.map((p) => p.name)).size, policies.length);
    for (const p of policies) {
      assert.ok(p.severity && p.remediationSteps && p.url?.endsWith(`#${p.name}`), p.name);
    }
  });
});

describe("prevention: credentials go to the bootstrap user only (credentials-bootstrap-user-only)", () => {
  const P = ["credentials-bootstrap-user-only"];
  it("rejects a console password for an existing user (passed before)", () =>
    assertRejected(
      { type: T.loginProfile, props: { user: "ops-deployer", passwordLength: 30, pgpKey: "k" } },
      P,
      '"ops-deployer"',
      "console login profile",
    ));
  it("rejects an access key, SSH key, signing certificate and service credential for another user", async () => {
    await assertRejected(
      { type: T.accessKey, props: { user: "ops-deployer", pgpKey: "k" } },
      P,
      "access key",
    );
    await assertRejected(
      { type: T.sshKey, props: { username: "ops", publicKey: "ssh-rsa A", encoding: "SSH" } },
      P,
      "SSH public key",
    );
    await assertRejected(
      { type: T.signingCertificate, props: { userName: "ops", certificateBody: "x" } },
      P,
      "signing certificate",
    );
    await assertRejected(
      {
        type: T.serviceSpecificCredential,
        props: { userName: "ops", serviceName: "codecommit.amazonaws.com" },
      },
      P,
      "service-specific credential",
    );
    await assertRejected({ type: "aws-native:iam:AccessKey", props: { userName: "ops" } }, P, "access key");
  });
  it("accepts each for the bootstrap user, in any letter case", async () => {
    await assertAccepted({
      type: T.sshKey,
      props: { username: "MGMT-org-admin", publicKey: "ssh-rsa A", encoding: "SSH" },
    });
    await assertAccepted({ type: T.accessKey, props: { user: "mgmt-org-admin", pgpKey: "k" } });
  });
});

describe("prevention: administrator permissions go to the bootstrap user only (administrator-bootstrap-user-only)", () => {
  const P = ["administrator-bootstrap-user-only"];
  it("rejects AdministratorAccess for another user through UserPolicyAttachment or PolicyAttachment (passed before)", async () => {
    await assertRejected(
      { type: T.userPolicyAttachment, props: { user: "ops-deployer", policyArn: admin() } },
      P,
      '"ops-deployer"',
    );
    await assertRejected(
      {
        type: T.policyAttachment,
        props: {
          users: ["ops-deployer"],
          policyArn: admin("arn:aws-us-gov:iam::aws:policy/AdministratorAccess"),
        },
      },
      P,
    );
  });
  it("rejects a role with AdministratorAccess trusting a foreign account (passed before)", () =>
    assertRejected(
      {
        type: T.role,
        name: "x",
        props: { name: "break-glass", assumeRolePolicy: "{}", managedPolicyArns: [admin()] },
      },
      P,
      "role",
    ));
  it("rejects groups and roles through attachments, inline policies and the *Exclusive resources", async () => {
    await assertRejected(
      { type: T.groupPolicyAttachment, props: { group: "admins", policyArn: admin() } },
      P,
      "group",
    );
    await assertRejected(
      {
        type: T.rolePolicyAttachment,
        props: { role: "r", policyArn: admin("arn:aws-cn:iam::aws:policy/AdministratorAccess") },
      },
      P,
    );
    await assertRejected({ type: T.rolePolicy, props: { role: "r", policy: STAR } }, P, "allows * on *");
    await assertRejected(
      {
        type: T.groupPolicy,
        props: {
          group: "g",
          policy: { Statement: { Effect: "Allow", NotAction: "iam:X", Resource: ["*"] } },
        },
      },
      P,
    );
    await assertRejected({ type: T.userPolicy, props: { user: "ops", policy: STAR } }, P);
    await assertRejected(
      { type: T.groupPolicyAttachmentsExclusive, props: { groupName: "g", policyArns: [admin()] } },
      P,
    );
    await assertRejected(
      { type: T.rolePolicyAttachmentsExclusive, props: { roleName: "r", policyArns: [admin()] } },
      P,
    );
    await assertRejected(
      { type: T.role, props: { name: "r", inlinePolicies: [{ name: "i", policy: STAR }] } },
      P,
    );
    await assertRejected({ type: T.policy, props: { policy: STAR } }, P, "home-made");
  });
  it("rejects an exclusive attachment set that would detach AdministratorAccess from the bootstrap user (passed before)", () =>
    assertRejected(
      { type: T.userPolicyAttachmentsExclusive, props: { userName: "mgmt-org-admin", policyArns: [] } },
      P,
      "detach",
    ));
  it("accepts AdministratorAccess for the bootstrap user and non-admin grants for others", async () => {
    await assertAccepted({
      type: T.userPolicyAttachmentsExclusive,
      props: { userName: "mgmt-org-admin", policyArns: [admin()] },
    });
    await assertAccepted({
      type: T.rolePolicyAttachment,
      props: { role: "r", policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
    });
    await assertAccepted({
      type: T.rolePolicy,
      props: {
        role: "r",
        policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] }),
      },
    });
  });
});

describe("prevention: the bootstrap user joins no group (bootstrap-user-no-groups)", () => {
  const P = ["bootstrap-user-no-groups"];
  it("rejects every membership resource, whatever the case of the name", async () => {
    await assertRejected(
      { type: T.userGroupMembership, name: "m", props: { user: "MGMT-Org-Admin", groups: ["admins"] } },
      P,
      '"admins"',
    );
    await assertRejected(
      { type: T.groupMembership, props: { group: "ops", users: ["alice", "mgmt-org-admin"] } },
      P,
      '"ops"',
    );
    await assertRejected(
      { type: "aws-native:iam:UserToGroupAddition", props: { groupName: "ops", users: ["mgmt-org-admin"] } },
      P,
    );
  });
  it("rejects Cloud Control UserToGroupAddition and CloudFormation templates, JSON and YAML (passed before)", async () => {
    const desiredState = JSON.stringify({ GroupName: "ops", Users: ["mgmt-org-admin"] });
    await assertRejected(
      { type: T.cloudControl, props: { typeName: "AWS::IAM::UserToGroupAddition", desiredState } },
      P,
      "Cloud Control",
    );
    const yaml =
      "Resources:\n  U:\n    Type: AWS::IAM::User\n    Properties:\n      UserName: mgmt-org-admin\n  Add:\n    Type: AWS::IAM::UserToGroupAddition\n    Properties:\n      GroupName: !Sub '${AWS::StackName}-ops'\n      Users: [!Ref U]\n";
    const ds = (await runAll([{ type: T.cfnStack, name: "s", props: { templateBody: yaml } }])).filter(
      (d) => d.enforcementLevel === "mandatory",
    );
    assert.ok(
      ds.some((d) => d.policyName === "bootstrap-user-no-groups"),
      JSON.stringify(ds),
    );
  });
  it("accepts memberships of other users", () =>
    assertAccepted({ type: T.groupMembership, props: { group: "ops", users: ["alice"] } }));
});

describe("prevention: no IAM Identity Center (no-identity-center)", () => {
  const P = ["no-identity-center"];
  it("rejects ssoadmin, identitystore and aws-native sso resources", async () => {
    await assertRejected({ type: "aws:ssoadmin/permissionSet:PermissionSet", props: { name: "x" } }, P);
    await assertRejected({ type: "aws-native:sso:PermissionSet", props: { name: "x" } }, P);
  });
  it("rejects Cloud Control and CloudFormation SSO types, and Identity Center through Organizations (passed before)", async () => {
    await assertRejected(
      { type: T.cloudControl, props: { typeName: "AWS::SSO::PermissionSet", desiredState: "{}" } },
      P,
    );
    await assertRejected(
      {
        type: T.cfnStack,
        props: {
          templateBody: JSON.stringify({
            Resources: { P: { Type: "AWS::SSO::PermissionSet", Properties: {} } },
          }),
        },
      },
      P,
    );
    await assertRejected(
      {
        type: T.organization,
        props: {
          awsServiceAccessPrincipals: ["cloudtrail.amazonaws.com", "sso.amazonaws.com"],
          featureSet: "ALL",
        },
      },
      P,
      "sso.amazonaws.com",
    );
    await assertRejected(
      {
        type: T.delegatedAdministrator,
        props: { accountId: "123456789012", servicePrincipal: "sso.amazonaws.com" },
      },
      P,
    );
  });
  it("accepts an organization without Identity Center", () =>
    assertAccepted({
      type: T.organization,
      props: { awsServiceAccessPrincipals: ["cloudtrail.amazonaws.com"], featureSet: "ALL" },
    }));
});

describe("prevention: names, passwords, templates", () => {
  it("bootstrap-user-name rejects another or an unnamed IAM user, in every door", async () => {
    await assertRejected({ type: T.user, props: { name: "alice" } }, ["bootstrap-user-name"], '"alice"');
    await assertRejected({ type: T.user, props: {} }, ["bootstrap-user-name"], "no explicit user name");
    await assertRejected(
      { type: T.cloudControl, props: { typeName: "AWS::IAM::User", desiredState: '{"UserName":"bob"}' } },
      ["bootstrap-user-name"],
      '"bob"',
    );
  });
  it("management-account-name judges the stack config on the stack resource and every alias", async () => {
    const bad = await runAll(
      [
        { type: T.stack, props: {} },
        { type: T.accountAlias, props: { accountAlias: "acme-prod" } },
      ],
      {
        "management-bootstrap:projectName": "Acme!",
        "management-bootstrap:accountName": "acme-prod",
      },
    );
    assert.equal(
      bad.filter((d) => d.policyName === "management-account-name").length,
      3,
      JSON.stringify(bad),
    );
  });
  it("bootstrap-user-password-strength rejects short or non-numeric passwordLength", async () => {
    await assertRejected(
      { type: T.loginProfile, props: { user: "mgmt-org-admin", passwordLength: 8, pgpKey: "k" } },
      ["bootstrap-user-password-strength"],
      "below the minimum 20",
    );
    await assertRejected(
      { type: T.loginProfile, props: { user: "mgmt-org-admin", passwordLength: "30", pgpKey: "k" } },
      ["bootstrap-user-password-strength"],
      "not a whole number",
    );
  });
  it("inspectable-templates rejects an unreadable template and a templateUrl-only stack (advisory before)", async () => {
    await assertRejected({ type: T.cfnStack, props: { templateBody: "Resources: [unclosed" } }, [
      "inspectable-templates",
    ]);
    await assertRejected(
      { type: T.cloudControl, props: { typeName: "AWS::IAM::User", desiredState: "{nope" } },
      ["inspectable-templates"],
    );
    const ds = await runAll([{ type: T.cfnStack, props: { templateUrl: "https://example.com/t.yaml" } }]);
    assert.deepEqual(
      ds.map((d) => [d.policyName, d.enforcementLevel]),
      [["inspectable-templates", "mandatory"]],
    );
    assert.match(ds[0].message, /cannot inspect: its template is read from templateUrl/);
  });
  it("a CloudFormation intrinsic where a rule needs a literal is a violation, not a pass", async () => {
    const body = JSON.stringify({
      Parameters: { U: { Type: "String" } },
      Resources: { K: { Type: "AWS::IAM::AccessKey", Properties: { UserName: { Ref: "U" } } } },
    });
    await assertRejected(
      { type: T.cfnStack, props: { templateBody: body } },
      ["credentials-bootstrap-user-only"],
      "intrinsic",
    );
  });
  it("a nested CloudFormation stack is read too", async () => {
    const inner = { Resources: { K: { Type: "AWS::IAM::AccessKey", Properties: { UserName: "ops" } } } };
    const outer = {
      Resources: { N: { Type: "AWS::CloudFormation::Stack", Properties: { TemplateBody: inner } } },
    };
    await assertRejected({ type: T.cfnStack, props: { templateBody: JSON.stringify(outer) } }, [
      "credentials-bootstrap-user-only",
    ]);
  });
});

describe("detection: what needs the whole stack (stack policies)", () => {
  it("reports a bootstrap user without console access, AdministratorAccess, or with too many keys", async () => {
    const user = goodStack()[1];
    const ds = await runAll([
      user,
      { type: T.accessKey, name: "k1", props: { user: "mgmt-org-admin", pgpKey: "k" } },
      { type: T.accessKey, name: "k2", props: { user: "mgmt-org-admin", pgpKey: "k" } },
    ]);
    const names = ds
      .filter((d) => d.enforcementLevel === "mandatory")
      .map((d) => d.policyName)
      .sort();
    assert.deepEqual(names, [
      "bootstrap-user-access-keys",
      "bootstrap-user-administrator-access",
      "bootstrap-user-console-access",
    ]);
    assert.equal(
      ds.find((d) => d.policyName === "bootstrap-user-access-keys")?.urn,
      urnOf(T.accessKey, "k2"),
    );
  });
  it("a group's AdministratorAccess does not count as the bootstrap user's", async () => {
    const stack = goodStack().filter((r) => r.type !== T.userPolicyAttachment);
    stack.push({ type: T.groupPolicyAttachment, props: { group: "g", policyArn: ADMIN_ARN } });
    const ds = await runAll(stack);
    assert.ok(ds.some((d) => d.policyName === "bootstrap-user-administrator-access"));
  });
  it("a stack without the bootstrap user has nothing to detect", async () => {
    const ds = await runAll([{ type: T.stack, props: {} }]);
    assert.deepEqual(ds, []);
  });
});

describe("unknowns hide nothing", () => {
  it("the decoy: an access key with an unknown user is advisory for that key only; the real violator is still rejected", async () => {
    const decoy: ResourceInput = {
      type: T.accessKey,
      name: "decoy",
      props: { user: UNKNOWN.string, pgpKey: "k" },
    };
    const real: ResourceInput = {
      type: T.accessKey,
      name: "real",
      props: { user: "ops-deployer", pgpKey: "k" },
    };
    const ds = await runAll([...goodStack(), decoy, real]);
    const mandatory = ds.filter((d) => d.enforcementLevel === "mandatory");
    assert.deepEqual(
      mandatory.map((d) => [d.policyName, d.urn]),
      [["credentials-bootstrap-user-only", urnOf(T.accessKey, "real")]],
    );
    const advisory = ds.filter((d) => d.enforcementLevel === "advisory");
    assert.ok(
      advisory.length > 0 && advisory.every((d) => d.urn === urnOf(T.accessKey, "decoy")),
      JSON.stringify(advisory),
    );
    assert.match(advisory[0].message, /cannot check the user of its access key during preview/);
  });
  it("a stack policy judges every other resource when one is unknown", async () => {
    const stack = goodStack().filter((r) => r.type !== T.loginProfile);
    stack.splice(1, 0, {
      type: T.loginProfile,
      name: "unknown-user",
      props: { user: UNKNOWN.string, passwordLength: 30, pgpKey: "k" },
    });
    const ds = await runAll(stack);
    assert.ok(
      ds.every((d) => d.enforcementLevel === "advisory"),
      JSON.stringify(ds),
    );
    assert.ok(
      ds.some(
        (d) =>
          d.policyName === "bootstrap-user-console-access" && d.urn === urnOf(T.loginProfile, "unknown-user"),
      ),
    );
  });
  it("an unknown desiredState, template or group list is advisory, and known members still count", async () => {
    const ds = await runAll([
      {
        type: T.cloudControl,
        name: "cc",
        props: { typeName: "AWS::IAM::User", desiredState: UNKNOWN.string },
      },
    ]);
    assert.ok(
      ds.length > 0 && ds.every((d) => d.enforcementLevel === "advisory" && /during preview/.test(d.message)),
    );
    await assertRejected(
      { type: T.groupMembership, props: { group: "ops", users: [UNKNOWN.string, "mgmt-org-admin"] } },
      ["bootstrap-user-no-groups"],
    );
  });
});

describe("advisory rules", () => {
  it("bootstrap-user-no-extra-permissions, bootstrap-credentials-encrypted and bootstrap-user-temporary advise", async () => {
    const ds = await runAll([
      {
        type: T.user,
        name: "u",
        props: { name: "mgmt-org-admin", permissionsBoundary: "arn:aws:iam::1:policy/b" },
      },
      {
        type: T.userPolicyAttachment,
        props: { user: "mgmt-org-admin", policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
      },
      { type: T.loginProfile, props: { user: "mgmt-org-admin", passwordLength: 30 } },
    ]);
    const advised = new Set(ds.filter((d) => d.enforcementLevel === "advisory").map((d) => d.policyName));
    for (const n of [
      "bootstrap-user-no-extra-permissions",
      "bootstrap-credentials-encrypted",
      "bootstrap-user-temporary",
    ])
      assert.ok(advised.has(n), n);
  });
  it("bootstrap-user-temporary accepts the tags from the provider's defaultTags", async () => {
    const o = await runResource(R("bootstrap-user-temporary"), {
      type: T.user,
      props: { name: "mgmt-org-admin" },
      provider: {
        type: "pulumi:providers:aws",
        name: "p",
        props: {
          defaultTags: JSON.stringify({
            tags: { Purpose: "leverage-bootstrap", Temporary: "true", ManagedBy: "pulumi" },
          }),
        },
      },
    });
    assert.deepEqual(messages(o), []);
  });
});
