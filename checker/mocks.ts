/**
 * Plausible values for what the AWS and random providers would compute, so the program runs
 * to its end under Pulumi mocks and the policy pack sees realistic stack outputs. Nothing
 * here is sent anywhere; generated passwords and secret keys are returned as secrets.
 */
import * as crypto from "node:crypto";

/** The account the offline run pretends to deploy to (AWS documentation's example id). */
export const MOCK_ACCOUNT_ID = "123456789012";
/** The caller the offline run pretends to be: an IAM user, not root. */
export const MOCK_CALLER_NAME = "offline-check";

export interface MockContext {
  /** `aws:region` of the stack, if any. */
  region?: string;
}

export interface MockResourceArgs {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  custom: boolean;
}

export interface MockResourceResult {
  id: string;
  state: Record<string, unknown>;
  /** Output property names whose values are secret (the provider marks them so). */
  secretOutputs: string[];
}

/** The partition of a region, as aws.getPartition answers it. */
export function partitionOf(region: string | undefined): {
  partition: string;
  dnsSuffix: string;
  reverseDnsPrefix: string;
} {
  if (region?.startsWith("us-gov-")) {
    return { partition: "aws-us-gov", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
  }
  if (region?.startsWith("cn-")) {
    return { partition: "aws-cn", dnsSuffix: "amazonaws.com.cn", reverseDnsPrefix: "cn.com.amazonaws" };
  }
  return { partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
}

const UPPER_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+";
const PASSWORD_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*()_+-=[]{}|'";

function randomString(alphabet: string, length: number): string {
  const bytes = crypto.randomBytes(length);
  let s = "";
  for (let i = 0; i < length; i++) s += alphabet[bytes[i] % alphabet.length];
  return s;
}

function str(v: unknown, fallback: string): string {
  return typeof v === "string" && v !== "" ? v : fallback;
}

/** Answers for provider functions (invokes) the program may call. */
export function mockCall(
  token: string,
  inputs: Record<string, unknown>,
  ctx: MockContext,
): Record<string, unknown> {
  const { partition, dnsSuffix, reverseDnsPrefix } = partitionOf(ctx.region);
  switch (token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return {
        accountId: MOCK_ACCOUNT_ID,
        arn: `arn:${partition}:iam::${MOCK_ACCOUNT_ID}:user/${MOCK_CALLER_NAME}`,
        userId: "AIDA" + randomString(UPPER_DIGITS, 17),
        id: MOCK_ACCOUNT_ID,
      };
    case "aws:index/getPartition:getPartition":
      return { partition, dnsSuffix, reverseDnsPrefix, id: partition };
    case "aws:index/getRegion:getRegion": {
      const name = str(inputs.name ?? inputs.region, ctx.region ?? "us-east-1");
      return { name, region: name, id: name, endpoint: `ec2.${name}.${dnsSuffix}`, description: name };
    }
    case "aws:organizations/getOrganization:getOrganization":
      return {
        id: "o-" + randomString("abcdefghijklmnopqrstuvwxyz0123456789", 10),
        masterAccountId: MOCK_ACCOUNT_ID,
        arn: `arn:${partition}:organizations::${MOCK_ACCOUNT_ID}:organization/o-offline`,
        accounts: [],
      };
    default:
      // Unknown functions answer with their inputs: enough for a program to go on.
      return { ...inputs };
  }
}

/** Answers for resource creation: the provider-computed outputs of each resource type. */
export function mockResource(args: MockResourceArgs, ctx: MockContext): MockResourceResult {
  const { partition } = partitionOf(ctx.region);
  const state: Record<string, unknown> = { ...args.inputs };
  const iamArn = (kind: string, name: string) => `arn:${partition}:iam::${MOCK_ACCOUNT_ID}:${kind}/${name}`;
  switch (args.type) {
    case "aws:iam/user:User": {
      const name = str(args.inputs.name, args.name);
      state.name = name;
      state.path ??= "/";
      state.arn = iamArn("user", name);
      state.uniqueId = "AIDA" + randomString(UPPER_DIGITS, 17);
      state.tagsAll = args.inputs.tags ?? {};
      return { id: name, state, secretOutputs: [] };
    }
    case "aws:iam/group:Group": {
      const name = str(args.inputs.name, args.name);
      return { id: name, state: { ...state, name, arn: iamArn("group", name) }, secretOutputs: [] };
    }
    case "aws:iam/role:Role": {
      const name = str(args.inputs.name, args.name);
      return { id: name, state: { ...state, name, arn: iamArn("role", name) }, secretOutputs: [] };
    }
    case "aws:iam/policy:Policy": {
      const name = str(args.inputs.name, args.name);
      return {
        id: iamArn("policy", name),
        state: { ...state, name, arn: iamArn("policy", name) },
        secretOutputs: [],
      };
    }
    case "aws:iam/userLoginProfile:UserLoginProfile": {
      const user = str(args.inputs.user, args.name);
      const length = typeof args.inputs.passwordLength === "number" ? args.inputs.passwordLength : 20;
      state.passwordResetRequired ??= false;
      if (typeof args.inputs.pgpKey === "string" && args.inputs.pgpKey !== "") {
        // The provider encrypts to the key; a base64 stand-in has the same shape.
        state.encryptedPassword = crypto.randomBytes(96).toString("base64");
        state.keyFingerprint = crypto.randomBytes(20).toString("hex");
        return { id: user, state, secretOutputs: [] };
      }
      state.password = randomString(PASSWORD_CHARS, length);
      return { id: user, state, secretOutputs: ["password"] };
    }
    case "aws:iam/accessKey:AccessKey": {
      const id = "AKIA" + randomString(UPPER_DIGITS, 16);
      state.status ??= "Active";
      state.createDate = new Date(0).toISOString();
      if (typeof args.inputs.pgpKey === "string" && args.inputs.pgpKey !== "") {
        state.encryptedSecret = crypto.randomBytes(96).toString("base64");
        state.keyFingerprint = crypto.randomBytes(20).toString("hex");
        return { id, state, secretOutputs: [] };
      }
      state.secret = randomString(SECRET_CHARS, 40);
      state.sesSmtpPasswordV4 = randomString(SECRET_CHARS, 44);
      return { id, state, secretOutputs: ["secret", "sesSmtpPasswordV4"] };
    }
    case "aws:iam/accountAlias:AccountAlias":
      return { id: str(args.inputs.accountAlias, args.name), state, secretOutputs: [] };
    case "aws:iam/userPolicyAttachment:UserPolicyAttachment":
      return {
        id: `${str(args.inputs.user, "user")}-${randomString("0123456789", 20)}`,
        state,
        secretOutputs: [],
      };
    case "random:index/randomId:RandomId": {
      const bytes = crypto.randomBytes(
        typeof args.inputs.byteLength === "number" ? args.inputs.byteLength : 8,
      );
      const b64Url = bytes.toString("base64url");
      return {
        id: b64Url,
        state: {
          ...state,
          b64Url,
          b64Std: bytes.toString("base64"),
          hex: bytes.toString("hex"),
          dec: BigInt("0x" + bytes.toString("hex")).toString(),
        },
        secretOutputs: [],
      };
    }
    case "random:index/randomPassword:RandomPassword": {
      const length = typeof args.inputs.length === "number" ? args.inputs.length : 16;
      return {
        id: "none",
        state: { ...state, result: randomString(PASSWORD_CHARS, length) },
        secretOutputs: ["result", "bcryptHash"],
      };
    }
    default:
      return { id: `${args.name}-${crypto.randomBytes(4).toString("hex")}`, state, secretOutputs: [] };
  }
}
