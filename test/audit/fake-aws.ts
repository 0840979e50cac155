/**
 * The SDK clients with a stand-in `send` answering from a small in-memory account: the audit's unit tests run
 * in-process, offline, in milliseconds. Only the calls the audit makes; an unknown one fails the test.
 */
import { addDays, todayUtc } from "../../lib/expiry";
import { IAMClient } from "@aws-sdk/client-iam";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { STSClient } from "@aws-sdk/client-sts";
import type { Clients } from "../../audit/aws";

export const ACCOUNT = "123456789012";
/** An access key id in AWS's form; no report may ever hold it whole. */
export const KEY_ID = "AKIAIOSFODNN7EXAMPLE";

export interface FakeUser {
  name: string;
  tags?: Record<string, string>;
  groups?: string[];
  policies?: string[];
  inline?: Record<string, string>;
  loginProfile?: { created: Date };
  passwordLastUsed?: Date;
  keys?: { id: string; created: Date; lastUsed?: Date | null }[];
}

export interface FakeAccount {
  users: FakeUser[];
  groups?: Record<string, { policies?: string[] }>;
  aliases?: string[];
  mfaEnabled?: boolean;
  rootKeys?: boolean;
  org?: { principals: string[]; delegated?: Record<string, string[]>; accountName?: string };
  /** Errors by command (`GetAccessKeyLastUsed`), thrown as the SDK throws a service's error. */
  errors?: Record<string, { name: string; message?: string }>;
}

export const BOOTSTRAP_TAGS = { Purpose: "leverage-bootstrap", Temporary: "true", ManagedBy: "pulumi" };

/** The runbook's account: the bootstrap user with a password and AdministratorAccess, an alias, an organization. */
export function cleanAccount(now = new Date()): FakeAccount {
  return {
    users: [
      {
        name: "mgmt-org-admin",
        tags: { ...BOOTSTRAP_TAGS, ExpiresOn: addDays(todayUtc(), 30) },
        policies: ["arn:aws:iam::aws:policy/AdministratorAccess"],
        loginProfile: { created: now },
      },
    ],
    aliases: ["acme-management"],
    mfaEnabled: true,
    org: { principals: [], accountName: "acme-management" },
  };
}

export const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";

export function fakeClients(a: FakeAccount, calls: string[] = []): Clients {
  const user = (name: unknown) => {
    const u = a.users.find((x) => x.name === name);
    if (!u)
      throw Object.assign(new Error(`user ${String(name)} not found`), { name: "NoSuchEntityException" });
    return u;
  };
  const answer = (op: string, input: Record<string, unknown>): unknown => {
    const err = a.errors?.[op];
    if (err) throw Object.assign(new Error(err.message ?? err.name), { name: err.name, $metadata: {} });
    switch (op) {
      case "GetCallerIdentity":
        return { Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/auditor` };
      case "ListUsers":
        return {
          Users: a.users.map((u) => ({ UserName: u.name, Path: "/", PasswordLastUsed: u.passwordLastUsed })),
        };
      case "GetUser": {
        const u = user(input.UserName);
        return {
          User: {
            UserName: u.name,
            Tags: Object.entries(u.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
          },
        };
      }
      case "ListGroupsForUser":
        return { Groups: (user(input.UserName).groups ?? []).map((GroupName) => ({ GroupName })) };
      case "ListAttachedUserPolicies":
        return {
          AttachedPolicies: (user(input.UserName).policies ?? []).map((PolicyArn) => ({ PolicyArn })),
        };
      case "ListUserPolicies":
        return { PolicyNames: Object.keys(user(input.UserName).inline ?? {}) };
      case "GetUserPolicy":
        return {
          PolicyDocument: encodeURIComponent(user(input.UserName).inline![input.PolicyName as string]),
        };
      case "GetLoginProfile": {
        const p = user(input.UserName).loginProfile;
        if (!p) throw Object.assign(new Error("no login profile"), { name: "NoSuchEntityException" });
        return {
          LoginProfile: { UserName: input.UserName, CreateDate: p.created, PasswordResetRequired: true },
        };
      }
      case "ListAccessKeys":
        return {
          AccessKeyMetadata: (user(input.UserName).keys ?? []).map((k) => ({
            AccessKeyId: k.id,
            Status: "Active",
            CreateDate: k.created,
          })),
        };
      case "GetAccessKeyLastUsed": {
        const k = a.users.flatMap((u) => u.keys ?? []).find((x) => x.id === input.AccessKeyId)!;
        return { AccessKeyLastUsed: { LastUsedDate: k.lastUsed ?? undefined } };
      }
      case "ListMFADevices":
        return { MFADevices: [] };
      case "ListAttachedGroupPolicies":
        return {
          AttachedPolicies: (a.groups?.[input.GroupName as string]?.policies ?? []).map((PolicyArn) => ({
            PolicyArn,
          })),
        };
      case "ListGroupPolicies":
        return { PolicyNames: [] };
      case "ListAccountAliases":
        return { AccountAliases: a.aliases ?? [] };
      case "GetAccountSummary":
        return {
          SummaryMap: {
            AccountMFAEnabled: a.mfaEnabled ? 1 : 0,
            AccountAccessKeysPresent: a.rootKeys ? 1 : 0,
          },
        };
      case "DescribeOrganization":
        if (!a.org)
          throw Object.assign(new Error("not in use"), { name: "AWSOrganizationsNotInUseException" });
        return { Organization: { Id: "o-example", MasterAccountId: ACCOUNT } };
      case "DescribeAccount":
        return { Account: { Id: input.AccountId, Name: a.org?.accountName } };
      case "ListAWSServiceAccessForOrganization":
        return {
          EnabledServicePrincipals: a.org!.principals.map((ServicePrincipal) => ({ ServicePrincipal })),
        };
      case "ListDelegatedAdministrators":
        return { DelegatedAdministrators: Object.keys(a.org!.delegated ?? {}).map((Id) => ({ Id })) };
      case "ListDelegatedServicesForAccount":
        return {
          DelegatedServices: (a.org!.delegated?.[input.AccountId as string] ?? []).map(
            (ServicePrincipal) => ({
              ServicePrincipal,
            }),
          ),
        };
    }
    throw new Error(`the fake AWS does not answer ${op}`);
  };
  const send = async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    const op = command.constructor.name.replace(/Command$/, "");
    calls.push(op);
    return answer(op, command.input);
  };
  const options = { region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "y" } };
  const clients = {
    iam: new IAMClient(options),
    org: new OrganizationsClient(options),
    sts: new STSClient(options),
  };
  for (const c of Object.values(clients)) (c as unknown as { send: typeof send }).send = send;
  return clients;
}
