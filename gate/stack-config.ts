/**
 * The stack's config as the CLI hands it over, but a `secure:` value is never decrypted: the program gets
 * stand-ins (see run-program.ts runProgram), the pack does not get the key.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { CONFIG_NAMESPACE, OFFLINE_STAND_INS } from "../lib/config";

export class StackConfigError extends Error {}

export interface StackConfig {
  project: { name: string; runtime: string; main: string };
  /** The values the gate knows: every key but the secure ones. */
  config: Record<string, string>;
  /** The secure keys: never decrypted, so not checked offline. */
  secretKeys: string[];
  /** For each secure key, two valid values of its declared type the program runs with. */
  standIns: Record<string, readonly [string, string]>;
}

function readYaml(file: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new StackConfigError(`${what} not found: ${file}`);
  }
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (e) {
    throw new StackConfigError(`${file} is not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  return doc !== null && typeof doc === "object" && !Array.isArray(doc)
    ? (doc as Record<string, unknown>)
    : {};
}

const stringify = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

/** Whether a value fits its declared type; other types take any value. */
const FITS_TYPE: Record<string, (raw: string) => boolean> = {
  integer: (raw) => /^[+-]?\d+$/.test(raw),
  boolean: (raw) => raw === "true" || raw === "false",
};

/**
 * Two values of a key's declared type: the program's own (lib/config.ts) for this project, else by type. A
 * boolean may decide which resources exist: its default twice.
 */
function standIn(project: string, key: string, decl: { type?: string; default?: unknown }) {
  if (project === CONFIG_NAMESPACE && Object.hasOwn(OFFLINE_STAND_INS, key))
    return OFFLINE_STAND_INS[key as keyof typeof OFFLINE_STAND_INS];
  if (decl.type === "boolean")
    return [stringify(decl.default ?? false), stringify(decl.default ?? false)] as const;
  const n = Number(decl.default ?? 0);
  if (decl.type === "integer") return [String(n), String(n + 1)] as const;
  return ["stand-in-a", "stand-in-b"] as const;
}

export function loadStackConfig(dir: string, stack: string): StackConfig {
  const projectFile = path.join(dir, "Pulumi.yaml");
  const doc = readYaml(projectFile, "Pulumi project file");
  if (typeof doc.name !== "string" || doc.name === "")
    throw new StackConfigError(`${projectFile}: 'name' is missing; expected the project name`);
  const name = doc.name;
  const runtime =
    typeof doc.runtime === "string" ? doc.runtime : (doc.runtime as { name?: string } | undefined)?.name;
  const stackFile = path.join(dir, `Pulumi.${stack}.yaml`);
  const raw = readYaml(stackFile, `stack file for stack '${stack}'`).config ?? {};
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new StackConfigError(`${stackFile}: 'config' must be a map of key: value`);
  }
  const fullKey = (k: string) => (k.includes(":") ? k : `${name}:${k}`);
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const key = fullKey(k);
    if (!/^[^:]+:[^:]+$/.test(key))
      throw new StackConfigError(`${stackFile}: config key '${k}' is not of the form 'namespace:key'`);
    // A secure value alone, or one inside an object value.
    if (JSON.stringify(v)?.includes('"secure":')) {
      secretKeys.push(key);
    } else {
      config[key] = stringify(v);
    }
  }
  const standIns: Record<string, readonly [string, string]> = {};
  const missing: string[] = [];
  for (const [k, v] of Object.entries((doc.config ?? {}) as Record<string, unknown>)) {
    const decl = (v !== null && typeof v === "object" && !Array.isArray(v) ? v : { default: v }) as {
      type?: string;
      default?: unknown;
    };
    const key = fullKey(k);
    if (secretKeys.includes(key)) {
      standIns[key] = standIn(name, k, decl);
    } else if (key in config) {
      if (decl.type && FITS_TYPE[decl.type]?.(config[key]) === false) {
        throw new StackConfigError(
          `Stack '${stack}' with configuration key '${k}' must be of type '${decl.type}' (${stackFile})`,
        );
      }
    } else if (decl.default !== undefined) {
      config[key] = stringify(decl.default);
    } else if (key.startsWith(`${name}:`)) {
      missing.push(k);
    }
  }
  if (missing.length > 0) {
    throw new StackConfigError(
      `Stack '${stack}' is missing configuration ${missing.map((m) => `'${m}'`).join(", ")}; set it in ${stackFile}`,
    );
  }
  const main = typeof doc.main === "string" ? doc.main : ".";
  for (const key of secretKeys) standIns[key] ??= ["stand-in-a", "stand-in-b"];
  return { project: { name, runtime: runtime ?? "", main }, config, secretKeys: secretKeys.sort(), standIns };
}
