import { strict as assert } from "node:assert";
import { PassThrough } from "node:stream";
import * as openpgp from "openpgp";
import { HandoffInputError } from "../../handoff/errors";
import {
  assertKeyMatchesFingerprint,
  decryptOutput,
  fingerprintOf,
  readPrivateKeyFile,
  unlockPrivateKey,
} from "../../handoff/pgp";
import { askHidden } from "../../handoff/cli";
import { encryptLikeAwsProvider, generateThrowawayKey, type ThrowawayKey } from "./helpers";

const isInputError = (pattern: RegExp) => (error: Error) =>
  error instanceof HandoffInputError && pattern.test(error.message);

describe("handoff/pgp", () => {
  let alice: ThrowawayKey;
  let mallory: ThrowawayKey;
  before(async () => {
    [alice, mallory] = await Promise.all([generateThrowawayKey("alice"), generateThrowawayKey("mallory")]);
  });

  const unlock = async (key: ThrowawayKey) =>
    unlockPrivateKey(
      await readPrivateKeyFile(Buffer.from(key.armoredPrivateKey), "k.asc"),
      async () => key.passphrase,
    );

  it("reads a private key armored, binary (gpg's default export) and base64 of binary", async () => {
    const armored = await openpgp.readPrivateKey({ armoredKey: alice.armoredPrivateKey });
    const binary = armored.write();
    for (const contents of [
      Buffer.from(alice.armoredPrivateKey),
      Buffer.from(binary),
      Buffer.from(Buffer.from(binary).toString("base64")),
    ]) {
      const key = await readPrivateKeyFile(contents, "k");
      assert.equal(fingerprintOf(key), alice.fingerprint);
    }
  });

  it("says a public key is not enough, and how to export the private one", async () => {
    await assert.rejects(
      readPrivateKeyFile(Buffer.from(alice.armoredPublicKey), "pub.asc"),
      isInputError(/pub\.asc" holds a public key.*gpg --export-secret-keys --armor/),
    );
  });

  it("rejects a file that is not a key", async () => {
    await assert.rejects(
      readPrivateKeyFile(Buffer.from("hello, world\n"), "notes.txt"),
      isInputError(/notes\.txt" is not an OpenPGP private key/),
    );
  });

  it("unlocks with the right passphrase and asks for it exactly once", async () => {
    const asked: string[] = [];
    const key = await unlockPrivateKey(
      await readPrivateKeyFile(Buffer.from(alice.armoredPrivateKey), "k"),
      async (fingerprint) => {
        asked.push(fingerprint);
        return alice.passphrase;
      },
    );
    assert.equal(key.isDecrypted(), true);
    assert.deepEqual(asked, [alice.fingerprint]);
  });

  it("never asks for a passphrase when the key has none", async () => {
    const unprotected = await openpgp.decryptKey({
      privateKey: await openpgp.readPrivateKey({ armoredKey: alice.armoredPrivateKey }),
      passphrase: alice.passphrase,
    });
    const key = await unlockPrivateKey(
      await readPrivateKeyFile(Buffer.from(unprotected.armor()), "k"),
      async () => assert.fail("asked for a passphrase"),
    );
    assert.equal(key.isDecrypted(), true);
  });

  it("reports a wrong passphrase in one line with the key's fingerprint", async () => {
    await assert.rejects(
      unlockPrivateKey(
        await readPrivateKeyFile(Buffer.from(alice.armoredPrivateKey), "k"),
        async () => "nope",
      ),
      isInputError(new RegExp(`^cannot unlock private key ${alice.fingerprint}: wrong passphrase$`)),
    );
  });

  it("decrypts what the provider encrypted (base64 of a binary message), including non-ASCII text", async () => {
    const secret = "Zk9!x_ä€-{pass}|'";
    const encoded = await encryptLikeAwsProvider(secret, alice.armoredPublicKey);
    assert.match(encoded, /^[A-Za-z0-9+/]+={0,2}$/);
    assert.equal(await decryptOutput("encryptedPassword", encoded, await unlock(alice)), secret);
  });

  it("also decrypts an armored message", async () => {
    const message = await openpgp.createMessage({ text: "armored secret" });
    const armored = await openpgp.encrypt({
      message,
      encryptionKeys: await openpgp.readKey({ armoredKey: alice.armoredPublicKey }),
    });
    assert.equal(await decryptOutput("encryptedPassword", armored, await unlock(alice)), "armored secret");
  });

  it("names the recipient key when the message was encrypted for another key", async () => {
    const encoded = await encryptLikeAwsProvider("secret", alice.armoredPublicKey);
    await assert.rejects(
      decryptOutput("encryptedPassword", encoded, await unlock(mallory)),
      isInputError(
        /^output `encryptedPassword` was encrypted for key ID [0-9a-f]{16}, not for private key [0-9a-f]{40}$/,
      ),
    );
  });

  for (const [what, value] of [
    ["not base64", "this is not base64!"],
    ["base64 of something else", Buffer.from("just text").toString("base64")],
  ]) {
    it(`rejects an encrypted output that is ${what}`, async () => {
      await assert.rejects(
        decryptOutput("encryptedSecretAccessKey", value, await unlock(alice)),
        isInputError(/^output `encryptedSecretAccessKey` is not a base64-encoded OpenPGP message/),
      );
    });
  }

  it("rejects a key whose fingerprint is not the stack's pgpKeyFingerprint, and accepts upper case", async () => {
    const key = await unlock(alice);
    assert.doesNotThrow(() => assertKeyMatchesFingerprint(key, alice.fingerprint.toUpperCase()));
    assert.doesNotThrow(() => assertKeyMatchesFingerprint(key, undefined));
    assert.throws(
      () => assertKeyMatchesFingerprint(key, mallory.fingerprint),
      isInputError(new RegExp(`key ${alice.fingerprint}.*encrypted for key ${mallory.fingerprint}`)),
    );
  });

  it("asks without echoing the answer", async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = "";
    output.on("data", (chunk: Buffer) => (shown += chunk.toString()));
    const answer = askHidden("Passphrase for PGP key abc:", input, output);
    input.end("s3cret phrase\n");
    assert.equal(await answer, "s3cret phrase");
    assert.match(shown, /Passphrase for PGP key abc:/);
    assert.doesNotMatch(shown, /s3cret/);
  });
});
