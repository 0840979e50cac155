// Every door into IAM read once, so policies judge facts, not resource types; aws-native, Cloud Control and
// template resources share one CloudFormation reader. Rules read raw values with `need`, `str` and `strs`,
// not @pulumi/policy's proxy, which would end the whole run at the first unknown.
import * as pulumi from "@pulumi/pulumi";
import yaml from "js-yaml";
import { isAdministratorAccessPolicyArn } from "../../lib/naming";
import { parseJson, quote, REDACTED } from "../../lib/text";
import { IDENTITY_CENTER_CFN_PREFIXES, IDENTITY_CENTER_TYPE_PREFIXES, T } from "./resource-types";
import { deriveSecret, secretsNow } from "./secrets";

// eslint-disable-next-line @typescript-eslint/no-require-imports -- @internal module, no typings
const proxy = require("@pulumi/policy/proxy") as Record<string, unknown>;
// The sentinels the proxy treats as unknown; the engine sends pulumi.runtime.unknownValue.
const UNKNOWNS: ReadonlySet<unknown> = new Set([
  pulumi.runtime.unknownValue,
  ...Object.entries(proxy).flatMap(([k, v]) => (/^unknown[A-Z]\w*Value$/.test(k) ? [v] : [])),
]);

/** Props as plain data: the proxy hands back its target for this key. */
const TARGET = proxy.getSpecialProxyTarget as string;
export const plain = (props: unknown) =>
  ((props as Record<string, unknown> | undefined)?.[TARGET] ?? props ?? {}) as Record<string, unknown>;

/** Stands for a CloudFormation intrinsic function in a parsed template (see templateValue). */
const INTRINSIC = Symbol("CloudFormation intrinsic");

/** Thrown when a rule needs `what` but it is unknown (preview) or an intrinsic (never resolved). */
export class CannotCheck extends Error {
  constructor(
    readonly what: string,
    readonly intrinsic: boolean,
  ) {
    super(`cannot check ${what}`);
  }
}

/** `v` itself, unless it (or anything inside it) is unknown or an intrinsic: then CannotCheck. */
export function need<V>(v: V, what: string): V {
  const bad = find(v);
  if (bad !== undefined) throw new CannotCheck(what, bad === INTRINSIC);
  return v;
}

function find(v: unknown, depth = 0): unknown {
  if (v === INTRINSIC || (typeof v === "string" && UNKNOWNS.has(v))) return v;
  if (v === null || typeof v !== "object" || depth > 64) return undefined;
  for (const x of Array.isArray(v) ? v : Object.values(v)) {
    const bad = find(x, depth + 1);
    if (bad !== undefined) return bad;
  }
  return undefined;
}

export const rec = (v: unknown) =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/** Own property `key` of `o` (also `Key`: CloudFormation spells properties in PascalCase). */
export function field(o: unknown, key: string): unknown {
  const r = rec(o) ?? {};
  const k = [key, key[0].toUpperCase() + key.slice(1)].find((k) => Object.hasOwn(r, k));
  return k === undefined ? undefined : r[k];
}

export function str(v: unknown, what: string): string | undefined {
  need(v, what);
  return typeof v === "string" && v.length > 0 ? v : undefined;
}

/** The non-empty strings of a list (a single string counts as a list of one). */
export function strs(v: unknown, what: string): string[] {
  need(v, what);
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === "string" && x.length > 0);
}

/**
 * A value quoted for a message: `[secret]` when it is, or holds, a value that came from a secret; cut
 * after `max` characters.
 */
export function q(value: unknown, max?: number): string {
  const secrets = secretsNow();
  if (secrets.holds(value)) return REDACTED;
  return quote(value === INTRINSIC ? "(intrinsic)" : value, { secrets: secrets.list(), max });
}

/** A resource as the policies see it: props are plain data (unknowns are the engine's sentinels). */
export interface Subject {
  type: string;
  name: string;
  urn: string;
  props: Record<string, unknown>;
  provider?: { type: string; props: Record<string, unknown> };
}

type PrincipalKind = "user" | "group" | "role";
type CredentialKind =
  | "console login profile"
  | "access key"
  | "service-specific credential"
  | "SSH public key"
  | "signing certificate";

type FactBody =
  | { f: "user"; name: unknown; tags: unknown; boundary: unknown }
  | { f: "credential"; kind: CredentialKind; user: unknown; pgpKey?: unknown }
  /** `arns`: managed policy ARNs (a string or a list); `docs`: policy documents (a list). */
  | { f: "grant"; to: PrincipalKind; names: unknown; arns?: unknown; docs?: unknown }
  | { f: "exclusive"; user: unknown; arns: unknown }
  | { f: "inlineNames"; user: unknown; names: unknown }
  | { f: "member"; users: unknown; groups: unknown }
  /** Identity Center: the resource itself, or when `principals` holds an Identity Center principal. */
  | { f: "identityCenter"; principals?: unknown }
  | { f: "adminDoc"; doc: unknown }
  | { f: "alias"; alias: unknown }
  | { f: "uninspectable"; why: string; advisory: boolean };

