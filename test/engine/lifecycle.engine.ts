/**
 * The program's life on the real engine against the stand-in account: `up` with the pack, the
 * hand-off tools on `pulumi stack output --json --show-secrets`, day two (same config, refresh,
 * a pgpKey, a credentialsRotation), the gate's `--state` plans against the engine's previews of
 * the same changes, and `destroy`.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import * as yaml from "js-yaml";
import { checkProgram } from "../../gate/check";
import { T } from "../../policy/lib/resource-types";
import { generateThrowawayKey, type ThrowawayKey } from "../handoff/helpers";
import {
  binaryPublicKey,
  Engine,
  mandatoryOf,
  PACK,
  ROOT,
  run,
  setConfig,
  stackConfigOf,
  type Run,
} from "./harness";

const P = "management-bootstrap";

/** Runs a hand-off tool as the README does: `pulumi stack output ... | npm run --silent TOOL -- ARGS`. */
function handoff(
  tool: string,
  args: string[],
  stackOutput: string,
  env: Record<string, string> = {},
): string {
  return execFileSync("npm", ["run", "--silent", tool, "--", ...args], {
    cwd: ROOT,
    input: stackOutput,
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
}

/** A preview's or plan's step per resource, in the gate's words; replacements collapse to "replace". */
function opsOf(ops: Map<string, string[]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [urn, list] of ops) {
    if (/::pulumi:(providers:|pulumi:Stack)/.test(urn)) continue;
    out[urn] = list.some((o) => /replace/.test(o)) ? "replace" : list[list.length - 1];
  }
  return Object.fromEntries(Object.entries(out).sort());
}

describe("engine lifecycle: up, hand-off, day two, destroy", function () {
  let engine: Engine;
  let stack: Stack;
  let key: ThrowawayKey;
  let pgpKey: string;
  const base = { ...stackConfigOf(ROOT), [`${P}:createAccessKey`]: "true" };
  const stateAgreement: { change: string; equal: boolean }[] = [];

  before(async () => {
    engine = await Engine.start();
    stack = await engine.stack(ROOT, "life");
    await setConfig(stack, base);
    key = await generateThrowawayKey("lifecycle");
    pgpKey = await binaryPublicKey(key.armoredPublicKey);
  });
  after(() => {
    engine?.close();
    if (stateAgreement.length > 0)
      console.log(
        `      --state fidelity: ${stateAgreement.filter((s) => s.equal).length} of ${stateAgreement.length} plans equal the engine's`,
      );
  });

  const of = (type: string) => Object.entries(engine.account().resources[type] ?? {});
  const outputs = () => engine.cli(stack, ["stack", "output", "--json", "--show-secrets"]);

  /**
   * The gate's `--state` plan of the deployed stack (its `pulumi stack export`) under `config`
   * equals the engine's preview of the same config: the step per resource and the mandatory set.
   */
  async function sameAsGate(change: string, config: Record<string, unknown>, secret: string[]) {
    const dir = fs.mkdtempSync(path.join(ROOT, "node_modules", ".cache", "engine", "state-"));
    try {
      const exportFile = path.join(dir, "export.json");
      fs.writeFileSync(exportFile, JSON.stringify(await stack.exportStack()));
      fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
      fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), yaml.dump({ config }));
      await setConfig(stack, config, secret);
      const [real, gate] = await Promise.all([
        run(stack, "preview"),
        checkProgram({
          cwd: dir,
          programDir: ROOT,
          stack: "dev",
          packDir: PACK,
          timeoutMs: 120_000,
          state: exportFile,
        }),
      ]);
      const gateOps: Record<string, string> = {};
      for (const r of gate.resources)
        if (r.op && !/^pulumi:(providers:|pulumi:Stack)/.test(r.type)) gateOps[r.urn] = r.op;
      const gateMandatory = [
        ...new Set(
          gate.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policyName),
        ),
      ].sort();
      const equal =
        JSON.stringify(Object.fromEntries(Object.entries(gateOps).sort())) ===
          JSON.stringify(opsOf(real.ops)) &&
        JSON.stringify(gateMandatory) === JSON.stringify(mandatoryOf(real));
      stateAgreement.push({ change, equal });
      assert.ok(real.ok, real.stderr.slice(-2000));
      assert.deepEqual(
        { ops: Object.fromEntries(Object.entries(gateOps).sort()), mandatory: gateMandatory },
        { ops: opsOf(real.ops), mandatory: mandatoryOf(real) },
        `gate --state plan vs the engine's preview (${change})`,
      );
      return real;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  let firstPassword = "";
  let firstKeyId = "";

  it("preview with the pack passes; up creates the bootstrap; the hand-off tools give the stand-in's password and keys", async () => {
    const preview = await run(stack, "preview");
    assert.ok(preview.ok, preview.stderr.slice(-2000));
    const up: Run = await run(stack, "up");
    assert.ok(up.ok, up.stderr.slice(-2000));
    const [[, profile]] = of(T.loginProfile);
    const [[keyId, accessKey]] = of(T.accessKey);
    assert.equal(of(T.user)[0][1].name, "mgmt-org-admin");
    assert.equal(of(T.userPolicyAttachment).length, 1);
    assert.deepEqual(
      of(T.accountAlias).map(([id]) => id),
      ["acme-management"],
    );
    assert.equal(typeof profile.password, "string");
    // The stack's outputs hold the secrets as secrets.
    assert.equal(up.outputs?.consolePassword.secret, true);
    assert.equal(up.outputs?.secretAccessKey.secret, true);

    const out = outputs();
    assert.equal(handoff("show-password", ["--password-only"], out), `${profile.password}\n`);
    const csv = handoff("leverage-credentials", ["--output", "-"], out);
    assert.ok(csv.includes(`${keyId},${accessKey.secret}`), "keys.csv has the stand-in's key id and secret");
    firstPassword = profile.password as string;
    firstKeyId = keyId;
  });

  it("day two: the same config changes nothing, and a refresh finds the account as deployed", async () => {
    const before = engine.journal().length;
    const up = await run(stack, "up");
    assert.ok(up.ok, up.stderr.slice(-2000));
    assert.deepEqual(new Set(Object.values(opsOf(up.ops))), new Set(["same"]));
    const refresh = await stack.refresh();
    assert.deepEqual(Object.keys(refresh.summary.resourceChanges ?? {}), ["same"]);
    assert.deepEqual(engine.journal().slice(before), [], "no create, update or delete reached the account");
  });

  it("--state: the gate plans a new pgpKey and a new credentialsRotation as the engine previews them", async () => {
    const pgp = await sameAsGate("pgpKey set", { ...base, [`${P}:pgpKey`]: pgpKey }, [`${P}:pgpKey`]);
    assert.deepEqual(new Set(Object.values(opsOf(pgp.ops))), new Set(["same"]));
    const rotation = await sameAsGate(
      "credentialsRotation 2",
      { ...base, [`${P}:pgpKey`]: pgpKey, [`${P}:credentialsRotation`]: "2" },
      [`${P}:pgpKey`],
    );
    assert.equal(opsOf(rotation.ops)[`urn:pulumi:dev::${P}::${T.loginProfile}::console-login`], "replace");
    await setConfig(stack, base);
  });

  it("a pgpKey set later replaces nothing, and the outputs stay", async () => {
    await setConfig(stack, { ...base, [`${P}:pgpKey`]: pgpKey }, [`${P}:pgpKey`]);
    const before = engine.journal().length;
    const up = await run(stack, "up");
    assert.ok(up.ok, up.stderr.slice(-2000));
    assert.ok(!Object.values(opsOf(up.ops)).includes("replace"), JSON.stringify(opsOf(up.ops)));
    assert.deepEqual(engine.journal().slice(before), []);
    assert.equal(handoff("show-password", ["--password-only"], outputs()), `${firstPassword}\n`);
    assert.equal(JSON.parse(outputs()).accessKeyId, firstKeyId);
  });

  it("a new credentialsRotation replaces the login profile (old deleted first) and the access key (new created first), encrypted to the pgpKey", async () => {
    await setConfig(stack, { ...base, [`${P}:pgpKey`]: pgpKey, [`${P}:credentialsRotation`]: "2" }, [
      `${P}:pgpKey`,
    ]);
    const before = engine.journal().length;
    const up = await run(stack, "up");
    assert.ok(up.ok, up.stderr.slice(-2000));
    const calls = engine.journal().slice(before);
    const at = (call: string) => calls.findIndex((c) => c.startsWith(call));
    const profileDelete = at(`delete ${T.loginProfile}`);
    const profileCreate = at(`create ${T.loginProfile}`);
    const keyCreate = at(`create ${T.accessKey}`);
    const keyDelete = at(`delete ${T.accessKey} bootstrap-access-key ${firstKeyId}`);
    assert.ok(profileDelete >= 0 && profileDelete < profileCreate, calls.join("\n"));
    assert.ok(keyCreate >= 0 && keyCreate < keyDelete, calls.join("\n"));

    // The new credentials, PGP-encrypted by the stand-in as the provider does, decrypt with the key.
    const out = outputs();
    const parsed = JSON.parse(out) as Record<string, string>;
    assert.equal(parsed.consolePassword, undefined);
    assert.notEqual(parsed.accessKeyId, firstKeyId);
    const dir = fs.mkdtempSync(path.join(engine.tmp, "pgp-"));
    fs.writeFileSync(path.join(dir, "private.asc"), key.armoredPrivateKey);
    const env = { PGP_PASSPHRASE: key.passphrase };
    const args = ["--private-key", path.join(dir, "private.asc")];
    const password = handoff("show-password", ["--password-only", ...args], out, env).trim();
    assert.match(password, /^.{32}$/);
    assert.notEqual(password, firstPassword);
    const csv = handoff("leverage-credentials", ["--output", "-", ...args], out, env);
    assert.match(csv, new RegExp(`${parsed.accessKeyId},[A-Za-z0-9/+]{40}`));
    assert.equal(of(T.accessKey).length, 1);
  });

  it("destroy leaves the fake account empty", async () => {
    await stack.destroy();
    assert.deepEqual(engine.account().resources, {});
  });
});
