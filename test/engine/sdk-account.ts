/**
 * The stand-in provider's IAM and STS work against a real endpoint (AWS_ENDPOINT_URL: moto in the
 * engine tests, or one a reader started with `npm run engine:moto`) through the AWS SDK for
 * JavaScript v3, as terraform-provider-aws does it with the Go SDK: Create, Read (refresh),
 * Update, Delete of the types the program and the fixtures declare, and getCallerIdentity. What
 * the provider computes itself (Check, Diff, generated passwords, PGP) stays in gate/fake-aws.ts.
 *
 * Not here, so on the file account (file-account.ts) or in no account at all, each with why:
 * - random's RandomId: no cloud resource, the provider computes it;
 * - ssoadmin PermissionSet (identity-center fixture): only previewed, never created by a test,
 *   and needs an Identity Center instance ARN the program does not declare;
 * - cloudformation Stack/StackSet, lambda Invocation, ssm Association, servicecatalog
 *   ProvisionedProduct (attacks fixture): the pack refuses each before its step, so no Create
 *   reaches a provider; a Create that did would be a failed test, not a resource to keep;
 * - organizations Organization: neither index.ts nor a fixture declares it.
 */
import {
  AddUserToGroupCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateAccountAliasCommand,
  CreateGroupCommand,
  CreateLoginProfileCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeactivateMFADeviceCommand,
  DeleteAccessKeyCommand,
  DeleteAccountAliasCommand,
  DeleteGroupCommand,
  DeleteLoginProfileCommand,
  DeleteRoleCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DeleteVirtualMFADeviceCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetGroupCommand,
  GetLoginProfileCommand,
  GetRoleCommand,
  GetUserCommand,
  IAMClient,
  ListAccountAliasesCommand,
  RemoveUserFromGroupCommand,
  TagUserCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
  paginateListAccessKeys,
  paginateListAttachedRolePolicies,
  paginateListAttachedUserPolicies,
  paginateListGroupsForUser,
  paginateListMFADevices,
  paginateListUserPolicies,
  type Tag,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { T } from "../../policy/lib/resource-types";
import * as fake from "../../gate/fake-aws";

type Props = fake.Props;

const GROUP = "aws:iam/group:Group";

/** The types done against the endpoint. */
export const SDK_TYPES: readonly string[] = [
  T.user,
  T.loginProfile,
  T.accessKey,
  T.userPolicyAttachment,
  T.accountAlias,
  GROUP,
  T.userGroupMembership,
  T.role,
  T.rolePolicyAttachment,
];

/** Whether AWS_ENDPOINT_URL names an endpoint: then the stand-in works against it. */
export const endpoint = () => process.env.AWS_ENDPOINT_URL || undefined;

// The SDK reads AWS_ENDPOINT_URL and the credentials from the environment itself.
let clients: { iam: IAMClient; sts: STSClient } | undefined;
const sdk = (region: string) =>
  (clients ??= { iam: new IAMClient({ region }), sts: new STSClient({ region }) });

/** An SDK error as IAM words it (`Code: message`), which the engine shows as the step's failure. */
function iamError(e: unknown): Error {
  const err = e as { Code?: string; name?: string; message?: string };
  return new Error(`${err.Code ?? err.name}: ${err.message}`);
}
const notFound = (e: unknown) => (e as { name?: string }).name === "NoSuchEntityException";
/** Runs a call; NoSuchEntity is `undefined` (the resource is gone), any other error IAM's. */
async function orGone<R>(call: () => Promise<R>): Promise<R | undefined> {
  try {
    return await call();
  } catch (e) {
    if (notFound(e)) return undefined;
    throw iamError(e);
  }
}
async function call<R>(fn: () => Promise<R>): Promise<R> {
  try {
    return await fn();
  } catch (e) {
    throw iamError(e);
  }
}

const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
const toTags = (tags: unknown): Tag[] =>
  Object.entries((tags ?? {}) as Record<string, string>).map(([Key, Value]) => ({ Key, Value }));
const fromTags = (tags: Tag[] | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).map((t) => [t.Key!, t.Value ?? ""]));
async function collect<P, T>(pages: AsyncIterable<P>, items: (page: P) => T[] | undefined): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(...(items(page) ?? []));
  return all;
}

