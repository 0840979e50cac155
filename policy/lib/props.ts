/**
 * Safe reads of resource properties. The engine sends whatever the program (or a hand-edited
 * state file) holds: any property may be missing, null, of the wrong type or, during preview,
 * unknown. These helpers never throw on a wrong type; they DO let `UnknownValueError` through,
 * because that is how @pulumi/policy turns an unknown into its advisory "can't run ... during
 * preview" diagnostic (node_modules/@pulumi/policy/server.js, makeAnalyzeRpcFun catch block).
 */

import { UnknownValueError } from "@pulumi/policy";

type Props = Record<string, unknown> | undefined | null;

/** The raw value of `key`, or undefined when props is not an object. */
export function prop(props: Props, key: string): unknown {
  if (props === null || typeof props !== "object") return undefined;
  // Own properties only: a key such as "constructor" must not reach Object.prototype.
  if (!Object.prototype.hasOwnProperty.call(props, key)) return undefined;
  return props[key];
}

/** A non-empty string, or undefined. */
export function str(props: Props, key: string): string | undefined {
  const v = prop(props, key);
  return typeof v === "string" && v.length > 0 ? v : undefined;
}

/** True when the property is absent, null or an empty string (the provider treats all three as unset). */
export function isUnset(props: Props, key: string): boolean {
  const v = prop(props, key);
  return v === undefined || v === null || v === "";
}

/** The non-empty strings of an array property; non-strings are dropped, a non-array gives []. */
export function strings(props: Props, key: string): string[] {
  const v = prop(props, key);
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (const item of v) if (typeof item === "string" && item.length > 0) out.push(item);
  return out;
}

/** An object property as a record, or undefined. */
export function record(props: Props, key: string): Record<string, unknown> | undefined {
  const v = prop(props, key);
  return v !== null && typeof v === "object" && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** Quote a value for a message, shortened so a huge property cannot flood the output. */
export function show(value: unknown): string {
  let text: string;
  try {
    text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch (e) {
    if (e instanceof UnknownValueError) throw e;
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
