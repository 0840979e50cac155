/** What the two hand-off CLIs share: their I/O seam, argument parsing, input reading and exit codes. */
import { readFile } from "node:fs/promises";
import { parseArgs, type ParseArgsConfig } from "node:util";
import type * as openpgp from "openpgp";
import { EXIT_BAD_INPUT, HandoffInputError } from "./errors";
import { assertKeyMatchesFingerprint, decryptOutput, readPrivateKeyFile, unlockPrivateKey } from "./pgp";
import { askHiddenOnTerminal, PASSPHRASE_ENV } from "./prompt";
import {
  hasOutput,
  OUTPUT,
  optionalStringOutput,
  parseStackOutputs,
  requireStringOutput,
  type StackOutputs,
} from "./stackOutputs";

/** The process seen by a CLI; tests pass their own. */
export interface CliIo {
  readonly stdinIsTTY: boolean;
  readStdin(): Promise<string>;
  readonly stdout: { write(text: string): unknown; readonly isTTY: boolean };
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Asks for a passphrase without echo (the real one uses /dev/tty). */
  askPassphrase(question: string): Promise<string>;
}

export function processIo(): CliIo {
  return {
    stdinIsTTY: Boolean(process.stdin.isTTY),
    async readStdin() {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
    stdout: { write: (text) => process.stdout.write(text), isTTY: Boolean(process.stdout.isTTY) },
    stderr: { write: (text) => process.stderr.write(text) },
    env: process.env,
    askPassphrase: askHiddenOnTerminal,
  };
}

/** node:util parseArgs (strict), with its errors turned into one line that points at --help. */
export function parseFlags<T extends ParseArgsConfig["options"]>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (error) {
    const first = (error instanceof Error ? error.message : String(error))
      .split(/\.\s/)[0]
      .replace(/\.$/, "");
    throw new HandoffInputError(`${first}; run with --help for usage`);
  }
}

/** The stack output JSON from --stack-output FILE or from standard input. */
export async function readStackOutputs(
  io: CliIo,
  stackOutputFile: string | undefined,
): Promise<StackOutputs> {
  let text: string;
  if (stackOutputFile !== undefined) {
    try {
      text = await readFile(stackOutputFile, "utf8");
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
      throw new HandoffInputError(
        `cannot read --stack-output ${stackOutputFile}: ${missing ? "no such file" : "not readable"}`,
      );
    }
  } else {
    if (io.stdinIsTTY) {
      throw new HandoffInputError(
        "no stack output: pipe `pulumi stack output --json --show-secrets` into this command or pass --stack-output FILE",
      );
    }
    text = await io.readStdin();
  }
  if (text.trim() === "") {
    throw new HandoffInputError(
      "stack output is empty; expected the JSON printed by `pulumi stack output --json --show-secrets`",
    );
  }
  return parseStackOutputs(text);
}

/**
 * Loads and unlocks --private-key FILE, checks it is the key named by the `pgpKeyFingerprint`
 * output, and takes the passphrase from PGP_PASSPHRASE or, failing that, a prompt.
 */
export async function loadDecryptionKey(
  io: CliIo,
  privateKeyFile: string,
  outputs: StackOutputs,
): Promise<openpgp.PrivateKey> {
  let contents: Buffer;
  try {
    contents = await readFile(privateKeyFile);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    throw new HandoffInputError(
      `cannot read --private-key ${privateKeyFile}: ${missing ? "no such file" : "not readable"}`,
    );
  }
  const key = await readPrivateKeyFile(contents, privateKeyFile);
  assertKeyMatchesFingerprint(key, optionalStringOutput(outputs, OUTPUT.pgpKeyFingerprint));
  return unlockPrivateKey(key, async (fingerprint) => {
    const fromEnv = io.env[PASSPHRASE_ENV];
    if (fromEnv !== undefined) return fromEnv;
    return io.askPassphrase(`Passphrase for PGP key ${fingerprint}:`);
  });
}

/**
 * A secret the program outputs either as a Pulumi secret (`plain`) or, with pgpKey set,
 * PGP-encrypted (`encrypted`): returns the plain value, decrypting with --private-key FILE when
 * needed. `missing` is the message when the stack has neither output.
 */
export async function readSecretOutput(
  io: CliIo,
  outputs: StackOutputs,
  names: { plain: string; encrypted: string },
  privateKeyFile: string | undefined,
  missing: string,
): Promise<string> {
  if (hasOutput(outputs, names.plain)) return requireStringOutput(outputs, names.plain, "");
  if (!hasOutput(outputs, names.encrypted)) throw new HandoffInputError(missing);
  const encrypted = requireStringOutput(outputs, names.encrypted, "");
  if (privateKeyFile === undefined) {
    throw new HandoffInputError(needsPrivateKeyMessage(names.encrypted, outputs));
  }
  const key = await loadDecryptionKey(io, privateKeyFile, outputs);
  return decryptOutput(names.encrypted, encrypted, key);
}

/** The message when an encrypted output needs a key the operator did not pass. */
export function needsPrivateKeyMessage(outputName: string, outputs: StackOutputs): string {
  const fingerprint = optionalStringOutput(outputs, OUTPUT.pgpKeyFingerprint);
  const which = fingerprint ? ` (key ${fingerprint})` : "";
  return (
    `output \`${outputName}\` is PGP-encrypted; decrypting it needs the private key${which}: ` +
    `pass --private-key FILE, with its passphrase in ${PASSPHRASE_ENV} or typed at the prompt`
  );
}

/**
 * Runs a CLI body: bad input becomes one line on stderr and exit status 2. Unexpected errors
 * print their message only (no stack, no values) and exit 1.
 */
export async function runCli(tool: string, io: CliIo, body: () => Promise<void>): Promise<number> {
  try {
    await body();
    return 0;
  } catch (error) {
    if (error instanceof HandoffInputError) {
      io.stderr.write(`${tool}: ${error.message}\n`);
      return EXIT_BAD_INPUT;
    }
    io.stderr.write(`${tool}: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
