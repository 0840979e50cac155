/**
 * Every key is validated before the program registers anything, so a bad value never leaves a half-created
 * user. Raw strings, not Config.getNumber/getBoolean, so every bad value gets one line (key, value, expected
 * form); all of them go in one RunError, which the language host prints without a stack trace.
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
import { LIFETIME_DAYS_MAX } from "./expiry";
import { REDACTED, quote } from "./text";
import { PGP_KEY_EXPECTED_FORM, PgpKeyError, PgpRecipient, parsePgpRecipient } from "./pgp";

// Pulumi.yaml declares the keys and their defaults, which the CLI applies before the program runs.
const PROJECT = yaml.load(fs.readFileSync(path.join(__dirname, "..", "Pulumi.yaml"), "utf8")) as {
  name: string;
  config: Record<string, { default?: unknown }>;
};

export const CONFIG_NAMESPACE = PROJECT.name;

const PASSWORD_LENGTH_MIN = 20;
const PASSWORD_LENGTH_MAX = 128;

const declaredDefault = <T>(key: ConfigKey): T => PROJECT.config[key].default as T;

/** accountName's default is derived from projectName. */
export const CONFIG_DEFAULTS = Object.freeze({
  bootstrapUserName: declaredDefault<string>("bootstrapUserName"),
  passwordLength: declaredDefault<number>("passwordLength"),
  passwordResetRequired: declaredDefault<boolean>("passwordResetRequired"),
  manageAccountAlias: declaredDefault<boolean>("manageAccountAlias"),
  credentialsRotation: declaredDefault<string>("credentialsRotation"),
  createAccessKey: declaredDefault<boolean>("createAccessKey"),
  bootstrapUserLifetimeDays: declaredDefault<number>("bootstrapUserLifetimeDays"),
});

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
  "bootstrapUserLifetimeDays",
] as const;

export type ConfigKey = (typeof CONFIG_KEYS)[number];

/**
 * Two valid values for each key, for the offline gate (gate/stack-config.ts), which never decrypts a
 * `secure:` value: it runs the program once with each, and whatever differs between the runs is unknown to
 * the pack. A key that decides which resources exist gets its default twice; accountName "" is derived from
 * projectName; credentialsRotation names a resource, so its default twice keeps the URNs of both runs alike.
 */
export const OFFLINE_STAND_INS: Readonly<Record<ConfigKey, readonly [string, string]>> = {
  projectName: ["stand-in-a", "stand-in-b"],
  accountName: ["", ""],
  bootstrapUserName: ["stand-in-a", "stand-in-b"],
  passwordLength: ["32", "33"],
  passwordResetRequired: ["true", "false"],
  pgpKey: ["keybase:stand_in_a", "keybase:stand_in_b"],
  manageAccountAlias: [
    String(CONFIG_DEFAULTS.manageAccountAlias),
    String(CONFIG_DEFAULTS.manageAccountAlias),
  ],
  credentialsRotation: [CONFIG_DEFAULTS.credentialsRotation, CONFIG_DEFAULTS.credentialsRotation],
  createAccessKey: [String(CONFIG_DEFAULTS.createAccessKey), String(CONFIG_DEFAULTS.createAccessKey)],
  bootstrapUserLifetimeDays: ["30", "31"],
};

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
  /** Days from the first deployment to the bootstrap user's ExpiresOn date. */
  bootstrapUserLifetimeDays: number;
}

const config = new pulumi.Config(CONFIG_NAMESPACE);
const stackConfig = (key: ConfigKey): string | undefined => config.get(key);

const fullKey = (key: ConfigKey) => `${CONFIG_NAMESPACE}:${key}`;

// isConfigSecret is exported by the SDK's runtime (sdk/nodejs/runtime/config.ts) but marked
// internal, so it is missing from the typings; without it every value counts as secret.
function isSecretKey(key: ConfigKey): boolean {
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
  return runtime.isConfigSecret ? runtime.isConfigSecret(fullKey(key)) : true;
}

const SHOWN_VALUE_MAX = 40;

// A secret key's value is never shown, whatever its length (text redaction skips short secrets).
function shown(key: ConfigKey, raw: string): string {
  if (isSecretKey(key)) return REDACTED;
  const quoted = quote(raw, { max: SHOWN_VALUE_MAX });
  return raw.length > SHOWN_VALUE_MAX ? `${quoted} (${raw.length} characters)` : quoted;
}

/** Levenshtein distance: insertions, deletions and substitutions (two rows of the usual table). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length];
}

/**
 * A warning for each key of this project's namespace that Pulumi.yaml does not declare: the CLI
 * passes such a key silently, so a typo (createAcessKey: true) would leave the default in force.
 * Other namespaces (aws:region) belong to their providers.
 */
export function undeclaredKeyWarnings(fullKeys: string[]): string[] {
  const declared = Object.keys(PROJECT.config);
  const prefix = `${CONFIG_NAMESPACE}:`;
  const undeclared = fullKeys
    .filter((k) => k.startsWith(prefix) && !declared.includes(k.slice(prefix.length)))
    .sort();
  return undeclared.map((fullKey) => {
    const key = fullKey.slice(prefix.length).toLowerCase();
    const [nearest] = declared
      .map((d) => ({ d, distance: editDistance(key, d.toLowerCase()) }))
      .sort((a, b) => a.distance - b.distance);
    // A third of the key's letters (at least 2) apart still reads as a typo; beyond, list them all.
    const hint =
      nearest.distance <= Math.max(2, Math.floor(key.length / 3))
        ? `did you mean ${nearest.d}?`
        : `the keys are ${declared.join(", ")}`;
    return `${quote(fullKey)} is not a key of this project (Pulumi.yaml), so it has no effect; ${hint}`;
  });
}

