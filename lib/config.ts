/**
 * Stack configuration of the bootstrap program: read, parse and validate every key before
 * the program registers anything, so a bad value never leaves a half-created user behind.
 *
 * Values are read as raw strings and parsed here (not with Config.getNumber/getBoolean), so
 * every bad value gets the same one-line message: the full key, the value and the expected
 * form. All bad values are reported together, then the program stops with a RunError, which
 * the Node language host prints without a stack trace (sdk/nodejs/cmd/run/run.ts,
 * uncaughtHandler).
 *
 * Pulumi.yaml declares the same keys with the same defaults: the CLI applies a declared default
 * before the program runs, so the two must agree (test/program/config.test.ts checks it).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import {
  PROJECT_NAME_PATTERN,
  isValidAccountAlias,
  isValidIamUserName,
  isValidProjectName,
  managementAccountName,
} from "./naming";
import { REDACTED, quote } from "./text";
import { PGP_KEY_EXPECTED_FORM, PgpKeyError, PgpRecipient, parsePgpRecipient } from "./pgp";

/** The project name, and so the config namespace (Pulumi.yaml `name`). */
export const CONFIG_NAMESPACE = "management-bootstrap";

export const PASSWORD_LENGTH_MIN = 20;
export const PASSWORD_LENGTH_MAX = 128;

/**
 * Pulumi.yaml's `config` section: the one place keys and defaults are declared. The CLI applies
 * these defaults before the program runs; the program falls back to the same ones.
 */
export const PROJECT_CONFIG: Readonly<
  Record<string, { type: string; default?: unknown; description: string }>
> = (yaml.load(fs.readFileSync(path.join(__dirname, "..", "Pulumi.yaml"), "utf8")) as { config: never })
  .config;

const declaredDefault = <T>(key: ConfigKey): T => PROJECT_CONFIG[key].default as T;

/** Defaults of the optional keys; accountName's default is derived from projectName. */
export const CONFIG_DEFAULTS = Object.freeze({
  bootstrapUserName: declaredDefault<string>("bootstrapUserName"),
  passwordLength: declaredDefault<number>("passwordLength"),
  passwordResetRequired: declaredDefault<boolean>("passwordResetRequired"),
  manageAccountAlias: declaredDefault<boolean>("manageAccountAlias"),
  credentialsRotation: declaredDefault<string>("credentialsRotation"),
  createAccessKey: declaredDefault<boolean>("createAccessKey"),
});

/** Every key the program reads, in the order they are validated. */
export const CONFIG_KEYS = [
  "projectName",
  "accountName",
  "bootstrapUserName",
  "passwordLength",
  "passwordResetRequired",
  "pgpKey",
  "manageAccountAlias",
  "credentialsRotation",
  "createAccessKey",
] as const;

export type ConfigKey = (typeof CONFIG_KEYS)[number];

export interface BootstrapConfig {
  projectName: string;
  accountName: string;
  bootstrapUserName: string;
  passwordLength: number;
  passwordResetRequired: boolean;
  /** Unset: the console password (and secret access key) are Pulumi secret outputs. */
  pgpKey?: PgpRecipient;
  manageAccountAlias: boolean;
  credentialsRotation: string;
  createAccessKey: boolean;
}

/** Where raw values come from: the stack config by default, a plain map in unit tests. */
export type RawConfigSource = (key: ConfigKey) => string | undefined;

export function stackConfigSource(): RawConfigSource {
  const config = new pulumi.Config(CONFIG_NAMESPACE);
  return (key) => config.get(key);
}

export function fullKey(key: ConfigKey): string {
  return `${CONFIG_NAMESPACE}:${key}`;
}

// isConfigSecret is exported by the SDK's runtime (sdk/nodejs/runtime/config.ts) but marked
// internal, so it is missing from the typings; without it every value counts as secret.
function isSecretKey(key: ConfigKey): boolean {
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
  return runtime.isConfigSecret ? runtime.isConfigSecret(fullKey(key)) : true;
}

/**
 * What the offline gate passes for a `secure:` value it never decrypts (the SDK's unknown
 * sentinel): the key is set, its value unknown, so it is not validated and flows on as unknown.
 */
const UNKNOWN = pulumi.runtime.unknownValue;

const SHOWN_VALUE_MAX = 40;

/** The value as it may appear in a message: quoted and shortened by lib/text, never a secret's. */
function shown(key: ConfigKey, raw: string): string {
  const quoted = quote(raw, { secrets: isSecretKey(key) ? [raw] : [], max: SHOWN_VALUE_MAX });
  return raw.length > SHOWN_VALUE_MAX && quoted !== REDACTED
    ? `${quoted} (${raw.length} characters)`
    : quoted;
}

function problem(key: ConfigKey, raw: string, what: string, expected: string): string {
  return `${fullKey(key)}: ${shown(key, raw)} ${what}; expected ${expected}`;
}

function parseBoolean(raw: string): boolean | undefined {
  // The same spellings pulumi.Config.getBoolean accepts.
  return raw === "true" ? true : raw === "false" ? false : undefined;
}

/**
 * Reads and validates the whole config. Throws a pulumi.RunError listing every bad value,
 * one line each; returns only when all of them are good.
 */
