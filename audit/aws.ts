/**
 * Reads the live account through the AWS SDK for JavaScript v3: only List, Get and Describe calls, each list
 * through the SDK's paginator. The clients take the standard credential chain and AWS_ENDPOINT_URL.
 * docs/audit-policy.json allows exactly the calls made here (test/audit/policy.test.ts checks it).
 */
import {
  GetAccessKeyLastUsedCommand,
  GetAccountSummaryCommand,
  GetGroupPolicyCommand,
  GetLoginProfileCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  paginateListAccessKeys,
  paginateListAccountAliases,
  paginateListAttachedGroupPolicies,
  paginateListAttachedUserPolicies,
  paginateListGroupPolicies,
  paginateListGroupsForUser,
  paginateListMFADevices,
  paginateListUserPolicies,
  paginateListUsers,
} from "@aws-sdk/client-iam";
import {
  DescribeAccountCommand,
  DescribeOrganizationCommand,
  OrganizationsClient,
  paginateListAWSServiceAccessForOrganization,
  paginateListDelegatedAdministrators,
  paginateListDelegatedServicesForAccount,
} from "@aws-sdk/client-organizations";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";

export interface Clients {
  iam: IAMClient;
  org: OrganizationsClient;
  sts: STSClient;
}

/** Bounds that make a missing endpoint or credential fail in seconds, not minutes of retries. */
const CLIENT_OPTIONS = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
};

/**
 * The clients, with the standard credential chain and endpoint (AWS_ENDPOINT_URL). IAM and Organizations
 * are global services: without AWS_REGION the partition `aws` (us-east-1) is assumed.
 */
export function makeClients(env: NodeJS.ProcessEnv = process.env): Clients {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1";
  const options = { ...CLIENT_OPTIONS, region };
  return { iam: new IAMClient(options), org: new OrganizationsClient(options), sts: new STSClient(options) };
}

export interface UserFacts {
  name: string;
  path: string;
  tags: Record<string, string>;
  permissionsBoundary?: string;
  passwordLastUsed?: Date;
  loginProfile?: { created?: Date; passwordResetRequired: boolean };
  groups: string[];
  attachedPolicyArns: string[];
  inlinePolicies: { name: string; document: string }[];
  /** `keyEnd`: the last 4 characters of the key id, the only part ever shown. */
  accessKeys: { keyEnd: string; status: string; created?: Date; lastUsed?: Date | null }[];
  mfaDevices: number;
}

export interface GroupFacts {
  name: string;
  attachedPolicyArns: string[];
  inlinePolicies: { name: string; document: string }[];
}

export interface AccountFacts {
  accountId: string;
  partition: string;
  users: UserFacts[];
  groups: GroupFacts[];
  aliases: string[];
  summary?: { mfaEnabled: boolean; rootAccessKeysPresent: boolean };
  /** Undefined: the account is in no organization. */
  organization?: {
    id: string;
    masterAccountId: string;
    accountName?: string;
    servicePrincipals: string[];
    delegated: { accountId: string; servicePrincipals: string[] }[];
  };
  /** Facts the audit could not read, one line each (a call the endpoint does not answer). */
  unchecked: string[];
}

/** Stops the audit without a verdict (exit 2): no credentials, access denied, endpoint unreachable. */
export class AwsError extends Error {}

type SdkError = Error & { code?: string; $metadata?: { httpStatusCode?: number } };

const ACCESS_DENIED = /^(AccessDenied|AccessDeniedException|UnauthorizedOperation)$/;
const BAD_CREDENTIALS =
  /^(InvalidClientTokenId|UnrecognizedClientException|SignatureDoesNotMatch|ExpiredToken|ExpiredTokenException|InvalidAccessKeyId)$/;
const NETWORK =
  /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|TimeoutError|RequestTimeout)$/;