/** `source` is the stack's config, or a plain map in tests. */
export async function loadConfig(source = stackConfig): Promise<BootstrapConfig> {
  // Here, not in the gate: `pulumi preview` and `npm run check` both run the program.
  if (source === stackConfig)
    for (const warning of undeclaredKeyWarnings(Object.keys(pulumi.runtime.allConfig())))
      void pulumi.log.warn(warning);
  const problems: string[] = [];
  const problem = (key: ConfigKey, raw: string, what: string, expected: string) =>
    problems.push(`${fullKey(key)}: ${shown(key, raw)} ${what}; expected ${expected}`);
  // The CLI writes a declared `default: ""` for keys without a fixed default; "" means unset.
  const read = (key: ConfigKey): string | undefined => {
    const raw = source(key);
    return raw === undefined || raw === "" ? undefined : raw;
  };
  const bool = (key: ConfigKey, fallback: boolean): boolean => {
    const raw = read(key);
    if (raw === undefined) return fallback;
    // The same spellings pulumi.Config.getBoolean accepts.
    const value = raw === "true" ? true : raw === "false" ? false : undefined;
    if (value === undefined) problem(key, raw, "is not a boolean", "true or false");
    return value ?? fallback;
  };

  const projectName = read("projectName");
  if (projectName === undefined) {
    problems.push(
      `${fullKey("projectName")} is not set; expected the Leverage project name (${PROJECT_NAME_PATTERN.source})`,
    );
  } else if (!isValidProjectName(projectName)) {
    problem(
      "projectName",
      projectName,
      "is not a Leverage project name",
      `3 to 25 lower-case letters, digits or dashes, not starting or ending with a dash (${PROJECT_NAME_PATTERN.source})`,
    );
  }
  const projectNameOk = projectName !== undefined && isValidProjectName(projectName);
  const expectedAccountName = projectNameOk ? managementAccountName(projectName) : undefined;

  const rawAccountName = read("accountName");
  const accountName = rawAccountName ?? expectedAccountName ?? "";
  if (
    rawAccountName !== undefined &&
    expectedAccountName !== undefined &&
    rawAccountName !== expectedAccountName
  ) {
    problem(
      "accountName",
      rawAccountName,
      "is not the management account's name",
      `"${expectedAccountName}" (<projectName>-management), or leave it unset`,
    );
  }

  const bootstrapUserName = read("bootstrapUserName") ?? CONFIG_DEFAULTS.bootstrapUserName;
  if (!isValidIamUserName(bootstrapUserName)) {
    problem(
      "bootstrapUserName",
      bootstrapUserName,
      "is not an IAM user name",
      "1 to 64 letters, digits or + = , . @ _ -",
    );
  }

  let passwordLength: number = CONFIG_DEFAULTS.passwordLength;
  const rawLength = read("passwordLength");
  if (rawLength !== undefined) {
    const expected = `an integer from ${PASSWORD_LENGTH_MIN} to ${PASSWORD_LENGTH_MAX}`;
    passwordLength = Number(rawLength);
    if (!/^[0-9]+$/.test(rawLength)) {
      problem("passwordLength", rawLength, "is not an integer", expected);
    } else if (passwordLength < PASSWORD_LENGTH_MIN || passwordLength > PASSWORD_LENGTH_MAX) {
      problem("passwordLength", rawLength, "is out of range", expected);
    }
  }

  const passwordResetRequired = bool("passwordResetRequired", CONFIG_DEFAULTS.passwordResetRequired);

  let pgpKey: PgpRecipient | undefined;
  const rawPgpKey = read("pgpKey");
  if (rawPgpKey !== undefined) {
    try {
      pgpKey = await parsePgpRecipient(rawPgpKey);
    } catch (err) {
      if (!(err instanceof PgpKeyError)) throw err;
      problem("pgpKey", rawPgpKey, err.message, PGP_KEY_EXPECTED_FORM);
    }
  }

  const manageAccountAlias = bool("manageAccountAlias", CONFIG_DEFAULTS.manageAccountAlias);
  // Project names allow "--", account aliases do not: only then can the alias be refused.
  if (manageAccountAlias && projectNameOk && !isValidAccountAlias(accountName)) {
    problem(
      "accountName",
      accountName,
      "cannot be the IAM account alias",
      `3 to 63 lower-case letters, digits or single dashes; or set ${fullKey("manageAccountAlias")} to false`,
    );
  }

  const credentialsRotation = source("credentialsRotation") ?? CONFIG_DEFAULTS.credentialsRotation;
  if (credentialsRotation.trim() === "") {
    problem(
      "credentialsRotation",
      credentialsRotation,
      "is empty",
      'any non-empty string, changed to rotate the credentials (e.g. "2")',
    );
  }

  const createAccessKey = bool("createAccessKey", CONFIG_DEFAULTS.createAccessKey);

  let bootstrapUserLifetimeDays: number = CONFIG_DEFAULTS.bootstrapUserLifetimeDays;
  const rawLifetime = read("bootstrapUserLifetimeDays");
  if (rawLifetime !== undefined) {
    const expected = `a whole number of days from 1 to ${LIFETIME_DAYS_MAX}, counted from the first deployment`;
    bootstrapUserLifetimeDays = Number(rawLifetime);
    if (!/^[0-9]+$/.test(rawLifetime)) {
      problem("bootstrapUserLifetimeDays", rawLifetime, "is not a whole number", expected);
    } else if (bootstrapUserLifetimeDays < 1 || bootstrapUserLifetimeDays > LIFETIME_DAYS_MAX) {
      problem("bootstrapUserLifetimeDays", rawLifetime, "is out of range", expected);
    }
  }

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
    bootstrapUserLifetimeDays,
  };
}
