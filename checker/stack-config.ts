/**
 * The project and stack configuration as the Pulumi CLI hands it to the program and to the
 * policy pack, read from Pulumi.yaml and Pulumi.<stack>.yaml without any secrets provider.
 *
 * Mirrors pulumi/pulumi pkg/workspace/config.go mergeConfig
 * (ValidateStackConfigAndApplyProjectConfig): project `config:` defaults fill keys the stack
 * does not set, a declared key without default or value that the stack lacks is an error,
 * and explicitly typed keys are type-checked (sdk/go/common/workspace/project.go
 * ValidateConfigValue). Values travel as strings (objects as JSON), keyed `namespace:key`.
 *
 * `secure:` values are never decrypted: they become SECRET_PLACEHOLDER and their keys are
 * listed as secret (PULUMI_CONFIG_SECRET_KEYS / ConfigureStack's configSecretKeys), so a
 * program or pack that reads them sees a secret it cannot reveal.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { SECRET_PLACEHOLDER } from "./wire";

export class StackConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackConfigError";
  }
}

interface ProjectConfigType {
  type?: string;
  items?: { type: string; items?: unknown };
  default?: unknown;
  value?: unknown;
  secret?: boolean;
}

export interface ProjectFile {
  name: string;
  runtime: string;
  /** Declared config keys, as written (`key` or `ns:key`). */
  config: Record<string, ProjectConfigType>;
  /** The program's entry point directory or file (Pulumi.yaml `main`), default ".". */
  main: string;
}

export interface StackConfig {
  project: ProjectFile;
  stack: string;
  /** `namespace:key` -> string, as the engine gives it (PULUMI_CONFIG). */
  config: Record<string, string>;
  /** Keys whose values are secrets (here: `secure:` values, never decrypted). */
  secretKeys: string[];
  /** The stack file read, for messages. */
  stackFile: string;
}

function readYaml(file: string, what: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new StackConfigError(`${what} not found: ${file}`);
  }
  try {
    return yaml.load(text);
  } catch (e) {
    const reason = (e as Error).message.split("\n")[0];
    throw new StackConfigError(`${file} is not valid YAML: ${reason}`);
  }
}

export function loadProject(dir: string): ProjectFile {
  const file = path.join(dir, "Pulumi.yaml");
  const doc = readYaml(file, "Pulumi project file") as Record<string, unknown> | null;
  if (!doc || typeof doc !== "object" || typeof doc.name !== "string" || doc.name === "") {
    throw new StackConfigError(`${file}: 'name' is missing (expected the project name)`);
  }
  const runtime = doc.runtime;
  const runtimeName =
    typeof runtime === "string" ? runtime : (runtime as { name?: unknown } | undefined)?.name;
  const config: Record<string, ProjectConfigType> = {};
  const declared = doc.config;
  if (declared && typeof declared === "object") {
    for (const [k, v] of Object.entries(declared as Record<string, unknown>)) {
      // A bare value is shorthand for `{ value: ... }`; a map with a `type` or `default` is a declaration.
      if (v !== null && typeof v === "object" && !Array.isArray(v)) config[k] = v as ProjectConfigType;
      else config[k] = { value: v };
    }
  }
  return {
    name: doc.name,
    runtime: typeof runtimeName === "string" ? runtimeName : "",
    config,
    main: typeof doc.main === "string" ? doc.main : ".",
  };
}

/** A key as `namespace:key` (parseConfigKey: bare keys belong to the project). */
function fullKey(project: string, key: string): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