/** An error that ends the audit (AwsError, one line), or undefined for one that only one fact suffers. */
export function fatal(e: unknown, action: string, endpoint?: string): AwsError | undefined {
  const err = e as SdkError;
  const name = err?.name ?? "";
  const code = err?.code ?? "";
  if (name === "CredentialsProviderError" || /Could not load credentials/.test(err?.message ?? ""))
    return new AwsError(
      "no AWS credentials found (the standard chain: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, SSO, web identity, instance role); sign in first, e.g. aws sso login or a CloudShell session",
    );
  if (ACCESS_DENIED.test(name))
    return new AwsError(
      `access denied to ${action}: give the audit's identity the read-only policy docs/audit-policy.json`,
    );
  if (BAD_CREDENTIALS.test(name))
    return new AwsError(`AWS refused the credentials (${name}) at ${action}: sign in again`);
  if (NETWORK.test(name) || NETWORK.test(code) || name === "AbortError")
    return new AwsError(
      `cannot reach AWS for ${action}${endpoint ? ` at ${endpoint}` : ""} (${code || name}): check the network, AWS_REGION or AWS_ENDPOINT_URL`,
    );
  return undefined;
}

const IAM = "iam";
const ORG = "organizations";

/** A list read through a paginator, all pages. */
async function all<P, T>(pages: AsyncIterable<P>, items: (p: P) => T[] | undefined): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(...(items(page) ?? []));
  return out;
}

/** IAM returns policy documents URL-encoded (RFC 3986). */
const decodeDocument = (doc: string | undefined) => {
  try {
    return decodeURIComponent(doc ?? "");
  } catch {
    return doc ?? "";
  }
};

export type Caller = { Account?: string; Arn?: string };

/** Who the credentials are (sts:GetCallerIdentity, which needs no permission): fails fast without them. */
export async function whoAmI(c: Clients, endpoint = process.env.AWS_ENDPOINT_URL): Promise<Caller> {
  try {
    return await c.sts.send(new GetCallerIdentityCommand({}));
  } catch (e) {
    const status = (e as SdkError)?.$metadata?.httpStatusCode;
    const where = endpoint ? ` at ${endpoint}` : "";
    throw (
      fatal(e, "sts:GetCallerIdentity", endpoint) ??
      new AwsError(
        `sts:GetCallerIdentity${where} answered ${(e as Error)?.name ?? "an error"}${status ? ` (HTTP ${status})` : ""}: is it AWS? Check AWS_ENDPOINT_URL and AWS_REGION`,
      )
    );
  }
}

