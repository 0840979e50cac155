/**
 * The one fake AWS (and random) of this project: what the real providers would compute, so a
 * program runs to its end without a cloud. Used by the program runner's Pulumi mocks
 * (`npm run check`, the unit tests) and by the engine tests' provider plugins (test/engine).
 *
 * It matches the real providers where a policy or the engine could tell the difference:
 * - Check: defaults and autonaming (`<logical name>-<7 hex>`) for resources declared without a name;
 * - Diff: the properties the providers mark ForceNew replace the resource;
 * - Create: generated passwords and access keys, PGP-encrypted (openpgp) when `pgpKey` is set,
 *   with the same outputs marked secret.
 */
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as openpgp from "openpgp";
import { T } from "../policy/lib/resource-types";

/** The account a fake run deploys to (AWS documentation's example id). */
export const FAKE_ACCOUNT_ID = "123456789012";
/** The caller a fake run is: an IAM user, not root. */
export const FAKE_CALLER_NAME = "offline-check";

export const RANDOM_ID = "random:index/randomId:RandomId";

export interface Partition {
  partition: string;
  dnsSuffix: string;
  reverseDnsPrefix: string;
}

/** The partition of a region, as aws.getPartition answers it. */
export function partitionOf(region: string | undefined): Partition {
  if (region?.startsWith("us-gov-"))
    return { partition: "aws-us-gov", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
  if (region?.startsWith("cn-"))
    return { partition: "aws-cn", dnsSuffix: "amazonaws.com.cn", reverseDnsPrefix: "cn.com.amazonaws" };
  return { partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
}

/** The name property the provider autonames, per type (terraform-bridge AutoName). */
const AUTONAMED: Record<string, string> = {
  [T.user]: "name",
  "aws:iam/group:Group": "name",
  "aws:iam/role:Role": "name",
  "aws:iam/policy:Policy": "name",
};

/** Schema defaults the provider's Check fills in. */
const DEFAULTS: Record<string, Record<string, unknown>> = {
  [T.user]: { path: "/", forceDestroy: false },
  [T.loginProfile]: { passwordLength: 20 },
  [T.accessKey]: { status: "Active" },
};

/** Inputs whose change replaces the resource (ForceNew in the providers' schemas). */
export const FORCE_NEW: Record<string, readonly string[]> = {
  [T.user]: [],
  [T.loginProfile]: ["user", "passwordLength", "passwordResetRequired", "pgpKey"],
  [T.accessKey]: ["user", "pgpKey"],
  [T.userPolicyAttachment]: ["user", "policyArn"],
  [T.accountAlias]: ["accountAlias"],
  [RANDOM_ID]: ["keepers", "byteLength", "prefix"],
};

/** Output properties the providers mark secret. */
export const SECRET_OUTPUTS: Record<string, readonly string[]> = {
  [T.loginProfile]: ["password"],
  [T.accessKey]: ["secret", "sesSmtpPasswordV4"],
};

/** `<name>-<7 hex>`, as the provider names a resource declared without a name. */
export function autoname(logicalName: string): string {
  return `${logicalName}-${crypto.randomBytes(4).toString("hex").slice(0, 7)}`;
}

/** The provider's Check: defaults, then the autoname when no name was given. */
export function check(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...DEFAULTS[type], ...inputs };
  for (const [k, v] of Object.entries(inputs)) if (v === undefined) out[k] = DEFAULTS[type]?.[k];
  const nameKey = AUTONAMED[type];
  if (nameKey && (out[nameKey] === undefined || out[nameKey] === "")) out[nameKey] = autoname(name);
  return out;
}

/** The inputs that differ, and whether any of them replaces the resource. */
export function diff(
  type: string,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): { changed: string[]; replaces: string[] } {
  const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
  const changed = [...keys].filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k])).sort();
  return { changed, replaces: changed.filter((k) => FORCE_NEW[type]?.includes(k)) };
}

const UPPER_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+";
const PASSWORD_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*()_+-=[]{}|'";

