import { strict as assert } from "node:assert";
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { lstatSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { leverageCredentials } from "../../handoff/leverageCredentials";
import { stripControl } from "../../lib/text";
import {
  encryptLikeAwsProvider,
  fakeIo,
  FAKE_ACCESS_KEY_ID,
  FAKE_SECRET_ACCESS_KEY,
  generateThrowawayKey,
  plainOutputs,
  temporaryFolder,
  type ThrowawayKey,
} from "./helpers";

/** Lines may end in newlines; nothing else below U+0020 or DEL may appear. */
const stripControlKeepingNewlines = (text: string) =>
  text
    .split("\n")
    .map((line) => stripControl(line))
    .join("\n");

const EXPECTED_CSV = `Access key ID,Secret access key\n${FAKE_ACCESS_KEY_ID},${FAKE_SECRET_ACCESS_KEY}\n`;

describe("handoff/leverageCredentials (npm run leverage-credentials)", () => {
  let key: ThrowawayKey;
  let other: ThrowawayKey;
  let encryptedOutputs: Record<string, unknown>;
  let folder: { dir: string; cleanup: () => void };
  let keyFile: string;
  let otherKeyFile: string;

  before(async () => {
    [key, other] = await Promise.all([
      generateThrowawayKey("operator"),
      generateThrowawayKey("someone-else"),
    ]);
    const base = plainOutputs();
    delete base.consolePassword;
    delete base.secretAccessKey;
    encryptedOutputs = {
      ...base,
      encryptedPassword: await encryptLikeAwsProvider("Pa55word!", key.armoredPublicKey),
      pgpKeyFingerprint: key.fingerprint,
      encryptedSecretAccessKey: await encryptLikeAwsProvider(FAKE_SECRET_ACCESS_KEY, key.armoredPublicKey),
    };
  });
  beforeEach(() => {
    folder = temporaryFolder("leverage-credentials");
    keyFile = path.join(folder.dir, "private.asc");
    otherKeyFile = path.join(folder.dir, "other.asc");
    writeFileSync(keyFile, key.armoredPrivateKey);
    writeFileSync(otherKeyFile, other.armoredPrivateKey);
  });
  afterEach(() => folder.cleanup());

  const csvPath = () => path.join(folder.dir, "keys.csv");
  const filesIn = () => readdirSync(folder.dir).sort();

  /** Runs the tool with bad input and checks: one line, exit 2, no CSV and no temporary file left. */
  async function expectBadInput(
    io: ReturnType<typeof fakeIo>,
    args: string[],
    message: RegExp,
    secretsThatMustNotShow: string[] = [FAKE_SECRET_ACCESS_KEY],
  ) {
    const before = filesIn();
    const code = await leverageCredentials(["--output", csvPath(), ...args], io);
    assert.equal(code, 2, `exit status (stderr: ${io.err.join("")})`);
    assert.equal(io.err.length, 1);
    assert.match(io.err[0], /^leverage-credentials: [^\n]+\n$/);
    assert.match(io.err[0], message);
    for (const secret of secretsThatMustNotShow)
      assert.ok(!io.err[0].includes(secret), "secret in error line");
    assert.deepEqual(io.out, []);
    assert.deepEqual(filesIn(), before, "no file written or left behind");
  }

  it("writes Leverage's CSV byte for byte with mode 0600 from stdin", async () => {
    const io = fakeIo({ stdin: JSON.stringify(plainOutputs()) });
    assert.equal(await leverageCredentials(["--output", csvPath()], io), 0);
    assert.equal(readFileSync(csvPath(), "utf8"), EXPECTED_CSV);
    assert.equal(statSync(csvPath()).mode & 0o777, 0o600);
    assert.deepEqual(filesIn(), ["keys.csv", "other.asc", "private.asc"], "no temporary file left");
    assert.deepEqual(io.out, [], "nothing on stdout");
    const said = io.err.join("");
    assert.match(said, /leverage credentials configure --type BOOTSTRAP --credentials-file .*keys\.csv/);
    assert.ok(!said.includes(FAKE_SECRET_ACCESS_KEY));
  });

  it("resolves relative --stack-output, --private-key and --output in the operator's folder (INIT_CWD)", async () => {
    writeFileSync(path.join(folder.dir, "outputs.json"), JSON.stringify(encryptedOutputs));
    const io = fakeIo({ stdinIsTTY: true, cwd: folder.dir, env: { PGP_PASSPHRASE: key.passphrase } });
    const args = ["--stack-output", "outputs.json", "--private-key", "private.asc", "--output", "out.csv"];
    assert.equal(await leverageCredentials(args, io), 0, io.err.join(""));
    assert.equal(readFileSync(path.join(folder.dir, "out.csv"), "utf8"), EXPECTED_CSV);
    assert.match(io.err.join(""), /wrote out\.csv \(mode 0600\)/);
  });

  it("writes keys.csv in the operator's folder by default", async () => {
    const io = fakeIo({ stdin: JSON.stringify(plainOutputs()), cwd: folder.dir });
    assert.equal(await leverageCredentials([], io), 0);
    assert.equal(readFileSync(path.join(folder.dir, "keys.csv"), "utf8"), EXPECTED_CSV);
  });

  it("reads --private-key from a pipe, as <(gpg --export-secret-keys ...) gives it", async () => {
    const fifo = path.join(folder.dir, "key.pipe");
    execFileSync("mkfifo", [fifo]);
    const writer = spawn("sh", ["-c", 'cat > "$1"', "sh", fifo], { stdio: ["pipe", "ignore", "ignore"] });
    const closed = once(writer, "close");
    writer.stdin.end(key.armoredPrivateKey);
    const io = fakeIo({ stdin: JSON.stringify(encryptedOutputs), env: { PGP_PASSPHRASE: key.passphrase } });
    assert.equal(
      await leverageCredentials(["--output", csvPath(), "--private-key", fifo], io),
      0,
      io.err.join(""),
    );
    assert.equal(readFileSync(csvPath(), "utf8"), EXPECTED_CSV);
    await closed;
  });

  it("strips control characters from the values it shows", async () => {
    const io = fakeIo({
      stdin: JSON.stringify(plainOutputs({ userName: "mgmt\u001b]0;pwned\u0007-org-admin\n" })),
    });
    assert.equal(await leverageCredentials(["--output", csvPath()], io), 0);
    const said = io.err.join("");
    assert.match(said, /with the access key of mgmt-org-admin\.\n/);
    assert.equal(said, stripControlKeepingNewlines(said));
  });

  it("replaces an existing file and narrows its mode to 0600", async () => {
    writeFileSync(csvPath(), "old contents", { mode: 0o644 });
    assert.equal(
      await leverageCredentials(["--output", csvPath()], fakeIo({ stdin: JSON.stringify(plainOutputs()) })),
      0,
    );
    assert.equal(readFileSync(csvPath(), "utf8"), EXPECTED_CSV);
    assert.equal(statSync(csvPath()).mode & 0o777, 0o600);
  });

  it("reads --stack-output FILE", async () => {
    const outputsFile = path.join(folder.dir, "outputs.json");
    writeFileSync(outputsFile, JSON.stringify(plainOutputs(), null, 2));
    const io = fakeIo({ stdinIsTTY: true });
    assert.equal(await leverageCredentials(["--stack-output", outputsFile, "--output", csvPath()], io), 0);
    assert.equal(readFileSync(csvPath(), "utf8"), EXPECTED_CSV);
  });

  it("prints the CSV on stdout only when asked with --output -", async () => {
    const io = fakeIo({ stdin: JSON.stringify(plainOutputs()) });
    assert.equal(await leverageCredentials(["--output", "-"], io), 0);
    assert.deepEqual(io.out, [EXPECTED_CSV]);
    assert.deepEqual(filesIn(), ["other.asc", "private.asc"]);
  });

  it("decrypts encryptedSecretAccessKey with --private-key and the passphrase from PGP_PASSPHRASE", async () => {
    const io = fakeIo({ stdin: JSON.stringify(encryptedOutputs), env: { PGP_PASSPHRASE: key.passphrase } });
    assert.equal(await leverageCredentials(["--output", csvPath(), "--private-key", keyFile], io), 0);
    assert.equal(readFileSync(csvPath(), "utf8"), EXPECTED_CSV);
    assert.deepEqual(io.prompts, []);
  });

  it("asks for the passphrase once when PGP_PASSPHRASE is not set", async () => {
    const io = fakeIo({ stdin: JSON.stringify(encryptedOutputs), promptAnswer: key.passphrase });
    assert.equal(await leverageCredentials(["--output", csvPath(), "--private-key", keyFile], io), 0);
    assert.equal(readFileSync(csvPath(), "utf8"), EXPECTED_CSV);
    assert.deepEqual(io.prompts, [`Passphrase for PGP key ${key.fingerprint}:`]);
  });

  describe("bad input: one line, exit 2, nothing written", () => {
    it("malformed JSON, without quoting the input", async () => {
      const broken = JSON.stringify(plainOutputs()).slice(0, -5);
      await expectBadInput(
        fakeIo({ stdin: broken }),
        [],
        /stack output is not valid JSON; expected the JSON printed by `pulumi stack output --json --show-secrets`/,
      );
    });

    it("JSON that is not an object", async () => {
      await expectBadInput(fakeIo({ stdin: "[1, 2]" }), [], /not a JSON object of outputs/);
    });

    it("empty standard input", async () => {
      await expectBadInput(fakeIo({ stdin: "  \n" }), [], /stack output is empty/);
    });

    it("a terminal on standard input and no --stack-output", async () => {
      await expectBadInput(
        fakeIo({ stdinIsTTY: true }),
        [],
        /pipe `pulumi stack output --json --show-secrets` into this command or pass --stack-output FILE/,
      );
    });

    it("a --stack-output file that does not exist", async () => {
      await expectBadInput(
        fakeIo({}),
        ["--stack-output", path.join(folder.dir, "nope.json")],
        /cannot read --stack-output ".*nope\.json": no such file/,
      );
    });

    it("no accessKeyId output (createAccessKey was false)", async () => {
      const outputs = plainOutputs();
      delete outputs.accessKeyId;
      await expectBadInput(
        fakeIo({ stdin: JSON.stringify(outputs) }),
        [],
        /no `accessKeyId`; set `pulumi config set createAccessKey true`/,
      );
    });

    it("neither secretAccessKey nor encryptedSecretAccessKey", async () => {
      const outputs = plainOutputs();
      delete outputs.secretAccessKey;
      await expectBadInput(
        fakeIo({ stdin: JSON.stringify(outputs) }),
        [],
        /neither `secretAccessKey` nor `encryptedSecretAccessKey`/,
      );
    });

    it('secrets hidden as "[secret]" (no --show-secrets)', async () => {
      const outputs = plainOutputs({ secretAccessKey: "[secret]" });
      await expectBadInput(
        fakeIo({ stdin: JSON.stringify(outputs) }),
        [],
        /`secretAccessKey` is hidden as "\[secret\]"; run `pulumi stack output --json --show-secrets`/,
      );
    });

    it("an output of the wrong type", async () => {
      await expectBadInput(
        fakeIo({ stdin: JSON.stringify(plainOutputs({ accessKeyId: 42 })) }),
        [],
        /`accessKeyId` must be a non-empty string, found a number/,
      );
    });

    it("an access key ID outside Leverage's format", async () => {
      const outputs = plainOutputs({ accessKeyId: "akia-lowercase-00000" });
      await expectBadInput(
        fakeIo({ stdin: JSON.stringify(outputs) }),
        [],
        /accessKeyId does not match Leverage's access key format: expected 20 characters of A-Z and 0-9/,
      );
    });

    it("a secret outside Leverage's format, without showing it", async () => {
      const badSecret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY";
      const outputs = plainOutputs({ secretAccessKey: badSecret });
      await expectBadInput(
        fakeIo({ stdin: JSON.stringify(outputs) }),
        [],
        /secret access key does not match Leverage's format: expected 40 characters/,
        [badSecret],
      );
    });

    it("an encrypted secret and no --private-key: says decryption needs one", async () => {
      await expectBadInput(
        fakeIo({ stdin: JSON.stringify(encryptedOutputs) }),
        [],
        new RegExp(
          `\`encryptedSecretAccessKey\` is PGP-encrypted; decrypting it needs the private key \\(key ${key.fingerprint}\\): pass --private-key FILE, with its passphrase in PGP_PASSPHRASE`,
        ),
      );
    });

    it("the wrong private key", async () => {
      await expectBadInput(
        fakeIo({ stdin: JSON.stringify(encryptedOutputs), env: { PGP_PASSPHRASE: other.passphrase } }),
        ["--private-key", otherKeyFile],
        new RegExp(
          `--private-key is key ${other.fingerprint}, but the outputs were encrypted for key ${key.fingerprint}`,
        ),
      );
    });

    it("the wrong private key when the stack gives no fingerprint", async () => {
      const outputs = { ...encryptedOutputs };
      delete outputs.pgpKeyFingerprint;
      await expectBadInput(
        fakeIo({ stdin: JSON.stringify(outputs), env: { PGP_PASSPHRASE: other.passphrase } }),
        ["--private-key", otherKeyFile],
        /`encryptedSecretAccessKey` was encrypted for key ID [0-9a-f]{16}, not for private key/,
      );
    });

    it("the wrong passphrase", async () => {
      await expectBadInput(
        fakeIo({ stdin: JSON.stringify(encryptedOutputs), env: { PGP_PASSPHRASE: "wrong" } }),
        ["--private-key", keyFile],
        /cannot unlock private key [0-9a-f]{40}: wrong passphrase$/m,
      );
    });

    it("a --private-key file that does not exist", async () => {
      await expectBadInput(
        fakeIo({ stdin: JSON.stringify(encryptedOutputs) }),
        ["--private-key", path.join(folder.dir, "missing.asc")],
        /cannot read --private-key ".*missing\.asc": no such file/,
      );
    });

    it("an encrypted secret that decrypts to a value outside Leverage's format", async () => {
      const outputs = {
        ...encryptedOutputs,
        encryptedSecretAccessKey: await encryptLikeAwsProvider("too-short", key.armoredPublicKey),
      };
      await expectBadInput(
        fakeIo({ stdin: JSON.stringify(outputs), env: { PGP_PASSPHRASE: key.passphrase } }),
        ["--private-key", keyFile],
        /secret access key does not match Leverage's format.*got 9 characters/,
        ["too-short"],
      );
    });

    it("an --output folder that does not exist", async () => {
      const io = fakeIo({ stdin: JSON.stringify(plainOutputs()) });
      const target = path.join(folder.dir, "no-such-folder", "keys.csv");
      assert.equal(await leverageCredentials(["--output", target], io), 2);
      assert.match(
        io.err.join(""),
        /^leverage-credentials: cannot write --output ".*keys\.csv": its folder does not exist\n$/,
      );
      assert.deepEqual(filesIn(), ["other.asc", "private.asc"]);
    });

    it("an --output that is a folder", async () => {
      await expectBadInput(
        fakeIo({ stdin: JSON.stringify(plainOutputs()) }),
        ["--output", folder.dir],
        /exists and is not a regular file \(a directory\); expected a new or regular file path such as keys\.csv, or - for standard output/,
      );
    });

    it("an unknown flag, pointing at --help", async () => {
      await expectBadInput(
        fakeIo({ stdin: JSON.stringify(plainOutputs()) }),
        ["--outptu", "x"],
        /Unknown option '--outptu'; run with --help for usage$/m,
      );
    });

    it("an --output that is a device, such as /dev/null, which stays a device", async () => {
      await expectBadInput(
        fakeIo({ stdin: JSON.stringify(plainOutputs()) }),
        ["--output", "/dev/null"],
        /^leverage-credentials: --output "\/dev\/null" exists and is not a regular file \(a device\); expected a new or regular file path such as keys\.csv, or - for standard output\n$/,
      );
      assert.ok(statSync("/dev/null").isCharacterDevice());
    });

    it("an --output that is a FIFO, which stays a FIFO", async () => {
      const fifo = path.join(folder.dir, "keys.pipe");
      execFileSync("mkfifo", [fifo]);
      await expectBadInput(
        fakeIo({ stdin: JSON.stringify(plainOutputs()) }),
        ["--output", fifo],
        /\(a FIFO\)/,
      );
      assert.ok(lstatSync(fifo).isFIFO());
    });

    it("an --output that is a symbolic link, which is left alone with its target", async () => {
      const target = path.join(folder.dir, "elsewhere.txt");
      writeFileSync(target, "keep me\n");
      const link = path.join(folder.dir, "keys-link.csv");
      symlinkSync(target, link);
      await expectBadInput(
        fakeIo({ stdin: JSON.stringify(plainOutputs()) }),
        ["--output", link],
        /\(a symbolic link\)/,
      );
      assert.ok(lstatSync(link).isSymbolicLink());
      assert.equal(readFileSync(target, "utf8"), "keep me\n");
    });

    it("a bad --output before any passphrase prompt", async () => {
      const io = fakeIo({ stdin: JSON.stringify(encryptedOutputs), promptAnswer: key.passphrase });
      await expectBadInput(io, ["--private-key", keyFile, "--output", folder.dir], /\(a directory\)/);
      assert.deepEqual(io.prompts, [], "no passphrase asked");
    });

    it("keeps an existing CSV untouched when the input is bad", async () => {
      writeFileSync(csvPath(), "previous keys\n", { mode: 0o600 });
      await expectBadInput(fakeIo({ stdin: "{" }), [], /not valid JSON/);
      assert.equal(readFileSync(csvPath(), "utf8"), "previous keys\n");
    });
  });

  it("--help prints usage and writes nothing", async () => {
    const io = fakeIo({});
    assert.equal(await leverageCredentials(["--help"], io), 0);
    assert.match(
      io.out.join(""),
      /Usage: pulumi stack output --json --show-secrets \| npm run --silent leverage-credentials -- /,
    );
    assert.deepEqual(filesIn(), ["other.asc", "private.asc"]);
  });
});