/** `via` says where the fact comes from, for messages: `AccessKey "k"`, or a template resource. */
export type Fact = FactBody & { via: string };

/** `AccessKey "name"`: how messages name a resource. */
export function describe(s: { type: string; name: string }): string {
  return `${s.type.split(":").pop() || s.type} ${q(s.name)}`;
}

const PRINCIPALS = ["user", "group", "role"] as const;
const IDENTITY_CENTER_PRINCIPALS: readonly string[] = ["sso.amazonaws.com", "identitystore.amazonaws.com"];

function cred(kind: CredentialKind, user: unknown, pgpKey?: unknown): FactBody {
  return { f: "credential", kind, user, pgpKey };
}
function grant(to: PrincipalKind, names: unknown, arns?: unknown, docs?: unknown): FactBody {
  return { f: "grant", to, names, arns, docs };
}
const grantsToLists = (get: (key: string) => unknown, arns?: unknown, docs?: unknown) =>
  PRINCIPALS.filter((to) => get(`${to}s`) != null).map((to) => grant(to, get(`${to}s`), arns, docs));
/** The documents of a list of inline policies (each `{ [key]: document }`). */
const docsOf = (list: unknown, key: string) => (Array.isArray(list) ? list.map((x) => field(x, key)) : list);

const CLASSIC = new Map<string, (p: Record<string, unknown>) => FactBody[]>([
  [T.user, (p) => [{ f: "user", name: p.name, tags: p.tags, boundary: p.permissionsBoundary }]],
  [T.loginProfile, (p) => [cred("console login profile", p.user, p.pgpKey)]],
  [T.accessKey, (p) => [cred("access key", p.user, p.pgpKey)]],
  [T.serviceSpecificCredential, (p) => [cred("service-specific credential", p.userName)]],
  [T.sshKey, (p) => [cred("SSH public key", p.username)]],
  [T.signingCertificate, (p) => [cred("signing certificate", p.userName)]],
  [T.userGroupMembership, (p) => [{ f: "member", users: p.user, groups: p.groups }]],
  [T.groupMembership, (p) => [{ f: "member", users: p.users, groups: p.group }]],
  [T.userPolicyAttachment, (p) => [grant("user", p.user, p.policyArn)]],
  [T.groupPolicyAttachment, (p) => [grant("group", p.group, p.policyArn)]],
  [T.rolePolicyAttachment, (p) => [grant("role", p.role, p.policyArn)]],
  [T.policyAttachment, (p) => grantsToLists((key) => p[key], p.policyArn)],
  [
    T.userPolicyAttachmentsExclusive,
    (p) => [
      grant("user", p.userName, p.policyArns),
      { f: "exclusive", user: p.userName, arns: p.policyArns },
    ],
  ],
  [T.groupPolicyAttachmentsExclusive, (p) => [grant("group", p.groupName, p.policyArns)]],
  [T.rolePolicyAttachmentsExclusive, (p) => [grant("role", p.roleName, p.policyArns)]],
  [T.userPolicy, (p) => [grant("user", p.user, undefined, [p.policy])]],
  [T.groupPolicy, (p) => [grant("group", p.group, undefined, [p.policy])]],
  [T.rolePolicy, (p) => [grant("role", p.role, undefined, [p.policy])]],
  [T.userPoliciesExclusive, (p) => [{ f: "inlineNames", user: p.userName, names: p.policyNames }]],
  [T.role, (p) => [grant("role", p.name, p.managedPolicyArns, docsOf(p.inlinePolicies, "policy"))]],
  [T.policy, (p) => [{ f: "adminDoc", doc: p.policy }]],
  [T.accountAlias, (p) => [{ f: "alias", alias: p.accountAlias }]],
  [T.organization, (p) => [{ f: "identityCenter", principals: p.awsServiceAccessPrincipals }]],
  [T.delegatedAdministrator, (p) => [{ f: "identityCenter", principals: p.servicePrincipal }]],
]);

