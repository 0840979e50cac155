/**
 * Decrypting the program's PGP-encrypted outputs (`encryptedPassword`, `encryptedSecretAccessKey`).
 *
 * Encoding, as the AWS provider writes it (terraform-provider-aws internal/service/iam
 * encryption.go `encryptValue` + internal/vault/helper/pgpkeys `EncryptShares`): the value is
 * encrypted with go-crypto `openpgp.Encrypt` to the one public key, giving a BINARY (unarmored)
 * OpenPGP message, then `base64.StdEncoding.EncodeToString`. The fingerprint output is
 * `hex.EncodeToString(entity.PrimaryKey.Fingerprint)`: the primary key's, lower-case hex.
 */
import * as openpgp from "openpgp";
import { quote } from "../lib/text";
import { HandoffInputError } from "./errors";

const ARMOR_PRIVATE = "-----BEGIN PGP PRIVATE KEY BLOCK-----";
const ARMOR_PUBLIC = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
const ARMOR_MESSAGE = "-----BEGIN PGP MESSAGE-----";
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** Key ID of an anonymous recipient (RFC 4880 5.1 "wildcard"), which names no key to check against. */
const WILDCARD_KEY_ID = "0000000000000000";

const EXPORT_HINT =
  "pass it without writing it to disk: --private-key <(gpg --export-secret-keys --armor FINGERPRINT)";

/**
 * Reads the operator's private key: ASCII-armored, binary (gpg's default export), or base64 of
 * the binary form (the encoding the program's `pgpKey` config uses for the public key).
 */
export async function readPrivateKeyFile(contents: Uint8Array, path: string): Promise<openpgp.PrivateKey> {
  const text = Buffer.from(contents).toString("latin1").trim();
  if (text.startsWith(ARMOR_PUBLIC)) {
    throw new HandoffInputError(
      `--private-key ${quote(path)} holds a public key; decryption needs the private key: ${EXPORT_HINT}`,
    );
  }
  try {
    if (text.startsWith(ARMOR_PRIVATE)) return await openpgp.readPrivateKey({ armoredKey: text });
    const compact = text.replace(/\s+/g, "");
    const binaryKey =
      BASE64.test(compact) && compact.length % 4 === 0 ? Buffer.from(compact, "base64") : contents;
    return await openpgp.readPrivateKey({ binaryKey });
  } catch {
    throw new HandoffInputError(
      `--private-key ${quote(path)} is not an OpenPGP private key (armored, binary or base64); ${EXPORT_HINT}`,
    );
  }
}

/** Lower-case hex fingerprint of the primary key, the form of the `pgpKeyFingerprint` output. */
export function fingerprintOf(key: openpgp.Key): string {
  return key.getFingerprint().toLowerCase();
}

/**
 * Unlocks a passphrase-protected key. `askPassphrase` is called only when the key needs one, so
 * an unprotected key never triggers a prompt.
 */
export async function unlockPrivateKey(
  key: openpgp.PrivateKey,
  askPassphrase: (keyFingerprint: string) => Promise<string>,
): Promise<openpgp.PrivateKey> {
  if (key.isDecrypted()) return key;
  const fingerprint = fingerprintOf(key);
  const passphrase = await askPassphrase(fingerprint);
  try {
    return await openpgp.decryptKey({ privateKey: key, passphrase });
  } catch (error) {
    const reason = /passphrase/i.test(String(error)) ? "wrong passphrase" : errorText(error);
    throw new HandoffInputError(`cannot unlock private key ${fingerprint}: ${reason}`);
  }
}

/** Rejects a key that is not the one the stack says it encrypted to (`pgpKeyFingerprint`). */
export function assertKeyMatchesFingerprint(key: openpgp.Key, expectedFingerprint: string | undefined): void {
  if (expectedFingerprint === undefined) return;
  const actual = fingerprintOf(key);
  if (actual !== expectedFingerprint.trim().toLowerCase()) {
    throw new HandoffInputError(
      `--private-key is key ${actual}, but the outputs were encrypted for key ${expectedFingerprint} (output pgpKeyFingerprint)`,
    );
  }
}

/** Reads a base64 binary OpenPGP message (the provider's form) or an armored one. */
async function readEncryptedOutput(
  outputName: string,
  encoded: string,
): Promise<openpgp.Message<Uint8Array | string>> {
  const text = encoded.trim();
  try {
    if (text.startsWith(ARMOR_MESSAGE)) return await openpgp.readMessage({ armoredMessage: text });
    const compact = text.replace(/\s+/g, "");
    if (!BASE64.test(compact) || compact.length % 4 !== 0) throw new Error("not base64");
    return await openpgp.readMessage({ binaryMessage: Buffer.from(compact, "base64") });
  } catch {
    throw new HandoffInputError(
      `output \`${outputName}\` is not a base64-encoded OpenPGP message (the form the AWS provider writes for a pgpKey)`,
    );
  }
}

/** Decrypts one encrypted output to its UTF-8 text. */
export async function decryptOutput(
  outputName: string,
  encoded: string,
  key: openpgp.PrivateKey,
): Promise<string> {
  const message = await readEncryptedOutput(outputName, encoded);
  const recipients = message.getEncryptionKeyIDs().map((id) => id.toHex());
  const ours = new Set(key.getKeyIDs().map((id) => id.toHex()));
  if (
    recipients.length > 0 &&
    !recipients.includes(WILDCARD_KEY_ID) &&
    !recipients.some((id) => ours.has(id))
  ) {
    throw new HandoffInputError(
      `output \`${outputName}\` was encrypted for key ID ${recipients.join(", ")}, not for private key ${fingerprintOf(key)}`,
    );
  }
  let data: Uint8Array;
  try {
    ({ data } = await openpgp.decrypt({ message, decryptionKeys: key, format: "binary" }));
  } catch (error) {
    throw new HandoffInputError(
      `cannot decrypt output \`${outputName}\` with private key ${fingerprintOf(key)}: ${errorText(error)}`,
    );
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(data);
  } catch {
    throw new HandoffInputError(`output \`${outputName}\` decrypted to bytes that are not UTF-8 text`);
  }
}

/** openpgp.js error text (library messages, never key material), first line only. */
function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0];
}
