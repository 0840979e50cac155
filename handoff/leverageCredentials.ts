/** `npm run leverage-credentials`: the stack outputs as the access keys CSV that Leverage reads. */
import { randomBytes } from "node:crypto";
import { promises as fs, type Stats } from "node:fs";
import * as path from "node:path";
import { quote, stripControl } from "../lib/text";
import { cli, readSecretOutput, readStackOutputs, requireOutput, runMain, stringOutput } from "./cli";
import { HandoffInputError } from "./errors";

const TOOL = "leverage-credentials";
const ACCESS_KEY_HINT =
  "set `pulumi config set createAccessKey true` and run `pulumi up` to create the bootstrap user's access key";

export const LEVERAGE_CREDENTIALS_USAGE = `Usage: pulumi stack output --json --show-secrets | npm run --silent leverage-credentials -- [options]

Writes the bootstrap user's access key as the CSV that
\`leverage credentials configure --type BOOTSTRAP --credentials-file keys.csv\` reads (mode 0600).
Relative paths are taken from the folder you run the command in.

Options:
  --stack-output FILE  read the stack output JSON from FILE instead of standard input
  --output FILE        where to write the CSV (default keys.csv): a new or regular file; "-" prints it on standard output
  --private-key FILE   OpenPGP private key that decrypts encryptedSecretAccessKey (when the stack has pgpKey),
                       e.g. <(gpg --export-secret-keys --armor FINGERPRINT); its passphrase comes from
                       PGP_PASSPHRASE or a prompt on the terminal
  -h, --help           show this help
Exit status: 0 written, 2 bad input (nothing written).
`;

export const leverageCredentials = cli(
  TOOL,
  LEVERAGE_CREDENTIALS_USAGE,
  { output: { type: "string", default: "keys.csv" } },
  async (flags, io) => {
    const output = flags.output as string;
    if (output === "") {
      throw new HandoffInputError("--output needs a file path such as keys.csv, or - for standard output");
    }
    // "-" is standard output; a file is checked before anything is decrypted (no prompt for a bad --output).
    const target = output === "-" ? undefined : path.resolve(io.cwd, output);
    if (target !== undefined) await assertSecretFileTarget(target, output);
    const outputs = await readStackOutputs(io, flags);
    const accessKeyId = requireOutput(outputs, "accessKeyId", ACCESS_KEY_HINT);
    validateAccessKeyId(accessKeyId); // before the secret, so a wrong value never costs a passphrase prompt
    const secretAccessKey = await readSecretOutput(io, flags, outputs, {
      plain: "secretAccessKey",
      encrypted: "encryptedSecretAccessKey",
      missing: "stack output has `accessKeyId` but neither `secretAccessKey` nor `encryptedSecretAccessKey`",
    });
    const csv = leverageCredentialsCsv(accessKeyId, secretAccessKey);
    if (target === undefined) {
      io.stdout.write(csv);
      return;
    }
    await writeSecretFileAtomically(target, output, csv);
    const user = stripControl(stringOutput(outputs, "userName") ?? "the bootstrap user");
    const shown = stripControl(output);
    io.stderr.write(
      `${TOOL}: wrote ${shown} (mode 0600) with the access key of ${user}.\n` +
        `Next: leverage credentials configure --type BOOTSTRAP --credentials-file ${shown}\n` +
        `Then: shred -u ${shown} (the key stays in ~/.aws/<short-name>/credentials).\n`,
    );
  },
);

// As binbashar/leverage credentials.py `_extract_credentials` reads it (csv.DictReader, re.match on KEY_ID and
// SECRET_KEY, anchored here) and as its test fixture: header, one row, LF, no quoting, no byte-order mark.
export function validateAccessKeyId(accessKeyId: string): void {
  if (!/^[A-Z0-9]{20}$/.test(accessKeyId)) {
    throw new HandoffInputError(
      `accessKeyId does not match Leverage's access key format: expected 20 characters of A-Z and 0-9 (got ${accessKeyId.length} characters)`,
    );
  }
}

export function validateSecretAccessKey(secretAccessKey: string): void {
  if (!/^[a-zA-Z0-9/+]{40}$/.test(secretAccessKey)) {
    throw new HandoffInputError(
      `secret access key does not match Leverage's format: expected 40 characters of a-z, A-Z, 0-9, / and + (got ${secretAccessKey.length} characters)`,
    );
  }
}

export function leverageCredentialsCsv(accessKeyId: string, secretAccessKey: string): string {
  validateAccessKeyId(accessKeyId);
  validateSecretAccessKey(secretAccessKey);
  return `Access key ID,Secret access key\n${accessKeyId},${secretAccessKey}\n`;
}

/** Refuses a target that is not a regular file (renaming would replace a device, FIFO, link or folder) or has no folder. */
async function assertSecretFileTarget(target: string, shown: string): Promise<void> {
  const stat = await fs.lstat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw cannotWrite(shown, error);
  });
  if (stat && !stat.isFile()) {
    throw new HandoffInputError(
      `--output ${quote(shown)} exists and is not a regular file (${kindOf(stat)}); expected a new or regular file path such as keys.csv, or - for standard output`,
    );
  }
  if (!stat && !(await fs.stat(path.dirname(target)).catch(() => undefined))?.isDirectory()) {
    throw new HandoffInputError(`cannot write --output ${quote(shown)}: its folder does not exist`);
  }
}

/** Mode 0600 from creation, all or nothing: a flushed temporary file renamed over the target, or removed. */
async function writeSecretFileAtomically(target: string, shown: string, contents: string): Promise<void> {
  const { dir, base } = path.parse(target);
  const temporary = path.join(dir, `.${base}.${randomBytes(6).toString("hex")}.tmp`);
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(temporary, "wx", 0o600);
    await handle.writeFile(contents, "utf8");
    await handle.chmod(0o600); // umask can only clear bits, but make the mode exact whatever the umask
    await handle.sync();
    await handle.close();
    // Checked again right before the rename: the target may have changed while the key was decrypted.
    await assertSecretFileTarget(target, shown);
    await fs.rename(temporary, target);
  } catch (error) {
    await handle?.close(); // a second close does nothing
    if (handle) await fs.rm(temporary, { force: true });
    throw error instanceof HandoffInputError ? error : cannotWrite(shown, error);
  }
}

function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return "a directory";
  if (stat.isSymbolicLink()) return "a symbolic link";
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
  if (stat.isFIFO()) return "a FIFO";
  return stat.isSocket() ? "a socket" : "a special file";
}

function cannotWrite(shown: string, error: unknown): HandoffInputError {
  const code = (error as NodeJS.ErrnoException).code;
  let reason = error instanceof Error ? error.message : String(error);
  if (code === "ENOENT") reason = "its folder does not exist";
  if (code === "EACCES" || code === "EPERM") reason = "permission denied";
  return new HandoffInputError(`cannot write --output ${quote(shown)}: ${reason}`);
}

if (require.main === module) runMain(leverageCredentials);
