/**
 * The program's life as an operator lives it, in a copy of the project folder, with the commands of
 * docs/runbook.md: `npm run engine:pulumi -- ...` (the real CLI, stand-in providers) and
 * `npm run check`: stack init and config, check, preview, up, the hand-off tools on
 * `pulumi stack output --json --show-secrets`, the same config again, a refresh, coming back later
 * from a new shell (a new PULUMI_HOME), the gate's `--state` plans against the engine's previews,
 * a pgpKey, a credentialsRotation, and destroy.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { T } from "../../policy/lib/resource-types";
import { generateThrowawayKey, type ThrowawayKey } from "../handoff/helpers";
import { binaryPublicKey, mandatoryOf, opsOf, PROJECT, Workspace, type CliRun } from "./harness";

const STACK = "management";
type Props = Record<string, unknown>;
const S = ["--stack", STACK];
const PACK = ["--policy-pack", "policy", "--policy-pack-config", ".github/policy-pack-config.json"];

/** A preview's or plan's step per resource, in the gate's words; replacements collapse to "replace". */
function stepsOf(run: CliRun): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [urn, list] of opsOf(run)) {
    if (/::pulumi:(providers:|pulumi:Stack)/.test(urn)) continue;
    out[urn] = list.some((o) => /replace/.test(o)) ? "replace" : list[list.length - 1];
  }
  return Object.fromEntries(Object.entries(out).sort());
}