export async function readAccount(
  c: Clients,
  caller: Caller,
  endpoint = process.env.AWS_ENDPOINT_URL,
): Promise<AccountFacts> {
  const unchecked: string[] = [];
  /** One call: a fatal error ends the audit, any other makes `what` unchecked and gives `fallback`. */
  const call = async <T>(action: string, what: string, run: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await run();
    } catch (e) {
      const stop = fatal(e, action, endpoint);
      if (stop) throw stop;
      const err = e as SdkError;
      const why =
        err?.name && err.name !== "Error" ? err.name : (err?.$metadata?.httpStatusCode ?? "an error");
      unchecked.push(`could not check ${what}: ${action} answered ${why}`);
      return fallback;
    }
  };
  const accountId = caller.Account ?? "unknown";
  const partition = /^arn:([^:]+):/.exec(caller.Arn ?? "")?.[1] ?? "aws";

  const iamList = <T>(action: string, what: string, run: () => Promise<T[]>) =>
    call(`${IAM}:${action}`, what, run, [] as T[]);
  const users = await iamList("ListUsers", "the IAM users", () =>
    all(paginateListUsers({ client: c.iam }, {}), (p) => p.Users),
  );
  const userFacts = await Promise.all(
    users.map(async (u): Promise<UserFacts> => {
      const UserName = u.UserName!;
      const who = `user ${UserName}`;
      const [got, groups, attached, inlineNames, keys, mfa, profile] = await Promise.all([
        call(
          `${IAM}:GetUser`,
          `the tags and permissions boundary of ${who}`,
          async () => (await c.iam.send(new GetUserCommand({ UserName }))).User,
          undefined,
        ),
        iamList("ListGroupsForUser", `the groups of ${who}`, () =>
          all(paginateListGroupsForUser({ client: c.iam }, { UserName }), (p) => p.Groups),
        ),
        iamList("ListAttachedUserPolicies", `the managed policies of ${who}`, () =>
          all(paginateListAttachedUserPolicies({ client: c.iam }, { UserName }), (p) => p.AttachedPolicies),
        ),
        iamList("ListUserPolicies", `the inline policies of ${who}`, () =>
          all(paginateListUserPolicies({ client: c.iam }, { UserName }), (p) => p.PolicyNames),
        ),
        iamList("ListAccessKeys", `the access keys of ${who}`, () =>
          all(paginateListAccessKeys({ client: c.iam }, { UserName }), (p) => p.AccessKeyMetadata),
        ),
        iamList("ListMFADevices", `the MFA devices of ${who}`, () =>
          all(paginateListMFADevices({ client: c.iam }, { UserName }), (p) => p.MFADevices),
        ),
        loginProfileOf(c, UserName, call),
      ]);
      const inlinePolicies = await Promise.all(
        inlineNames.map(async (PolicyName) => ({
          name: PolicyName,
          document: decodeDocument(
            await call(
              `${IAM}:GetUserPolicy`,
              `inline policy ${PolicyName} of ${who}`,
              async () =>
                (await c.iam.send(new GetUserPolicyCommand({ UserName, PolicyName }))).PolicyDocument,
              undefined,
            ),
          ),
        })),
      );
      const accessKeys = await Promise.all(
        keys.map(async (k) => {
          const keyEnd = (k.AccessKeyId ?? "").slice(-4);
          const used = await call(
            `${IAM}:GetAccessKeyLastUsed`,
            `when access key …${keyEnd} of ${who} was last used`,
            () => c.iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: k.AccessKeyId })),
            undefined,
          );
          // null: never used; undefined: not known.
          const lastUsed = used ? (used.AccessKeyLastUsed?.LastUsedDate ?? null) : undefined;
          return { keyEnd, status: k.Status ?? "Active", created: k.CreateDate, lastUsed };
        }),
      );
      const tags = Object.fromEntries((got?.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
      return {
        name: UserName,
        path: u.Path ?? "/",
        tags,
        permissionsBoundary: got?.PermissionsBoundary?.PermissionsBoundaryArn,
        passwordLastUsed: u.PasswordLastUsed ?? got?.PasswordLastUsed,
        loginProfile: profile,
        groups: groups.map((g) => g.GroupName!),
        attachedPolicyArns: attached.map((p) => p.PolicyArn!),
        inlinePolicies,
        accessKeys,
        mfaDevices: mfa.length,
      };
    }),
  );
  const groupNames = [...new Set(userFacts.flatMap((u) => u.groups))].sort();
  const groups = await Promise.all(
    groupNames.map(async (GroupName): Promise<GroupFacts> => {
      const [attached, inlineNames] = await Promise.all([
        iamList("ListAttachedGroupPolicies", `the managed policies of group ${GroupName}`, () =>
          all(paginateListAttachedGroupPolicies({ client: c.iam }, { GroupName }), (p) => p.AttachedPolicies),
        ),
        iamList("ListGroupPolicies", `the inline policies of group ${GroupName}`, () =>
          all(paginateListGroupPolicies({ client: c.iam }, { GroupName }), (p) => p.PolicyNames),
        ),
      ]);
      const inlinePolicies = await Promise.all(
        inlineNames.map(async (PolicyName) => ({
          name: PolicyName,
          document: decodeDocument(
            await call(
              `${IAM}:GetGroupPolicy`,
              `inline policy ${PolicyName} of group ${GroupName}`,
              async () =>
                (await c.iam.send(new GetGroupPolicyCommand({ GroupName, PolicyName }))).PolicyDocument,
              undefined,
            ),
          ),
        })),
      );
      return { name: GroupName, attachedPolicyArns: attached.map((p) => p.PolicyArn!), inlinePolicies };
    }),
  );
  const [aliases, summary, organization] = await Promise.all([
    iamList("ListAccountAliases", "the account alias", () =>
      all(paginateListAccountAliases({ client: c.iam }, {}), (p) => p.AccountAliases),
    ),
    call(
      `${IAM}:GetAccountSummary`,
      "the root user's MFA and access keys",
      async () => {
        const m = (await c.iam.send(new GetAccountSummaryCommand({}))).SummaryMap ?? {};
        if (m.AccountMFAEnabled === undefined || m.AccountAccessKeysPresent === undefined)
          throw Object.assign(new Error(), { name: "a summary without AccountMFAEnabled" });
        return {
          mfaEnabled: m.AccountMFAEnabled === 1,
          rootAccessKeysPresent: m.AccountAccessKeysPresent !== 0,
        };
      },
      undefined,
    ),
    readOrganization(c, accountId, call),
  ]);
  return { accountId, partition, users: userFacts, groups, aliases, summary, organization, unchecked };
}

