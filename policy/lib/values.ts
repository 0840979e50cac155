// Policies read plain props, not @pulumi/policy's proxy, whose UnknownValueError would end the whole run.
import * as pulumi from "@pulumi/pulumi";
import { quote } from "../../lib/text";
import { knownSecrets } from "./engine";

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

/** Stands for a CloudFormation intrinsic function in a parsed template (see ./iam.ts). */
export const INTRINSIC = Symbol("CloudFormation intrinsic");

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

/** A value quoted for a message, redacted of every secret the pack has seen. */
export function q(value: unknown): string {
  return quote(value === INTRINSIC ? "(intrinsic)" : value, { secrets: knownSecrets() });
}
