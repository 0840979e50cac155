import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { HandoffInputError } from "./errors";

/** Owner read/write only: the file holds credentials. */
export const SECRET_FILE_MODE = 0o600;

/**
 * Writes `contents` to `target` with mode 0600, all or nothing: the bytes go to a new temporary
 * file in the same folder (created 0600 from the start, so no moment exists with wider
 * permissions), are flushed, and the file is renamed over the target (atomic on one filesystem).
 * On any failure the temporary file is removed, so no partial credentials file is left behind.
 */
export async function writeSecretFileAtomically(target: string, contents: string): Promise<void> {
  const folder = path.dirname(path.resolve(target));
  const stat = await fs.stat(target).catch(() => undefined);
  if (stat?.isDirectory()) {
    throw new HandoffInputError(`--output ${target} is a directory; expected a file path such as keys.csv`);
  }
  const temporary = path.join(folder, `.${path.basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(temporary, "wx", SECRET_FILE_MODE);
  } catch (error) {
    throw new HandoffInputError(`cannot write --output ${target}: ${systemReason(error)}`);
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
    await fs.rename(temporary, target);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw new HandoffInputError(`cannot write --output ${target}: ${systemReason(error)}`);
  }
}

function systemReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === "ENOENT") return "its folder does not exist";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  return error instanceof Error ? error.message : String(error);
}
