import * as assert from "node:assert/strict";
import type { Policy, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { BOOTSTRAP_USER_TAGS } from "../../lib/naming";
import { bootstrapCredentialsEncrypted } from "../../policy/policies/bootstrap-credentials-encrypted";
import { bootstrapUserAccessKeys } from "../../policy/policies/bootstrap-user-access-keys";
import { bootstrapUserAdministratorAccess } from "../../policy/policies/bootstrap-user-administrator-access";
import { bootstrapUserConsoleAccess } from "../../policy/policies/bootstrap-user-console-access";
import { bootstrapUserName } from "../../policy/policies/bootstrap-user-name";
import { bootstrapUserNoExtraPermissions } from "../../policy/policies/bootstrap-user-no-extra-permissions";
import { bootstrapUserNoGroups } from "../../policy/policies/bootstrap-user-no-groups";
import { bootstrapUserPasswordStrength } from "../../policy/policies/bootstrap-user-password-strength";
import { bootstrapUserTemporary } from "../../policy/policies/bootstrap-user-temporary";
import { managementAccountName } from "../../policy/policies/management-account-name";
import { noIdentityCenter } from "../../policy/policies/no-identity-center";
import { policies } from "../../policy/policies";
import { T } from "../../policy/lib/resource-types";
import { ADMIN_ARN, GOOD_STACK_ENV, goodStack } from "./fixtures";
import {
  runPolicy,
  runResource,
  runStack,
  UNKNOWN,
  secret,
  urnOf,
  withEnv,
  type Outcome,
  type ResourceInput,
} from "./harness";

const R = (p: Policy) => p as ResourceValidationPolicy;
const S = (p: Policy) => p as StackValidationPolicy;

function messages(o: Outcome): string[] {
  return o.diagnostics.map((d) => d.message);
}

/** Exactly one violation at the policy's own level, whose message contains every fragment. */
function assertOneViolation(o: Outcome, level: string, ...fragments: string[]) {
  assert.equal(o.diagnostics.length, 1, `expected one violation, got: ${JSON.stringify(messages(o))}`);
  assert.equal(o.diagnostics[0].enforcementLevel, level);
  for (const f of fragments)
    assert.ok(o.diagnostics[0].message.includes(f), `missing "${f}" in: ${o.diagnostics[0].message}`);
}

function assertClean(o: Outcome) {
  assert.deepEqual(messages(o), []);
}

describe("policy pack: the program's own stack", () => {
  it("passes every policy with no finding", async () => {
    await withEnv(GOOD_STACK_ENV, async () => {
      for (const p of policies) {
        const o = await runPolicy(p, goodStack());
        assert.deepEqual(messages(o), [], p.name);
      }
    });
  });
});

describe("bootstrap-user-no-groups", () => {
  const p = R(bootstrapUserNoGroups);
  it("rejects UserGroupMembership of the bootstrap user, whatever the case of its name", async () => {
    const o = await runResource(p, {
      type: T.userGroupMembership,
      name: "m",
      props: { user: "MGMT-Org-Admin", groups: ["admins"] },
    });
    assertOneViolation(o, "mandatory", 'UserGroupMembership "m"', '"MGMT-Org-Admin"', '"admins"', "remove");
  });
  it("rejects GroupMembership listing the bootstrap user", async () => {
    const o = await runResource(p, {
      type: T.groupMembership,
      name: "g",
      props: { group: "ops", users: ["alice", "mgmt-org-admin"] },
    });
    assertOneViolation(o, "mandatory", 'GroupMembership "g"', '"ops"');
  });
  it("rejects aws-native group additions and inline groups", async () => {
    assertOneViolation(
      await runResource(p, {
        type: T.nativeUserToGroupAddition,
        props: { groupName: "ops", users: ["mgmt-org-admin"] },
      }),
      "mandatory",
      '"ops"',
    );
    assertOneViolation(
      await runResource(p, { type: T.nativeUser, props: { userName: "mgmt-org-admin", groups: ["ops"] } }),
      "mandatory",
      '"groups"',
    );
  });
  it("passes memberships of other users and honours a configured user name", async () => {
    assertClean(
      await runResource(p, { type: T.userGroupMembership, props: { user: "alice", groups: ["admins"] } }),
    );
    const cfg = { config: { userName: "bootstrap" } };
    assertClean(
      await runResource(
        p,
        { type: T.userGroupMembership, props: { user: "mgmt-org-admin", groups: ["x"] } },
        cfg,
      ),
    );
    assertOneViolation(
      await runResource(p, { type: T.userGroupMembership, props: { user: "Bootstrap", groups: ["x"] } }, cfg),
      "mandatory",
    );
  });
  it("reports an unknown user during preview as an advisory 'can't run', as the engine does", async () => {
    const o = await runResource(p, {
      type: T.userGroupMembership,
      props: { user: UNKNOWN.string, groups: ["x"] },
    });
    assertOneViolation(o, "advisory", "can't run", "during preview");
  });
});

describe("management-account-name", () => {
  const p = S(managementAccountName);
  const env = (cfg: Record<string, string>) => ({
    PULUMI_PROJECT: "management-bootstrap",
    PULUMI_CONFIG: JSON.stringify(
      Object.fromEntries(Object.entries(cfg).map(([k, v]) => [`management-bootstrap:${k}`, v])),
    ),
  });
  it("passes a matching account name, project and alias", async () => {
    await withEnv(env({ projectName: "acme", accountName: "acme-management" }), async () => {
      assertClean(await runStack(p, [{ type: T.accountAlias, props: { accountAlias: "acme-management" } }]));
    });
  });
  it('reads the declared default accountName "" as <projectName>-management, like the program', async () => {
    await withEnv(env({ projectName: "acme", accountName: "" }), async () => {
      assertClean(await runStack(p, []));
    });
    await withEnv(env({ projectName: "Acme_Corp", accountName: "" }), async () => {
      assertOneViolation(await runStack(p, []), "mandatory", "not a Leverage project name");
    });
  });
  it("rejects a stack accountName that is not <projectName>-management", async () => {
    await withEnv(env({ projectName: "acme", accountName: "acme-root" }), async () => {
      assertOneViolation(
        await runStack(p, []),
        "mandatory",
        "management-bootstrap:accountName",
        '"acme-root"',
        '"acme-management"',
      );
    });
  });
  it("rejects an AccountAlias that does not match, naming the resource", async () => {
    await withEnv(env({ projectName: "acme" }), async () => {
      const o = await runStack(p, [
        { type: T.accountAlias, name: "alias", props: { accountAlias: "acme-prod" } },
      ]);
      assertOneViolation(o, "mandatory", 'AccountAlias "alias"', '"acme-prod"', '"acme-management"');
      assert.equal(o.diagnostics[0].urn, urnOf(T.accountAlias, "alias"));
    });
  });
  it("rejects an invalid Leverage project name and a project that differs from the policy's", async () => {
    await withEnv(env({ projectName: "Acme_Corp" }), async () => {
      assertOneViolation(await runStack(p, []), "mandatory", "not a Leverage project name");
    });
    await withEnv(env({ projectName: "other" }), async () => {
      const o = await runStack(p, [], { config: { projectName: "acme" } });
      assertOneViolation(o, "mandatory", '"other"', 'project "acme"');
    });
  });
  it("without a known project, still demands <valid project>-management", async () => {
    await withEnv(
      { PULUMI_PROJECT: undefined, PULUMI_NODEJS_PROJECT: undefined, PULUMI_CONFIG: undefined },
      async () => {
        assertClean(await runStack(p, [{ type: T.accountAlias, props: { accountAlias: "bbl-management" } }]));
        assertOneViolation(
          await runStack(p, [{ type: T.accountAlias, props: { accountAlias: "bbl-prod" } }]),
          "mandatory",
          'end in "-management"',
        );
        assertOneViolation(
          await runStack(p, [{ type: T.accountAlias, props: {} }]),
          "mandatory",
          "not a name",
        );
      },
    );
  });
  it("is not applicable when nothing names the account", async () => {
    await withEnv({ PULUMI_PROJECT: "management-bootstrap", PULUMI_CONFIG: "{}" }, async () => {
      const o = await runStack(p, [{ type: T.user, props: { name: "x" } }]);
      assert.match(o.notApplicable ?? "", /no projectName/);
    });
  });
});

describe("bootstrap-user-name", () => {
  const p = S(bootstrapUserName);
  it("passes a single user named as configured (case-insensitively)", async () => {
    assertClean(await runStack(p, [{ type: T.user, props: { name: "Mgmt-Org-Admin" } }]));
    assertClean(
      await runStack(p, [{ type: T.user, props: { name: "boot" } }], { config: { userName: "boot" } }),
    );
  });
  it("rejects a user with another name, naming it and the expected name", async () => {
    const o = await runStack(p, [{ type: T.user, name: "u", props: { name: "admin" } }]);
    assertOneViolation(o, "mandatory", 'User "u"', '"admin"', '"mgmt-org-admin"');
  });
  it("rejects a user without an explicit name", async () => {
    assertOneViolation(
      await runStack(p, [{ type: T.user, name: "u", props: {} }]),
      "mandatory",
      "no explicit user name",
    );
  });
  it("rejects more than one IAM user in the stack", async () => {
    const o = await runStack(p, [
      { type: T.user, name: "a", props: { name: "mgmt-org-admin" } },
      { type: T.user, name: "b", props: { name: "MGMT-ORG-ADMIN" } },
    ]);
    assertOneViolation(o, "mandatory", "2 IAM users");
  });
  it("is not applicable to a stack without IAM users", async () => {
    assert.match(
      (await runStack(p, [{ type: T.accountAlias, props: {} }])).notApplicable ?? "",
      /no IAM user/,
    );
  });
});

describe("bootstrap-user-console-access", () => {
  const p = S(bootstrapUserConsoleAccess);
  const user: ResourceInput = { type: T.user, name: "u", props: { name: "mgmt-org-admin" } };
  it("passes when a login profile names the bootstrap user", async () => {
    assertClean(await runStack(p, [user, { type: T.loginProfile, props: { user: "MGMT-ORG-ADMIN" } }]));
  });
  it("rejects a bootstrap user without a login profile", async () => {
    const o = await runStack(p, [user, { type: T.loginProfile, props: { user: "alice" } }]);
    assertOneViolation(o, "mandatory", 'User "u"', "no console login profile", "UserLoginProfile");
    assert.equal(o.diagnostics[0].urn, urnOf(T.user, "u"));
  });
});

describe("bootstrap-user-administrator-access", () => {
  const p = S(bootstrapUserAdministratorAccess);
  const user: ResourceInput = { type: T.user, name: "u", props: { name: "mgmt-org-admin" } };
  it("passes AdministratorAccess attached directly, in every partition and by every attachment resource", async () => {
    for (const partition of ["aws", "aws-us-gov", "aws-cn"]) {
      const arn = `arn:${partition}:iam::aws:policy/AdministratorAccess`;
      assertClean(
        await runStack(p, [
          user,
          { type: T.userPolicyAttachment, props: { user: "mgmt-org-admin", policyArn: arn } },
        ]),
      );
    }
    assertClean(
      await runStack(p, [
        user,
        { type: T.policyAttachment, props: { users: ["mgmt-org-admin"], policyArn: ADMIN_ARN } },
      ]),
    );
    assertClean(
      await runStack(p, [
        user,
        {
          type: T.userPolicyAttachmentsExclusive,
          props: { userName: "mgmt-org-admin", policyArns: [ADMIN_ARN] },
        },
      ]),
    );
  });
  it("rejects a bootstrap user whose admin access comes through a group, another policy, or a made-up partition", async () => {
    for (const extra of [
      { type: T.policyAttachment, props: { groups: ["admins"], policyArn: ADMIN_ARN } },
      {
        type: T.userPolicyAttachment,
        props: { user: "mgmt-org-admin", policyArn: "arn:aws:iam::aws:policy/PowerUserAccess" },
      },
      {
        type: T.userPolicyAttachment,
        props: { user: "mgmt-org-admin", policyArn: "arn:evil:iam::aws:policy/AdministratorAccess" },
      },
    ]) {
      assertOneViolation(await runStack(p, [user, extra]), "mandatory", 'User "u"', "AdministratorAccess");
    }
  });
});

describe("no-identity-center", () => {
  const p = R(noIdentityCenter);
  it("rejects ssoadmin and identitystore resources of either provider", async () => {
    for (const type of [
      "aws:ssoadmin/permissionSet:PermissionSet",
      "aws:identitystore/group:Group",
      "aws-native:sso:Assignment",
      "aws-native:identitystore:GroupMembership",
    ]) {
      assertOneViolation(
        await runResource(p, { type, name: "sso" }),
        "mandatory",
        '"sso"',
        "Identity Center",
      );
    }
  });
  it("passes IAM resources", async () => {
    assertClean(await runResource(p, { type: T.user, props: { name: "mgmt-org-admin" } }));
  });
});

describe("bootstrap-user-password-strength", () => {
  const p = R(bootstrapUserPasswordStrength);
  it("passes the provider default and longer passwords", async () => {
    assertClean(await runResource(p, { type: T.loginProfile, props: { user: "mgmt-org-admin" } }));
    assertClean(await runResource(p, { type: T.loginProfile, props: { passwordLength: 30 } }));
  });
  it("rejects a short passwordLength, naming the length and the minimum", async () => {
    assertOneViolation(
      await runResource(p, {
        type: T.loginProfile,
        name: "lp",
        props: { user: "mgmt-org-admin", passwordLength: 12 },
      }),
      "mandatory",
      'UserLoginProfile "lp"',
      "12",
      "20",
    );
  });
  it("uses the configured minimum, including for an unset length", async () => {
    const cfg = { config: { minimumPasswordLength: 30 } };
    assertOneViolation(
      await runResource(p, { type: T.loginProfile, props: {} }, cfg),
      "mandatory",
      "unset",
      "30",
    );
    assertClean(await runResource(p, { type: T.loginProfile, props: { passwordLength: 30 } }, cfg));
  });
  it("rejects a passwordLength that is not a whole number", async () => {
    assertOneViolation(
      await runResource(p, { type: T.loginProfile, props: { passwordLength: "long" } }),
      "mandatory",
      '"long"',
      "whole number",
    );
  });
});

describe("bootstrap-user-access-keys", () => {
  const p = S(bootstrapUserAccessKeys);
  it("passes one key of the bootstrap user", async () => {
    assertClean(await runStack(p, [{ type: T.accessKey, props: { user: "mgmt-org-admin" } }]));
  });
  it("rejects a second key and a key of another user, each on its resource", async () => {
    const o = await runStack(p, [
      { type: T.accessKey, name: "k1", props: { user: "mgmt-org-admin" } },
      { type: T.accessKey, name: "k2", props: { user: "MGMT-ORG-ADMIN" } },
      { type: T.accessKey, name: "k3", props: { user: "ci-bot" } },
    ]);
    assert.equal(o.diagnostics.length, 2, JSON.stringify(messages(o)));
    const byUrn = new Map(o.diagnostics.map((d) => [d.urn, d.message]));
    assert.match(byUrn.get(urnOf(T.accessKey, "k2")) ?? "", /number 2 .*at most 1/);
    assert.match(byUrn.get(urnOf(T.accessKey, "k3")) ?? "", /"ci-bot".*not the bootstrap user/);
  });
  it("follows the configured maximum", async () => {
    const keys = [
      { type: T.accessKey, props: { user: "mgmt-org-admin" } },
      { type: T.accessKey, props: { user: "mgmt-org-admin" } },
    ];
    assertClean(await runStack(p, keys, { config: { maximumAccessKeys: 2 } }));
    assertOneViolation(
      await runStack(p, keys.slice(0, 1), { config: { maximumAccessKeys: 0 } }),
      "mandatory",
      "at most 0",
    );
  });
});

describe("bootstrap-user-no-extra-permissions", () => {
  const p = R(bootstrapUserNoExtraPermissions);
  it("flags inline policies, other managed policies and a permissions boundary on the bootstrap user", async () => {
    const cases: ResourceInput[] = [
      { type: T.userPolicy, props: { user: "mgmt-org-admin", policy: "{}" } },
      { type: T.userPoliciesExclusive, props: { userName: "mgmt-org-admin", policyNames: ["inline"] } },
      {
        type: T.userPolicyAttachment,
        props: { user: "mgmt-org-admin", policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
      },
      {
        type: T.policyAttachment,
        props: { users: ["mgmt-org-admin"], policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
      },
      {
        type: T.userPolicyAttachmentsExclusive,
        props: { userName: "mgmt-org-admin", policyArns: [ADMIN_ARN, "arn:aws:iam::1:policy/x"] },
      },
      { type: T.user, props: { name: "mgmt-org-admin", permissionsBoundary: "arn:aws:iam::1:policy/b" } },
    ];
    for (const c of cases) assertOneViolation(await runResource(p, c), "advisory", "mgmt-org-admin");
  });
  it("passes AdministratorAccess itself and other users' policies", async () => {
    assertClean(
      await runResource(p, {
        type: T.userPolicyAttachment,
        props: { user: "mgmt-org-admin", policyArn: ADMIN_ARN },
      }),
    );
    assertClean(await runResource(p, { type: T.userPolicy, props: { user: "alice", policy: "{}" } }));
    assertClean(
      await runResource(p, { type: T.user, props: { name: "mgmt-org-admin", permissionsBoundary: "" } }),
    );
  });
});

describe("bootstrap-credentials-encrypted", () => {
  const p = R(bootstrapCredentialsEncrypted);
  it("flags a login profile and an access key without pgpKey", async () => {
    assertOneViolation(
      await runResource(p, { type: T.loginProfile, name: "lp", props: { user: "mgmt-org-admin" } }),
      "advisory",
      'UserLoginProfile "lp"',
      "console password",
      "pgpKey",
    );
    assertOneViolation(
      await runResource(p, { type: T.accessKey, name: "k", props: { user: "mgmt-org-admin", pgpKey: "" } }),
      "advisory",
      'AccessKey "k"',
      "secret access key",
    );
  });
  it("passes encrypted credentials, also when the key arrives as a secret", async () => {
    assertClean(await runResource(p, { type: T.loginProfile, props: { pgpKey: "keybase:ops" } }));
    assertClean(await runResource(p, { type: T.accessKey, props: { pgpKey: secret("mQENBGR...") } }));
  });
});

describe("bootstrap-user-temporary", () => {
  const p = R(bootstrapUserTemporary);
  it("passes a bootstrap user with the tags, set directly or through provider defaultTags", async () => {
    assertClean(
      await runResource(p, {
        type: T.user,
        props: { name: "mgmt-org-admin", tags: { ...BOOTSTRAP_USER_TAGS } },
      }),
    );
    const provider = {
      type: "pulumi:providers:aws",
      name: "aws",
      props: { defaultTags: JSON.stringify({ tags: BOOTSTRAP_USER_TAGS }) },
    };
    assertClean(await runResource(p, { type: T.user, props: { name: "mgmt-org-admin" }, provider }));
  });
  it("flags missing or wrong tags, naming each", async () => {
    const o = await runResource(p, {
      type: T.user,
      name: "u",
      props: { name: "mgmt-org-admin", tags: { Temporary: "false" } },
    });
    assertOneViolation(
      o,
      "advisory",
      'User "u"',
      'Temporary is "false"',
      "Purpose is missing",
      "Temporary=true",
    );
  });
  it("ignores other users and follows configured tags", async () => {
    assertClean(await runResource(p, { type: T.user, props: { name: "alice" } }));
    assertClean(
      await runResource(
        p,
        { type: T.user, props: { name: "mgmt-org-admin", tags: { Owner: "ops" } } },
        { config: { requiredTags: { Owner: "ops" } } },
      ),
    );
  });
});
