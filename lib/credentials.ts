/**
 * Credential rotation: which settings the current console password (and access key) were
 * issued with, and when they are issued again.
 *
 * Why not just `ignoreChanges` on the login profile: the engine copies an ignored property's
 * OLD input into the new inputs and keeps it even when the resource is replaced
 * (pkg/resource/deploy/step_generator.go, processIgnoreChanges, whose result becomes the
 * replacement's inputs), so a new pgpKey or passwordLength would never reach AWS, not even
 * at a rotation.
 *
 * Instead, each value of `credentialsRotation` gets its own `random.RandomId` (the "issue"),
 * whose logical name is derived from that value and whose `keepers` record the settings at
 * creation (`ignoreChanges: ["keepers"]` freezes them). The login profile and the access key
 * take passwordLength and pgpKey from those keepers and use the issue's id as
 * `replacementTrigger`. So:
 * - a change of passwordLength or pgpKey alone changes nothing in AWS (the issue is frozen);
 * - a change of credentialsRotation creates a new issue with the current settings and a new
 *   id, which replaces the login profile (new password) and the access key.
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

/** The settings the current credentials were issued with. */
export interface IssuedSettings {
  passwordLength: number;
  pgpKey?: string;
}

/**
 * Reads an issue's keepers back. The engine always returns them; a missing entry only happens
 * under test mocks that return no state, and then the configured value is the right one.
 */
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

/**
 * Settings changed in config since the current credentials were issued: they wait for the
 * next rotation. Returns one sentence per setting, naming the key (never a key's contents).
 */
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