/** The facts of one resource (only those of kind `only`, if given); CannotCheck when it cannot be read yet. */
export function factsOf<K extends Fact["f"] = Fact["f"]>(s: Subject, only?: K): Extract<Fact, { f: K }>[] {
  const via = describe(s);
  const out: Fact[] = (CLASSIC.get(s.type)?.(s.props) ?? []).map((f) => ({ ...f, via }));
  const p = s.props;
  if (s.type === T.cloudControl) {
    const typeName = str(p.typeName, "typeName") ?? "";
    const parsed = parseDoc(need(p.desiredState, "desiredState"), false);
    if (parsed === undefined)
      out.push({ f: "uninspectable", why: "its desiredState is not JSON", advisory: false, via });
    else
      cfnFacts(typeName, templateValue(parsed, new Map()), `${via} (Cloud Control ${q(typeName)})`, out, 0);
  } else if (s.type === T.cfnStack || s.type === T.cfnStackSet || s.type === T.nativeCfnStack) {
    stackFacts(p.templateBody, p.templateUrl ?? p.templateURL, via, out, 0);
  } else if (!CLASSIC.has(s.type)) {
    const m = /^aws-native:([^:]+):(.+)$/.exec(s.type);
    if (m) cfnFacts(`AWS::${m[1]}::${m[2]}`, p, via, out, 0);
    else if (IDENTITY_CENTER_TYPE_PREFIXES.some((x) => s.type.startsWith(x)))
      out.push({ f: "identityCenter", via });
  }
  return (only ? out.filter((f) => f.f === only) : out) as Extract<Fact, { f: K }>[];
}

function stackFacts(body: unknown, url: unknown, via: string, out: Fact[], depth: number): void {
  need(body, "templateBody");
  const uninspectable = (why: string, advisory: boolean) =>
    void out.push({ f: "uninspectable", why, advisory, via });
  if (body === undefined || body === null || body === "") {
    const fetch = `its template is read from templateUrl ${q(url)}, which the pack cannot fetch`;
    return uninspectable(url ? fetch : "it has no template", true);
  }
  const template = rec(parseDoc(body, true));
  const resources = rec(template?.Resources);
  if (!template || (template.Resources !== undefined && !resources))
    return uninspectable("its templateBody is not a JSON or YAML template", false);
  // `Ref` to an IAM user, group or role of the same template is that principal's literal name.
  const names = new Map<string, unknown>();
  for (const [id, r] of Object.entries(resources ?? {})) {
    const m = /^aws::iam::(user|group|role)$/.exec(cfnKey(field(r, "type")));
    const value = m && field(field(r, "properties"), `${m[1][0].toUpperCase()}${m[1].slice(1)}Name`);
    if (typeof value === "string") names.set(id, value);
  }
  for (const [id, r] of Object.entries(resources ?? {})) {
    const type = field(r, "type");
    if (typeof type !== "string") continue;
    const props = templateValue(field(r, "properties") ?? {}, names);
    cfnFacts(type, props, `${via} template resource ${q(id)} (${q(type)})`, out, depth);
  }
}

/** CloudFormation-shaped resources: templates, Cloud Control and aws-native (camelCase keys). */
function cfnFacts(type: string, p: unknown, via: string, out: Fact[], depth: number): void {
  const add = (f: FactBody) => void out.push({ ...f, via });
  const get = (k: string) => field(p, k);
  const key = cfnKey(type);
  if (IDENTITY_CENTER_CFN_PREFIXES.some((x) => key.startsWith(x.toLowerCase())))
    return add({ f: "identityCenter" });
  const principal = /^aws::iam::(user|group|role)(policy)?$/.exec(key);
  if (principal) {
    const to = principal[1] as PrincipalKind;
    const names = get(`${to}Name`);
    if (principal[2]) return add(grant(to, names, undefined, [get("policyDocument")]));
    if (to === "user")
      add({ f: "user", name: names, tags: get("tags"), boundary: get("permissionsBoundary") });
    add(grant(to, names, get("managedPolicyArns"), docsOf(get("policies"), "policyDocument")));
    if (to !== "user") return;
    add({ f: "member", users: names, groups: get("groups") });
    if (get("loginProfile") !== undefined) add(cred("console login profile", names));
    return;
  }
  switch (key) {
    case "aws::iam::managedpolicy":
    case "aws::iam::policy": {
      const doc = get("policyDocument");
      const grants = grantsToLists(get, undefined, [doc]);
      grants.forEach(add);
      if (grants.length === 0) add({ f: "adminDoc", doc });
      return;
    }
    case "aws::iam::accesskey":
      return add(cred("access key", get("userName")));
    case "aws::iam::usertogroupaddition":
      return add({ f: "member", users: get("users"), groups: get("groupName") });
    case "aws::cloudformation::stack":
      if (depth < 3)
        return stackFacts(get("templateBody"), get("templateURL") ?? get("templateUrl"), via, out, depth + 1);
      return add({ f: "uninspectable", why: "its templates nest too deep", advisory: false });
  }
}

