import { HandoffInputError } from "./errors";

/** The program's output names (the fixed interface every part of this repository codes against). */
export const OUTPUT = {
  consoleSignInUrl: "consoleSignInUrl",
  userName: "userName",
  userArn: "userArn",
  accountId: "accountId",
  passwordResetRequired: "passwordResetRequired",
  consolePassword: "consolePassword",
  encryptedPassword: "encryptedPassword",
  pgpKeyFingerprint: "pgpKeyFingerprint",
  accessKeyId: "accessKeyId",
  secretAccessKey: "secretAccessKey",
  encryptedSecretAccessKey: "encryptedSecretAccessKey",
} as const;

export type StackOutputs = Readonly<Record<string, unknown>>;

/**
 * What `pulumi stack output --json` prints for a secret without `--show-secrets`
 * (pulumi/pulumi sdk/go/.../backend/display: massagePropertyValue returns the string "[secret]").
 */
export const HIDDEN_SECRET_PLACEHOLDER = "[secret]";

const PRODUCE_HINT = "expected the JSON printed by `pulumi stack output --json --show-secrets`";

/**
 * Parses the stack output JSON. The parser's own message is left out on purpose: V8 quotes a
 * piece of the input in it, and that piece can be a secret.
 */
export function parseStackOutputs(text: string): StackOutputs {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HandoffInputError(`stack output is not valid JSON; ${PRODUCE_HINT}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new HandoffInputError(`stack output is not a JSON object of outputs; ${PRODUCE_HINT}`);
  }
  return parsed as StackOutputs;
}

/** True when the output exists (any value but null). */
export function hasOutput(outputs: StackOutputs, name: string): boolean {
  return outputs[name] !== undefined && outputs[name] !== null;
}

/** A non-empty string output; `hint` says how to get it when it is missing. */
export function requireStringOutput(outputs: StackOutputs, name: string, hint: string): string {
  const value = outputs[name];
  if (value === undefined || value === null) {
    throw new HandoffInputError(`stack output has no \`${name}\`; ${hint}`);
  }
  if (typeof value !== "string" || value.length === 0) {
    throw new HandoffInputError(
      `stack output \`${name}\` must be a non-empty string, found ${describe(value)}`,
    );
  }
  if (value === HIDDEN_SECRET_PLACEHOLDER) {
    throw new HandoffInputError(
      `stack output \`${name}\` is hidden as "${HIDDEN_SECRET_PLACEHOLDER}"; run \`pulumi stack output --json --show-secrets\``,
    );
  }
  return value;
}

/** An optional string output: undefined when absent, otherwise validated like requireStringOutput. */
export function optionalStringOutput(outputs: StackOutputs, name: string): string | undefined {
  return hasOutput(outputs, name) ? requireStringOutput(outputs, name, "") : undefined;
}

/** The type of a value, never the value itself (it may be a secret). */
function describe(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return "an empty string";
  return `a ${typeof value}`;
}
