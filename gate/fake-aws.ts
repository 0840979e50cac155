/** The one fake AWS (and random) of the mocks and the engine tests: what the real providers compute. */
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as openpgp from "openpgp";
import { T } from "../policy/lib/resource-types";

/** Resource properties, as a provider sees them. */
export type Props = Record<string, unknown>;

/** The account a fake run deploys to (AWS documentation's example id). */
export const FAKE_ACCOUNT_ID = "123456789012";
const RANDOM_ID = "random:index/randomId:RandomId";

/** The partition of a region, as aws.getPartition answers it. */
function partitionOf(region: string | undefined) {
  if (region?.startsWith("us-gov-"))
    return { partition: "aws-us-gov", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
  if (region?.startsWith("cn-"))
    return { partition: "aws-cn", dnsSuffix: "amazonaws.com.cn", reverseDnsPrefix: "cn.com.amazonaws" };
  return { partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
}

/** Types whose `name` the provider autonames (terraform-bridge AutoName). */
const AUTONAMED: string[] = [T.user, "aws:iam/group:Group", T.role, T.policy];

/** Schema defaults the provider's Check fills in. */
const DEFAULTS: Record<string, Props> = {
  [T.user]: { path: "/", forceDestroy: false },
  [T.loginProfile]: { passwordLength: 20 },
  [T.accessKey]: { status: "Active" },
  // As the user's: without them a refresh reads back a path (and a role's session length) the state lacked.
  "aws:iam/group:Group": { path: "/" },
  [T.role]: { path: "/", maxSessionDuration: 3600, forceDetachPolicies: false },
};

/** Inputs whose change replaces the resource (ForceNew in the providers' schemas). */
const FORCE_NEW: Record<string, readonly string[]> = {
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

/** Output properties the providers compute (no input): a diff compares inputs only. */
const COMPUTED: Record<string, readonly string[]> = {
  [T.user]: ["arn", "uniqueId", "tagsAll"],
  [T.loginProfile]: ["password", "encryptedPassword", "keyFingerprint"],
  [T.accessKey]: ["secret", "encryptedSecret", "keyFingerprint", "sesSmtpPasswordV4", "createDate"],
  [RANDOM_ID]: ["b64Url", "b64Std", "hex", "dec"],
};

/** The provider's Check: defaults; an unnamed resource keeps its old name or gets `<name>-<7 hex>`. */
export function check(type: string, name: string, inputs: Props, olds: Props = {}): Props {
  const out: Props = { ...DEFAULTS[type], ...inputs };
  for (const [k, v] of Object.entries(inputs)) if (v === undefined) out[k] = DEFAULTS[type]?.[k];
  if (AUTONAMED.includes(type) && (out.name === undefined || out.name === ""))
    out.name =
      typeof olds.name === "string" && olds.name !== ""
        ? olds.name
        : `${name}-${crypto.randomBytes(4).toString("hex").slice(0, 7)}`;
  return out;
}

/** JSON with object keys sorted: values that went through the engine compare by content. */
export const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1)))
      : x,
  );

/** The inputs that differ, and those that replace; `olds` may be outputs, so computed ones do not count. */
export function diff(type: string, olds: Props, news: Props): { changed: string[]; replaces: string[] } {
  const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
  const changed = [...keys]
    .filter((k) => k !== "id" && !COMPUTED[type]?.includes(k) && canonical(olds[k]) !== canonical(news[k]))
    .sort();
  return { changed, replaces: changed.filter((k) => FORCE_NEW[type]?.includes(k)) };
}

/** The provider's Create in a preview: the inputs, and what it will compute unknown (secret where the schema says). */
export function preview(type: string, inputs: Props): Props {
  const computed = (COMPUTED[type] ?? []).map((k) => [k, pulumi.runtime.unknownValue]);
  return { ...inputs, ...Object.fromEntries(computed) };
}