/** `AWS::IAM::User` and `aws-native:iam:User` alike: `aws::iam::user`. */
const cfnKey = (type: unknown) => (typeof type === "string" ? type.toLowerCase() : "");

/** A template value with intrinsic functions replaced: `Ref` to a known principal by its name, any other by INTRINSIC. */
function templateValue(v: unknown, names: ReadonlyMap<string, unknown>): unknown {
  if (Array.isArray(v)) return v.map((x) => templateValue(x, names));
  const r = rec(v);
  if (!r) return v;
  const keys = Object.keys(r);
  if (keys.length === 1 && (keys[0] === "Ref" || keys[0].startsWith("Fn::")))
    return keys[0] === "Ref" && typeof r.Ref === "string" && names.has(r.Ref) ? names.get(r.Ref) : INTRINSIC;
  return Object.fromEntries(keys.map((k) => [k, templateValue(r[k], names)]));
}

// CloudFormation's YAML short forms (!Ref, !Sub, ...): each becomes its long JSON form.
const INTRINSICS = `Ref Condition Fn::Base64 Fn::Cidr Fn::FindInMap Fn::GetAtt Fn::GetAZs Fn::ImportValue Fn::Join
  Fn::Select Fn::Split Fn::Sub Fn::Transform Fn::If Fn::Equals Fn::Not Fn::And Fn::Or Fn::Length Fn::ToJsonString`;
const CFN_SCHEMA = yaml.DEFAULT_SCHEMA.extend(
  INTRINSICS.split(/\s+/).flatMap((name) =>
    (["scalar", "sequence", "mapping"] as const).map(
      (kind) =>
        new yaml.Type(`!${name.replace("Fn::", "")}`, { kind, construct: (data) => ({ [name]: data }) }),
    ),
  ),
);

/** A JSON (or YAML) document from text, an object as is, or undefined; a secret text's strings are secret. */
function parseDoc(v: unknown, yamlToo: boolean): unknown {
  if (typeof v !== "string") return rec(v);
  let doc = parseJson(v);
  try {
    if (doc === undefined && yamlToo) doc = yaml.load(v, { schema: CFN_SCHEMA, json: true });
  } catch {
    // Neither JSON nor YAML: unreadable.
  }
  if (doc !== undefined) deriveSecret(v, doc);
  return doc;
}

/** True when a policy document allows every action (or all but some) on every resource. */
export function allowsEverything(doc: unknown, what: string): boolean {
  const d = parseDoc(need(doc, what), false);
  const statements = field(d, "statement");
  for (const st of Array.isArray(statements) ? statements : [statements]) {
    if (field(st, "effect") !== "Allow") continue;
    const actions = field(st, "notAction") !== undefined ? ["*"] : strs(field(st, "action"), what);
    const resources = field(st, "notResource") !== undefined ? ["*"] : strs(field(st, "resource"), what);
    if (actions.some((a) => a === "*" || a === "*:*") && resources.includes("*")) return true;
  }
  return false;
}

/** Why a grant gives administrator permissions (AdministratorAccess or a `*` on `*` document), or undefined. */
export function adminGrant(g: Extract<Fact, { f: "grant" }>): string | undefined {
  const arn = strs(g.arns, "policyArn").find(isAdministratorAccessPolicyArn);
  if (arn) return `AdministratorAccess (${arn})`;
  const docs = g.docs === undefined ? [] : need(g.docs, "policy document");
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc !== undefined && doc !== null && allowsEverything(doc, "policy document"))
      return "a policy that allows * on *";
  }
  return undefined;
}

/** Why an Identity Center fact is real (the resource itself, or a principal of Identity Center), or undefined. */
export function turnsOnIdentityCenter(f: Extract<Fact, { f: "identityCenter" }>): string | undefined {
  if (!("principals" in f)) return "is an IAM Identity Center resource";
  const hit = strs(f.principals, "service principals").find((x) => IDENTITY_CENTER_PRINCIPALS.includes(x));
  return hit ? `enables IAM Identity Center through AWS Organizations (${hit})` : undefined;
}

/** Names of a list; a list with an unknown element gives the known ones and `pending`. */
export function namesOf(v: unknown, what: string): { names: string[]; pending?: CannotCheck } {
  if (!Array.isArray(v)) return { names: strs(v, what) };
  const names: string[] = [];
  let pending: CannotCheck | undefined;
  for (const x of v) {
    try {
      names.push(...strs(x, what));
    } catch (e) {
      if (!(e instanceof CannotCheck)) throw e;
      pending ??= e;
    }
  }
  return { names, pending };
}