/** The provider's Create: the resource in the account, and its state (inputs plus what AWS computed). */
export async function create(
  type: string,
  inputs: Props,
  region: string,
): Promise<{ id: string; state: Props }> {
  const { iam } = sdk(region);
  const state: Props = { ...inputs };
  const user = str(inputs.user);
  switch (type) {
    case T.user: {
      const out = await call(() =>
        iam.send(
          new CreateUserCommand({
            UserName: str(inputs.name),
            Path: str(inputs.path),
            PermissionsBoundary: str(inputs.permissionsBoundary),
            Tags: toTags(inputs.tags).length > 0 ? toTags(inputs.tags) : undefined,
          }),
        ),
      );
      Object.assign(state, { arn: out.User!.Arn, uniqueId: out.User!.UserId, tagsAll: inputs.tags ?? {} });
      return { id: out.User!.UserName!, state };
    }
    case T.loginProfile: {
      const length = typeof inputs.passwordLength === "number" ? inputs.passwordLength : 20;
      const password = fake.generatePassword(length);
      await call(() =>
        iam.send(
          new CreateLoginProfileCommand({
            UserName: user,
            Password: password,
            PasswordResetRequired: inputs.passwordResetRequired === true,
          }),
        ),
      );
      Object.assign(
        state,
        await fake.credential(str(inputs.pgpKey) ?? "", password, "password", "encryptedPassword"),
      );
      return { id: user!, state };
    }
    case T.accessKey: {
      const out = await call(() => iam.send(new CreateAccessKeyCommand({ UserName: user })));
      const key = out.AccessKey!;
      if (inputs.status === "Inactive")
        await call(() =>
          iam.send(
            new UpdateAccessKeyCommand({ UserName: user, AccessKeyId: key.AccessKeyId, Status: "Inactive" }),
          ),
        );
      const secret = key.SecretAccessKey!;
      Object.assign(
        state,
        { createDate: key.CreateDate?.toISOString() },
        await fake.credential(str(inputs.pgpKey) ?? "", secret, "secret", "encryptedSecret"),
      );
      if (state.secret) state.sesSmtpPasswordV4 = fake.sesSmtpPasswordV4(secret, region);
      return { id: key.AccessKeyId!, state };
    }
    case T.userPolicyAttachment:
      await call(() =>
        iam.send(new AttachUserPolicyCommand({ UserName: user, PolicyArn: str(inputs.policyArn) })),
      );
      return { id: fake.prefixedUniqueId(`${user}-`), state };
    case T.accountAlias:
      await call(() => iam.send(new CreateAccountAliasCommand({ AccountAlias: str(inputs.accountAlias) })));
      return { id: str(inputs.accountAlias)!, state };
    case GROUP: {
      const out = await call(() =>
        iam.send(new CreateGroupCommand({ GroupName: str(inputs.name), Path: str(inputs.path) })),
      );
      Object.assign(state, { arn: out.Group!.Arn, uniqueId: out.Group!.GroupId });
      return { id: out.Group!.GroupName!, state };
    }
    case T.userGroupMembership: {
      for (const group of (inputs.groups ?? []) as string[])
        await call(() => iam.send(new AddUserToGroupCommand({ UserName: user, GroupName: group })));
      return { id: fake.prefixedUniqueId("terraform-"), state };
    }
    case T.role: {
      const out = await call(() =>
        iam.send(
          new CreateRoleCommand({
            RoleName: str(inputs.name),
            Path: str(inputs.path),
            AssumeRolePolicyDocument: str(inputs.assumeRolePolicy),
            Description: str(inputs.description),
            MaxSessionDuration:
              typeof inputs.maxSessionDuration === "number" ? inputs.maxSessionDuration : undefined,
            Tags: toTags(inputs.tags).length > 0 ? toTags(inputs.tags) : undefined,
          }),
        ),
      );
      Object.assign(state, { arn: out.Role!.Arn, uniqueId: out.Role!.RoleId, tagsAll: inputs.tags ?? {} });
      return { id: out.Role!.RoleName!, state };
    }
    case T.rolePolicyAttachment:
      await call(() =>
        iam.send(
          new AttachRolePolicyCommand({ RoleName: str(inputs.role), PolicyArn: str(inputs.policyArn) }),
        ),
      );
      return { id: fake.prefixedUniqueId(`${str(inputs.role)}-`), state };
    default:
      throw new Error(`the stand-in does not create ${type} against an endpoint`);
  }
}

