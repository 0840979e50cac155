import { closeSync, openSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import * as tty from "node:tty";
import { read } from "read";
import { HandoffInputError } from "./errors";

/** Environment variable the tools read the private key's passphrase from, before prompting. */
export const PASSPHRASE_ENV = "PGP_PASSPHRASE";

/**
 * Asks one question without echoing the answer (npm's `read`, as the npm CLI uses for passwords).
 * The streams are parameters so tests can drive it.
 */
export async function askHidden(question: string, input: Readable, output: Writable): Promise<string> {
  let answer: string;
  try {
    answer = await read({ prompt: question, silent: true, replace: "", input, output });
  } catch {
    throw new HandoffInputError("passphrase prompt cancelled");
  } finally {
    // The typed Enter was muted with the rest; end the prompt line so later messages start clean.
    output.write("\n");
  }
  return answer;
}

/**
 * Asks on the controlling terminal (/dev/tty), as gpg and ssh do: standard input may be the
 * piped stack output, and standard output may be a file.
 */
export async function askHiddenOnTerminal(question: string): Promise<string> {
  let readFd: number | undefined;
  let input: tty.ReadStream;
  let output: tty.WriteStream;
  try {
    readFd = openSync("/dev/tty", "r");
    input = new tty.ReadStream(readFd);
    output = new tty.WriteStream(openSync("/dev/tty", "w"));
  } catch {
    if (readFd !== undefined) closeSync(readFd);
    throw new HandoffInputError(
      `the private key is protected by a passphrase and there is no terminal to ask for it; set ${PASSPHRASE_ENV}`,
    );
  }
  try {
    return await askHidden(question, input, output);
  } finally {
    input.destroy();
    output.destroy();
  }
}