function randomString(alphabet: string, length: number): string {
  const bytes = crypto.randomBytes(length);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

/** `AKIA` and 16 more of `[A-Z2-7]`: the shape Leverage checks (`[A-Z0-9]{20}`). */
export const newAccessKeyId = () => "AKIA" + randomString(UPPER_DIGITS, 16);
/** 40 characters of `[A-Za-z0-9/+]`. */
export const newSecretAccessKey = () => randomString(SECRET_CHARS, 40);
export const newPassword = (length: number) => randomString(PASSWORD_CHARS, length);

/**
 * Encrypts as the provider does (terraform-provider-aws internal/vault/helper/pgpkeys): to the
 * first key of the base64 binary public key, binary message, base64-encoded.
 */
async function encrypt(pgpKey: string, text: string): Promise<{ encrypted: string; fingerprint: string }> {
  const key = await openpgp.readKey({ binaryKey: Buffer.from(pgpKey, "base64") });
  const message = await openpgp.encrypt({
    message: await openpgp.createMessage({ text }),
    encryptionKeys: key,
    format: "binary",
  });
  return { encrypted: Buffer.from(message).toString("base64"), fingerprint: key.getFingerprint() };
}

const isKeybase = (pgpKey: string) => pgpKey.startsWith("keybase:");
/** A pgpKey not known offline (secure config the gate never decrypts): so is what it encrypts. */
const isUnknown = (v: string) => v === pulumi.runtime.unknownValue;
/** Keybase is not reachable: a fingerprint that stands for the user's key. */
const keybaseFingerprint = (pgpKey: string) => crypto.createHash("sha1").update(pgpKey).digest("hex");

export interface Created {
  id: string;
  /** Checked inputs plus what the provider computed. */
  state: Record<string, unknown>;
}

/** The provider's Create: what AWS (or random) computes for `inputs` (already checked). */
export async function create(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  region?: string,
): Promise<Created> {
  const { partition } = partitionOf(region);
  const state: Record<string, unknown> = { ...inputs };
  const str = (k: string) => (typeof inputs[k] === "string" && inputs[k] !== "" ? (inputs[k] as string) : "");
  const arn = (kind: string, n: string) => `arn:${partition}:iam::${FAKE_ACCOUNT_ID}:${kind}/${n}`;
  const pgpKey = str("pgpKey");
  switch (type) {
    case T.user:
    case "aws:iam/group:Group":
    case "aws:iam/role:Role": {
      const kind = type === T.user ? "user" : type === "aws:iam/group:Group" ? "group" : "role";
      const n = str("name") || name;
      Object.assign(state, { name: n, arn: arn(kind, n), uniqueId: "AIDA" + randomString(UPPER_DIGITS, 17) });
      if (type === T.user) state.tagsAll = inputs.tags ?? {};
      return { id: n, state };
    }
    case "aws:iam/policy:Policy": {
      const n = str("name") || name;
      return { id: arn("policy", n), state: { ...state, name: n, arn: arn("policy", n) } };
    }
    case T.loginProfile: {
      const password = newPassword(typeof inputs.passwordLength === "number" ? inputs.passwordLength : 20);
      if (isUnknown(pgpKey)) {
        Object.assign(state, { encryptedPassword: pgpKey, keyFingerprint: pgpKey });
      } else if (pgpKey && !isKeybase(pgpKey)) {
        const { encrypted, fingerprint } = await encrypt(pgpKey, password);
        Object.assign(state, { encryptedPassword: encrypted, keyFingerprint: fingerprint });
      } else if (pgpKey) {
        Object.assign(state, {
          encryptedPassword: crypto.randomBytes(96).toString("base64"),
          keyFingerprint: keybaseFingerprint(pgpKey),
        });
      } else {
        state.password = password;
      }
      return { id: str("user") || name, state };
    }
    case T.accessKey: {
      const secret = newSecretAccessKey();
      state.createDate = new Date().toISOString();
      if (isUnknown(pgpKey)) {
        Object.assign(state, { encryptedSecret: pgpKey, keyFingerprint: pgpKey });
      } else if (pgpKey && !isKeybase(pgpKey)) {
        const { encrypted, fingerprint } = await encrypt(pgpKey, secret);
        Object.assign(state, { encryptedSecret: encrypted, keyFingerprint: fingerprint });
      } else if (pgpKey) {
        Object.assign(state, {
          encryptedSecret: crypto.randomBytes(96).toString("base64"),
          keyFingerprint: keybaseFingerprint(pgpKey),
        });
      } else {
        Object.assign(state, { secret, sesSmtpPasswordV4: randomString(SECRET_CHARS, 44) });
      }
      return { id: newAccessKeyId(), state };
    }
    case T.accountAlias:
      return { id: str("accountAlias") || name, state };
    case T.userPolicyAttachment:
      return { id: `${str("user") || "user"}-${randomString("0123456789", 20)}`, state };
    case RANDOM_ID: {
      const bytes = crypto.randomBytes(typeof inputs.byteLength === "number" ? inputs.byteLength : 8);
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
      };
    }
    default:
      return { id: `${name}-${crypto.randomBytes(4).toString("hex")}`, state };
  }
}

/** Answers to the provider functions a program calls. */
export function invoke(
  token: string,
  inputs: Record<string, unknown>,
  region?: string,
): Record<string, unknown> {
  const { partition, dnsSuffix, reverseDnsPrefix } = partitionOf(region);
  switch (token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return {
        accountId: FAKE_ACCOUNT_ID,
        arn: `arn:${partition}:iam::${FAKE_ACCOUNT_ID}:user/${FAKE_CALLER_NAME}`,
        userId: "AIDA" + randomString(UPPER_DIGITS, 17),
        id: FAKE_ACCOUNT_ID,
      };
    case "aws:index/getPartition:getPartition":
      return { partition, dnsSuffix, reverseDnsPrefix, id: partition };
    default:
      // Unknown functions answer with their inputs: enough for a program to go on.
      return { ...inputs };
  }
}
