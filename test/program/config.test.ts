import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import * as openpgp from "openpgp";
import { CONFIG_DEFAULTS, CONFIG_KEYS, CONFIG_NAMESPACE, loadConfig } from "../../lib/config";
import { runProgram, runProgramExpectingError, stackConfig, throwawayPgpKey } from "./harness";

const ROOT = path.join(__dirname, "..", "..");

/** Runs the program with a bad config; it must stop with exactly these lines and register nothing. */
async function expectRejected(config: Record<string, string>, lines: string[], secretKeys?: string[]) {
  const { error, registered, invokes } = await runProgramExpectingError(config, { secretKeys });
  assert.ok(pulumi.RunError.isInstance(error), `a RunError (printed without a stack trace), got ${error}`);
  assert.deepEqual(error.message.split("\n"), lines);
  assert.equal(registered, 0, "nothing registered");
  assert.deepEqual(invokes, [], "not even a provider call");
}

describe("program config: each bad value stops the program before anything is registered", function () {
  it("projectName is required", async () => {
    await expectRejected({}, [
      "management-bootstrap:projectName is not set; expected the Leverage project name (^[a-z0-9]([a-z0-9]|-){1,23}[a-z0-9]$)",
    ]);
  });

  it("projectName follows Leverage's rule", async () => {
    await expectRejected({ projectName: "Acme" }, [
      'management-bootstrap:projectName: "Acme" is not a Leverage project name; expected 3 to 25 lower-case ' +
        "letters, digits or dashes, not starting or ending with a dash (^[a-z0-9]([a-z0-9]|-){1,23}[a-z0-9]$)",
    ]);
  });

  it("accountName must be <projectName>-management", async () => {
    await expectRejected(stackConfig({ accountName: "acme-prod" }), [
      'management-bootstrap:accountName: "acme-prod" is not the management account\'s name; expected ' +
        '"acme-management" (<projectName>-management), or leave it unset',
    ]);
  });

  it("accountName must be usable as the account alias when the program manages it", async () => {
    // Leverage allows "--" in project names, IAM aliases do not.
    const config = { projectName: "ac--me" };
    await expectRejected(config, [
      'management-bootstrap:accountName: "ac--me-management" cannot be the IAM account alias; expected 3 to 63 ' +
        "lower-case letters, digits or single dashes; or set management-bootstrap:manageAccountAlias to false",
    ]);
    const withoutAlias = await runProgram({ ...config, manageAccountAlias: "false" });
    assert.equal(withoutAlias.outputs.userName, "mgmt-org-admin");
  });

  it("bootstrapUserName must be an IAM user name", async () => {
    await expectRejected(stackConfig({ bootstrapUserName: "mgmt org admin" }), [
      'management-bootstrap:bootstrapUserName: "mgmt org admin" is not an IAM user name; expected 1 to 64 ' +
        "letters, digits or + = , . @ _ -",
    ]);
  });

  it("passwordLength must be an integer", async () => {
    await expectRejected(stackConfig({ passwordLength: "abc" }), [
      'management-bootstrap:passwordLength: "abc" is not an integer; expected an integer from 20 to 128',
    ]);
  });

  for (const outOfRange of ["19", "129"]) {
    it(`passwordLength ${outOfRange} is out of range`, async () => {
      await expectRejected(stackConfig({ passwordLength: outOfRange }), [
        `management-bootstrap:passwordLength: "${outOfRange}" is out of range; expected an integer from 20 to 128`,
      ]);
    });
  }

  for (const [raw, what] of [
    ["0", "is out of range"],
    ["91", "is out of range"],
    ["30.5", "is not a whole number"],
    ["a month", "is not a whole number"],
  ]) {
    it(`bootstrapUserLifetimeDays ${JSON.stringify(raw)} ${what}`, async () => {
      await expectRejected(stackConfig({ bootstrapUserLifetimeDays: raw }), [
        `management-bootstrap:bootstrapUserLifetimeDays: ${JSON.stringify(raw)} ${what}; expected a whole number of days from 1 to 90, counted from the first deployment`,
      ]);
    });
  }

  for (const key of ["passwordResetRequired", "manageAccountAlias", "createAccessKey"]) {
    it(`${key} must be a boolean`, async () => {
      await expectRejected(stackConfig({ [key]: "maybe" }), [
        `management-bootstrap:${key}: "maybe" is not a boolean; expected true or false`,
      ]);
    });
  }

  it("credentialsRotation must not be empty", async () => {
    await expectRejected(stackConfig({ credentialsRotation: " " }), [
      'management-bootstrap:credentialsRotation: " " is empty; expected any non-empty string, changed to rotate ' +
        'the credentials (e.g. "2")',
    ]);
  });

  const PGP_EXPECTED =
    "expected a base64 OpenPGP public key (gpg --export <key-id> | base64 -w0) or keybase:<username>";

  it("pgpKey must be base64", async () => {
    await expectRejected(stackConfig({ pgpKey: "not base64!" }), [
      `management-bootstrap:pgpKey: "not base64!" is not base64; ${PGP_EXPECTED}`,
    ]);
  });

  it("pgpKey must be an OpenPGP key", async () => {
    const notAKey = Buffer.from("hello, not a key").toString("base64");
    await expectRejected(stackConfig({ pgpKey: notAKey }), [
      `management-bootstrap:pgpKey: "${notAKey}" is not an OpenPGP public key; ${PGP_EXPECTED}`,
    ]);
  });

  it("pgpKey must not be ASCII-armored, and a long value is shortened", async () => {
    const { publicKey } = await openpgp.generateKey({ userIDs: [{ name: "armored" }], format: "armored" });
    const shown = JSON.stringify(`${publicKey.slice(0, 40)}...`);
    await expectRejected(stackConfig({ pgpKey: publicKey }), [
      `management-bootstrap:pgpKey: ${shown} (${publicKey.length} characters) is ASCII-armored; the provider ` +
        `needs the binary key, base64-encoded; ${PGP_EXPECTED}`,
    ]);
  });

  it("pgpKey must be a public key, not a private one", async () => {
    const { privateKey } = await throwawayPgpKey();
    const base64 = Buffer.from(privateKey).toString("base64");
    const { error } = await runProgramExpectingError(stackConfig({ pgpKey: base64 }));
    assert.match(
      error.message,
      /^management-bootstrap:pgpKey: ".{40}\.\.\." \(\d+ characters\) is a private key;/,
    );
    assert.ok(!error.message.includes(base64), "never prints the private key");
  });

  it("pgpKey must be able to encrypt", async () => {
    const { privateKey } = await openpgp.generateKey({ userIDs: [{ name: "sign only" }], format: "object" });
    // Strip the encryption subkey: what remains can only sign.
    const signOnly = privateKey.toPublic();
    signOnly.subkeys = [];
    const base64 = Buffer.from(signOnly.write()).toString("base64");
    const { error } = await runProgramExpectingError(stackConfig({ pgpKey: base64 }));
    assert.match(error.message, /has no usable encryption key \(signing-only, expired or revoked\)/);
  });

  it("pgpKey keybase: needs a user name", async () => {
    await expectRejected(stackConfig({ pgpKey: "keybase:" }), [
      `management-bootstrap:pgpKey: "keybase:" is not a valid keybase:<username>; ${PGP_EXPECTED}`,
    ]);
  });

  it("a value held as a secret is never shown", async () => {
    await expectRejected(
      stackConfig({ passwordLength: "hunter2" }),
      ["management-bootstrap:passwordLength: [secret] is not an integer; expected an integer from 20 to 128"],
      ["passwordLength"],
    );
    // Short ones too: text search skips secrets under 4 characters, a secret key's value never is.
    await expectRejected(
      stackConfig({ passwordLength: "5", createAccessKey: "no" }),
      [
        "management-bootstrap:passwordLength: [secret] is out of range; expected an integer from 20 to 128",
        "management-bootstrap:createAccessKey: [secret] is not a boolean; expected true or false",
      ],
      ["passwordLength", "createAccessKey"],
    );
  });

  it("reports every bad value at once, one line each, in key order", async () => {
    const { error } = await runProgramExpectingError({
      projectName: "x",
      passwordLength: "abc",
      passwordResetRequired: "maybe",
    });
    const lines = error.message.split("\n");
    assert.equal(lines.length, 3);
    assert.match(lines[0], /^management-bootstrap:projectName: "x"/);
    assert.match(lines[1], /^management-bootstrap:passwordLength: "abc"/);
    assert.match(lines[2], /^management-bootstrap:passwordResetRequired: "maybe"/);
  });
});

