/**
 * One reading of every door into IAM: each resource, whatever its provider, becomes a list of
 * facts (a credential issued, permissions granted, a group joined, Identity Center turned on),
 * and the policies judge facts, never resource types. Classic `aws` resources are read by type;
 * aws-native resources, Cloud Control resources (`typeName` + `desiredState` JSON) and the
 * resources of CloudFormation templates (`templateBody`, JSON or YAML) all take the
 * CloudFormation shape, read by one function (`cfnFacts`).
 *
 * Facts hold raw property values: a rule reads what it needs through ./values.ts `need`/`str`,
 * so an unknown or a CloudFormation intrinsic stops only the rule that needs that value.
 */
import * as pulumi from "@pulumi/pulumi";
import yaml from "js-yaml";
import { isAdministratorAccessPolicyArn } from "../../lib/naming";
import { knownSecrets, noteSecrets } from "./engine";
import { CannotCheck, field, INTRINSIC, need, q, rec, str, strs } from "./values";
import {
  IDENTITY_CENTER_CFN_PREFIXES,
  IDENTITY_CENTER_PRINCIPALS,
  IDENTITY_CENTER_TYPE_PREFIXES,
  T,
} from "./resource-types";

/** A resource as the policies see it: props are plain data (unknowns are the engine's sentinels). */
export interface Subject {
  type: string;
  name: string;
  urn: string;
  props: Record<string, unknown>;
  provider?: { type: string; props: Record<string, unknown> };
}

export type PrincipalKind = "user" | "group" | "role";
export type CredentialKind =
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

/** The facts of one resource. Throws CannotCheck when the whole resource cannot be read yet. */
export function factsOf(s: Subject): Fact[] {
  const out: Fact[] = [];
  const via = describe(s);
  const add = (f: FactBody) => out.push({ ...f, via });
  const p = s.props;
  switch (s.type) {
    case T.user:
      add({ f: "user", name: p.name, tags: p.tags, boundary: p.permissionsBoundary });
      break;
    case T.loginProfile:
      add({ f: "credential", kind: "console login profile", user: p.user, pgpKey: p.pgpKey });
      break;
    case T.accessKey:
      add({ f: "credential", kind: "access key", user: p.user, pgpKey: p.pgpKey });
      break;
    case T.serviceSpecificCredential:
      add({ f: "credential", kind: "service-specific credential", user: p.userName });
      break;
    case T.sshKey:
      add({ f: "credential", kind: "SSH public key", user: p.username });
      break;
    case T.signingCertificate:
      add({ f: "credential", kind: "signing certificate", user: p.userName });
      break;
    case T.userGroupMembership:
      add({ f: "member", users: p.user, groups: p.groups });
      break;
    case T.groupMembership:
      add({ f: "member", users: p.users, groups: p.group });
      break;
    case T.userPolicyAttachment:
      add({ f: "grant", to: "user", names: p.user, arns: p.policyArn });
      break;
    case T.groupPolicyAttachment:
      add({ f: "grant", to: "group", names: p.group, arns: p.policyArn });
      break;
    case T.rolePolicyAttachment:
      add({ f: "grant", to: "role", names: p.role, arns: p.policyArn });
      break;
    case T.policyAttachment:
      for (const to of ["user", "group", "role"] as const) {
        const names = p[`${to}s`];
        if (names !== undefined && names !== null) add({ f: "grant", to, names, arns: p.policyArn });
      }
      break;
    case T.userPolicyAttachmentsExclusive:
      add({ f: "grant", to: "user", names: p.userName, arns: p.policyArns });
      add({ f: "exclusive", user: p.userName, arns: p.policyArns });
      break;
    case T.groupPolicyAttachmentsExclusive:
      add({ f: "grant", to: "group", names: p.groupName, arns: p.policyArns });
      break;
    case T.rolePolicyAttachmentsExclusive:
      add({ f: "grant", to: "role", names: p.roleName, arns: p.policyArns });
      break;
    case T.userPolicy:
      add({ f: "grant", to: "user", names: p.user, docs: [p.policy] });
      break;
    case T.groupPolicy:
      add({ f: "grant", to: "group", names: p.group, docs: [p.policy] });
      break;
    case T.rolePolicy:
      add({ f: "grant", to: "role", names: p.role, docs: [p.policy] });
      break;
    case T.userPoliciesExclusive:
      add({ f: "inlineNames", user: p.userName, names: p.policyNames });
      break;
    case T.role: {
      const inline = p.inlinePolicies;
      const docs = Array.isArray(inline) ? inline.map((x) => field(x, "policy")) : inline;
      add({ f: "grant", to: "role", names: p.name, arns: p.managedPolicyArns, docs });
      break;
    }
    case T.policy:
      add({ f: "adminDoc", doc: p.policy });
      break;
    case T.accountAlias:
      add({ f: "alias", alias: p.accountAlias });
      break;
    case T.organization:
      add({ f: "identityCenter", principals: p.awsServiceAccessPrincipals });
      break;
    case T.delegatedAdministrator:
      add({ f: "identityCenter", principals: p.servicePrincipal });
      break;
    case T.cloudControl: {
      const typeName = str(need(p.typeName, "typeName"), "typeName") ?? "";
      const state = need(p.desiredState, "desiredState");
      const parsed = parseDoc(state, false);
      if (parsed === undefined)
        add({ f: "uninspectable", why: "its desiredState is not JSON", advisory: false });
      else
        cfnFacts(typeName, templateValue(parsed, new Map()), `${via} (Cloud Control ${q(typeName)})`, out, 0);
      break;
    }
    case T.cfnStack:
    case T.cfnStackSet:
    case T.nativeCfnStack:
      stackFacts(p.templateBody, p.templateUrl ?? p.templateURL, via, out, 0);
      break;
    default: {
      const m = /^aws-native:([^:]+):(.+)$/.exec(s.type);
      if (m) cfnFacts(`AWS::${m[1]}::${m[2]}`, p, via, out, 0);
      else if (IDENTITY_CENTER_TYPE_PREFIXES.some((x) => s.type.startsWith(x))) add({ f: "identityCenter" });
    }
  }
  return out;
}

