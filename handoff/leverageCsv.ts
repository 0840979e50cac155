/**
 * The access keys file that `leverage credentials configure --credentials-file FILE` reads.
 *
 * Mirrors binbashar/leverage leverage/modules/credentials.py `_extract_credentials`: the file is
 * opened as text and read with `csv.DictReader`; the first row must have the columns
 * `Access key ID` and `Secret access key`, whose values are checked with `re.match` against
 * KEY_ID = `[A-Z0-9]{20}` and SECRET_KEY = `[a-zA-Z0-9/\+]{40}`. Its test fixture
 * (tests/test_modules/test_credentials.py) is the header line, one value line, LF endings,
 * no quoting; we write exactly that, and no byte-order mark (it would become part of the first
 * header name and Leverage would report "Fields for keys not found").
 */
import { HandoffInputError } from "./errors";

export const CSV_HEADER = "Access key ID,Secret access key";

/** Leverage's KEY_ID, anchored (Leverage uses re.match, which only anchors the start). */
export const LEVERAGE_ACCESS_KEY_ID_PATTERN = /^[A-Z0-9]{20}$/;

/** Leverage's SECRET_KEY, anchored. */
export const LEVERAGE_SECRET_ACCESS_KEY_PATTERN = /^[a-zA-Z0-9/+]{40}$/;

/** Checks the key ID against Leverage's format; the error names the field, never the value. */
export function validateAccessKeyId(accessKeyId: string): void {
  if (!LEVERAGE_ACCESS_KEY_ID_PATTERN.test(accessKeyId)) {
    throw new HandoffInputError(
      `accessKeyId does not match Leverage's access key format: expected 20 characters of A-Z and 0-9 (got ${accessKeyId.length} characters)`,
    );
  }
}

/** Checks the secret against Leverage's format; the error gives its length only. */
export function validateSecretAccessKey(secretAccessKey: string): void {
  if (!LEVERAGE_SECRET_ACCESS_KEY_PATTERN.test(secretAccessKey)) {
    throw new HandoffInputError(
      `secret access key does not match Leverage's format: expected 40 characters of a-z, A-Z, 0-9, / and + (got ${secretAccessKey.length} characters)`,
    );
  }
}

/** The CSV text, after validating both values. */
export function leverageCredentialsCsv(accessKeyId: string, secretAccessKey: string): string {
  validateAccessKeyId(accessKeyId);
  validateSecretAccessKey(secretAccessKey);
  return `${CSV_HEADER}\n${accessKeyId},${secretAccessKey}\n`;
}
