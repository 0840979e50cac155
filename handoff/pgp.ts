/** The AWS provider (iam encryption.go, vault pgpkeys) writes base64 of a binary OpenPGP message. */
import * as openpgp from "openpgp";
import { quote } from "../lib/text";
import { HandoffInputError } from "./errors";

const EXPORT_HINT =
  "pass it without writing it to disk: --private-key <(gpg --export-secret-keys --armor FINGERPRINT)";

/** The bytes base64 text stands for (whitespace ignored), or undefined when it is not base64. */
function fromBase64(text: string): Buffer | undefined {
  const compact = text.replace(/\s+/g, "");
  const valid = /^[A-Za-z0-9+/]+={0,2}$/.test(compact) && compact.length % 4 === 0;
  return valid ? Buffer.from(compact, "base64") : undefined;
}

/** openpgp.js error text (library messages, never key material), first line only. */
function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}

/** The operator's private key: armored, binary (gpg's default export) or base64 of binary (as `pgpKey`). */
export async function readPrivateKeyFile(contents: Uint8Array, path: string): Promise<openpgp.PrivateKey> {
  const text = Buffer.from(contents).toString("latin1").trim();
  if (text.startsWith("-----BEGIN PGP PUBLIC KEY BLOCK-----")) {
    throw new HandoffInputError(
      `--private-key ${quote(path)} holds a public key; decryption needs the private key: ${EXPORT_HINT}`,
    );
  }
  try {
    if (text.startsWith("-----BEGIN PGP PRIVATE KEY BLOCK-----"))
      return await openpgp.readPrivateKey({ armoredKey: text });
    return await openpgp.readPrivateKey({ binaryKey: fromBase64(text) ?? contents });
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

export function assertKeyMatchesFingerprint(key: openpgp.Key, expectedFingerprint: string | undefined): void {
  const actual = fingerprintOf(key);
  if (expectedFingerprint !== undefined && actual !== expectedFingerprint.trim().toLowerCase()) {
    throw new HandoffInputError(
      `--private-key is key ${actual}, but the outputs were encrypted for key ${expectedFingerprint} (output pgpKeyFingerprint)`,
    );
  }
}

export async function decryptOutput(name: string, encoded: string, key: openpgp.PrivateKey): Promise<string> {
  const text = encoded.trim();
  let message: openpgp.Message<Uint8Array | string>;
  try {
    // Text that is not base64 reads as no bytes, which openpgp.js rejects like any other non-message.
    message = text.startsWith("-----BEGIN PGP MESSAGE-----")
      ? await openpgp.readMessage({ armoredMessage: text })
      : await openpgp.readMessage({ binaryMessage: fromBase64(text) ?? new Uint8Array() });
  } catch {
    throw new HandoffInputError(
      `output \`${name}\` is not a base64-encoded OpenPGP message (the form the AWS provider writes for a pgpKey)`,
    );
  }
  const recipients = message.getEncryptionKeyIDs();
  const ours = key.getKeyIDs();
  // An anonymous recipient (RFC 4880 5.1 wildcard key ID) equals any key ID: nothing to check.
  if (recipients.length > 0 && !recipients.some((id) => ours.some((own) => id.equals(own, true)))) {
    const ids = recipients.map((id) => id.toHex()).join(", ");
    throw new HandoffInputError(
      `output \`${name}\` was encrypted for key ID ${ids}, not for private key ${fingerprintOf(key)}`,
    );
  }
  let data: Uint8Array;
  try {
    ({ data } = await openpgp.decrypt({ message, decryptionKeys: key, format: "binary" }));
  } catch (error) {
    throw new HandoffInputError(
      `cannot decrypt output \`${name}\` with private key ${fingerprintOf(key)}: ${errorText(error)}`,
    );
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(data);
  } catch {
    throw new HandoffInputError(`output \`${name}\` decrypted to bytes that are not UTF-8 text`);
  }
}
