import { randomBytes } from "node:crypto";
import { promises as fs, type Stats } from "node:fs";
import * as path from "node:path";
import { quote } from "../lib/text";
import { HandoffInputError } from "./errors";

/** Owner read/write only: the file holds credentials. */
export const SECRET_FILE_MODE = 0o600;

const EXPECTED = "expected a new or regular file path such as keys.csv, or - for standard output";

/**
 * Refuses a target that cannot take the secret file: one that exists and is not a regular file
 * (a device such as /dev/null, a FIFO, a symbolic link, a folder), or whose folder does not
 * exist. Renaming over any of those would replace it with a file holding the key.
 * `shown` is the path as the operator gave it.
 */
export async function assertSecretFileTarget(target: string, shown: string): Promise<void> {
  let stat: Stats | undefined;
  try {
    stat = await fs.lstat(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw cannotWrite(shown, error);
  }
  if (stat && !stat.isFile()) {
    throw new HandoffInputError(
      `--output ${quote(shown)} exists and is not a regular file (${kindOf(stat)}); ${EXPECTED}`,
    );
  }
  if (!stat) {
    const folder = await fs.stat(path.dirname(target)).catch(() => undefined);
    if (!folder?.isDirectory())
      throw new HandoffInputError(`cannot write --output ${quote(shown)}: its folder does not exist`);
  }
}

/**
 * Writes `contents` to `target` with mode 0600, all or nothing: the bytes go to a new temporary
 * file in the same folder (created 0600 from the start, so no moment exists with wider
 * permissions), are flushed, and the file is renamed over the target (atomic on one filesystem).
 * On any failure the temporary file is removed, so no partial credentials file is left behind.
 */
export async function writeSecretFileAtomically(
  target: string,
  shown: string,
  contents: string,
): Promise<void> {
  await assertSecretFileTarget(target, shown);
  const temporary = path.join(
    path.dirname(target),
    `.${path.basename(target)}.${randomBytes(6).toString("hex")}.tmp`,
  );
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(temporary, "wx", SECRET_FILE_MODE);
  } catch (error) {
    throw cannotWrite(shown, error);
  }
  try {
    try {
      await handle.writeFile(contents, "utf8");
      // umask can only clear bits, but make the mode explicit whatever the umask.
      await handle.chmod(SECRET_FILE_MODE);
      await handle.sync();
    } finally {
      await handle.close();
    }
    // Checked again right before the rename: the target may have changed while the key was decrypted.
    await assertSecretFileTarget(target, shown);
    await fs.rename(temporary, target);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error instanceof HandoffInputError ? error : cannotWrite(shown, error);
  }
}

function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return "a directory";
  if (stat.isSymbolicLink()) return "a symbolic link";
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
  if (stat.isFIFO()) return "a FIFO";
  if (stat.isSocket()) return "a socket";
  return "a special file";
}

function cannotWrite(shown: string, error: unknown): HandoffInputError {
  const code = (error as NodeJS.ErrnoException)?.code;
  const reason =
    code === "ENOENT"
      ? "its folder does not exist"
      : code === "EACCES" || code === "EPERM"
        ? "permission denied"
        : error instanceof Error
          ? error.message
          : String(error);
  return new HandoffInputError(`cannot write --output ${quote(shown)}: ${reason}`);
}
