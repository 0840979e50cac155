/** Test helpers for the hand-off tools: throwaway OpenPGP keys, provider-style encryption, a fake process. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as openpgp from "openpgp";
import type { CliIo } from "../../handoff/cli";

export interface ThrowawayKey {
  readonly passphrase: string;
  readonly armoredPrivateKey: string;
  readonly armoredPublicKey: string;
  readonly fingerprint: string;
}

/**
 * A throwaway key pair. ECC (ed25519 + cv25519, v4), what `gpg --quick-gen-key` makes by default,
 * and fast enough to generate in a test.
 */
export async function generateThrowawayKey(
  name: string,
  passphrase = "correct horse battery",
): Promise<ThrowawayKey> {
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: "ecc",
    userIDs: [{ name, email: `${name}@example.invalid` }],
    passphrase,
    format: "armored",
    // Cheapest S2K count: unlocking then costs microseconds instead of ~45 ms per test.
    config: { s2kIterationCountByte: 0 },
  });
  const key = await openpgp.readKey({ armoredKey: publicKey });
  return {
    passphrase,
    armoredPrivateKey: privateKey,
    armoredPublicKey: publicKey,
    fingerprint: key.getFingerprint(),
  };
}

/**
 * Encrypts like the AWS provider does for a `pgpKey` (terraform-provider-aws pgpkeys.EncryptShares
 * then base64.StdEncoding): a binary OpenPGP message to the one public key, base64-encoded.
 */
export async function encryptLikeAwsProvider(plaintext: string, armoredPublicKey: string): Promise<string> {
  const encryptionKeys = await openpgp.readKey({ armoredKey: armoredPublicKey });
  const message = await openpgp.createMessage({ binary: new TextEncoder().encode(plaintext) });
  const binary = await openpgp.encrypt({ message, encryptionKeys, format: "binary" });
  return Buffer.from(binary).toString("base64");
}

export interface FakeIo extends CliIo {
  readonly out: string[];
  readonly err: string[];
  readonly prompts: string[];
}

/** A process for in-process CLI runs: given stdin text, env and prompt answers; records output. */
export function fakeIo(options: {
  stdin?: string;
  stdinIsTTY?: boolean;
  stdoutIsTTY?: boolean;
  env?: Record<string, string>;
  promptAnswer?: string;
  cwd?: string;
}): FakeIo {
  const out: string[] = [];
  const err: string[] = [];
  const prompts: string[] = [];
  return {
    out,
    err,
    prompts,
    stdinIsTTY: options.stdinIsTTY ?? false,
    readStdin: async () => options.stdin ?? "",
    stdout: { write: (text: string) => out.push(text), isTTY: options.stdoutIsTTY ?? false },
    stderr: { write: (text: string) => err.push(text) },
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    askPassphrase: async (question: string) => {
      prompts.push(question);
      if (options.promptAnswer === undefined) throw new Error("test did not expect a passphrase prompt");
      return options.promptAnswer;
    },
  };
}

/** A fresh temporary folder, removed by the returned cleanup. */
export function temporaryFolder(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), `${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Valid-looking AWS access key values (fake, in Leverage's formats). */
export const FAKE_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE";
export const FAKE_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/** The program's outputs for a stack without pgpKey and with createAccessKey. */
export function plainOutputs(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    consoleSignInUrl: "https://123456789012.signin.aws.amazon.com/console",
    userName: "mgmt-org-admin",
    userArn: "arn:aws:iam::123456789012:user/mgmt-org-admin",
    accountId: "123456789012",
    passwordResetRequired: true,
    consolePassword: "Pa55word!With{Symbols}",
    accessKeyId: FAKE_ACCESS_KEY_ID,
    secretAccessKey: FAKE_SECRET_ACCESS_KEY,
    ...overrides,
  };
}
