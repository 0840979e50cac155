/**
 * Credentials come from an "issue", a random.RandomId per credentialsRotation value with frozen keepers, not
 * from `ignoreChanges` on the login profile: the engine copies an ignored property's old input even into a
 * replacement (step_generator.go, processIgnoreChanges), so a new pgpKey or passwordLength never reaches AWS.
 */
import { createHash } from "node:crypto";
import type { BootstrapConfig } from "./config";

/** Logical name of the issue resource for one credentialsRotation value (URN-safe, stable). */
export function credentialsIssueName(credentialsRotation: string): string {
  const digest = createHash("sha256").update(credentialsRotation, "utf8").digest("hex");
  return `credentials-issue-${digest.slice(0, 12)}`;
}

/** The issue's keepers: random's keepers are a map of strings. */
export function issueKeepers(config: BootstrapConfig): Record<string, string> {
  const keepers: Record<string, string> = {
    credentialsRotation: config.credentialsRotation,
    passwordLength: String(config.passwordLength),
  };
  if (config.pgpKey) keepers.pgpKey = config.pgpKey.value;
  return keepers;
}

export interface IssuedSettings {
  passwordLength: number;
  pgpKey?: string;
}

/** Only test mocks that return no state leave a keeper out; the configured value is the right one then. */
export function readIssueKeepers(
  keepers: Record<string, string> | undefined,
  config: BootstrapConfig,
): IssuedSettings {
  const length = Number(keepers?.passwordLength);
  return {
    passwordLength: Number.isInteger(length) && length > 0 ? length : config.passwordLength,
    pgpKey: keepers === undefined ? config.pgpKey?.value : keepers.pgpKey || undefined,
  };
}

/** One sentence per setting that waits for the next rotation, naming it (never a key's contents). */
export function pendingSettings(config: BootstrapConfig, issued: IssuedSettings): string[] {
  const pending: string[] = [];
  if (issued.passwordLength !== config.passwordLength) {
    pending.push(
      `passwordLength is ${config.passwordLength}, the current password has ${issued.passwordLength}`,
    );
  }
  if ((issued.pgpKey ?? "") !== (config.pgpKey?.value ?? "")) {
    const was = issued.pgpKey ? "encrypted with a different key" : "not PGP-encrypted";
    const now = config.pgpKey ? "pgpKey is set" : "pgpKey is unset";
    pending.push(`${now}, the current credentials are ${was}`);
  }
  return pending;
}