/** The provider's Read (refresh): the state as the account has it now, or undefined when it is gone. */
export async function read(
  type: string,
  id: string,
  state: Props,
  region: string,
): Promise<Props | undefined> {
  const { iam } = sdk(region);
  const user = str(state.user);
  switch (type) {
    case T.user: {
      const out = await orGone(() => iam.send(new GetUserCommand({ UserName: id })));
      if (!out) return undefined;
      const tags = fromTags(out.User!.Tags);
      const hadTags = state.tags !== undefined || Object.keys(tags).length > 0;
      return {
        ...state,
        name: out.User!.UserName,
        path: out.User!.Path,
        arn: out.User!.Arn,
        uniqueId: out.User!.UserId,
        ...(out.User!.PermissionsBoundary
          ? { permissionsBoundary: out.User!.PermissionsBoundary.PermissionsBoundaryArn }
          : {}),
        ...(hadTags ? { tags } : {}),
        tagsAll: tags,
      };
    }
    case T.loginProfile: {
      const out = await orGone(() => iam.send(new GetLoginProfileCommand({ UserName: id })));
      // passwordResetRequired is kept as created: moto answers false whatever CreateLoginProfile
      // was given, and reading that back would report a drift real IAM would not.
      return out ? { ...state, user: out.LoginProfile!.UserName } : undefined;
    }
    case T.accessKey: {
      const keys = await orGone(() =>
        collect(paginateListAccessKeys({ client: iam }, { UserName: user }), (p) => p.AccessKeyMetadata),
      );
      const key = keys?.find((k) => k.AccessKeyId === id);
      return key ? { ...state, status: key.Status } : undefined;
    }
    case T.userPolicyAttachment: {
      const attached = await orGone(() =>
        collect(
          paginateListAttachedUserPolicies({ client: iam }, { UserName: user }),
          (p) => p.AttachedPolicies,
        ),
      );
      return attached?.some((p) => p.PolicyArn === state.policyArn) ? state : undefined;
    }
    case T.accountAlias: {
      const out = await call(() => iam.send(new ListAccountAliasesCommand({})));
      return out.AccountAliases?.includes(id) ? state : undefined;
    }
    case GROUP: {
      const out = await orGone(() => iam.send(new GetGroupCommand({ GroupName: id, MaxItems: 1 })));
      return out
        ? { ...state, path: out.Group!.Path, arn: out.Group!.Arn, uniqueId: out.Group!.GroupId }
        : undefined;
    }
    case T.userGroupMembership: {
      const groups = await orGone(() =>
        collect(paginateListGroupsForUser({ client: iam }, { UserName: user }), (p) => p.Groups),
      );
      const names = new Set(groups?.map((g) => g.GroupName));
      const kept = ((state.groups ?? []) as string[]).filter((g) => names.has(g));
      return kept.length > 0 ? { ...state, groups: kept } : undefined;
    }
    case T.role: {
      const out = await orGone(() => iam.send(new GetRoleCommand({ RoleName: id })));
      if (!out) return undefined;
      const { Arn, RoleId, Path, MaxSessionDuration } = out.Role!;
      return { ...state, arn: Arn, uniqueId: RoleId, path: Path, maxSessionDuration: MaxSessionDuration };
    }
    case T.rolePolicyAttachment: {
      const attached = await orGone(() =>
        collect(
          paginateListAttachedRolePolicies({ client: iam }, { RoleName: str(state.role) }),
          (p) => p.AttachedPolicies,
        ),
      );
      return attached?.some((p) => p.PolicyArn === state.policyArn) ? state : undefined;
    }
    default:
      return state;
  }
}

/** The provider's Update, for the inputs that are not ForceNew: user tags, key status, group memberships. */
export async function update(
  type: string,
  id: string,
  olds: Props,
  news: Props,
  region: string,
): Promise<void> {
  const { iam } = sdk(region);
  switch (type) {
    case T.user: {
      if (str(olds.name) !== str(news.name) || str(olds.path) !== str(news.path))
        throw new Error("the stand-in does not rename or move a user against an endpoint (UpdateUser)");
      const before = (olds.tags ?? {}) as Record<string, string>;
      const after = (news.tags ?? {}) as Record<string, string>;
      const gone = Object.keys(before).filter((k) => !(k in after));
      const set = toTags(Object.fromEntries(Object.entries(after).filter(([k, v]) => before[k] !== v)));
      if (gone.length > 0) await call(() => iam.send(new UntagUserCommand({ UserName: id, TagKeys: gone })));
      if (set.length > 0) await call(() => iam.send(new TagUserCommand({ UserName: id, Tags: set })));
      return;
    }
    case T.accessKey:
      if (olds.status !== news.status)
        await call(() =>
          iam.send(
            new UpdateAccessKeyCommand({
              UserName: str(news.user),
              AccessKeyId: id,
              Status: news.status === "Inactive" ? "Inactive" : "Active",
            }),
          ),
        );
      return;
    case T.userGroupMembership: {
      const before = new Set((olds.groups ?? []) as string[]);
      const after = new Set((news.groups ?? []) as string[]);
      const user = str(news.user);
      for (const g of before)
        if (!after.has(g))
          await call(() => iam.send(new RemoveUserFromGroupCommand({ UserName: user, GroupName: g })));
      for (const g of after)
        if (!before.has(g))
          await call(() => iam.send(new AddUserToGroupCommand({ UserName: user, GroupName: g })));
      return;
    }
    default:
      // Everything else the program can change replaces (ForceNew) or lives only in the state.
      return;
  }
}