/** The provider's Update: what it computed stays, the inputs are the new ones. */
export function update(type: string, olds: Props, news: Props): Props {
  const kept = Object.entries(olds).filter(([k]) => !COMPUTED[type] || COMPUTED[type].includes(k));
  return { ...Object.fromEntries(kept), ...news, ...(type === T.user ? { tagsAll: news.tags ?? {} } : {}) };
}

const UPPER_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+";
const PASSWORD_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*()_+-=[]{}|'";

function randomString(alphabet: string, length: number): string {
  const bytes = crypto.randomBytes(length);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

/** base32 (RFC 4648 alphabet, no padding) of whole 5-byte groups. */
function base32(bytes: Buffer): string {
  const bits = Array.from(bytes, (b) => b.toString(2).padStart(8, "0")).join("");
  return (bits.match(/.{5}/g) ?? []).map((b) => UPPER_DIGITS[parseInt(b, 2)]).join("");
}

/**
 * An access key id as IAM issues it (and moto): `AKIA`, then base32 of 10 bytes whose first 6 carry
 * the account id in bits 7 to 46 under a set top bit, the rest random; so tools that read the
 * account from a key id (`aws sts get-access-key-info` does) find the fake account.
 */
export function accessKeyId(accountId: string = FAKE_ACCOUNT_ID): string {
  const head = (1n << 47n) | (BigInt(accountId) << 7n) | BigInt(crypto.randomInt(128));
  const bytes = Buffer.alloc(10);
  bytes.writeUIntBE(Number(head), 0, 6);
  crypto.randomBytes(4).copy(bytes, 6);
  return "AKIA" + base32(bytes);
}

/**
 * terraform-plugin-sdk's id.PrefixedUniqueId, the id the provider gives resources AWS names not
 * (policy attachments, group memberships): the prefix, the UTC time to 1/10000 s as 18 digits,
 * 8 hex digits (a counter there, random here).
 */
export const prefixedUniqueId = (prefix: string) =>
  `${prefix}${new Date().toISOString().replace(/\D/g, "").slice(0, 17)}0${crypto.randomBytes(4).toString("hex")}`;

/** The password the provider generates for a login profile (terraform-provider-aws generatePassword's alphabet). */
export const generatePassword = (length: number) => randomString(PASSWORD_CHARS, length);

/**
 * The SES SMTP password the provider derives from a secret access key for a region (AWS's SigV4
 * conversion, as terraform-provider-aws sesSMTPPasswordFromSecretKeyV4): version byte 4, then
 * HMAC-SHA256 over "11111111", the region, "ses", "aws4_request", "SendRawEmail", base64.
 */
export function sesSmtpPasswordV4(secret: string, region: string): string {
  let key: Buffer = Buffer.from(`AWS4${secret}`);
  for (const part of ["11111111", region, "ses", "aws4_request", "SendRawEmail"])
    key = crypto.createHmac("sha256", key).update(part).digest();
  return Buffer.concat([Buffer.from([4]), key]).toString("base64");
}

/** A generated credential as the provider outputs it: plain, or encrypted to pgpKey with its fingerprint. */
export async function credential(pgpKey: string, value: string, plainKey: string, encryptedKey: string) {
  // Unknown offline (secure config the gate never decrypts): so is what it encrypts.
  if (pgpKey === pulumi.runtime.unknownValue) return { [encryptedKey]: pgpKey, keyFingerprint: pgpKey };
  // Keybase is not reachable: random ciphertext, and a fingerprint that stands for the user's key.
  if (pgpKey.startsWith("keybase:")) {
    const keyFingerprint = crypto.createHash("sha1").update(pgpKey).digest("hex");
    return { [encryptedKey]: crypto.randomBytes(96).toString("base64"), keyFingerprint };
  }
  if (!pgpKey) return { [plainKey]: value };
  // As terraform-provider-aws (internal/vault/helper/pgpkeys): binary message, base64-encoded.
  const key = await openpgp.readKey({ binaryKey: Buffer.from(pgpKey, "base64") });
  const message = await openpgp.encrypt({
    message: await openpgp.createMessage({ text: value }),
    encryptionKeys: key,
    format: "binary",
  });
  return { [encryptedKey]: Buffer.from(message).toString("base64"), keyFingerprint: key.getFingerprint() };
}

/** The provider's Create: the checked inputs plus what AWS (or random) computes. */
export async function create(
  type: string,
  name: string,
  inputs: Props,
  region?: string,
): Promise<{ id: string; state: Props }> {
  const { partition } = partitionOf(region);
  const state: Props = { ...inputs };
  const str = (k: string) => (typeof inputs[k] === "string" && inputs[k] !== "" ? (inputs[k] as string) : "");
  const arn = (kind: string, n: string) => `arn:${partition}:iam::${FAKE_ACCOUNT_ID}:${kind}/${n}`;
  const pgpKey = str("pgpKey");
  switch (type) {
    case T.user:
    case "aws:iam/group:Group":
    case "aws:iam/role:Role": {
      const kind = type === T.user ? "user" : type === "aws:iam/group:Group" ? "group" : "role";
      // IAM's unique ids say what they name: AIDA a user, AGPA a group, AROA a role.
      const prefix = { user: "AIDA", group: "AGPA", role: "AROA" }[kind];
      const n = str("name") || name;
      Object.assign(state, { name: n, arn: arn(kind, n), uniqueId: prefix + randomString(UPPER_DIGITS, 17) });
      if (type === T.user) state.tagsAll = inputs.tags ?? {};
      return { id: n, state };
    }
    case "aws:iam/policy:Policy": {
      const n = str("name") || name;
      return { id: arn("policy", n), state: { ...state, name: n, arn: arn("policy", n) } };
    }
    case T.loginProfile: {
      const length = typeof inputs.passwordLength === "number" ? inputs.passwordLength : 20;
      const password = generatePassword(length);
      Object.assign(state, await credential(pgpKey, password, "password", "encryptedPassword"));
      return { id: str("user") || name, state };
    }
    case T.accessKey: {
      state.createDate = new Date().toISOString();
      const secret = randomString(SECRET_CHARS, 40);
      Object.assign(state, await credential(pgpKey, secret, "secret", "encryptedSecret"));
      if (state.secret) state.sesSmtpPasswordV4 = sesSmtpPasswordV4(secret, region ?? "us-east-1");
      // `AKIA` and 16 more of `[A-Z2-7]`: the shape Leverage checks (`[A-Z0-9]{20}`).
      return { id: accessKeyId(), state };
    }
    case T.accountAlias:
      return { id: str("accountAlias") || name, state };
    case T.userPolicyAttachment:
      return { id: prefixedUniqueId(`${str("user") || "user"}-`), state };
    case T.rolePolicyAttachment:
      return { id: prefixedUniqueId(`${str("role") || "role"}-`), state };
    case T.userGroupMembership:
      return { id: prefixedUniqueId("terraform-"), state };
    case RANDOM_ID: {
      const bytes = crypto.randomBytes(typeof inputs.byteLength === "number" ? inputs.byteLength : 8);
      const b64Url = bytes.toString("base64url");
      const hex = bytes.toString("hex");
      Object.assign(state, {
        b64Url,
        b64Std: bytes.toString("base64"),
        hex,
        dec: BigInt("0x" + hex).toString(),
      });
      return { id: b64Url, state };
    }
    default:
      return { id: `${name}-${crypto.randomBytes(4).toString("hex")}`, state };
  }
}

/** Answers to the provider functions a program calls. */
export function invoke(token: string, inputs: Props, region?: string): Props {
  const { partition, dnsSuffix, reverseDnsPrefix } = partitionOf(region);
  switch (token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return {
        accountId: FAKE_ACCOUNT_ID,
        // An IAM user, not root.
        arn: `arn:${partition}:iam::${FAKE_ACCOUNT_ID}:user/offline-check`,
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