/** How a YAML config value becomes the engine's string (objects and arrays as JSON). */
function stringify(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

function isSecure(v: unknown): v is { secure: string } {
  return (
    v !== null &&
    typeof v === "object" &&
    !Array.isArray(v) &&
    Object.keys(v).length === 1 &&
    typeof (v as { secure?: unknown }).secure === "string"
  );
}

/** Replaces nested `secure:` values by the placeholder; reports whether there was one. */
function stripSecure(v: unknown): { value: unknown; secret: boolean } {
  if (isSecure(v)) return { value: SECRET_PLACEHOLDER, secret: true };
  if (Array.isArray(v)) {
    let secret = false;
    const value = v.map((e) => {
      const r = stripSecure(e);
      secret ||= r.secret;
      return r.value;
    });
    return { value, secret };
  }
  if (v !== null && typeof v === "object") {
    let secret = false;
    const value: Record<string, unknown> = {};
    for (const [k, e] of Object.entries(v)) {
      const r = stripSecure(e);
      secret ||= r.secret;
      value[k] = r.value;
    }
    return { value, secret };
  }
  return { value: v, secret: false };
}

/** workspace.ValidateConfigValue on the string the stack holds. */
function validType(type: string, items: ProjectConfigType["items"], raw: string, isObject: boolean): boolean {
  let content: unknown = raw;
  if (isObject) {
    try {
      content = JSON.parse(raw);
    } catch {
      return false;
    }
  }
  const check = (t: string, it: ProjectConfigType["items"], v: unknown): boolean => {
    switch (t) {
      case "string":
        return typeof v === "string";
      case "integer":
        if (typeof v === "number") return Number.isInteger(v);
        return typeof v === "string" && /^[+-]?\d+$/.test(v);
      case "boolean":
        return v === true || v === false || v === "true" || v === "false";
      case "object":
        return v !== null && typeof v === "object" && !Array.isArray(v);
      default:
        return (
          Array.isArray(v) &&
          it !== undefined &&
          v.every((e) => check(it.type, it.items as ProjectConfigType["items"], e))
        );
    }
  };
  return check(type, items, content);
}

function typeName(type: string, items: ProjectConfigType["items"]): string {
  return items ? `array<${typeName(items.type, items.items as ProjectConfigType["items"])}>` : type;
}

/**
 * Reads `<dir>/Pulumi.yaml` and `<dir>/Pulumi.<stack>.yaml` and returns the config the engine
 * would give the program and the pack. Throws StackConfigError with one line on bad input.
 */
export function loadStackConfig(dir: string, stack: string): StackConfig {
  const project = loadProject(dir);
  const stackFile = path.join(dir, `Pulumi.${stack}.yaml`);
  const doc = readYaml(stackFile, `stack file for stack '${stack}'`) as Record<string, unknown> | null;
  const raw = doc && typeof doc === "object" ? (doc.config ?? {}) : {};
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new StackConfigError(`${stackFile}: 'config' must be a map of key: value`);
  }

  const config: Record<string, string> = {};
  const objectKeys = new Set<string>();
  const secretKeys: string[] = [];
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const key = fullKey(project.name, k);
    if (key.split(":").length !== 2 || key.startsWith(":") || key.endsWith(":")) {
      throw new StackConfigError(`${stackFile}: config key '${k}' is not of the form 'namespace:key'`);
    }
    const { value, secret } = stripSecure(v);
    config[key] = stringify(value);
    if (value !== null && typeof value === "object") objectKeys.add(key);
    if (secret) secretKeys.push(key);
  }

  // Project defaults and required keys (mergeConfig).
  const missing: string[] = [];
  for (const k of Object.keys(project.config).sort()) {
    const decl = project.config[k];
    const key = fullKey(project.name, k);
    if (key in config) continue;
    const fallback = decl.default !== undefined ? decl.default : decl.value;
    if (fallback === undefined) {
      if (key.startsWith(`${project.name}:`)) missing.push(k);
      continue;
    }
    config[key] = stringify(fallback);
    if (fallback !== null && typeof fallback === "object") objectKeys.add(key);
  }
  if (missing.length > 0) {
    const what = missing.length === 1 ? "value" : "values";
    throw new StackConfigError(
      `Stack '${stack}' is missing configuration ${what} ${missing.map((m) => `'${m}'`).join(", ")} (set it in ${stackFile})`,
    );
  }

  // Type checks of explicitly typed keys (validateStackConfigValues); a secure value cannot
  // be checked without decrypting it, which this tool never does.
  for (const k of Object.keys(project.config).sort()) {
    const decl = project.config[k];
    const key = fullKey(project.name, k);
    if (!decl.type || !(key in config) || secretKeys.includes(key)) continue;
    if (decl.secret && !secretKeys.includes(key)) {
      throw new StackConfigError(
        `Stack '${stack}' with configuration key '${k}' must be encrypted as it's secret`,
      );
    }
    if (!validType(decl.type, decl.items, config[key], objectKeys.has(key))) {
      throw new StackConfigError(
        `Stack '${stack}' with configuration key '${k}' must be of type '${typeName(decl.type, decl.items)}' (${stackFile})`,
      );
    }
  }

  return { project, stack, config, secretKeys: secretKeys.sort(), stackFile };
}