describe("engine lifecycle: the runbook's commands, from stack init to destroy", function () {
  let ws: Workspace;
  let key: ThrowawayKey;
  let pgpKey: string;
  const stateAgreement: { change: string; equal: boolean }[] = [];

  before(async () => {
    ws = new Workspace();
    key = await generateThrowawayKey("lifecycle");
    pgpKey = await binaryPublicKey(key.armoredPublicKey);
  });
  after(() => {
    ws?.close();
    if (stateAgreement.length > 0)
      console.log(
        `      --state fidelity: ${stateAgreement.filter((s) => s.equal).length} of ${stateAgreement.length} plans equal the engine's`,
      );
  });

  const of = (type: string) => Object.entries(ws.account().resources[type] ?? {});
  const outputs = () => ws.ok(["stack", "output", ...S, "--json", "--show-secrets"]);
  const handoff = async (tool: string, args: string[], input: string, env: Record<string, string> = {}) => {
    const r = await ws.npm(tool, args, { input, env });
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };

  /**
   * The gate's `--state` plan of the deployed stack (its `pulumi stack export`) equals the engine's
   * preview of the same config: the step per resource and the mandatory set.
   */
  async function sameAsGate(change: string): Promise<CliRun> {
    await ws.ok(["stack", "export", ...S, "--file", "state.json"]);
    const [preview, gate] = await Promise.all([
      ws.pulumi(["preview", ...S, ...PACK]),
      ws.npm("check", [...S, "--state", "state.json", "--format", "json"]),
    ]);
    fs.rmSync(path.join(ws.project, "state.json"));
    assert.equal(preview.code, 0, preview.stdout + preview.stderr);
    assert.equal(gate.code, 0, gate.stderr);
    const report = JSON.parse(gate.stdout) as {
      steps: { urn: string; type: string; op: string }[];
      violations: { policyName: string; enforcementLevel: string }[];
    };
    const gateSteps = Object.fromEntries(
      report.steps
        .filter((s) => !/^pulumi:(providers:|pulumi:Stack)/.test(s.type))
        .map((s) => [s.urn, s.op])
        .sort(),
    );
    const gateMandatory = [
      ...new Set(
        report.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policyName),
      ),
    ].sort();
    const equal =
      JSON.stringify(gateSteps) === JSON.stringify(stepsOf(preview)) &&
      JSON.stringify(gateMandatory) === JSON.stringify(mandatoryOf(preview));
    stateAgreement.push({ change, equal });
    assert.deepEqual(
      { steps: gateSteps, mandatory: gateMandatory },
      { steps: stepsOf(preview), mandatory: mandatoryOf(preview) },
      `gate --state plan vs the engine's preview (${change})`,
    );
    return preview;
  }

  let firstPassword = "";
  let firstKeyId = "";

  it("stack init, config set, check, preview and up create the bootstrap; the hand-off tools give the stand-in's password and keys", async () => {
    await ws.ok(["stack", "init", STACK, "--secrets-provider", "passphrase"]);
    await ws.ok(["config", "set", ...S, "aws:region", "us-east-1"]);
    await ws.ok(["config", "set", ...S, "projectName", "acme"]);
    await ws.ok(["config", "set", ...S, "createAccessKey", "true"]);
    const check = await ws.npm("check", [...S, "--policy-pack-config", ".github/policy-pack-config.json"]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    const preview = await ws.pulumi(["preview", ...S, ...PACK]);
    assert.equal(preview.code, 0, preview.stdout + preview.stderr);
    assert.deepEqual(mandatoryOf(preview), []);
    assert.deepEqual(ws.account().resources, {}, "a preview creates nothing");
    const up = await ws.pulumi(["up", ...S, "--yes", ...PACK]);
    assert.equal(up.code, 0, up.stdout + up.stderr);

    const [[, profile]] = of(T.loginProfile);
    const [[keyId, accessKey]] = of(T.accessKey);
    assert.equal(of(T.user)[0][1].name, "mgmt-org-admin");
    assert.equal(of(T.userPolicyAttachment).length, 1);
    assert.deepEqual(
      of(T.accountAlias).map(([id]) => id),
      ["acme-management"],
    );
    assert.equal((await ws.ok(["stack", "output", ...S, "userName"])).trim(), "mgmt-org-admin");
    // The secrets are secrets: not shown without --show-secrets.
    const shown = JSON.parse(await ws.ok(["stack", "output", ...S, "--json"])) as Record<string, unknown>;
    assert.equal(shown.consolePassword, "[secret]");
    assert.equal(shown.secretAccessKey, "[secret]");

    const out = await outputs();
    assert.equal(await handoff("show-password", ["--password-only"], out), `${profile.password}\n`);
    const csv = await handoff("leverage-credentials", ["--output", "-"], out);
    assert.ok(csv.includes(`${keyId},${accessKey.secret}`), "keys.csv has the stand-in's key id and secret");
    firstPassword = profile.password as string;
    firstKeyId = keyId;
  });

  it("day two: the same config changes nothing, and a refresh finds the account as deployed", async () => {
    const before = ws.journal().length;
    const up = await ws.pulumi(["up", ...S, "--yes", ...PACK]);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.deepEqual(new Set(Object.values(stepsOf(up))), new Set(["same"]));
    await ws.ok(["refresh", ...S, "--yes"]);
    assert.deepEqual(ws.journal().slice(before), [], "no create, update or delete reached the account");
    // The deployed state judged as `pulumi policy analyze` would: the pack without stack context.
    await ws.ok(["stack", "export", ...S, "--file", "state.json"]);
    const audit = await ws.npm("check", ["--file", "state.json", "--format", "json"]);
    fs.rmSync(path.join(ws.project, "state.json"));
    assert.equal(audit.code, 0, audit.stdout + audit.stderr);
    const report = JSON.parse(audit.stdout) as { mode: string; violations: { enforcementLevel: string }[] };
    assert.equal(report.mode, "file");
    assert.deepEqual(
      report.violations.filter((v) => v.enforcementLevel === "mandatory"),
      [],
    );
  });

  it("coming back later from a new shell: login, select, config, the gate's --state plan, preview --expect-no-changes", async () => {
    const later = { PULUMI_HOME: path.join(ws.tmp, "home-later") };
    const again = (args: string[]) => ws.npm("engine:pulumi", args, { env: later });
    assert.equal((await again(["login", `file://${ws.state}`])).code, 0);
    assert.equal((await again(["stack", "select", STACK])).code, 0);
    const config = await again(["config", ...S]);
    assert.match(config.stdout, /projectName\s+acme/);
    await sameAsGate("same config, later");
    const expect = await again(["preview", ...S, "--expect-no-changes", ...PACK]);
    assert.equal(expect.code, 0, expect.stdout + expect.stderr);
  });

  it("a pgpKey set later replaces nothing, and the outputs stay; the gate plans it as the engine does", async () => {
    await ws.ok(["config", "set", ...S, "--secret", "pgpKey", pgpKey]);
    const plan = await sameAsGate("pgpKey set");
    assert.deepEqual(new Set(Object.values(stepsOf(plan))), new Set(["same"]));
    const before = ws.journal().length;
    const up = await ws.pulumi(["up", ...S, "--yes", ...PACK]);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.ok(!Object.values(stepsOf(up)).includes("replace"), JSON.stringify(stepsOf(up)));
    assert.deepEqual(ws.journal().slice(before), []);
    const out = await outputs();
    assert.equal(await handoff("show-password", ["--password-only"], out), `${firstPassword}\n`);
    assert.equal(JSON.parse(out).accessKeyId, firstKeyId);
  });

  it("a new credentialsRotation replaces the login profile (old deleted first) and the access key (new created first), encrypted to the pgpKey", async () => {
    await ws.ok(["config", "set", ...S, "credentialsRotation", "2"]);
    const plan = await sameAsGate("credentialsRotation 2");
    assert.equal(
      stepsOf(plan)[`urn:pulumi:${STACK}::${PROJECT}::${T.loginProfile}::console-login`],
      "replace",
    );
    const before = ws.journal().length;
    const up = await ws.pulumi(["up", ...S, "--yes", ...PACK]);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    const calls = ws.journal().slice(before);
    const at = (call: string) => calls.findIndex((c) => c.startsWith(call));
    const profileDelete = at(`delete ${T.loginProfile}`);
    const profileCreate = at(`create ${T.loginProfile}`);
    const keyCreate = at(`create ${T.accessKey}`);
    const keyDelete = at(`delete ${T.accessKey} bootstrap-access-key ${firstKeyId}`);
    assert.ok(profileDelete >= 0 && profileDelete < profileCreate, calls.join("\n"));
    assert.ok(keyCreate >= 0 && keyCreate < keyDelete, calls.join("\n"));

    // The new credentials, PGP-encrypted by the stand-in as the provider does, decrypt with the key.
    const out = await outputs();
    const parsed = JSON.parse(out) as Record<string, string>;
    assert.equal(parsed.consolePassword, undefined);
    assert.notEqual(parsed.accessKeyId, firstKeyId);
    fs.writeFileSync(path.join(ws.tmp, "private.asc"), key.armoredPrivateKey);
    const env = { PGP_PASSPHRASE: key.passphrase };
    const args = ["--private-key", path.join(ws.tmp, "private.asc")];
    const password = (await handoff("show-password", ["--password-only", ...args], out, env)).trim();
    assert.match(password, /^.{32}$/);
    assert.notEqual(password, firstPassword);
    const csv = await handoff("leverage-credentials", ["--output", "-", ...args], out, env);
    assert.match(csv, new RegExp(`${parsed.accessKeyId},[A-Za-z0-9/+]{40}`));
    assert.equal(of(T.accessKey).length, 1);
  });

  it("past its ExpiresOn date, up stops on bootstrap-user-expiry before it changes anything; destroy still works (next)", async () => {
    // The stack as if first deployed on 2026-01-01: the start date lives in the state, nowhere else.
    const exported = JSON.parse(await ws.ok(["stack", "export", ...S])) as {
      deployment: { resources: { urn: string; inputs?: Props; outputs?: Props }[] };
    };
    const start = exported.deployment.resources.find((r) => r.urn.endsWith("::bootstrap-user-start"))!;
    for (const props of [start.inputs!, start.outputs!]) props.keepers = { startedOn: "2026-01-01" };
    fs.writeFileSync(path.join(ws.project, "state.json"), JSON.stringify(exported));
    await ws.ok(["stack", "import", ...S, "--file", "state.json"]);
    fs.rmSync(path.join(ws.project, "state.json"));
    const before = ws.journal().length;
    const up = await ws.pulumi(["up", ...S, "--yes", ...PACK]);
    assert.notEqual(up.code, 0, up.stdout);
    assert.deepEqual(mandatoryOf(up), ["bootstrap-user-expiry"]);
    assert.match(up.stdout + up.stderr, /expired on 2026-01-31/);
    assert.deepEqual(ws.journal().slice(before), [], "nothing reached the account");
  });

  it("destroy empties the account, and stack rm removes the stack", async () => {
    await ws.ok(["destroy", ...S, "--yes"]);
    assert.deepEqual(ws.account().resources, {});
    await ws.ok(["stack", "rm", STACK, "--yes"]);
    assert.doesNotMatch(await ws.ok(["stack", "ls"]), new RegExp(`^${STACK}\\b`, "m"));
  });
});
