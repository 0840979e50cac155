// Every door into IAM read once, so policies judge facts, not resource types; aws-native, Cloud Control and
// template resources share one CloudFormation reader. Rules read raw values with `need`, `str` and `strs`,
// not @pulumi/policy's proxy, which would end the whole run at the first unknown.
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { parseJson, quote, REDACTED } from "../../lib/text";
import { cfnHatch, pulumiHatch } from "./escape-hatches";
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

/** True for a CloudFormation intrinsic function of a template (which no run ever resolves). */
export const isIntrinsic = (v: unknown) => v === INTRINSIC;

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
  /** `password`: a console password written in a template or aws-native user (LoginProfile.Password). */
  | { f: "credential"; kind: CredentialKind; user: unknown; pgpKey?: unknown; password?: unknown }
  /** `arns`: managed policy ARNs (a string or a list); `docs`: policy documents (a list); `trust`: a role's. */
  | { f: "grant"; to: PrincipalKind; names: unknown; arns?: unknown; docs?: unknown; trust?: unknown }
  | { f: "exclusive"; user: unknown; arns: unknown }
  | { f: "inlineNames"; user: unknown; names: unknown }
  | { f: "member"; users: unknown; groups: unknown }
  /** Identity Center: the resource itself, or when `principals` holds an Identity Center principal. */
  | { f: "identityCenter"; principals?: unknown }
  | { f: "adminDoc"; doc: unknown }
  | { f: "alias"; alias: unknown }
  /** A template or desired state the pack cannot read in full before it runs. */
  | { f: "uninspectable"; why: string }
  /** Code or API calls at deploy time that no rule sees (`advisory`: only a package the pack does not know). */
  | { f: "escapeHatch"; why: string; advisory: boolean };

/** `via` says where the fact comes from, for messages: `AccessKey "k"`, or a template resource. */
export type Fact = FactBody & { via: string };

/** `AccessKey "name"`: how messages name a resource. */
export function describe(s: { type: string; name: string }): string {
  return `${s.type.split(":").pop() || s.type} ${q(s.name)}`;
}

const PRINCIPALS = ["user", "group", "role"] as const;
const IDENTITY_CENTER_PRINCIPALS: readonly string[] = ["sso.amazonaws.com", "identitystore.amazonaws.com"];

function cred(kind: CredentialKind, user: unknown, pgpKey?: unknown, password?: unknown): FactBody {
  return { f: "credential", kind, user, pgpKey, password };
}
function grant(to: PrincipalKind, names: unknown, arns?: unknown, docs?: unknown, trust?: unknown): FactBody {
  return { f: "grant", to, names, arns, docs, trust };
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
  [
    T.role,
    (p) => [
      grant("role", p.name, p.managedPolicyArns, docsOf(p.inlinePolicies, "policy"), p.assumeRolePolicy),
    ],
  ],
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
    const parsed = readDoc(need(p.desiredState, "desiredState"), false);
    if (typeof parsed === "string") out.push({ f: "uninspectable", why: `its desiredState ${parsed}`, via });
    else
      cfnFacts(typeName, templateValue(parsed, new Map()), `${via} (Cloud Control ${q(typeName)})`, out, 0);
  } else if (s.type === T.nativeExtension) {
    // aws-native's door to any CloudFormation type: `type` and its PascalCase `properties`.
    const typeName = str(p.type, "type") ?? "";
    const parsed = readDoc(need(p.properties ?? {}, "properties"), false);
    if (typeof parsed === "string") out.push({ f: "uninspectable", why: `its properties ${parsed}`, via });
    else cfnFacts(typeName, templateValue(parsed, new Map()), `${via} (extension ${q(typeName)})`, out, 0);
  } else if (TEMPLATE_TYPES.has(s.type)) {
    stackFacts(p.templateBody, p.templateUrl ?? p.templateURL, via, out, 0);
  } else if (!CLASSIC.has(s.type)) {
    const m = /^aws-native:([^:]+):(.+)$/.exec(s.type);
    const hatch = m ? undefined : pulumiHatch(s.type, s.provider?.type);
    if (m) cfnFacts(`AWS::${m[1]}::${m[2]}`, p, via, out, 0);
    else if (IDENTITY_CENTER_TYPE_PREFIXES.some((x) => s.type.startsWith(x)))
      out.push({ f: "identityCenter", via });
    else if (hatch) out.push({ f: "escapeHatch", ...hatch, via });
  }
  return (only ? out.filter((f) => f.f === only) : out) as Extract<Fact, { f: K }>[];
}

