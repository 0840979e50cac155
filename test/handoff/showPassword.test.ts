import { strict as assert } from "node:assert";
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { showPassword } from "../../handoff/showPassword";
import {
  encryptLikeAwsProvider,
  fakeIo,
  generateThrowawayKey,
  plainOutputs,
  temporaryFolder,
  type ThrowawayKey,
} from "./helpers";

const PASSWORD = "Pa55word!With{Symbols}";

describe("handoff/showPassword (npm run show-password)", () => {
  let key: ThrowawayKey;
  let encryptedOutputs: Record<string, unknown>;
  let folder: { dir: string; cleanup: () => void };
  let keyFile: string;

  before(async () => {
    key = await generateThrowawayKey("operator");
    const base = plainOutputs();
    delete base.consolePassword;
    encryptedOutputs = {
      ...base,
      encryptedPassword: await encryptLikeAwsProvider(PASSWORD, key.armoredPublicKey),
      pgpKeyFingerprint: key.fingerprint,
    };
    folder = temporaryFolder("show-password");
    keyFile = path.join(folder.dir, "private.asc");
    writeFileSync(keyFile, key.armoredPrivateKey);
  });
  after(() => folder.cleanup());

  const expectedScreen =
    "Console sign-in URL: https://123456789012.signin.aws.amazon.com/console\n" +
    "User name:           mgmt-org-admin\n" +
    `Console password:    ${PASSWORD}\n` +
    "AWS asks for a new password at the first sign-in.\n";

  it("shows URL, user name and password on a terminal", async () => {
    const io = fakeIo({ stdin: JSON.stringify(plainOutputs()), stdoutIsTTY: true });
    assert.equal(await showPassword([], io), 0);
    assert.equal(io.out.join(""), expectedScreen);
    assert.deepEqual(io.err, []);
  });

  it("leaves out the first-sign-in line when no reset is required", async () => {
    const io = fakeIo({
      stdin: JSON.stringify(plainOutputs({ passwordResetRequired: false })),
      stdoutIsTTY: true,
    });
    assert.equal(await showPassword([], io), 0);
    assert.doesNotMatch(io.out.join(""), /first sign-in/);
  });

  it("decrypts encryptedPassword with --private-key and the prompt", async () => {
    const io = fakeIo({
      stdin: JSON.stringify(encryptedOutputs),
      stdoutIsTTY: true,
      promptAnswer: key.passphrase,
    });
    assert.equal(await showPassword(["--private-key", keyFile], io), 0);
    assert.equal(io.out.join(""), expectedScreen);
    assert.equal(io.prompts.length, 1);
  });

  it("--password-only prints just the password, also into a pipe", async () => {
    const io = fakeIo({ stdin: JSON.stringify(encryptedOutputs), env: { PGP_PASSPHRASE: key.passphrase } });
    assert.equal(await showPassword(["--password-only", "--private-key", keyFile], io), 0);
    assert.deepEqual(io.out, [`${PASSWORD}\n`]);
  });

  it("strips control characters from the URL and user name it shows", async () => {
    const outputs = plainOutputs({
      consoleSignInUrl: "https://123456789012.signin.aws.amazon.com/console\u001b[2J",
      userName: "mgmt-org-admin\r\u001b]8;;https://evil.example\u0007",
    });
    const io = fakeIo({ stdin: JSON.stringify(outputs), stdoutIsTTY: true });
    assert.equal(await showPassword([], io), 0);
    assert.equal(io.out.join(""), expectedScreen);
  });

  it("refuses a password with control characters instead of showing an altered one", async () => {
    const outputs = plainOutputs({ consolePassword: `${PASSWORD}\u001b[8m` });
    for (const args of [[], ["--password-only"]]) {
      await expectBadInput(
        fakeIo({ stdin: JSON.stringify(outputs), stdoutIsTTY: true }),
        args,
        /the console password holds control characters; expected the printable password AWS generates/,
      );
    }
  });

  it("--help shows the usage with npm run --silent, so no npm banner joins the output", async () => {
    const io = fakeIo({});
    assert.equal(await showPassword(["--help"], io), 0);
    assert.match(
      io.out.join(""),
      /^Usage: pulumi stack output --json --show-secrets \| npm run --silent show-password -- /,
    );
  });

  async function expectBadInput(io: ReturnType<typeof fakeIo>, args: string[], message: RegExp) {
    assert.equal(await showPassword(args, io), 2, `stderr: ${io.err.join("")}`);
    assert.equal(io.err.length, 1);
    assert.match(io.err[0], /^show-password: [^\n]+\n$/);
    assert.match(io.err[0], message);
    assert.ok(!io.err[0].includes(PASSWORD), "password in error line");
    assert.deepEqual(io.out, []);
  }

  it("refuses a pipe or file as stdout before decrypting anything", async () => {
    const io = fakeIo({ stdin: JSON.stringify(encryptedOutputs), promptAnswer: key.passphrase });
    await expectBadInput(
      io,
      ["--private-key", keyFile],
      /refusing to print the console password into a pipe or file/,
    );
    assert.deepEqual(io.prompts, [], "no passphrase asked");
  });

  it("says decryption needs a private key when none is given", async () => {
    await expectBadInput(
      fakeIo({ stdin: JSON.stringify(encryptedOutputs), stdoutIsTTY: true }),
      [],
      /`encryptedPassword` is PGP-encrypted; decrypting it needs the private key/,
    );
  });

  it("reports a wrong passphrase", async () => {
    await expectBadInput(
      fakeIo({
        stdin: JSON.stringify(encryptedOutputs),
        stdoutIsTTY: true,
        env: { PGP_PASSPHRASE: "wrong" },
      }),
      ["--private-key", keyFile],
      /cannot unlock private key [0-9a-f]{40}: wrong passphrase/,
    );
  });

  it("reports a missing password output", async () => {
    const outputs = plainOutputs();
    delete outputs.consolePassword;
    await expectBadInput(
      fakeIo({ stdin: JSON.stringify(outputs), stdoutIsTTY: true }),
      [],
      /: stack output has neither `consolePassword` nor `encryptedPassword`; the program exports one of them: run `pulumi up` first\n$/,
    );
  });

  it("reports a missing sign-in URL", async () => {
    const outputs = plainOutputs();
    delete outputs.consoleSignInUrl;
    await expectBadInput(
      fakeIo({ stdin: JSON.stringify(outputs), stdoutIsTTY: true }),
      [],
      /no `consoleSignInUrl`/,
    );
  });

  it("reports malformed JSON without quoting it", async () => {
    await expectBadInput(
      fakeIo({ stdin: JSON.stringify(plainOutputs()).slice(3), stdoutIsTTY: true }),
      [],
      /stack output is not valid JSON/,
    );
  });

  it("rejects a positional argument", async () => {
    await expectBadInput(
      fakeIo({ stdoutIsTTY: true }),
      ["dev"],
      /Unexpected argument 'dev'; run with --help for usage/,
    );
  });
});