type Call = <T>(action: string, what: string, run: () => Promise<T>, fallback: T) => Promise<T>;

/** The login profile, or undefined when the user has none (NoSuchEntity). */
async function loginProfileOf(c: Clients, UserName: string, call: Call): Promise<UserFacts["loginProfile"]> {
  return call(
    `${IAM}:GetLoginProfile`,
    `the console password of user ${UserName}`,
    async () => {
      try {
        const p = (await c.iam.send(new GetLoginProfileCommand({ UserName }))).LoginProfile;
        return { created: p?.CreateDate, passwordResetRequired: p?.PasswordResetRequired === true };
      } catch (e) {
        if ((e as Error).name === "NoSuchEntityException" || (e as Error).name === "NoSuchEntity")
          return undefined;
        throw e;
      }
    },
    undefined,
  );
}

async function readOrganization(
  c: Clients,
  accountId: string,
  call: Call,
): Promise<AccountFacts["organization"]> {
  const NOT_IN_USE = "AWSOrganizationsNotInUseException";
  const org = await call(
    `${ORG}:DescribeOrganization`,
    "the organization",
    async () => {
      try {
        return (await c.org.send(new DescribeOrganizationCommand({}))).Organization;
      } catch (e) {
        if ((e as Error).name === NOT_IN_USE) return undefined;
        throw e;
      }
    },
    undefined,
  );
  if (!org) return undefined;
  const orgList = <T>(action: string, what: string, run: () => Promise<T[]>) =>
    call(`${ORG}:${action}`, what, run, [] as T[]);
  const [account, access, admins] = await Promise.all([
    call(
      `${ORG}:DescribeAccount`,
      "this account's name in the organization",
      async () => (await c.org.send(new DescribeAccountCommand({ AccountId: accountId }))).Account,
      undefined,
    ),
    orgList("ListAWSServiceAccessForOrganization", "the organization's trusted services", () =>
      all(
        paginateListAWSServiceAccessForOrganization({ client: c.org }, {}),
        (p) => p.EnabledServicePrincipals,
      ),
    ),
    orgList("ListDelegatedAdministrators", "the organization's delegated administrators", () =>
      all(paginateListDelegatedAdministrators({ client: c.org }, {}), (p) => p.DelegatedAdministrators),
    ),
  ]);
  const delegated = await Promise.all(
    admins.map(async (a) => ({
      accountId: a.Id ?? "",
      servicePrincipals: (
        await orgList("ListDelegatedServicesForAccount", `the services delegated to account ${a.Id}`, () =>
          all(
            paginateListDelegatedServicesForAccount({ client: c.org }, { AccountId: a.Id }),
            (p) => p.DelegatedServices,
          ),
        )
      ).map((s) => s.ServicePrincipal ?? ""),
    })),
  );
  return {
    id: org.Id ?? "",
    masterAccountId: org.MasterAccountId ?? "",
    accountName: account?.Name,
    servicePrincipals: access.map((s) => s.ServicePrincipal ?? "").sort(),
    delegated,
  };
}
