// What is secret is decided by where a value came from: the engine's secret wrapper in the request being
// judged, or a secret key of the stack config. Never by searching text for what some other request held:
// a short secret (a password length of 8, a user "bob") would slip through, and a secret that equals a
// public value (the user name) would hide that value everywhere.
import { randomUUID } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { parseJson } from "../../lib/text";

/**
 * A key no property can hold (random per process): the pack's request hook turns each secret into
 * `{ [MARK]: value }`, which @pulumi/policy passes through as plain data instead of unwrapping it.
 */
export const MARK = `__secret_${randomUUID().replace(/-/g, "")}`;

export const markSecret = (value: unknown): Record<string, unknown> => ({ [MARK]: value });

const isPlain = (v: unknown): v is Record<string, unknown> =>
  v !== null &&
  typeof v === "object" &&
  !Array.isArray(v) &&
  [Object.prototype, null].includes(Object.getPrototypeOf(v));

/** The secrets of one judgement: every value inside a secret and every key of an object inside one. */
export class Secrets {
  private readonly texts = new Set<string>();

  /** Adds `v` and everything inside it. */
  add(v: unknown, depth = 0): this {
    if (v === undefined || v === null || depth > 200) return this;
    if (typeof v !== "object") this.texts.add(String(v));
    else
      for (const [k, x] of Object.entries(v)) {
        if (!Array.isArray(v)) this.texts.add(k);
        this.add(x, depth + 1);
      }
    return this;
  }

  merge(...others: Secrets[]): this {
    for (const o of others) for (const t of o.texts) this.texts.add(t);
    return this;
  }

  /** Whether `v` is a secret value, or holds one (as a value or a key) anywhere inside it. */
  holds(v: unknown, depth = 0): boolean {
    if (v === undefined || v === null) return false;
    if (typeof v !== "object") return this.texts.has(String(v));
    if (depth > 200) return true;
    return Object.entries(v).some(
      ([k, x]) => (!Array.isArray(v) && this.texts.has(k)) || this.holds(x, depth + 1),
    );
  }

  /** As text, for the last-resort net over a whole line (lib/text.ts safeLine). */
  list(): string[] {
    return [...this.texts];
  }
}

/** `v` with every marked secret replaced by its value, which (with all inside it) is added to `into`. */
export function unmark(v: unknown, into: Secrets, depth = 0): unknown {
  if (depth > 200) return v;
  if (Array.isArray(v)) return v.map((x) => unmark(x, into, depth + 1));
  if (!isPlain(v)) return v;
  const keys = Object.keys(v);
  if (keys.length === 1 && keys[0] === MARK) {
    const value = unmark(v[MARK], into, depth + 1);
    into.add(value);
    return value;
  }
  return Object.fromEntries(keys.map((k) => [k, unmark(v[k], into, depth + 1)]));
}

/** The values of the stack config's secret keys (and the strings inside those that hold JSON). */
export function configSecrets(): Secrets {
  const out = new Secrets();
  const isSecret = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
  for (const [k, v] of Object.entries(pulumi.runtime.allConfig()))
    if (isSecret?.(k)) out.add(v).add(parseJson(v));
  return out;
}

let current: Secrets | undefined;

/** Runs `body` (synchronous: a policy's check) with `secrets` as what is secret now. */
export function within<T>(secrets: Secrets, body: () => T): T {
  const saved = current;
  current = secrets;
  try {
    return body();
  } finally {
    current = saved;
  }
}

/** What is secret for the judgement running now (outside one: the secret stack config). */
export const secretsNow = (): Secrets => current ?? configSecrets();

/** A document parsed from a secret text is secret all through: its keys (template logical IDs) too. */
export function deriveSecret(text: unknown, parsed: unknown): void {
  if (current && typeof text === "string" && current.holds(text)) current.add(parsed);
}
