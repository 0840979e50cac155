/**
 * The gate's verdicts: the real policy pack (started once, as the CLI starts it) on the real
 * program and on fixture programs, each breaking one runbook rule; a deployed stack's update;
 * exported state; policy config errors.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { PolicyPackError } from "../../gate/analyzer";
import { CheckError, checkExport, type CheckResult } from "../../gate/check";
import { PolicyConfigError } from "../../gate/policy-config";
import { FORMATS, render } from "../../gate/report";
import { StackConfigError } from "../../gate/stack-config";
import { todayUtc } from "../../policy/lib/waivers";
import { T } from "../../policy/lib/resource-types";
import { BREAKS } from "../fixtures/programs/verdicts";
import { deployedExport, fixture, PACK, ROOT, checkWithDevPack, sharedDevPack } from "./helpers";

const mandatory = (r: CheckResult) =>
  [
    ...new Set(r.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policyName)),
  ].sort();

describe("gate: verdicts of the real pack", function () {
  const check = checkWithDevPack;

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

  it("refuses a config that lowers every rule through all, or one rule without a reason and an expiry", async () => {
    const withConfig = (config: unknown) =>
      check(fixture("in-group"), { policyConfig: { text: JSON.stringify(config), file: "cfg.json" } });
    const refused = (pattern: RegExp) => (e: Error) =>
      e instanceof PolicyPackError && /refused Configure: /.test(e.message) && pattern.test(e.message);
    await assert.rejects(
      withConfig({ all: "advisory" }),
      refused(/"all" may not set every policy to advisory/),
    );
    await assert.rejects(
      withConfig({ all: "disabled" }),
      refused(/"all" may not set every policy to disabled/),
    );
    await assert.rejects(
      withConfig({ "bootstrap-user-no-groups": "advisory" }),
      refused(
        /bootstrap-user-no-groups: advisory instead of mandatory needs a "reason" and an "expires" date/,
      ),
    );
    await assert.rejects(
      withConfig({ "bootstrap-user-no-groups": { userName: "nobody" } }),
      refused(/userName "nobody" instead of "mgmt-org-admin" needs a "reason"/),
    );
  });

  it("applies an explained override, and reports it in every format", async () => {
    const expires = todayUtc(new Date(Date.now() + 10 * 86_400_000));
    const config = { "bootstrap-user-no-groups": { enforcementLevel: "disabled", reason: "OPS-9", expires } };
    const r = await check(fixture("in-group"), {
      policyConfig: { text: JSON.stringify(config), file: "cfg.json" },
    });
    assert.deepEqual(mandatory(r), []);
    const override = r.violations.filter((v) => v.policyName === "policy-config-overrides");
    assert.equal(override.length, 1);
    assert.equal(override[0].enforcementLevel, "advisory");
    for (const format of FORMATS) {
      const text = render(format, r, { color: false, artifact: "index.ts", docsUrl: "https://example.com/" });
      assert.match(
        text,
        new RegExp(
          `bootstrap-user-no-groups.{1,8}: disabled instead of mandatory, until ${expires} \\(reason: OPS-9\\)`,
        ),
        format,
      );
    }
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
    const r = await checkExport(
      {
        file: fixture("../exports/bootstrap-in-group.json"),
        packDir: PACK,
        timeoutMs: 60_000,
      },
      { pack: await sharedDevPack() },
    );
    assert.equal(r.mode, "file");
    assert.ok(mandatory(r).includes("bootstrap-user-no-groups"));
  });

  it("takes a secret the export holds only as ciphertext as unknown: could not check, never a string", async () => {
    // Before: the ciphertext became the string "[secret]", no user of the pack's, and the check passed.
    const doc = JSON.parse(fs.readFileSync(fixture("../exports/bootstrap-in-group.json"), "utf8"));
    const member = doc.deployment.resources.find((x: { type: string }) => x.type === T.userGroupMembership);
    const cipher = {
      [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
      ciphertext: "v1:AAAA:BBBB",
    };
    member.inputs.user = member.outputs.user = cipher;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gate-cipher-")), "state.json");
    fs.writeFileSync(file, JSON.stringify(doc));
    const r = await checkExport({ file, packDir: PACK, timeoutMs: 60_000 }, { pack: await sharedDevPack() });
    const groups = r.violations.filter((v) => v.policyName === "bootstrap-user-no-groups");
    assert.equal(groups.length, 1, JSON.stringify(r.violations));
    assert.equal(groups[0].enforcementLevel, "advisory");
    assert.match(groups[0].message, /cannot check its users/);
    assert.ok(!r.violations.some((v) => /\[secret\]/.test(v.message)), "no policy read the string [secret]");
  });
});