describe("program config: a key Pulumi.yaml does not declare gets a warning (the CLI passes it silently)", function () {
  const warning = (key: string, hint: string) =>
    `warning: [runtime] "management-bootstrap:${key}" is not a key of this project (Pulumi.yaml), so it has no effect; ${hint}`;

  it("names the nearest declared key for a typo, and the run goes on with the default", async () => {
    const run = await runProgram(stackConfig({ createAcessKey: "true" }));
    assert.deepEqual(run.warnings, [warning("createAcessKey", "did you mean createAccessKey?")]);
    assert.ok(!run.resources.some((r) => r.type === "aws:iam/accessKey:AccessKey"), "the typo had no effect");
  });

  it("ignores case in the comparison, lists the keys when none is near, and leaves aws:region alone", async () => {
    const run = await runProgram(stackConfig({ PASSWORDLENGTH: "40", region: "us-east-1" }));
    assert.deepEqual(run.warnings, [
      warning("PASSWORDLENGTH", "did you mean passwordLength?"),
      warning("region", `the keys are ${CONFIG_KEYS.join(", ")}`),
    ]);
    // The harness sets aws:region, a declared key of the provider's namespace: no warning for it.
    assert.deepEqual((await runProgram(stackConfig())).warnings, []);
  });
});

describe("program config: Pulumi.yaml and the example stack", function () {
  type Declared = { type?: string; default?: unknown; description?: string };
  const project = yaml.load(readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
    name: string;
    runtime: unknown;
    config: Record<string, Declared>;
  };

  it("names the project as the config namespace and runs on Node with npm", () => {
    // The CLI hands the program the keys under the project's name: the example stack's are those or aws's.
    const stack = yaml.load(readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: object };
    for (const key of Object.keys(stack.config)) {
      const [namespace, name] = key.split(":");
      assert.ok(namespace === "aws" || (namespace === project.name && name in project.config), key);
    }
    assert.deepEqual(project.runtime, { name: "nodejs", options: { packagemanager: "npm" } });
  });

  it("declares every key the program reads, with a type and a description", () => {
    assert.deepEqual(Object.keys(project.config).sort(), [...CONFIG_KEYS].sort());
    for (const [key, declared] of Object.entries(project.config)) {
      assert.ok(["string", "integer", "boolean"].includes(declared.type ?? ""), `${key} has a type`);
      assert.ok((declared.description ?? "").length > 20, `${key} is described`);
    }
  });

  it("is the one source of defaults: the program's and the runbook's table agree with it", () => {
    for (const [key, value] of Object.entries(CONFIG_DEFAULTS)) {
      assert.deepEqual(project.config[key].default, value, key);
    }
    // Required: no default, so the CLI asks for it. Optional without a fixed default: "".
    assert.ok(!("default" in project.config.projectName));
    assert.equal(project.config.accountName.default, "");
    assert.equal(project.config.pgpKey.default, "");
    for (const doc of ["docs/runbook.md"]) {
      const rows = new Map<string, string>();
      for (const line of readFileSync(path.join(ROOT, doc), "utf8").split("\n")) {
        const cells = line.split(/(?<!\\)\|/).map((c) => c.trim().replace(/^`|`$/g, ""));
        if (cells.length > 3 && cells[1] in project.config)
          rows.set(cells[1], cells[2].replace(/^`|`$/g, ""));
      }
      for (const [key, declared] of Object.entries(project.config)) {
        assert.ok(rows.has(key), `${doc} has a row for ${key}`);
        const shown = rows.get(key)!;
        if (declared.default === undefined) assert.equal(shown, "required", `${doc}: ${key}`);
        else if (declared.default === "") assert.match(shown, /^unset$|-management$/, `${doc}: ${key}`);
        else assert.equal(shown.replace(/^"|"$/g, ""), String(declared.default), `${doc}: ${key}`);
      }
    }
  });

  it("the example stack plus the declared defaults, as the CLI merges them, is a valid config", async () => {
    const stack = yaml.load(readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as {
      config: Record<string, string>;
    };
    assert.equal(stack.config["aws:region"], "us-east-1");
    const merged: Record<string, string> = {};
    for (const [key, declared] of Object.entries(project.config)) {
      if ("default" in declared) merged[key] = String(declared.default); // the CLI passes strings
    }
    for (const [key, value] of Object.entries(stack.config)) {
      if (key.startsWith(`${CONFIG_NAMESPACE}:`))
        merged[key.slice(CONFIG_NAMESPACE.length + 1)] = String(value);
    }
    const config = await loadConfig((key) => merged[key]);
    assert.deepEqual(config, {
      projectName: "acme",
      accountName: "acme-management",
      bootstrapUserName: "mgmt-org-admin",
      passwordLength: 32,
      passwordResetRequired: true,
      pgpKey: undefined,
      manageAccountAlias: true,
      credentialsRotation: "1",
      createAccessKey: false,
      bootstrapUserLifetimeDays: 30,
    });
  });
});
