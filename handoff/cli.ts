/** What the two hand-off CLIs share: the process seam, flags, exit codes, the stack output and its secrets. */
import { openSync } from "node:fs";
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import type { Readable, Writable } from "node:stream";
import * as tty from "node:tty";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { read } from "read";
import { quote, safeLine } from "../lib/text";
import { HandoffInputError } from "./errors";
import { assertKeyMatchesFingerprint, decryptOutput, readPrivateKeyFile, unlockPrivateKey } from "./pgp";

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

export type Flags = Readonly<Record<string, string | boolean | undefined>>;
export type StackOutputs = Readonly<Record<string, unknown>>;

const COMMON_OPTIONS: ParseArgsConfig["options"] = {
  "stack-output": { type: "string" },
  "private-key": { type: "string" },
  help: { type: "boolean", short: "h" },
};

/**
 * A CLI taking --stack-output, --private-key, --help and `options` (strict: no positionals).
 * Bad input becomes one line on stderr and exit status 2; unexpected errors print their message
 * only (no stack, no values) and exit 1. Either line passes through safeLine.
 */
export function cli(
  tool: string,
  usage: string,
  options: ParseArgsConfig["options"],
  body: (flags: Flags, io: CliIo) => Promise<void>,
): (argv: string[], io: CliIo) => Promise<number> {
  return async (argv, io) => {
    try {
      let flags: Flags;
      try {
        flags = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, strict: true })
          .values as Flags;
      } catch (error) {
        const first = (error as Error).message.split(/\.\s/)[0].replace(/\.$/, "");
        throw new HandoffInputError(`${first}; run with --help for usage`);
      }
      if (flags.help) io.stdout.write(usage);
      else await body(flags, io);
      return 0;
    } catch (error) {
      if (error instanceof HandoffInputError) {
        io.stderr.write(`${tool}: ${safeLine(error.message)}\n`);
        return 2;
      }
      const message = error instanceof Error ? error.message : String(error);
      io.stderr.write(`${tool}: unexpected error: ${safeLine(message)}\n`);
      return 1;
    }
  };
}