/**
 * A user's forceDestroy, as terraform-provider-aws deletes one: first what IAM refuses to delete a
 * user with (login profile, access keys, attached and inline policies, group memberships, MFA devices).
 */
async function emptyUser(iam: IAMClient, user: string): Promise<void> {
  await orGone(() => iam.send(new DeleteLoginProfileCommand({ UserName: user })));
  for (const k of await collect(
    paginateListAccessKeys({ client: iam }, { UserName: user }),
    (p) => p.AccessKeyMetadata,
  ))
    await orGone(() => iam.send(new DeleteAccessKeyCommand({ UserName: user, AccessKeyId: k.AccessKeyId })));
  for (const p of await collect(
    paginateListAttachedUserPolicies({ client: iam }, { UserName: user }),
    (page) => page.AttachedPolicies,
  ))
    await orGone(() => iam.send(new DetachUserPolicyCommand({ UserName: user, PolicyArn: p.PolicyArn })));
  for (const name of await collect(
    paginateListUserPolicies({ client: iam }, { UserName: user }),
    (p) => p.PolicyNames,
  ))
    await orGone(() => iam.send(new DeleteUserPolicyCommand({ UserName: user, PolicyName: name })));
  for (const g of await collect(
    paginateListGroupsForUser({ client: iam }, { UserName: user }),
    (p) => p.Groups,
  ))
    await orGone(() => iam.send(new RemoveUserFromGroupCommand({ UserName: user, GroupName: g.GroupName })));
  for (const d of await collect(
    paginateListMFADevices({ client: iam }, { UserName: user }),
    (p) => p.MFADevices,
  )) {
    await orGone(() =>
      iam.send(new DeactivateMFADeviceCommand({ UserName: user, SerialNumber: d.SerialNumber })),
    );
    // A virtual device (an ARN) is deleted too; a hardware one only deactivated, as the provider does.
    if (d.SerialNumber?.startsWith("arn:"))
      await orGone(() => iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: d.SerialNumber })));
  }
}

/** The provider's Delete; a resource already gone is deleted (as the provider treats NoSuchEntity). */
export async function remove(type: string, id: string, state: Props, region: string): Promise<void> {
  const { iam } = sdk(region);
  const user = str(state.user);
  switch (type) {
    case T.user:
      if (state.forceDestroy === true) await call(() => emptyUser(iam, id));
      await orGone(() => iam.send(new DeleteUserCommand({ UserName: id })));
      return;
    case T.loginProfile:
      await orGone(() => iam.send(new DeleteLoginProfileCommand({ UserName: id })));
      return;
    case T.accessKey:
      await orGone(() => iam.send(new DeleteAccessKeyCommand({ UserName: user, AccessKeyId: id })));
      return;
    case T.userPolicyAttachment:
      await orGone(() =>
        iam.send(new DetachUserPolicyCommand({ UserName: user, PolicyArn: str(state.policyArn) })),
      );
      return;
    case T.accountAlias:
      await orGone(() => iam.send(new DeleteAccountAliasCommand({ AccountAlias: id })));
      return;
    case GROUP:
      await orGone(() => iam.send(new DeleteGroupCommand({ GroupName: id })));
      return;
    case T.userGroupMembership:
      for (const g of (state.groups ?? []) as string[])
        await orGone(() => iam.send(new RemoveUserFromGroupCommand({ UserName: user, GroupName: g })));
      return;
    case T.role:
      await orGone(() => iam.send(new DeleteRoleCommand({ RoleName: id })));
      return;
    case T.rolePolicyAttachment:
      await orGone(() =>
        iam.send(new DetachRolePolicyCommand({ RoleName: str(state.role), PolicyArn: str(state.policyArn) })),
      );
      return;
  }
}

/** getCallerIdentity from STS; every other function as the offline fake answers it (getPartition needs no call). */
export async function invoke(token: string, inputs: Props, region: string): Promise<Props> {
  if (token !== "aws:index/getCallerIdentity:getCallerIdentity") return fake.invoke(token, inputs, region);
  const out = await call(() => sdk(region).sts.send(new GetCallerIdentityCommand({})));
  return { accountId: out.Account, arn: out.Arn, userId: out.UserId, id: out.Account };
}
