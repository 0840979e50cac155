/**
 * `--policy-pack-config FILE`, read and reconciled by the engine's rules
 * (pulumi/pulumi pkg/resource/analyzer/config.go): keys are policy names or `all`; a value is an
 * enforcement level or an object with an optional `enforcementLevel` and the policy's knobs.
 * Schema defaults, then `all`'s level, then each policy's own entry; then every policy's knobs
 * are validated against its schema. Stricter than the engine in one way, on purpose: a policy
 * name or a knob the pack does not declare is an error, so a typo cannot switch a rule off.
 */
import Ajv from "ajv";
import { quote } from "../lib/text";
import { ENFORCEMENT_LEVELS, type EnforcementLevel, type PolicyConfig, type PolicyInfo } from "./analyzer";

export class PolicyConfigError extends Error {}

const isLevel = (v: unknown): v is EnforcementLevel => ENFORCEMENT_LEVELS.includes(v as EnforcementLevel);
const EXPECTED_LEVEL = `expected one of ${ENFORCEMENT_LEVELS.join(", ")}`;

/** Parses the file's JSON text into per-policy entries (`all` included). */
export function parsePolicyConfig(text: string, file: string): Record<string, Partial<PolicyConfig>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new PolicyConfigError(
      `${file} is not valid JSON; expected an object keyed by policy name or "all"`,
    );
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new PolicyConfigError(`${file} must be a JSON object keyed by policy name or "all"`);
  }
  const result: Record<string, Partial<PolicyConfig>> = {};
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof value === "string") {
      if (!isLevel(value))
        throw new PolicyConfigError(`${file}: ${quote(name)} has level ${quote(value)}; ${EXPECTED_LEVEL}`);
      result[name] = { enforcementLevel: value };
    } else if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      const { enforcementLevel, ...properties } = value as Record<string, unknown>;
      if (enforcementLevel !== undefined && !isLevel(enforcementLevel)) {
        throw new PolicyConfigError(
          `${file}: ${quote(name)} has enforcementLevel ${quote(enforcementLevel)}; ${EXPECTED_LEVEL}`,
        );
      }
      result[name] = { enforcementLevel, properties };
    } else {
      throw new PolicyConfigError(`${file}: ${quote(name)} must be an enforcement level or an object`);
    }
  }
  return result;
}

const ajv = new Ajv({ allErrors: true, strict: false });

/** The config to send with Configure, or a PolicyConfigError naming the first bad key. */
export function reconcilePolicyConfig(
  policies: PolicyInfo[],
  given: Record<string, Partial<PolicyConfig>>,
  file: string,
): Record<string, PolicyConfig> {
  const byName = new Map(policies.map((p) => [p.name, p]));
  const result: Record<string, PolicyConfig> = {};
  for (const p of policies) {
    const defaults = Object.entries(p.configSchema?.properties ?? {}).filter(([, s]) => "default" in s);
    result[p.name] = {
      enforcementLevel: p.enforcementLevel,
      properties:
        defaults.length > 0 ? Object.fromEntries(defaults.map(([k, s]) => [k, s.default])) : undefined,
    };
  }
  const all = given.all;
  if (all) {
    if (all.properties && Object.keys(all.properties).length > 0) {
      throw new PolicyConfigError(
        `${file}: "all" takes only an enforcement level; put ${quote(Object.keys(all.properties)[0])} under a policy's name`,
      );
    }
    if (all.enforcementLevel)
      for (const c of Object.values(result)) c.enforcementLevel = all.enforcementLevel;
  }
  for (const [name, c] of Object.entries(given)) {
    if (name === "all") continue;
    const policy = byName.get(name);
    if (!policy) {
      throw new PolicyConfigError(
        `${file}: unknown policy ${quote(name)}; expected one of ${[...byName.keys()].join(", ")} or "all"`,
      );
    }
    const declared = Object.keys(policy.configSchema?.properties ?? {});
    const unknown = Object.keys(c.properties ?? {}).find((k) => !declared.includes(k));
    if (unknown !== undefined) {
      throw new PolicyConfigError(
        `${file}: unknown setting ${quote(unknown)} for policy "${name}"; expected ${declared.length > 0 ? `one of ${declared.join(", ")}` : "no settings"}`,
      );
    }
    if (c.enforcementLevel) result[name].enforcementLevel = c.enforcementLevel;
    if (c.properties && Object.keys(c.properties).length > 0) {
      result[name].properties = { ...result[name].properties, ...c.properties };
    }
  }
  for (const p of policies) {
    if (!p.configSchema) continue;
    const schema: Record<string, unknown> = {
      type: "object",
      properties: p.configSchema.properties,
      required: p.configSchema.required,
    };
    const validate = ajv.compile(schema);
    if (!validate(result[p.name].properties ?? {})) {
      const e = validate.errors![0];
      const where = e.instancePath ? e.instancePath.slice(1).replaceAll("/", ".") : "(settings)";
      throw new PolicyConfigError(`${file}: policy "${p.name}": ${where} ${e.message ?? "is invalid"}`);
    }
  }
  return result;
}