/** The resources of a CloudFormation template (body given as text or as an object). */
function stackFacts(body: unknown, url: unknown, via: string, out: Fact[], depth: number) {
  need(body, "templateBody");
  if (body === undefined || body === null || body === "") {
    const why = url
      ? `its template is read from templateUrl ${q(url)}, which the pack cannot fetch`
      : "it has no template";
    out.push({ f: "uninspectable", why, advisory: true, via });
    return;
  }
  const template = rec(parseDoc(body, true));
  const resources = rec(template?.Resources);
  if (!template || (template.Resources !== undefined && !resources)) {
    out.push({
      f: "uninspectable",
      why: "its templateBody is not a JSON or YAML template",
      advisory: false,
      via,
    });
    return;
  }
  // `Ref` to an IAM user, group or role of the same template is that principal's literal name.
  const names = new Map<string, unknown>();
  for (const [id, r] of Object.entries(resources ?? {})) {
    const key = cfnKey(field(r, "type"));
    const prop = {
      "aws::iam::user": "UserName",
      "aws::iam::group": "GroupName",
      "aws::iam::role": "RoleName",
    }[key];
    const value = prop ? field(field(r, "properties"), prop) : undefined;
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
function cfnFacts(type: string, p: unknown, via: string, out: Fact[], depth: number) {
  const add = (f: FactBody) => out.push({ ...f, via });
  const get = (k: string) => field(p, k);
  const key = cfnKey(type);
  const docsOf = (policies: unknown) =>
    Array.isArray(policies) ? policies.map((x) => field(x, "policyDocument")) : policies;
  const principals = { user: "userName", group: "groupName", role: "roleName" } as const;
  if (IDENTITY_CENTER_CFN_PREFIXES.some((x) => key.startsWith(x.toLowerCase())))
    return add({ f: "identityCenter" });
  switch (key) {
    case "aws::iam::user":
      add({ f: "user", name: get("userName"), tags: get("tags"), boundary: get("permissionsBoundary") });
      add({
        f: "grant",
        to: "user",
        names: get("userName"),
        arns: get("managedPolicyArns"),
        docs: docsOf(get("policies")),
      });
      add({ f: "member", users: get("userName"), groups: get("groups") });
      if (get("loginProfile") !== undefined)
        add({ f: "credential", kind: "console login profile", user: get("userName") });
      return;
    case "aws::iam::group":
    case "aws::iam::role": {
      const to = key.endsWith("group") ? "group" : "role";
      add({
        f: "grant",
        to,
        names: get(principals[to]),
        arns: get("managedPolicyArns"),
        docs: docsOf(get("policies")),
      });
      return;
    }
    case "aws::iam::managedpolicy":
    case "aws::iam::policy": {
      const doc = get("policyDocument");
      let attached = false;
      for (const to of ["user", "group", "role"] as const) {
        const names = get(`${to}s`);
        if (names === undefined || names === null) continue;
        attached = true;
        add({ f: "grant", to, names, docs: [doc] });
      }
      if (!attached) add({ f: "adminDoc", doc });
      return;
    }
    case "aws::iam::userpolicy":
    case "aws::iam::grouppolicy":
    case "aws::iam::rolepolicy": {
      const to = key.slice("aws::iam::".length, -"policy".length) as PrincipalKind;
      add({ f: "grant", to, names: get(principals[to]), docs: [get("policyDocument")] });
      return;
    }
    case "aws::iam::accesskey":
      return add({ f: "credential", kind: "access key", user: get("userName") });
    case "aws::iam::usertogroupaddition":
      return add({ f: "member", users: get("users"), groups: get("groupName") });
    case "aws::cloudformation::stack":
      if (depth < 3)
        return stackFacts(get("templateBody"), get("templateURL") ?? get("templateUrl"), via, out, depth + 1);
      return add({ f: "uninspectable", why: "its templates nest too deep", advisory: false });
  }
}

/** `AWS::IAM::User` and `aws-native:iam:User` alike: `aws::iam::user`. */
function cfnKey(type: unknown): string {
  return typeof type === "string" ? type.toLowerCase() : "";
}

/** A template value with intrinsic functions replaced: `Ref` to a known principal by its name, any other by INTRINSIC. */
function templateValue(v: unknown, names: ReadonlyMap<string, unknown>): unknown {
  if (Array.isArray(v)) return v.map((x) => templateValue(x, names));
  const r = rec(v);
  if (!r) return v;
  const keys = Object.keys(r);
  if (keys.length === 1 && (keys[0] === "Ref" || keys[0].startsWith("Fn::"))) {
    return keys[0] === "Ref" && typeof r.Ref === "string" && names.has(r.Ref) ? names.get(r.Ref) : INTRINSIC;
  }
  return Object.fromEntries(keys.map((k) => [k, templateValue(r[k], names)]));
}

// CloudFormation's YAML short forms (!Ref, !Sub, ...): each becomes its long JSON form.
const INTRINSICS = [
  "Ref",
  "Condition",
  ...[
    "Base64",
    "Cidr",
    "FindInMap",
    "GetAtt",
    "GetAZs",
    "ImportValue",
    "Join",
    "Select",
    "Split",
    "Sub",
    "Transform",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "Length",
    "ToJsonString",
  ].map((n) => `Fn::${n}`),
];
const CFN_SCHEMA = yaml.DEFAULT_SCHEMA.extend(
  INTRINSICS.flatMap((name) =>
    (["scalar", "sequence", "mapping"] as const).map(
      (kind) =>
        new yaml.Type(`!${name.replace("Fn::", "")}`, {
          kind,
          construct: (data: unknown) => ({ [name]: data }),
        }),
    ),
  ),
);

/**
 * A JSON (or, with `yamlToo`, YAML) document from text; an object as is; undefined when
 * unreadable. When the text is a secret, every string inside it is one too: rules echo them.
 */
function parseDoc(v: unknown, yamlToo: boolean): unknown {
  if (typeof v !== "string") return rec(v);
  let doc: unknown;
  try {
    doc = JSON.parse(v);
  } catch {
    try {
      doc = yamlToo ? yaml.load(v, { schema: CFN_SCHEMA, json: true }) : undefined;
    } catch {
      doc = undefined;
    }
  }
  if (doc !== undefined && knownSecrets().includes(v))
    noteSecrets({ [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value: doc });
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

/** True when an Identity Center fact is real: the resource itself, or a principal of Identity Center. */
export function turnsOnIdentityCenter(f: Extract<Fact, { f: "identityCenter" }>): string | undefined {
  if (!("principals" in f)) return "an IAM Identity Center resource";
  const hit = strs(f.principals, "service principals").find((x) =>
    (IDENTITY_CENTER_PRINCIPALS as readonly string[]).includes(x),
  );
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