export async function loadConfig(source: RawConfigSource = stackConfigSource()): Promise<BootstrapConfig> {
  const problems: string[] = [];
  // The CLI writes a declared `default: ""` for keys without a fixed default; "" means unset.
  const read = (key: ConfigKey): string | undefined => {
    const raw = source(key);
    return raw === undefined || raw === "" ? undefined : raw;
  };
  const bool = (key: ConfigKey, fallback: boolean): boolean => {
    const raw = read(key);
    if (raw === undefined || raw === UNKNOWN) return fallback;
    const value = parseBoolean(raw);
    if (value === undefined) problems.push(problem(key, raw, "is not a boolean", "true or false"));
    return value ?? fallback;
  };

  const projectName = read("projectName");
  if (projectName === UNKNOWN) {
    // Secret and not decrypted (the offline gate): set, but nothing to validate.
  } else if (projectName === undefined) {
    problems.push(
      `${fullKey("projectName")} is not set; expected the Leverage project name (${PROJECT_NAME_PATTERN.source})`,
    );
  } else if (!isValidProjectName(projectName)) {
    problems.push(
      problem(
        "projectName",
        projectName,
        "is not a Leverage project name",
        `3 to 25 lower-case letters, digits or dashes, not starting or ending with a dash (${PROJECT_NAME_PATTERN.source})`,
      ),
    );
  }
  const projectNameOk = projectName !== undefined && isValidProjectName(projectName);
  const expectedAccountName = projectNameOk ? managementAccountName(projectName) : undefined;

  const rawAccountName = read("accountName");
  const accountName = rawAccountName ?? (projectName === UNKNOWN ? UNKNOWN : (expectedAccountName ?? ""));
  if (
    rawAccountName !== undefined &&
    rawAccountName !== UNKNOWN &&
    expectedAccountName !== undefined &&
    rawAccountName !== expectedAccountName
  ) {
    problems.push(
      problem(
        "accountName",
        rawAccountName,
        "is not the management account's name",
        `"${expectedAccountName}" (<projectName>-management), or leave it unset`,
      ),
    );
  }

  const bootstrapUserName = read("bootstrapUserName") ?? CONFIG_DEFAULTS.bootstrapUserName;
  if (bootstrapUserName !== UNKNOWN && !isValidIamUserName(bootstrapUserName)) {
    problems.push(
      problem(
        "bootstrapUserName",
        bootstrapUserName,
        "is not an IAM user name",
        "1 to 64 letters, digits or + = , . @ _ -",
      ),
    );
  }

  let passwordLength: number = CONFIG_DEFAULTS.passwordLength;
  const rawLength = read("passwordLength");
  if (rawLength !== undefined && rawLength !== UNKNOWN) {
    const lengthExpected = `an integer from ${PASSWORD_LENGTH_MIN} to ${PASSWORD_LENGTH_MAX}`;
    if (!/^[0-9]+$/.test(rawLength)) {
      problems.push(problem("passwordLength", rawLength, "is not an integer", lengthExpected));
    } else {
      passwordLength = Number(rawLength);
      if (passwordLength < PASSWORD_LENGTH_MIN || passwordLength > PASSWORD_LENGTH_MAX) {
        problems.push(problem("passwordLength", rawLength, "is out of range", lengthExpected));
      }
    }
  }

  const passwordResetRequired = bool("passwordResetRequired", CONFIG_DEFAULTS.passwordResetRequired);

  let pgpKey: PgpRecipient | undefined;
  const rawPgpKey = read("pgpKey");
  if (rawPgpKey === UNKNOWN) {
    pgpKey = { value: UNKNOWN };
  } else if (rawPgpKey !== undefined) {
    try {
      pgpKey = await parsePgpRecipient(rawPgpKey);
    } catch (err) {
      if (!(err instanceof PgpKeyError)) throw err;
      problems.push(problem("pgpKey", rawPgpKey, err.reason, PGP_KEY_EXPECTED_FORM));
    }
  }

  const manageAccountAlias = bool("manageAccountAlias", CONFIG_DEFAULTS.manageAccountAlias);
  // Project names allow "--", account aliases do not: only then can the alias be refused.
  if (
    manageAccountAlias &&
    projectNameOk &&
    accountName !== "" &&
    accountName !== UNKNOWN &&
    !isValidAccountAlias(accountName)
  ) {
    problems.push(
      problem(
        "accountName",
        accountName,
        "cannot be the IAM account alias",
        `3 to 63 lower-case letters, digits or single dashes; or set ${fullKey("manageAccountAlias")} to false`,
      ),
    );
  }

  const credentialsRotation = source("credentialsRotation") ?? CONFIG_DEFAULTS.credentialsRotation;
  if (credentialsRotation.trim() === "") {
    problems.push(
      problem(
        "credentialsRotation",
        credentialsRotation,
        "is empty",
        'any non-empty string, changed to rotate the credentials (e.g. "2")',
      ),
    );
  }

  const createAccessKey = bool("createAccessKey", CONFIG_DEFAULTS.createAccessKey);

  if (problems.length > 0) throw new pulumi.RunError(problems.join("\n"));
  return {
    projectName: projectName as string,
    accountName,
    bootstrapUserName,
    passwordLength,
    passwordResetRequired,
    pgpKey,
    manageAccountAlias,
    credentialsRotation,
    createAccessKey,
  };
}
