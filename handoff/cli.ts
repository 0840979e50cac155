/** What the two hand-off CLIs share: their I/O seam, argument parsing, input reading and exit codes. */
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import type * as openpgp from "openpgp";
import { quote, safeLine } from "../lib/text";
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
  /** The folder relative paths in flags resolve against: where the operator ran the command. */
  readonly cwd: string;
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
    // npm runs scripts from the package root and leaves the operator's folder in INIT_CWD.
    cwd: process.env.INIT_CWD || process.cwd(),
    askPassphrase: askHiddenOnTerminal,
  };
}

/** Runs a tool as the program's entry point (`ts-node handoff/TOOL.ts ...`) and sets the exit status. */
export function runMain(tool: (argv: string[], io: CliIo) => Promise<number>): void {
  void tool(process.argv.slice(2), processIo()).then((code) => {
    process.exitCode = code;
  });
}

/** A path from a flag, resolved against the folder the operator ran the command in. */
export function resolvePath(io: CliIo, file: string): string {
  return path.resolve(io.cwd, file);
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
      text = await readFile(resolvePath(io, stackOutputFile), "utf8");
    } catch (error) {
      throw new HandoffInputError(
        `cannot read --stack-output ${quote(stackOutputFile)}: ${readReason(error)}`,
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
    contents = await readFile(resolvePath(io, privateKeyFile));
  } catch (error) {
    throw new HandoffInputError(`cannot read --private-key ${quote(privateKeyFile)}: ${readReason(error)}`);
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

function readReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EISDIR") return "is a directory";
  return "not readable";
}

/**
 * Runs a CLI body: bad input becomes one line on stderr and exit status 2. Unexpected errors
 * print their message only (no stack, no values) and exit 1. Either line passes through
 * safeLine, so no control character from a value reaches the terminal.
 */
export async function runCli(tool: string, io: CliIo, body: () => Promise<void>): Promise<number> {
  try {
    await body();
    return 0;
  } catch (error) {
    if (error instanceof HandoffInputError) {
      io.stderr.write(`${tool}: ${safeLine(error.message)}\n`);
      return EXIT_BAD_INPUT;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`${tool}: unexpected error: ${safeLine(message)}\n`);
    return 1;
  }
}