/** Stacks and stack sets: the resources whose `templateBody` is a CloudFormation template. */
const TEMPLATE_TYPES: ReadonlySet<string> = new Set([
  T.cfnStack,
  T.cfnStackSet,
  T.nativeCfnStack,
  T.nativeCfnStackSet,
]);

function stackFacts(body: unknown, url: unknown, via: string, out: Fact[], depth: number): void {
  need(body, "templateBody");
  const uninspectable = (why: string) => void out.push({ f: "uninspectable", why, via });
  if (body === undefined || body === null || body === "") {
    const fetch = `its template is read from templateUrl ${q(url)}, which the pack cannot fetch`;
    return uninspectable(url ? fetch : "it has no templateBody");
  }
  const parsed = readDoc(body, true);
  if (typeof parsed === "string") return uninspectable(`its templateBody ${parsed}`);
  const template = rec(parsed);
  const resources = rec(template?.Resources);
  if (!template || (template.Resources !== undefined && !resources))
    return uninspectable("its templateBody is not a JSON or YAML template");
  // CloudFormation expands these after the pack has judged the template: what they add is unseen.
  if (template.Transform !== undefined)
    return uninspectable(
      `it declares Transform ${q(template.Transform)}, which CloudFormation expands later`,
    );
  if (hasKey(template, "Fn::Transform"))
    return uninspectable(
      "it uses Fn::Transform (AWS::Include or a macro), which CloudFormation expands later",
    );
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
  const hatch = cfnHatch(key);
  if (hatch) return add({ f: "escapeHatch", ...hatch });
  const principal = /^aws::iam::(user|group|role)(policy)?$/.exec(key);
  if (principal) {
    const to = principal[1] as PrincipalKind;
    const names = get(`${to}Name`);
    if (principal[2]) return add(grant(to, names, undefined, [get("policyDocument")]));
    if (to === "user")
      add({ f: "user", name: names, tags: get("tags"), boundary: get("permissionsBoundary") });
    const trust = to === "role" ? get("assumeRolePolicyDocument") : undefined;
    add(grant(to, names, get("managedPolicyArns"), docsOf(get("policies"), "policyDocument"), trust));
    if (to !== "user") return;
    add({ f: "member", users: names, groups: get("groups") });
    const profile = get("loginProfile");
    if (profile !== undefined)
      add(cred("console login profile", names, undefined, field(profile, "password")));
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
    case "aws::cloudformation::stackset":
      if (depth < 3)
        return stackFacts(get("templateBody"), get("templateURL") ?? get("templateUrl"), via, out, depth + 1);
      return add({ f: "uninspectable", why: "its templates nest too deep" });
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
const CFN_TAGS = INTRINSICS.split(/\s+/).flatMap((name) => {
  const tag = `!${name.replace("Fn::", "")}`;
  // A collection as a one-key map node, so that the library's alias accounting covers what it holds.
  const longForm = (value: unknown) => {
    const map = new YAML.YAMLMap();
    map.items.push(new YAML.Pair(new YAML.Scalar(name), value));
    return map;
  };
  return [
    { tag, resolve: (text: string) => ({ [name]: text }) },
    { tag, collection: "seq" as const, resolve: longForm },
    { tag, collection: "map" as const, resolve: longForm },
  ];
});

/**
 * Limits that keep one Analyze call within seconds and bounded memory whatever the input. A template
 * body reaches CloudFormation in the request, where it may be at most 51,200 bytes (AWS CloudFormation
 * User Guide, "CloudFormation quotas": template body size in a request; 1 MB only from S3, which the
 * pack never reads); Cloud Control's desiredState and IAM policy documents are smaller still.
 */
export const TEMPLATE_LIMITS = { bytes: 51_200, depth: 64, nodes: 100_000, aliases: 100 } as const;

/** The last documents parsed: every policy of one Analyze call reads the same text. */
const parsedTexts = new Map<string, unknown>();

/**
 * A document from JSON or YAML text (or an object as is), or why it cannot be read, as a phrase
 * ("is not JSON", "is too large to inspect ..."); a secret text's strings are secret.
 */
function readDoc(v: unknown, yamlToo: boolean): unknown {
  const L = TEMPLATE_LIMITS;
  // Only templates (YAML) are capped by size: JSON parses in linear time, and IAM, which does not
  // count white space in a policy's size, would take a padded document the pack must still read.
  const bytes = typeof v === "string" && yamlToo ? Buffer.byteLength(v) : 0;
  if (bytes > L.bytes)
    return `is too large to inspect (${bytes} bytes; at most ${L.bytes}, CloudFormation's limit for a template body)`;
  const key = typeof v === "string" ? `${yamlToo ? "y" : "j"}${v}` : undefined;
  let doc = key === undefined ? checked(v, yamlToo) : parsedTexts.get(key);
  if (key !== undefined && doc === undefined) {
    doc = checked(parseText(v as string, yamlToo), yamlToo);
    if (parsedTexts.size >= 8) parsedTexts.delete(parsedTexts.keys().next().value!);
    parsedTexts.set(key, doc);
  }
  if (doc !== undefined) deriveSecret(v, doc);
  return doc;
}

/** JSON, or YAML with CloudFormation's short forms, with the aliases bounded (the text is within the size limit). */
function parseText(text: string, yamlToo: boolean): unknown {
  const L = TEMPLATE_LIMITS;
  const json = parseJson(text);
  if (json !== undefined || !yamlToo) return json;
  try {
    const parsed = YAML.parseDocument(text, { customTags: CFN_TAGS, prettyErrors: false });
    if (parsed.errors.length > 0) return undefined;
    return parsed.toJS({ maxAliasCount: L.aliases });
  } catch (e) {
    // The library refuses an alias bomb ("Excessive alias count") before it expands it.
    if (e instanceof ReferenceError && /alias/i.test(e.message))
      return `is too large to inspect (its YAML aliases would expand past the limit of ${L.aliases})`;
    return undefined;
  }
}

/** A parsed document as is, or why it cannot be read (not an object, past the limits). */
function checked(doc: unknown, yamlToo: boolean): unknown {
  if (typeof doc === "string") return doc;
  if (rec(doc) === undefined) return yamlToo ? "is not a JSON or YAML template" : "is not JSON";
  const shape = shapeOf(doc);
  return shape ? `is too large to inspect (${shape})` : doc;
}

/** Why a parsed document is past the limits (nesting, number of values), or undefined; iterative, so any depth is safe. */
function shapeOf(doc: unknown): string | undefined {
  const L = TEMPLATE_LIMITS;
  const stack: [unknown, number][] = [[doc, 0]];
  let nodes = 0;
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (++nodes > L.nodes) return `more than ${L.nodes} values`;
    if (v === null || typeof v !== "object") continue;
    if (depth >= L.depth) return `nested more than ${L.depth} deep`;
    for (const x of Array.isArray(v) ? v : Object.values(v)) stack.push([x, depth + 1]);
  }
  return undefined;
}

/** True when `key` is a key of any object inside `v` (bounded by shapeOf before it is called). */
function hasKey(v: unknown, key: string): boolean {
  const stack = [v];
  while (stack.length > 0) {
    const x = stack.pop();
    if (x === null || typeof x !== "object") continue;
    if (!Array.isArray(x) && Object.hasOwn(x, key)) return true;
    stack.push(...(Array.isArray(x) ? x : Object.values(x)));
  }
  return false;
}

/** A policy document from JSON text or an object, or undefined; a secret text's strings are secret. */
export function policyDoc(v: unknown, what: string): unknown {
  const doc = readDoc(need(v, what), false);
  return typeof doc === "string" ? undefined : doc;
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
