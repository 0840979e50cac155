/**
 * The one way a value reaches a message, a report or an error line. A value in the engine's secret wire form
 * prints as `[secret]`; what else is secret the caller decides by provenance (policy/lib/secrets.ts) and
 * passes as `secrets`, searched for as text only as a last-resort net. They are redacted before the text is
 * cut or escaped: cut in half, or with `"` and `\` escaped, a secret no longer matches and leaks in pieces.
 * Control characters never pass: no ANSI or OSC sequence, no newline that starts a fake `::error::` CI line.
 */
import * as pulumi from "@pulumi/pulumi";

export const REDACTED = "[secret]";

// Shorter secrets are not searched for in text: they would redact ordinary words.
const MIN_SECRET_LENGTH = 4;

// ESC-introduced sequences (CSI, OSC up to BEL or ST, and two-character escapes), then any
// other C0 or C1 control character or DEL. Tabs and newlines go too: a value is one line.
/* eslint-disable no-control-regex -- matching control characters is the point */
const CONTROL =
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-_]?|[\u0000-\u001f\u007f-\u009f]/g;
/* eslint-enable no-control-regex */

export function stripControl(text: string): string {
  return text.replace(CONTROL, "");
}

/** Longest first; the JSON-escaped form too, for text that holds a secret inside a JSON string. */
function redact(text: string, secrets: Iterable<string>): string {
  const forms = [...secrets].flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]);
  const list = [...new Set(forms)].filter((s) => s.length >= MIN_SECRET_LENGTH);
  list.sort((a, b) => b.length - a.length);
  let out = text;
  for (const s of list) out = out.split(s).join(REDACTED);
  return out;
}

/** `secrets` never appear, not even in part; at most `max` characters of the value show, then "...". */
export function quote(value: unknown, options: { secrets?: Iterable<string>; max?: number } = {}): string {
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

/** `JSON.parse`, or `fallback` when the text is not JSON. */
export function parseJson(text: string, fallback?: unknown): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fallback;
  }
}

function replaceSecrets(_key: string, v: unknown): unknown {
  return isSecretValue(v) ? REDACTED : v;
}

/**
 * As the engine, the SDK or `pulumi stack export` writes a secret: `value` (wire form), `ciphertext` (export)
 * or `plaintext` (export --show-secrets, JSON text), beside the secret signature.
 */
export function isSecretValue(v: unknown): v is Record<string, unknown> {
  return (
    v !== null &&
    typeof v === "object" &&
    (v as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig
  );
}

/** Every string inside a secret anywhere in `value`, for redacting text built from the unwrapped value. */
export function secretStrings(value: unknown, inSecret = false, out: string[] = []): string[] {
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    if (inSecret) out.push(String(value));
  } else if (Array.isArray(value)) {
    for (const item of value) secretStrings(item, inSecret, out);
  } else if (value !== null && typeof value === "object") {
    const secret = inSecret || isSecretValue(value);
    const record = value as Record<string, unknown>;
    // `plaintext` is JSON: the text and the strings it decodes to.
    if (isSecretValue(value) && typeof record.plaintext === "string") {
      out.push(record.plaintext);
      secretStrings(parseJson(record.plaintext), true, out);
    }
    for (const [k, v] of Object.entries(record)) {
      if (k !== pulumi.runtime.specialSigKey) secretStrings(v, secret, out);
    }
  }
  return out;
}
