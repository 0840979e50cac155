/**
 * Property values in the engine's wire form: the JSON the engine puts into a
 * google.protobuf.Struct when it calls a policy pack. Secrets and unknowns are encoded as in
 * sdk/go/common/resource/plugin/rpc.go MarshalProperties with
 * MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipInternalKeys: true}
 * (what analyzer_plugin.go Analyze/AnalyzeStack use), with the signature constants of
 * sdk/go/common/resource/sig and properties.go.
 */

export type PropertyValue =
  null | boolean | number | string | PropertyValue[] | { [key: string]: PropertyValue };
export type PropertyMap = Record<string, unknown>;

/** The special key marking an object as a secret, asset, archive, resource reference or output. */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";
export const ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7";
export const RESOURCE_REFERENCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
export const OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
/** How an unknown (computed during preview) value travels: plugin.UnknownStringValue. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * What stands in for a secret whose plaintext this tool never has: a `secure:` stack config
 * value (never decrypted) or a `ciphertext` in a stack export.
 */
export const SECRET_PLACEHOLDER = "[secret]";

export function secret(value: unknown): Record<string, unknown> {
  return { [SIG_KEY]: SECRET_SIG, value };
}

function sigOf(v: unknown): unknown {
  return v !== null && typeof v === "object" && !Array.isArray(v)
    ? (v as Record<string, unknown>)[SIG_KEY]
    : undefined;
}

export function isSecret(v: unknown): boolean {
  return sigOf(v) === SECRET_SIG;
}

export function isUnknown(v: unknown): boolean {
  return v === UNKNOWN;
}

/** Inner value of a secret in any of the forms this module accepts (value, plaintext, ciphertext). */
function secretInner(obj: Record<string, unknown>): unknown {
  if ("value" in obj) return obj.value;
  if (typeof obj.plaintext === "string") {
    // apitype.SecretV1 from `pulumi stack export --show-secrets`: the JSON of the value.
    try {
      return JSON.parse(obj.plaintext);
    } catch {
      return obj.plaintext;
    }
  }
  return SECRET_PLACEHOLDER;
}

/**
 * Normalises a property value to what the engine sends: secrets as
 * `{sig: secret, value}` (a stack export's ciphertext becomes a placeholder), output values
 * unwrapped (unknown -> UNKNOWN, secret -> secret), resource references as their id (or URN
 * when there is no id, as rpc.go does without KeepResources), assets and archives as they
 * are, `undefined` dropped.
 */
export function toEngineValue(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (Array.isArray(v)) return v.map((e) => toEngineValue(e));
  if (typeof v !== "object") return String(v);
  const obj = v as Record<string, unknown>;
  const sig = obj[SIG_KEY];
  if (sig === SECRET_SIG) {
    const inner = toEngineValue(secretInner(obj));
    // A secret of a secret is one secret.
    return isSecret(inner) ? inner : secret(inner);
  }
  if (sig === OUTPUT_VALUE_SIG) {
    const inner = "value" in obj ? toEngineValue(obj.value) : UNKNOWN;
    return obj.secret === true && !isSecret(inner) ? secret(inner) : inner;
  }
  if (sig === RESOURCE_REFERENCE_SIG) {
    if ("id" in obj && obj.id !== undefined) {
      // An empty id is an unknown one (a resource not created yet).
      return obj.id === "" ? UNKNOWN : toEngineValue(obj.id);
    }
    return typeof obj.urn === "string" ? obj.urn : null;
  }
  const out: Record<string, unknown> = {};
  for (const [k, e] of Object.entries(obj)) {
    if (e === undefined) continue;
    out[k] = toEngineValue(e);
  }
  return out;
}

/** A whole property map as the engine marshals it: top-level internal (`__`) keys skipped. */
export function toEngineWire(props: PropertyMap | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props ?? {})) {
    if (k.startsWith("__") || v === undefined) continue;
    out[k] = toEngineValue(v);
  }
  return out;
}

/**
 * A copy safe to print or write to a report: every secret becomes `[secret]` (its value is
 * never looked at), every unknown becomes `[unknown]`.
 */
export function redact(v: unknown): unknown {
  if (isUnknown(v)) return "[unknown]";
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(redact);
  const obj = v as Record<string, unknown>;
  const sig = obj[SIG_KEY];
  if (sig === SECRET_SIG) return SECRET_PLACEHOLDER;
  if (sig === OUTPUT_VALUE_SIG) {
    if (obj.secret === true) return SECRET_PLACEHOLDER;
    return "value" in obj ? redact(obj.value) : "[unknown]";
  }
  if (sig === ASSET_SIG) return "[asset]";
  if (sig === ARCHIVE_SIG) return "[archive]";
  const out: Record<string, unknown> = {};
  for (const [k, e] of Object.entries(obj)) {
    if (e === undefined) continue;
    out[k] = redact(e);
  }
  return out;
}
