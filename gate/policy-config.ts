/** `--policy-pack-config` reconciled as analyzer/config.go does; the pack's Configure judges the result. */
import { quote } from "../lib/text";
import { ENFORCEMENT_LEVELS, type EnforcementLevel, type PolicyConfig, type PolicyInfo } from "./analyzer";

export class PolicyConfigError extends Error {}

const isLevel = (v: unknown): v is EnforcementLevel => ENFORCEMENT_LEVELS.includes(v as EnforcementLevel);

/** The config to send with Configure, or a PolicyConfigError naming what is wrong in the file. */
export function reconcilePolicyConfig(
  policies: PolicyInfo[],
  text: string | undefined,
  file: string,
): Record<string, PolicyConfig> {
  let given: unknown = {};
  try {
    if (text !== undefined) given = JSON.parse(text);
  } catch {
    throw new PolicyConfigError(
      `${file} is not valid JSON; expected an object keyed by policy name or "all"`,
    );
  }
  if (given === null || typeof given !== "object" || Array.isArray(given)) {
    throw new PolicyConfigError(`${file} must be a JSON object keyed by policy name or "all"`);
  }
  const result: Record<string, PolicyConfig> = {};
  for (const p of policies) {
    const defaults = Object.entries(p.configSchema?.properties ?? {}).filter(([, s]) => "default" in s);
    result[p.name] = {
      enforcementLevel: p.enforcementLevel,
      properties: Object.fromEntries(defaults.map(([k, s]) => [k, s.default])),
    };
  }
  const entries = Object.entries(given as Record<string, unknown>).map(([name, value]) => {
    // `__proto__` cannot travel in Configure's protobuf map (it is dropped), and as a key of a plain object
    // a name like `constructor` reads Object's own members: neither names a policy.
    if (name in Object.prototype)
      throw new PolicyConfigError(
        `${file}: ${quote(name)} is not a policy name; expected a policy of the pack or "all"`,
      );
    const { enforcementLevel, ...properties } =
      typeof value === "string" ? { enforcementLevel: value } : ((value ?? 0) as Record<string, unknown>);
    if (typeof value !== "string" && (value === null || typeof value !== "object" || Array.isArray(value))) {
      throw new PolicyConfigError(`${file}: ${quote(name)} must be an enforcement level or an object`);
    }
    if (enforcementLevel !== undefined && !isLevel(enforcementLevel)) {
      throw new PolicyConfigError(
        `${file}: ${quote(name)} has enforcement level ${quote(enforcementLevel)}; expected one of ${ENFORCEMENT_LEVELS.join(", ")}`,
      );
    }
    return { name, enforcementLevel, properties };
  });
  const all = entries.find((e) => e.name === "all");
  if (all?.enforcementLevel) for (const c of Object.values(result)) c.enforcementLevel = all.enforcementLevel;
  for (const { name, enforcementLevel, properties } of entries) {
    const c = (result[name] ??= { enforcementLevel: enforcementLevel ?? "advisory", properties: {} });
    if (enforcementLevel) c.enforcementLevel = enforcementLevel;
    c.properties = { ...c.properties, ...properties };
  }
  return result;
}