/** Runs a tool as the program's entry point (`ts-node handoff/TOOL.ts ...`) and sets the exit status. */
export function runMain(tool: (argv: string[], io: CliIo) => Promise<number>): void {
  const io: CliIo = {
    stdinIsTTY: Boolean(process.stdin.isTTY),
    async readStdin() {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    // npm runs scripts from the package root and leaves the operator's folder in INIT_CWD.
    cwd: process.env.INIT_CWD || process.cwd(),
    askPassphrase: askHiddenOnTerminal,
  };
  void tool(process.argv.slice(2), io).then((code) => (process.exitCode = code));
}

/** The file a flag names, resolved against the operator's folder. */
async function readFlagFile(io: CliIo, flag: string, file: string): Promise<Buffer> {
  try {
    return await readFile(path.resolve(io.cwd, file));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : "not readable";
    throw new HandoffInputError(`cannot read ${flag} ${quote(file)}: ${reason}`);
  }
}

const PRODUCE_HINT = "expected the JSON printed by `pulumi stack output --json --show-secrets`";

/** The stack output JSON from --stack-output FILE or from standard input. */
export async function readStackOutputs(io: CliIo, flags: Flags): Promise<StackOutputs> {
  const file = flags["stack-output"] as string | undefined;
  if (file === undefined && io.stdinIsTTY) {
    throw new HandoffInputError(
      "no stack output: pipe `pulumi stack output --json --show-secrets` into this command or pass --stack-output FILE",
    );
  }
  const text =
    file === undefined ? await io.readStdin() : String(await readFlagFile(io, "--stack-output", file));
  if (text.trim() === "") throw new HandoffInputError(`stack output is empty; ${PRODUCE_HINT}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not the parser's message: V8 quotes a piece of the input in it, and that piece can be a secret.
    throw new HandoffInputError(`stack output is not valid JSON; ${PRODUCE_HINT}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new HandoffInputError(`stack output is not a JSON object of outputs; ${PRODUCE_HINT}`);
  }
  return parsed as StackOutputs;
}

/** A non-empty string output, or undefined when it is absent (or null). */
export function stringOutput(outputs: StackOutputs, name: string): string | undefined {
  const value = outputs[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || value === "") {
    // The type of the value, never the value itself (it may be a secret).
    const found = Array.isArray(value) ? "an array" : value === "" ? "an empty string" : `a ${typeof value}`;
    throw new HandoffInputError(`stack output \`${name}\` must be a non-empty string, found ${found}`);
  }
  // What `pulumi stack output --json` prints for a secret without --show-secrets.
  if (value === "[secret]") {
    throw new HandoffInputError(
      `stack output \`${name}\` is hidden as "[secret]"; run \`pulumi stack output --json --show-secrets\``,
    );
  }
  return value;
}

/** A non-empty string output; `hint` says how to get it when it is missing. */
export function requireOutput(outputs: StackOutputs, name: string, hint: string): string {
  const value = stringOutput(outputs, name);
  if (value === undefined) throw new HandoffInputError(`stack output has no \`${name}\`; ${hint}`);
  return value;
}

/**
 * A secret output, `plain` or, with pgpKey set, `encrypted` and decrypted with --private-key (the
 * key `pgpKeyFingerprint` names; passphrase from PGP_PASSPHRASE or a prompt). `missing`: neither exists.
 */
export async function readSecretOutput(
  io: CliIo,
  flags: Flags,
  outputs: StackOutputs,
  { plain, encrypted, missing }: { plain: string; encrypted: string; missing: string },
): Promise<string> {
  const value = stringOutput(outputs, plain);
  if (value !== undefined) return value;
  const ciphertext = stringOutput(outputs, encrypted);
  if (ciphertext === undefined) throw new HandoffInputError(missing);
  const fingerprint = () => stringOutput(outputs, "pgpKeyFingerprint");
  const keyFile = flags["private-key"] as string | undefined;
  if (keyFile === undefined) {
    const which = fingerprint() ? ` (key ${fingerprint()})` : "";
    throw new HandoffInputError(
      `output \`${encrypted}\` is PGP-encrypted; decrypting it needs the private key${which}: ` +
        `pass --private-key FILE, with its passphrase in PGP_PASSPHRASE or typed at the prompt`,
    );
  }
  const key = await readPrivateKeyFile(await readFlagFile(io, "--private-key", keyFile), keyFile);
  assertKeyMatchesFingerprint(key, fingerprint());
  const unlocked = await unlockPrivateKey(
    key,
    async (id) => io.env.PGP_PASSPHRASE ?? io.askPassphrase(`Passphrase for PGP key ${id}:`),
  );
  return decryptOutput(encrypted, ciphertext, unlocked);
}

/** Asks one question without echoing the answer (npm's `read`, as the npm CLI uses for passwords). */
export async function askHidden(question: string, input: Readable, output: Writable): Promise<string> {
  try {
    return await read({ prompt: question, silent: true, replace: "", input, output });
  } catch {
    throw new HandoffInputError("passphrase prompt cancelled");
  } finally {
    // The typed Enter was muted with the rest; end the prompt line so later messages start clean.
    output.write("\n");
  }
}

/**
 * Asks on the controlling terminal (/dev/tty), as gpg and ssh do: standard input may be the
 * piped stack output, and standard output may be a file.
 */
async function askHiddenOnTerminal(question: string): Promise<string> {
  let fds: number[];
  try {
    fds = [openSync("/dev/tty", "r"), openSync("/dev/tty", "w")];
  } catch {
    throw new HandoffInputError(
      "the private key is protected by a passphrase and there is no terminal to ask for it; set PGP_PASSPHRASE",
    );
  }
  const input = new tty.ReadStream(fds[0]);
  const output = new tty.WriteStream(fds[1]);
  try {
    return await askHidden(question, input, output);
  } finally {
    input.destroy();
    output.destroy();
  }
}
