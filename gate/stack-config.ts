/**
 * The stack's configuration as the CLI hands it to a program and a policy pack: Pulumi.yaml's
 * declared defaults under Pulumi.<stack>.yaml's values, full keys (`project:key`), strings.
 *
 * A `secure:` value is never decrypted: the key counts as set with a value unknown offline
 * (the SDK's unknown sentinel), and is listed among the secret keys, so neither the program nor
 * the pack validates a placeholder as if it were the value.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";

export class StackConfigError extends Error {}

/** A key declared in Pulumi.yaml's `config` section. */
export interface ConfigDeclaration {
  type?: string;
  default?: unknown;
  description?: string;
}

export interface Project {
  name: string;
  runtime: string;
  main: string;
  config: Record<string, ConfigDeclaration>;
}

export interface StackConfig {
  project: Project;
  stack: string;
  config: Record<string, string>;
  secretKeys: string[];
  stackFile: string;
}

function readYaml(file: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new StackConfigError(`${what} not found: ${file}`);
  }
  try {
    const doc = yaml.load(text);
    return doc !== null && typeof doc === "object" && !Array.isArray(doc)
      ? (doc as Record<string, unknown>)
      : {};
  } catch (e) {
    throw new StackConfigError(`${file} is not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
}

/** Pulumi.yaml of the project in `dir`. */
export function loadProject(dir: string): Project {
  const file = path.join(dir, "Pulumi.yaml");
  const doc = readYaml(file, "Pulumi project file");
  if (typeof doc.name !== "string" || doc.name === "")
    throw new StackConfigError(`${file}: 'name' is missing; expected the project name`);
  const runtime =
    typeof doc.runtime === "string" ? doc.runtime : (doc.runtime as { name?: string } | undefined)?.name;
  const config: Record<string, ConfigDeclaration> = {};
  for (const [k, v] of Object.entries((doc.config ?? {}) as Record<string, unknown>)) {
    config[k] =
      v !== null && typeof v === "object" && !Array.isArray(v) ? (v as ConfigDeclaration) : { default: v };
  }
  return {
    name: doc.name,
    runtime: runtime ?? "",
    main: typeof doc.main === "string" ? doc.main : ".",
    config,
  };
}

const isSecure = (v: unknown): boolean =>
  v !== null &&
  typeof v === "object" &&
  Object.keys(v).length === 1 &&
  typeof (v as { secure?: unknown }).secure === "string";

const stringify = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

function validType(type: string, raw: string): boolean {
  switch (type) {
    case "integer":
      return /^[+-]?\d+$/.test(raw);
    case "boolean":
      return raw === "true" || raw === "false";
    default:
      return true;
  }
}

export function loadStackConfig(dir: string, stack: string): StackConfig {
  const project = loadProject(dir);
  const stackFile = path.join(dir, `Pulumi.${stack}.yaml`);
  const raw = readYaml(stackFile, `stack file for stack '${stack}'`).config ?? {};
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new StackConfigError(`${stackFile}: 'config' must be a map of key: value`);
  }
  const fullKey = (k: string) => (k.includes(":") ? k : `${project.name}:${k}`);
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const key = fullKey(k);
    if (!/^[^:]+:[^:]+$/.test(key))
      throw new StackConfigError(`${stackFile}: config key '${k}' is not of the form 'namespace:key'`);
    if (isSecure(v) || JSON.stringify(v)?.includes('"secure":')) {
      config[key] = pulumi.runtime.unknownValue;
      secretKeys.push(key);
    } else {
      config[key] = stringify(v);
    }
  }
  const missing: string[] = [];
  for (const [k, decl] of Object.entries(project.config)) {
    const key = fullKey(k);
    if (key in config) {
      if (decl.type && !secretKeys.includes(key) && !validType(decl.type, config[key])) {
        throw new StackConfigError(
          `Stack '${stack}' with configuration key '${k}' must be of type '${decl.type}' (${stackFile})`,
        );
      }
    } else if (decl.default !== undefined) {
      config[key] = stringify(decl.default);
    } else if (key.startsWith(`${project.name}:`)) {
      missing.push(k);
    }
  }
  if (missing.length > 0) {
    throw new StackConfigError(
      `Stack '${stack}' is missing configuration ${missing.map((m) => `'${m}'`).join(", ")}; set it in ${stackFile}`,
    );
  }
  return { project, stack, config, secretKeys: secretKeys.sort(), stackFile };
}
