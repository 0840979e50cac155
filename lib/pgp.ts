/**
 * Checks `pgpKey` as the AWS provider will use it (internal/vault/helper/pgpkeys, GetEntities: keybase:<user>
 * or base64 of the binary public key), so a bad key fails before the login profile exists.
 */
import * as openpgp from "openpgp";

export const PGP_KEY_EXPECTED_FORM =
  "a base64 OpenPGP public key (gpg --export <key-id> | base64 -w0) or keybase:<username>";

// Keybase user names are letters, digits and underscores.
const KEYBASE_PATTERN = /^keybase:[A-Za-z0-9_]+$/;
// Go's base64.StdEncoding: padded standard alphabet, no whitespace.
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface PgpRecipient {
  /** Passed to the provider unchanged. */
  value: string;
  /** Lower-case hex, as the provider's key_fingerprint; unknown for keybase: recipients. */
  fingerprint?: string;
}

/** Its message is safe to print: it never repeats the key. */
export class PgpKeyError extends Error {
  override readonly name = "PgpKeyError";
}

export async function parsePgpRecipient(value: string): Promise<PgpRecipient> {
  if (value.startsWith("keybase:")) {
    if (!KEYBASE_PATTERN.test(value)) throw new PgpKeyError("is not a valid keybase:<username>");
    return { value };
  }
  if (value.includes("-----BEGIN PGP")) {
    throw new PgpKeyError("is ASCII-armored; the provider needs the binary key, base64-encoded");
  }
  if (value.length === 0 || !STRICT_BASE64.test(value)) throw new PgpKeyError("is not base64");

  let key: openpgp.Key;
  try {
    key = await openpgp.readKey({ binaryKey: Buffer.from(value, "base64") });
  } catch {
    throw new PgpKeyError("is not an OpenPGP public key");
  }
  if (key.isPrivate()) throw new PgpKeyError("is a private key; give the public key only");
  try {
    // Throws when no (sub)key can encrypt now: signing-only, expired or revoked keys.
    await key.getEncryptionKey();
  } catch {
    throw new PgpKeyError("has no usable encryption key (signing-only, expired or revoked)");
  }
  return { value, fingerprint: key.getFingerprint() };
}
