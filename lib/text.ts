/**
 * The one way a value reaches a message, a report or an error line: secrets are redacted first,
 * then the text is quoted and cut, and control characters never pass (no ANSI or OSC sequence,
 * no newline that starts a fake `::error::` line in a CI log).
 *
 * Redacting before cutting and escaping matters: a secret cut in half, or with its `"` and `\`
 * escaped, no longer matches itself and would leak in pieces.
 */
import * as pulumi from "@pulumi/pulumi";

export const REDACTED = "[secret]";

/** Secrets shorter than this are not searched for in text: they would redact ordinary words. */
export const MIN_SECRET_LENGTH = 4;

// ESC-introduced sequences (CSI, OSC up to BEL or ST, and two-character escapes), then any
// other C0 or C1 control character or DEL. Tabs and newlines go too: a value is one line.
/* eslint-disable no-control-regex -- matching control characters is the point */
const CONTROL =
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-_]?|[\u0000-\u001f\u007f-\u009f]/g;
/* eslint-enable no-control-regex */

/** The text without control characters or terminal escape sequences. */
export function stripControl(text: string): string {
  return text.replace(CONTROL, "");
}

/**
 * Every occurrence of every secret replaced by `[secret]`, longest first; the JSON-escaped form
 * of each secret too, for text that holds it inside a JSON string.
 */
export function redact(text: string, secrets: Iterable<string>): string {
  const forms = [...secrets].flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]);
  const list = [...new Set(forms)].filter((s) => s.length >= MIN_SECRET_LENGTH);
  list.sort((a, b) => b.length - a.length);
  let out = text;
  for (const s of list) out = out.split(s).join(REDACTED);
  return out;
}

export interface QuoteOptions {
  /** Values that must never appear, not even in part. */
  secrets?: Iterable<string>;
  /** Most characters of the value shown, then "..." (default 80). */
  max?: number;
}

/**
 * A value for a message: redacted, then cut, JSON-quoted and stripped of control characters.
 * A secret in wire form (see `isSecretValue`) shows as `[secret]`.
 */
export function quote(value: unknown, options: QuoteOptions = {}): string {
  const max = options.max ?? 80;
  const secrets = [...(options.secrets ?? []), ...secretStrings(value)];
  if (isSecretValue(value)) return REDACTED;
  let raw: string;
  try {
    raw = typeof value === "string" ? value : (JSON.stringify(value, replaceSecrets) ?? String(value));
  } catch {
    raw = String(value);
  }
  const clean = redact(raw, secrets);
  if (clean === REDACTED) return REDACTED;
  const cut = clean.length > max ? `${clean.slice(0, max)}...` : clean;
  // JSON escapes C0 controls as visible text (a newline stays `\n` on one line); strip the rest.
  return stripControl(typeof value === "string" ? JSON.stringify(cut) : cut);
}

/** A whole line for a terminal or a CI log: redacted, then control characters stripped. */
export function safeLine(text: string, secrets: Iterable<string> = []): string {
  return stripControl(redact(text, secrets));
}

function replaceSecrets(_key: string, v: unknown): unknown {
  return isSecretValue(v) ? REDACTED : v;
}

/**
 * A secret as the engine, the SDK or `pulumi stack export` writes it: an object whose
 * `specialSigKey` is the secret signature, holding `value` (wire form), `ciphertext`
 * (export without --show-secrets) or `plaintext` (export with --show-secrets, JSON text).
 */
export function isSecretValue(v: unknown): v is Record<string, unknown> {
  return (
    v !== null &&
    typeof v === "object" &&
    (v as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig
  );
}

/**
 * Every string held inside a secret anywhere in `value`, in any of the three forms, so that text
 * built from the unwrapped value can be redacted. `plaintext` is JSON: both the text and the
 * strings it decodes to are collected.
 */
export function secretStrings(value: unknown, inSecret = false, out: string[] = []): string[] {
  if (typeof value === "string") {
    if (inSecret) out.push(value);
  } else if (typeof value === "number" || typeof value === "boolean") {
    if (inSecret) out.push(String(value));
  } else if (Array.isArray(value)) {
    for (const item of value) secretStrings(item, inSecret, out);
  } else if (value !== null && typeof value === "object") {
    const secret = inSecret || isSecretValue(value);
    const record = value as Record<string, unknown>;
    if (isSecretValue(value) && typeof record.plaintext === "string") {
      out.push(record.plaintext);
      try {
        secretStrings(JSON.parse(record.plaintext), true, out);
      } catch {
        // Not JSON: the text itself is the secret, already collected.
      }
    }
    for (const [k, v] of Object.entries(record)) {
      if (k !== pulumi.runtime.specialSigKey) secretStrings(v, secret, out);
    }
  }
  return out;
}
