/**
 * The gate's verdicts: the real policy pack (started once, as the CLI starts it) on the real
 * program and on fixture programs, each breaking one runbook rule; a deployed stack's update;
 * exported state; policy config errors.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { PolicyPackError, type PolicyPack } from "../../gate/analyzer";
import { CheckError, checkExport, checkProgram, type CheckResult } from "../../gate/check";
import { PolicyConfigError } from "../../gate/policy-config";
import { StackConfigError } from "../../gate/stack-config";
import { BREAKS } from "../fixtures/programs/verdicts";
import { deployedExport, fixture, PACK, ROOT, sharedDevPack } from "./helpers";

const mandatory = (r: CheckResult) =>
  [
    ...new Set(r.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policyName)),
  ].sort();

describe("gate: verdicts of the real pack", function () {
  let pack: PolicyPack;
  before(async () => {
    pack = await sharedDevPack();
  });

  const check = (cwd: string, extra: Partial<Parameters<typeof checkProgram>[0]> = {}) =>
    checkProgram(
      { cwd, stack: "dev", packDir: PACK, timeoutMs: 60_000, ...extra },
      { pack, inProcess: true },
    );

  it("passes the real program on the dev stack, with the plan, outputs and one advisory", async () => {
    const r = await check(ROOT);
    assert.deepEqual(mandatory(r), []);
    assert.equal(r.mode, "program");
    assert.ok(r.resources.some((x) => x.type === "aws:iam/user:User" && x.inputs.name === "mgmt-org-admin"));
    assert.deepEqual(r.outputs.consolePassword, { secret: true });
    assert.equal(r.outputs.userName.value, "mgmt-org-admin");
    assert.deepEqual(r.uncheckedKeys, []);
  });

  for (const [name, policy] of BREAKS) {
    it(`fails ${name} on ${policy}`, async () => {
      assert.ok(mandatory(await check(fixture(name))).includes(policy));
    });
  }

  it("passes the runbook fixture and reports a program's warning", async () => {
    assert.deepEqual(mandatory(await check(fixture("passes"))), []);
    const warns = await check(fixture("warns"));
    assert.ok(warns.logs.some((l) => l.severity === "warning" && /warns through the engine/.test(l.message)));
  });

  it("stops with a CheckError when the program throws, and on a stack value of the wrong declared type", async () => {
    await assert.rejects(
      check(fixture("throws")),
      (e: Error) => e instanceof CheckError && /failed on purpose/.test(e.message),
    );
    await assert.rejects(
      check(fixture("bad-config")),
      (e: Error) => e instanceof StackConfigError && /must be of type 'integer'/.test(e.message),
    );
  });

  it("rejects an unknown policy, an unknown setting and a bad level in the policy config, naming it", async () => {
    const withConfig = (text: string) => check(ROOT, { policyConfig: { text, file: "cfg.json" } });
    // The pack's Configure refuses what it does not declare, as it does under the engine.
    const refused = (pattern: RegExp) => (e: Error) =>
      e instanceof PolicyPackError && /refused Configure: /.test(e.message) && pattern.test(e.message);
    await assert.rejects(
      withConfig('{"bootstrap-user-no-grups": "advisory"}'),
      refused(/unknown policy "bootstrap-user-no-grups"/),
    );
    await assert.rejects(
      withConfig('{"bootstrap-user-name": {"usrName": "x"}}'),
      refused(/bootstrap-user-name: .*usrName/),
    );
    await assert.rejects(
      withConfig('{"all": "strict"}'),
      (e: Error) => e instanceof PolicyConfigError && /"strict"; expected one of advisory/.test(e.message),
    );
    await assert.rejects(
      withConfig("{not json"),
      (e: Error) => e instanceof PolicyConfigError && /cfg.json is not valid JSON/.test(e.message),
    );
  });

  it("applies the config's levels: all advisory turns the verdict into a pass", async () => {
    const r = await check(fixture("in-group"), {
      policyConfig: { text: '{"all": "advisory"}', file: "cfg.json" },
    });
    assert.deepEqual(mandatory(r), []);
    assert.ok(
      r.violations.some(
        (v) => v.policyName === "bootstrap-user-no-groups" && v.enforcementLevel === "advisory",
      ),
    );
    assert.ok(r.packs[0].policies.every((p) => p.enforcementLevel === "advisory"));
    // The next check on the same pack starts again from the levels the pack declares.
    assert.deepEqual(mandatory(await check(fixture("in-group"))), ["bootstrap-user-no-groups"]);
  });

  it("plans an update of the deployed stack from its export: the same config changes nothing", async () => {
    const update = await check(ROOT, { state: await deployedExport() });
    assert.equal(update.mode, "update");
    const ops = update.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:")).map((r) => r.op);
    assert.ok(ops.length >= 5 && ops.every((o) => o === "same"), JSON.stringify(ops));
    assert.deepEqual(mandatory(update), []);
  });

  it("plans the deletion of what the program no longer declares", async () => {
    const file = await deployedExport();
    const state = JSON.parse(fs.readFileSync(file, "utf8"));
    state.deployment.resources.push({
      urn: "urn:pulumi:dev::management-bootstrap::aws:iam/accessKey:AccessKey::old-key",
      id: "AKIAOLDOLDOLDOLDOLD2",
      type: "aws:iam/accessKey:AccessKey",
      custom: true,
      inputs: { user: "mgmt-org-admin" },
      outputs: { user: "mgmt-org-admin" },
    });
    fs.writeFileSync(file, JSON.stringify(state));
    const update = await check(ROOT, { state: file });
    assert.equal(update.resources.find((r) => r.name === "old-key")?.op, "delete");
  });

  it("treats secure config as set but unknown, and says it was not checked offline", async () => {
    const r = await check(fixture("secure-config"));
    assert.deepEqual(r.uncheckedKeys, ["management-bootstrap:pgpKey"]);
    assert.deepEqual(mandatory(r), []);
  });

  it("rejects a file that is not a stack export with one line", async () => {
    const file = await deployedExport();
    fs.writeFileSync(file, '{"hello": 1}');
    await assert.rejects(check(ROOT, { state: file }), /is not a stack export; expected \{"version": 3/);
  });
});

describe("gate: exported state (--file)", function () {
  it("audits a state file like pulumi policy analyze, without stack context", async () => {
    const r = await checkExport({
      file: fixture("../exports/bootstrap-in-group.json"),
      packDir: PACK,
      timeoutMs: 60_000,
    });
    assert.equal(r.mode, "file");
    assert.ok(mandatory(r).includes("bootstrap-user-no-groups"));
  });
});
