// What "administrator-equivalent" means, matched as IAM matches: action names case-insensitively with
// `*` and `?` wildcards, AWS managed policy ARNs in every partition (docs/policies.md#administrator-bootstrap-user-only).
import { AWS_PARTITIONS } from "../../lib/naming";
import { field, need, policyDoc, q, rec, strs, type Fact } from "./iam";

/**
 * AWS managed policies that grant `*`, or every IAM action, on `*` (so the holder can grant itself
 * anything). Each document is in the AWS Managed Policy Reference Guide, one page per policy.
 */
export const ADMIN_EQUIVALENT_MANAGED_POLICIES: readonly string[] = ["AdministratorAccess", "IAMFullAccess"];

/**
 * `arn:<partition>:iam::aws:policy/<name>`: IAM matches the `arn`, partition and service parts
 * case-insensitively, and policy names are unique regardless of case ("Names are not distinguished
 * by case", CreatePolicy), so a case variant can only name the same policy. Any `aws` partition
 * (aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc, and any later one).
 */
const MANAGED_ARN = /^arn:aws(?:-[a-z0-9]+)*:iam::aws:policy\/([^/]+)$/i;

/** The AWS managed policy an ARN names when it is administrator-equivalent, or undefined. */
export function adminManagedPolicy(arn: string): string | undefined {
  const name = MANAGED_ARN.exec(arn.trim())?.[1]?.toLowerCase();
  return ADMIN_EQUIVALENT_MANAGED_POLICIES.find((p) => p.toLowerCase() === name);
}

/** IAM's wildcard match: `*` any run of characters, `?` any one; case-insensitive as for actions. */
function globMatches(pattern: string, text: string): boolean {
  const p = pattern.toLowerCase();
  const t = text.toLowerCase();
  // Iterative glob with one backtrack point: linear enough for policy-sized strings.
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  while (j < t.length) {
    if (i < p.length && (p[i] === "?" || p[i] === t[j])) {
      i++;
      j++;
    } else if (i < p.length && p[i] === "*") {
      star = i++;
      mark = j;
    } else if (star >= 0) {
      i = star + 1;
      j = ++mark;
    } else return false;
  }
  while (i < p.length && p[i] === "*") i++;
  return i === p.length;
}

/**
 * True when `pattern` matches every string `prefix` + w (w non-empty). Exact: a character that is
 * not in the pattern can only be matched by a wildcard, so a word of n such characters stands for
 * every word of length n; past the pattern's length a `*` must absorb them, and then absorbs any more.
 */
function coversAll(pattern: string, prefix: string): boolean {
  const fresh = "\u{10FFFF}";
  for (let n = 1; n <= pattern.length + 1; n++)
    if (!globMatches(pattern, prefix + fresh.repeat(n))) return false;
  return true;
}

/** True when an `Action` pattern matches every IAM action (`*`, `iam:*`, `IAM:*`, `i*:*`, `*:*`, ...). */
export const coversAllIamActions = (action: string) => coversAll(action, "iam:");

/** True when a `Resource` pattern matches every resource, or every IAM resource of an account. */
function coversAllResources(resource: string): boolean {
  const account = /\d{12}/.exec(resource)?.[0] ?? "000000000000";
  return (
    coversAll(resource, "") || AWS_PARTITIONS.some((p) => coversAll(resource, `arn:${p}:iam::${account}:`))
  );
}

/**
 * Why a policy document makes its holder an administrator: an `Allow` statement with every IAM action
 * (or `NotAction`: all but some) on every resource (or `NotResource`); undefined when it does not.
 */
export function adminDocument(doc: unknown, what: string): string | undefined {
  const statements = field(policyDoc(doc, what), "statement");
  for (const st of Array.isArray(statements) ? statements : [statements]) {
    if (field(st, "effect") !== "Allow") continue;
    const notAction = field(st, "notAction") !== undefined;
    const action = notAction ? undefined : strs(field(st, "action"), what).find(coversAllIamActions);
    const allResources =
      field(st, "notResource") !== undefined || strs(field(st, "resource"), what).some(coversAllResources);
    if (!allResources) continue;
    if (notAction) return "a policy that allows * on * (every action but those of NotAction)";
    if (action === "*") return "a policy that allows * on *";
    if (action !== undefined) return `a policy that allows ${q(action)} (all of IAM) on *`;
  }
  return undefined;
}

/** Whom an assume-role (trust) policy lets in, for messages: `AWS "arn:aws:iam::999999999999:root"`. */
export function trustedPrincipals(doc: unknown): string[] {
  let statements: unknown;
  try {
    statements = field(policyDoc(doc, "the trust policy"), "statement");
  } catch {
    return ["(not known yet)"]; // only named in a message: an unknown trust hides no finding
  }
  const out: string[] = [];
  for (const st of Array.isArray(statements) ? statements : [statements]) {
    if (field(st, "effect") !== "Allow") continue;
    const principal = field(st, "principal");
    const r = rec(principal);
    if (!r) {
      if (principal !== undefined) out.push(q(principal));
      continue;
    }
    for (const [kind, v] of Object.entries(r))
      for (const x of Array.isArray(v) ? v : [v]) out.push(`${kind} ${q(x)}`);
  }
  return out;
}

/** Why a grant makes its principal an administrator (an administrator-equivalent managed policy or document), or undefined. */
export function adminGrant(g: Extract<Fact, { f: "grant" }>): string | undefined {
  for (const arn of strs(g.arns, "policyArn")) {
    const name = adminManagedPolicy(arn);
    if (name) return `the AWS managed policy ${name} (${q(arn)})`;
  }
  const docs = g.docs === undefined ? [] : need(g.docs, "policy document");
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    const why = doc === undefined || doc === null ? undefined : adminDocument(doc, "policy document");
    if (why) return why;
  }
  return undefined;
}

/** Role trusts seen in this run (role name, lower case, to principals), for messages about a later attachment. */
const trusts = new Map<string, string[]>();

/** Notes whom the roles of a grant trust, when it carries their trust policy (a Role resource). */
export function noteTrust(g: Extract<Fact, { f: "grant" }>, names: readonly string[]): void {
  if (g.to !== "role" || g.trust === undefined || g.trust === null) return;
  for (const name of names) trusts.set(name.toLowerCase(), trustedPrincipals(g.trust));
}

/** Whom role `name` trusts, as far as this run has seen it. */
export const trustOf = (name: string) => trusts.get(name.toLowerCase());
