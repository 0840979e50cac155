/** What the two hand-off CLIs share: the process seam, flags, exit codes, the stack output and its secrets. */
import { closeSync, openSync, promises as fs } from "node:fs";
import * as path from "node:path";
import type { Readable, Writable } from "node:stream";
import { buffer } from "node:stream/consumers";
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

type Flags = Readonly<Record<string, string | boolean | undefined>>;
type StackOutputs = Readonly<Record<string, unknown>>;
type Body = (flags: Flags, io: CliIo) => Promise<void>;
type Tool = (argv: string[], io: CliIo) => Promise<number>;

const COMMON_OPTIONS: ParseArgsConfig["options"] = {
  "stack-output": { type: "string" },
  "private-key": { type: "string" },
  help: { type: "boolean", short: "h" },
};

/** Bad input: one line, exit 2; anything else: its message only (a stack could hold values), exit 1. */
export function cli(tool: string, usage: string, options: ParseArgsConfig["options"], body: Body): Tool {
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
      const badInput = error instanceof HandoffInputError;
      const message = error instanceof Error ? error.message : String(error);
      io.stderr.write(`${tool}: ${badInput ? "" : "unexpected error: "}${safeLine(message)}\n`);
      return badInput ? 2 : 1;
    }
  };
}

export function runMain(tool: Tool): void {
  const io: CliIo = {
    stdinIsTTY: Boolean(process.stdin.isTTY),
    readStdin: async () => String(await buffer(process.stdin)),
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    // npm runs scripts from the package root and leaves the operator's folder in INIT_CWD.
    cwd: process.env.INIT_CWD || process.cwd(),
    askPassphrase: askHiddenOnTerminal,
  };
  void tool(process.argv.slice(2), io).then((code) => (process.exitCode = code));
}

async function readFlagFile(io: CliIo, flag: string, file: string): Promise<Buffer> {
  try {
    return await fs.readFile(path.resolve(io.cwd, file));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : "not readable";
    throw new HandoffInputError(`cannot read ${flag} ${quote(file)}: ${reason}`);
  }
}

const PRODUCE_HINT = "expected the JSON printed by `pulumi stack output --json --show-secrets`";

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

export function requireOutput(outputs: StackOutputs, name: string, hint: string): string {
  const value = stringOutput(outputs, name);
  if (value === undefined) throw new HandoffInputError(`stack output has no \`${name}\`; ${hint}`);
  return value;
}

/** The stack has `plain` without a pgpKey and `encrypted` with one; `missing` is the error for neither. */
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
    const fp = fingerprint();
    const which = fp ? ` (key ${fp})` : "";
    throw new HandoffInputError(
      `output \`${encrypted}\` is PGP-encrypted; decrypting it needs the private key${which}: ` +
        `pass --private-key FILE, with its passphrase in PGP_PASSPHRASE or typed at the prompt`,
    );
  }
  const key = await readPrivateKeyFile(await readFlagFile(io, "--private-key", keyFile), keyFile);
  assertKeyMatchesFingerprint(key, fingerprint());
  const ask = async (id: string) =>
    io.env.PGP_PASSPHRASE ?? io.askPassphrase(`Passphrase for PGP key ${id}:`);
  return decryptOutput(encrypted, ciphertext, await unlockPrivateKey(key, ask));
}

/** npm's `read`, as the npm CLI asks for passwords. */
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

/** On /dev/tty, as gpg and ssh ask: stdin may be the piped stack output, and stdout a file. */
async function askHiddenOnTerminal(question: string): Promise<string> {
  const fds: number[] = [];
  try {
    for (const flags of ["r", "w"]) fds.push(openSync("/dev/tty", flags));
  } catch {
    fds.forEach((fd) => closeSync(fd));
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
